// The live side of the plots: one subscription per connection covering every live panel, the
// min/max buckets it delivers kept per channel in typed arrays trimmed to the window, and one redraw
// per animation frame however many frames arrived. What is held is bounded by the subscription's
// columns, never by how fast the engine ingests.
import type { LiveSubscription } from '../../shared/api';
import type { LiveFrame } from '../../shared/frames';
import type { RpcClient } from '../../shared/rpc';

/** One channel's buckets, oldest first, in [start, end) of growable typed arrays. */
export class ChannelBuffer {
  private t: Float64Array = new Float64Array(256);
  private min: Float64Array = new Float64Array(256);
  private max: Float64Array = new Float64Array(256);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  firstT(): number {
    return this.length > 0 ? this.t[this.start]! : NaN;
  }

  lastT(): number {
    return this.length > 0 ? this.t[this.end - 1]! : NaN;
  }

  /** Views (no copy) of the buckets whose start lies in [from, to]. */
  view(from: number, to: number): BucketView {
    const a = this.indexAtOrAfter(from);
    const b = this.indexAfter(to);
    return { t: this.t.subarray(a, b), min: this.min.subarray(a, b), max: this.max.subarray(a, b) };
  }

  replace(t: Float64Array, min: Float64Array, max: Float64Array): void {
    this.start = this.end = 0;
    this.append(t, min, max);
  }

  /** Appends; buckets we hold from the first incoming bucket's time on are superseded by it. */
  merge(t: Float64Array, min: Float64Array, max: Float64Array): void {
    if (t.length === 0) return;
    this.end = this.indexAtOrAfter(t[0]!);
    this.append(t, min, max);
  }

  /** Puts older buckets (from the store) in front of what we hold, keeping only those strictly older. */
  prepend(t: ArrayLike<number>, min: ArrayLike<number>, max: ArrayLike<number>): void {
    const first = this.firstT();
    let n = 0;
    while (n < t.length && !(t[n]! >= first)) n++;
    if (n === 0) return;
    const held = this.length;
    const next = new ChannelBuffer();
    next.reserve(n + held);
    for (let i = 0; i < n; i++) {
      next.t[i] = t[i]!;
      next.min[i] = min[i]!;
      next.max[i] = max[i]!;
    }
    next.t.set(this.t.subarray(this.start, this.end), n);
    next.min.set(this.min.subarray(this.start, this.end), n);
    next.max.set(this.max.subarray(this.start, this.end), n);
    this.t = next.t;
    this.min = next.min;
    this.max = next.max;
    this.start = 0;
    this.end = n + held;
  }

  /** Drops buckets that start before `time`. */
  trimBefore(time: number): void {
    this.start = this.indexAtOrAfter(time);
  }

