// The live view: every sample goes into its channel's ring buffer; each subscriber gets at most
// `fps` frames a second of min/max buckets, one bucket per pixel column of its window. A frame
// carries only buckets that changed since the last one (the last, still-filling bucket is sent
// again until it is complete), so its size depends on the window and the frame rate, never on the
// input rate.
//
// Memory: a ring grows to `ringCapacity` only while a subscriber watches its channel; any other
// channel keeps at most `idleCapacity` samples (enough for a new plot's first frame, the console
// fills the rest of the window from the store), so unwatched channels cost ≤ 1 KiB each.
import type { LiveSubscription } from '../../../shared/api';
import { encodeFrame, type ChannelPoints } from '../../../shared/frames';
import type { SampleBatch } from '../batch';
import type { BusConsumer } from '../bus';
import { decimateMinMax, RingBuffer, type Buckets } from './ring';

export interface LiveSink {
  /** Returns false when the connection is backed up; the frame is then retried on the next tick. */
  send(frame: ArrayBuffer): boolean;
}

interface ChannelCursor {
  /** Start time of the first bucket the next frame must (re)send. */
  fromTime: number;
  /** `ring.written` at the last frame: nothing new, nothing to send. */
  seenWritten: number;
}

class Subscription {
  readonly bucketMs: number;
  readonly cursors = new Map<number, ChannelCursor>();
  needsReset = true;

  constructor(
    readonly spec: LiveSubscription,
    readonly sink: LiveSink,
  ) {
    this.bucketMs = spec.windowMs / spec.columns;
  }
}

/** Samples an unwatched channel keeps: 64 × 16 bytes. */
export const IDLE_RING_CAPACITY = 64; // not measured: a new plot's first frame in ≤ 1 KiB (above)

export class LiveHub implements BusConsumer {
  private readonly rings: (RingBuffer | undefined)[] = [];
  private readonly subscriptions = new Set<Subscription>();
  /** Subscriptions watching each channel. */
  private readonly watchers = new Map<number, number>();
  /**
   * Channels nobody watches any more, shrunk on the next tick rather than at once: a console
   * changing its subscription unsubscribes and subscribes again, and must not lose the history.
   */
  private readonly unwatched = new Set<number>();
  private timer?: NodeJS.Timeout;
  framesSent = 0;

  constructor(
    // 4 MiB a watched channel, not compared; a 1 M-point window decimates in 4.8–6 ms (bench.js decimation)
    private readonly ringCapacity = 1 << 18,
    // Not compared; a frame costs 0.07–0.08 ms at 50 k samples/s (bench.js decimation)
    private readonly fps = 30,
    private readonly idleCapacity = Math.min(IDLE_RING_CAPACITY, ringCapacity),
  ) {
    for (const [name, n] of [
      ['ring capacity', ringCapacity],
      ['idle ring capacity', idleCapacity],
    ] as const)
      if (!(n > 0) || (n & (n - 1)) !== 0) throw new Error(`${name} must be a power of two`);
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), 1000 / this.fps);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  onSamples(batch: SampleBatch): void {
    const { ts, channel, value, n } = batch;
    const rings = this.rings;
    for (let i = 0; i < n; i++) {
      const c = channel[i]!;
      let ring = rings[c];
      if (ring === undefined) ring = rings[c] = new RingBuffer(this.capacityFor(c));
      ring.push(ts[i]!, value[i]!);
    }
  }

  ring(channel: number): RingBuffer | undefined {
    return this.rings[channel];
  }

  bufferedPoints(): number {
    let total = 0;
    for (const r of this.rings) total += r?.size ?? 0;
    return total;
  }

  /** Ring slots allocated over all channels (16 bytes each): what the live view costs in memory. */
  allocatedSlots(): number {
    let total = 0;
    for (const r of this.rings) total += r?.capacity ?? 0;
    return total;
  }

  allocatedBytes(): number {
    return this.allocatedSlots() * 2 * Float64Array.BYTES_PER_ELEMENT;
  }

  private capacityFor(channel: number): number {
    return this.watchers.has(channel) ? this.ringCapacity : this.idleCapacity;
  }

  subscribe(spec: LiveSubscription, sink: LiveSink): () => void {
    const sub = new Subscription(spec, sink);
    this.subscriptions.add(sub);
    const channels = [...new Set(spec.channels)];
    for (const c of channels) {
      this.watchers.set(c, (this.watchers.get(c) ?? 0) + 1);
      this.rings[c]?.setMaxCapacity(this.ringCapacity);
    }
    this.send(sub);
    return () => {
      if (!this.subscriptions.delete(sub)) return;
      for (const c of channels) {
        const n = (this.watchers.get(c) ?? 1) - 1;
        if (n > 0) {
          this.watchers.set(c, n);
        } else {
          this.watchers.delete(c);
          this.unwatched.add(c);
        }
      }
    };
  }

  /** One frame for every subscriber that has something new. Exposed for tests and benchmarks. */
  tick(): void {
    for (const c of this.unwatched)
      if (!this.watchers.has(c)) this.rings[c]?.setMaxCapacity(this.idleCapacity);
    this.unwatched.clear();
    for (const sub of this.subscriptions) this.send(sub);
  }

  private send(sub: Subscription): void {
    const reset = sub.needsReset;
    const channels: ChannelPoints[] = [];
    const nextCursors: [number, ChannelCursor][] = [];
    for (const id of sub.spec.channels) {
      const ring = this.rings[id];
      if (!ring || ring.written === 0) {
        if (reset)
          channels.push({ id, t: new Float64Array(0), min: new Float64Array(0), max: new Float64Array(0) });
        continue;
      }
      let cursor = sub.cursors.get(id);
      if (!reset && cursor && cursor.seenWritten === ring.written) continue;
      if (reset || !cursor) {
        const end = ring.latest();
        cursor = {
          fromTime: Math.floor((end - sub.spec.windowMs) / sub.bucketMs) * sub.bucketMs,
          seenWritten: 0,
        };
      }
      const out: Buckets = { t: [], min: [], max: [] };
      const count = decimateMinMax(ring, ring.seqAtOrAfter(cursor.fromTime), ring.written, sub.bucketMs, out);
      channels.push({
        id,
        t: Float64Array.from(out.t),
        min: Float64Array.from(out.min),
        max: Float64Array.from(out.max),
      });
      // The last bucket may still fill: start there next time.
      nextCursors.push([
        id,
        { fromTime: count > 0 ? out.t[count - 1]! : cursor.fromTime, seenWritten: ring.written },
      ]);
    }
    if (channels.length === 0) return;
    if (!sub.sink.send(encodeFrame({ reset, bucketMs: sub.bucketMs, channels }))) return;
    this.framesSent++;
    sub.needsReset = false;
    for (const [id, cursor] of nextCursors) sub.cursors.set(id, cursor);
  }
}
