// The one retry delay: the MQTT and serial reconnects, the store's recovery, notifier deliveries and
// the console's reconnect to the engine all wait this long before attempt `attempt`.

export interface Backoff {
  /** The delay before the first retry (attempt 0). */
  firstMs: number;
  /** The longest delay, before jitter. */
  maxMs: number;
  /** Spread each delay over ±this fraction (0.5: ±50%), so many clients do not retry in step. */
  jitter?: number;
}

/** Doublings past which every sensible `firstMs` is beyond any `maxMs`; keeps 2 ** n finite. */
const MAX_DOUBLINGS = 30;

/** Milliseconds before retry `attempt` (0-based): doubling from firstMs up to maxMs, with jitter. */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const doublings = Math.min(Math.max(0, Math.floor(attempt)), MAX_DOUBLINGS);
  const base = Math.min(backoff.maxMs, backoff.firstMs * 2 ** doublings);
  const jitter = backoff.jitter ?? 0;
  return Math.round(base * (1 - jitter + 2 * jitter * random()));
}
