// Subscriptions (shared/api.ts Subscriptions) as hooks: a component declares what it shows and the
// engine pushes it when it changes; nothing here asks on a timer. A subscription ends when the
// component unmounts or its params change, and is made again on the new client after a reconnect
// (the connection hands out a new client, which re-runs the effect).
import { useEffect, useRef } from 'react';
import type { SubscriptionData, SubscriptionKind, SubscriptionParams } from '../../shared/api';
import type { RpcClient } from '../../shared/rpc';

/** Subscribes while `client` and `params` are non-null; params are compared by value. */
export function useSubscription<K extends SubscriptionKind>(
  client: RpcClient | null,
  kind: K,
  params: SubscriptionParams<K> | null,
  onData: (data: SubscriptionData<K>) => void,
  onError?: (message: string) => void,
): void {
  const specs = params === null ? EMPTY : new Map([['', params]]);
  useSubscriptions(
    client,
    kind,
    specs,
    (_key, data) => onData(data),
    (_key, message) => onError?.(message),
  );
}

const EMPTY = new Map<string, never>();

/**
 * Several subscriptions of one kind, by key (a topic tree's open levels): only those added, removed
 * or changed since the last render are subscribed or ended.
 */
export function useSubscriptions<K extends SubscriptionKind>(
  client: RpcClient | null,
  kind: K,
  specs: ReadonlyMap<string, SubscriptionParams<K>>,
  onData: (key: string, data: SubscriptionData<K>) => void,
  onError?: (key: string, message: string) => void,
): void {
  const handlers = useRef({ onData, onError });
  useEffect(() => {
    handlers.current = { onData, onError };
  });
  const active = useRef(new Map<string, { json: string; end: () => void }>());
  const specsJson = JSON.stringify([...specs]);

  useEffect(() => {
    if (!client) return;
    const current = active.current;
    const wanted = new Map(JSON.parse(specsJson) as [string, SubscriptionParams<K>][]);
    for (const [key, sub] of current) {
      const spec = wanted.get(key);
      if (spec === undefined || JSON.stringify(spec) !== sub.json) {
        sub.end();
        current.delete(key);
      }
    }
    for (const [key, spec] of wanted) {
      if (current.has(key)) continue;
      const end = client.subscribe(kind, spec, {
        data: (data) => handlers.current.onData(key, data),
        error: (message) => handlers.current.onError?.(key, message),
      });
      current.set(key, { json: JSON.stringify(spec), end });
    }
  }, [client, kind, specsJson]);

  // Everything ends with the component or its client (a new client subscribes afresh).
  useEffect(() => {
    if (!client) return;
    const current = active.current;
    return () => {
      for (const sub of current.values()) sub.end();
      current.clear();
    };
  }, [client, kind]);
}