  /** Index in the arrays of the first held bucket with t >= time (binary search). */
  private indexAtOrAfter(time: number): number {
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[mid]! < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index in the arrays of the first held bucket with t > time. */
  private indexAfter(time: number): number {
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[mid]! <= time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private append(t: Float64Array, min: Float64Array, max: Float64Array): void {
    this.reserve(t.length);
    this.t.set(t, this.end);
    this.min.set(min, this.end);
    this.max.set(max, this.end);
    this.end += t.length;
  }

  /** Room for `extra` more at the end: slide the held part to the front, and grow only if still short. */
  private reserve(extra: number): void {
    if (this.end + extra <= this.t.length) return;
    const held = this.length;
    let capacity = this.t.length;
    while (held + extra > capacity) capacity *= 2;
    const grow = (old: Float64Array) => {
      // Same-buffer `set` copies as if through a temporary, so sliding in place is safe.
      const next = capacity === old.length ? old : new Float64Array(capacity);
      next.set(old.subarray(this.start, this.end), 0);
      return next;
    };
    this.t = grow(this.t);
    this.min = grow(this.min);
    this.max = grow(this.max);
    this.start = 0;
    this.end = held;
  }
}

export interface BucketView {
  t: Float64Array;
  min: Float64Array;
  max: Float64Array;
}

/** What one plot panel asks of the live feed. */
export interface PanelNeed {
  channels: readonly number[];
  windowMs: number;
  /** Width of the plotting area in CSS pixels. */
  widthPx: number;
  /** False while the panel shows stored history: it needs no live data then. */
  live: boolean;
}

const MIN_COLUMNS = 200;
const MAX_COLUMNS = 8_000;
const MAX_CHANNELS = 64;
/** Coalesces resizes and clicks into one subscription change. */
const RESUBSCRIBE_DELAY_MS = 150;

/**
 * The subscription serving every live panel: their channels, the widest window, and enough columns
 * that the narrowest window still gets about one bucket per pixel (capped by the contract).
 */
export function subscriptionFor(needs: Iterable<PanelNeed>): LiveSubscription | null {
  const live = [...needs].filter((n) => n.live && n.channels.length > 0);
  if (live.length === 0) return null;
  const channels = [...new Set(live.flatMap((n) => n.channels))].sort((a, b) => a - b).slice(0, MAX_CHANNELS);
  const windowMs = Math.min(86_400_000, Math.max(100, ...live.map((n) => Math.round(n.windowMs))));
  const wanted = Math.max(...live.map((n) => (n.widthPx * windowMs) / n.windowMs));
  // Rounded up to 50 so a few pixels of resizing do not restart the subscription.
  const columns = Math.min(MAX_COLUMNS, Math.max(MIN_COLUMNS, Math.ceil(wanted / 50) * 50));
  return { channels, windowMs, columns };
}

export type LiveListener = (changed: ReadonlySet<number>) => void;

export class LiveFeed {
  private client: RpcClient | null = null;
  private offFrame: (() => void) | null = null;
  private readonly buffers = new Map<number, ChannelBuffer>();
  private readonly needs = new Map<string, PanelNeed>();
  private readonly listeners = new Set<LiveListener>();
  private subscription: LiveSubscription | null = null;
  private subscribedKey = 'none';
  private resubscribeTimer: number | undefined;
  /** Frames of an earlier subscription may still be in flight: ignore them until the new one's reset. */
  private awaitingReset = false;
  /** Bumped by every reset: a backfill answer from before one is stale. */
  private generation = 0;
  /** Backfill is a nicety: its failure is reported once per connection, not once per resubscription. */
  private backfillFailureReported = false;
  private readonly changed = new Set<number>();
  private frameRequest = 0;
  bucketMs = 0;
  /** Start of the newest bucket held on any channel, epoch ms. */
  latestT = NaN;

  constructor(private readonly report: (message: string) => void) {}

  /** Starts over on a new connection (or none): the engine keeps no subscription across connections. */
  attach(client: RpcClient | null): void {
    this.offFrame?.();
    this.offFrame = null;
    this.client = client;
    // Plots keep their last picture until the new connection's first frame replaces it.
    cancelAnimationFrame(this.frameRequest);
    this.frameRequest = 0;
    this.changed.clear();
    this.buffers.clear();
    this.latestT = NaN;
    this.subscription = null;
    this.subscribedKey = 'none';
    this.backfillFailureReported = false;
    if (!client) return;
    this.offFrame = client.onFrame((frame) => this.receive(frame));
    this.resubscribe();
  }

  setNeed(panelId: string, need: PanelNeed | null): void {
    if (need) this.needs.set(panelId, need);
    else this.needs.delete(panelId);
    window.clearTimeout(this.resubscribeTimer);
    this.resubscribeTimer = window.setTimeout(() => this.resubscribe(), RESUBSCRIBE_DELAY_MS);
  }

  /** Called at most once per animation frame with the channels that changed since the last call. */
  listen(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  buffer(channel: number): ChannelBuffer | undefined {
    return this.buffers.get(channel);
  }

  private resubscribe(): void {
    const client = this.client;
    if (!client) return;
    const next = subscriptionFor(this.needs.values());
    const key = JSON.stringify(next);
    if (key === this.subscribedKey) return;
    this.subscribedKey = key;
    this.subscription = next;
    for (const id of [...this.buffers.keys()]) if (!next?.channels.includes(id)) this.buffers.delete(id);
    if (!next) {
      this.awaitingReset = false;
      client
        .call('unsubscribeLive', {})
        .catch((error: Error) => this.report(`stopping live data failed: ${error.message}`));
      return;
    }
    this.awaitingReset = true;
    client.call('subscribeLive', next).catch((error: Error) => {
      if (this.client === client) this.report(`live data subscription failed: ${error.message}`);
    });
  }

  private receive(frame: LiveFrame): void {
    const spec = this.subscription;
    if (!spec) return;
    if (frame.reset) {
      this.awaitingReset = false;
      this.bucketMs = frame.bucketMs;
      this.latestT = NaN;
      this.generation++;
    } else if (this.awaitingReset || frame.bucketMs !== this.bucketMs) {
      return;
    }
    const wanted = new Set(spec.channels);
    for (const c of frame.channels) {
      if (!wanted.has(c.id)) continue;
      let buffer = this.buffers.get(c.id);
      if (!buffer) this.buffers.set(c.id, (buffer = new ChannelBuffer()));
      if (frame.reset) buffer.replace(c.t, c.min, c.max);
      else buffer.merge(c.t, c.min, c.max);
      const last = buffer.lastT();
      if (last > this.latestT || (Number.isNaN(this.latestT) && !Number.isNaN(last))) this.latestT = last;
      this.changed.add(c.id);
    }
    const oldest = this.latestT - spec.windowMs - this.bucketMs;
    for (const buffer of this.buffers.values()) buffer.trimBefore(oldest);
    if (frame.reset) void this.backfill(spec, frame);
    this.requestDraw();
  }

  /**
   * The engine's live ring holds only the recent past (and nothing from before it started): fill
   * the rest of the window from the store, once per reset.
   */
  private async backfill(spec: LiveSubscription, frame: LiveFrame): Promise<void> {
    const client = this.client;
    const bucketMs = frame.bucketMs;
    if (!client || !(bucketMs > 0) || Number.isNaN(this.latestT)) return;
    const from = Math.floor((this.latestT - spec.windowMs) / bucketMs) * bucketMs;
    // A channel is short when its first bucket comes later than its own sample spacing explains.
    const short = frame.channels.filter((c) => {
      const n = c.t.length;
      if (n === 0) return false;
      const spacing = n > 1 ? (c.t[n - 1]! - c.t[0]!) / (n - 1) : spec.windowMs;
      return c.t[0]! - from > 2 * Math.max(bucketMs, spacing);
    });
    if (short.length === 0) return;
    const to = Math.max(...short.map((c) => c.t[0]!));
    const generation = this.generation;
    try {
      const result = await client.call('series', {
        channels: short.map((c) => c.id),
        from,
        to,
        maxPoints: Math.min(10_000, Math.max(1, Math.round((to - from) / bucketMs))),
      });
      if (generation !== this.generation || client !== this.client) return;
      for (const c of result.channels) {
        const buffer = this.buffers.get(c.id);
        if (!buffer || c.t.length === 0) continue;
        buffer.prepend(c.t, c.min, c.max);
        this.changed.add(c.id);
      }
      this.requestDraw();
    } catch (error) {
      if (client !== this.client || this.backfillFailureReported) return;
      this.backfillFailureReported = true;
      this.report(`loading stored data for the live window failed: ${(error as Error).message}`);
    }
  }

  private requestDraw(): void {
    if (this.frameRequest) return;
    this.frameRequest = requestAnimationFrame(() => {
      this.frameRequest = 0;
      const changed = new Set(this.changed);
      this.changed.clear();
      for (const listener of this.listeners) listener(changed);
    });
  }
}
