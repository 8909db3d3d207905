// The live view: every sample goes into its channel's ring buffer; each subscriber gets at most
// `fps` frames a second of min/max buckets, one bucket per pixel column of its window. A frame
// carries only buckets that changed since the last one (the last, still-filling bucket is sent
// again until it is complete), so its size depends on the window and the frame rate, never on the
// input rate.
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

export class LiveHub implements BusConsumer {
  private readonly rings: (RingBuffer | undefined)[] = [];
  private readonly subscriptions = new Set<Subscription>();
  private timer?: NodeJS.Timeout;
  framesSent = 0;

  constructor(
    private readonly ringCapacity = 1 << 18,
    private readonly fps = 30,
  ) {
    if ((ringCapacity & (ringCapacity - 1)) !== 0) throw new Error('ring capacity must be a power of two');
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
      if (ring === undefined) ring = rings[c] = new RingBuffer(this.ringCapacity);
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

  subscribe(spec: LiveSubscription, sink: LiveSink): () => void {
    const sub = new Subscription(spec, sink);
    this.subscriptions.add(sub);
    this.send(sub);
    return () => this.subscriptions.delete(sub);
  }

  /** One frame for every subscriber that has something new. Exposed for tests and benchmarks. */
  tick(): void {
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
