// Alert instances and recent transitions, as the engine pushes them (subscription `alerts`), with
// each live transition (`alert` event) added to the list as it happens.
import { useEffect, useRef, useState } from 'react';
import type { AlertInstanceInfo, AlertTransitionInfo } from '../../../../shared/api';
import type { RpcClient } from '../../../../shared/rpc';
import { useSubscription } from '../../useSubscription';

/** Transitions kept for the list and the plot markers. */
export const MAX_TRANSITIONS = 300;

export type AlertStateName = AlertInstanceInfo['state'];

/** Firing, and still firing during `keepFiringFor`. */
export function isFiring(state: AlertStateName): boolean {
  return state === 'firing' || state === 'recovering';
}

/** Identity of an instance: its rule and labels, in a stable order. */
export function instanceKey(rule: string, labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  return `${rule}\u0000${parts.join('\u0000')}`;
}

function transitionKey(t: AlertTransitionInfo): string {
  return `${t.ts}|${instanceKey(t.rule, t.labels)}|${t.from}|${t.state}`;
}

/** Newest first, without duplicates, at most MAX_TRANSITIONS. */
function mergeTransitions(
  a: readonly AlertTransitionInfo[],
  b: readonly AlertTransitionInfo[],
): AlertTransitionInfo[] {
  const seen = new Set<string>();
  const out: AlertTransitionInfo[] = [];
  for (const t of [...a, ...b].sort((x, y) => y.ts - x.ts)) {
    const key = transitionKey(t);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(t);
    if (out.length >= MAX_TRANSITIONS) break;
  }
  return out;
}

export interface AlertsData {
  /** Null until the first answer. */
  instances: AlertInstanceInfo[] | null;
  transitions: AlertTransitionInfo[];
  error: string | null;
}

/**
 * `client` is null while disconnected (what was last known stays). Instances come as the engine
 * pushes them (subscription `alerts`: after every transition, ack and silence); the `alert` event
 * adds each transition to the list at once, and `onLive` hears it once (desktop notifications).
 */
export function useAlerts(client: RpcClient | null, onLive?: (t: AlertTransitionInfo) => void): AlertsData {
  const [data, setData] = useState<AlertsData>({ instances: null, transitions: [], error: null });
  const onLiveRef = useRef(onLive);
  useEffect(() => {
    onLiveRef.current = onLive;
  }, [onLive]);

  useSubscription(
    client,
    'alerts',
    { limit: MAX_TRANSITIONS },
    (result) =>
      setData((d) => ({
        instances: result.instances,
        // Transitions heard as events may be newer than the push: kept until the push has them.
        transitions: mergeTransitions(
          result.transitions,
          d.transitions.filter((t) => t.ts >= (result.transitions[0]?.ts ?? -Infinity)),
        ),
        error: null,
      })),
    (error) => setData((d) => ({ ...d, error })),
  );

  useEffect(() => {
    if (!client) return;
    return client.on('alert', (t) => {
      setData((d) => ({ ...d, transitions: mergeTransitions([t], d.transitions) }));
      onLiveRef.current?.(t);
    });
  }, [client]);

  return data;
}

/** The latest live transition of each instance (transitions come newest first). */
export function latestByInstance(
  transitions: readonly AlertTransitionInfo[],
): Map<string, AlertTransitionInfo> {
  const map = new Map<string, AlertTransitionInfo>();
  for (const t of transitions) {
    const key = instanceKey(t.rule, t.labels);
    if (!map.has(key)) map.set(key, t);
  }
  return map;
}
