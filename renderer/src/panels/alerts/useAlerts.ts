// Alert instances and recent transitions: read with `alerts` when a connection is greeted (at
// start and after every reconnect), kept current by the `alert` event the engine pushes per live
// transition, and re-read now and then as a fallback in case an event was missed.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { AlertInstanceInfo, AlertTransitionInfo } from '../../../../shared/api';
import type { RpcClient } from '../../../../shared/rpc';

/** Transitions kept for the list and the plot markers. */
export const MAX_TRANSITIONS = 300;
/** The fallback re-read; the events carry every change in between. */
const REFRESH_MS = 15_000;

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

const NOT_ACKED = { acknowledged: false, acknowledgedBy: null, acknowledgedAt: null, ackComment: '' };

function applyTransition(
  instances: readonly AlertInstanceInfo[],
  t: AlertTransitionInfo,
): AlertInstanceInfo[] {
  const key = instanceKey(t.rule, t.labels);
  let found = false;
  const next = instances.map((i) => {
    if (instanceKey(i.rule, i.labels) !== key) return i;
    found = true;
    // An acknowledgement lasts until the instance resolves (the engine drops it then too).
    const resolved = t.state === 'normal' || t.state === 'resolved';
    return resolved
      ? { ...i, state: t.state, value: t.value, since: t.ts, ...NOT_ACKED }
      : { ...i, state: t.state, value: t.value, since: t.ts };
  });
  if (!found)
    next.push({
      rule: t.rule,
      labels: t.labels,
      state: t.state,
      value: t.value,
      since: t.ts,
      ...NOT_ACKED,
      silencedBy: [],
    });
  return next;
}

export interface AlertsData {
  /** Null until the first answer. */
  instances: AlertInstanceInfo[] | null;
  transitions: AlertTransitionInfo[];
  error: string | null;
}

export interface AlertsView extends AlertsData {
  /** Reads instances and transitions again now (after an ack or a silence changed them). */
  refresh(): void;
}

/**
 * `client` is null while disconnected (what was last known stays). `onLive` hears each pushed
 * transition once, after the state includes it (desktop notifications).
 */
export function useAlerts(client: RpcClient | null, onLive?: (t: AlertTransitionInfo) => void): AlertsView {
  const [data, setData] = useState<AlertsData>({ instances: null, transitions: [], error: null });
  const readRef = useRef<(() => void) | null>(null);
  const refresh = useCallback(() => readRef.current?.(), []);
  const onLiveRef = useRef(onLive);
  useEffect(() => {
    onLiveRef.current = onLive;
  }, [onLive]);

  useEffect(() => {
    if (!client) return;
    let cancelled = false;
    let timer: number | undefined;
    // Events that arrive while a read is on its way may be newer than its answer: replay them on it.
    let inFlight: AlertTransitionInfo[] | null = null;

    const read = async () => {
      inFlight = [];
      try {
        const result = await client.call('alerts', { limit: MAX_TRANSITIONS });
        if (cancelled) return;
        const during = inFlight;
        setData(() => {
          let instances = result.instances;
          for (const t of [...during].reverse()) instances = applyTransition(instances, t);
          return {
            instances,
            transitions: mergeTransitions(result.transitions, during),
            error: null,
          };
        });
      } catch (error) {
        if (!cancelled) setData((d) => ({ ...d, error: (error as Error).message }));
      } finally {
        inFlight = null;
      }
      if (!cancelled) timer = window.setTimeout(() => void read(), REFRESH_MS);
    };
    const off = client.on('alert', (t) => {
      if (cancelled) return;
      inFlight?.unshift(t);
      setData((d) => ({
        instances: d.instances ? applyTransition(d.instances, t) : d.instances,
        transitions: mergeTransitions([t], d.transitions),
        error: d.error,
      }));
      onLiveRef.current?.(t);
    });
    readRef.current = () => {
      window.clearTimeout(timer);
      void read();
    };
    void read();
    return () => {
      cancelled = true;
      readRef.current = null;
      window.clearTimeout(timer);
      off();
    };
  }, [client]);

  return useMemo(() => ({ ...data, refresh }), [data, refresh]);
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
