import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, type LiveFrame } from '../../shared/frames';
import { IDLE_RING_CAPACITY, LiveHub } from '../../electron/engine/live/hub';
import { decimateMinMax, RingBuffer, type Buckets } from '../../electron/engine/live/ring';
import { seededRandom } from '../../electron/engine/sources/sim';

function bruteForce(t: number[], v: number[], bucketMs: number) {
  const map = new Map<number, [number, number]>();
  t.forEach((ti, i) => {
    const b = Math.floor(ti / bucketMs) * bucketMs;
    const cur = map.get(b);
    map.set(b, cur ? [Math.min(cur[0], v[i]!), Math.max(cur[1], v[i]!)] : [v[i]!, v[i]!]);
  });
  const keys = [...map.keys()].sort((a, b) => a - b);
  return { t: keys, min: keys.map((k) => map.get(k)![0]), max: keys.map((k) => map.get(k)![1]) };
}

describe('ring buffer', () => {
  it('keeps the newest samples once it wraps, and finds times by binary search', () => {
    const ring = new RingBuffer(1024);
    for (let i = 0; i < 3000; i++) ring.push(i * 10, i);
    expect(ring.size).toBe(1024);
    expect(ring.latest()).toBe(29990);
    expect(ring.seqAtOrAfter(0)).toBe(3000 - 1024); // older ones are gone
    expect(ring.seqAtOrAfter(25_000)).toBe(2500);
    expect(ring.seqAtOrAfter(25_001)).toBe(2501);
    expect(ring.seqAtOrAfter(1e9)).toBe(3000);
  });

  it('decimates to the same min/max as a brute-force pass, across a wrap', () => {
    const rnd = seededRandom(7);
    const ring = new RingBuffer(2048);
    const t: number[] = [];
    const v: number[] = [];
    let time = 1_000_000;
    for (let i = 0; i < 5000; i++) {
      time += rnd() * 3;
      const value = rnd() * 100 - 50;
      ring.push(time, value);
      if (i >= 5000 - 2048) {
        t.push(time);
        v.push(value);
      }
    }
    const out: Buckets = { t: [], min: [], max: [] };
    const n = decimateMinMax(ring, ring.written - ring.size, ring.written, 25, out);
    expect(out).toEqual(bruteForce(t, v, 25));
    expect(n).toBe(out.t.length);
  });
});

describe('live frames', () => {
  it('round-trip through the binary encoding, and bad frames name what is wrong', () => {
    const frame: LiveFrame = {
      reset: true,
      bucketMs: 12.5,
      channels: [
        { id: 3, t: Float64Array.of(1, 2), min: Float64Array.of(-1, -2), max: Float64Array.of(5, 6) },
        { id: 9, t: new Float64Array(0), min: new Float64Array(0), max: new Float64Array(0) },
      ],
    };
    const back = decodeFrame(encodeFrame(frame));
    expect(back.reset).toBe(true);
    expect(back.bucketMs).toBe(12.5);
    expect(back.channels.map((c) => [c.id, [...c.t], [...c.min], [...c.max]])).toEqual([
      [3, [1, 2], [-1, -2], [5, 6]],
      [9, [], [], []],
    ]);
    const bytes = encodeFrame(frame);
    expect(() => decodeFrame(bytes.slice(0, bytes.byteLength - 16))).toThrow(
      /channel 3 claims 2 points past the end/,
    );
    expect(() => decodeFrame(new ArrayBuffer(8))).toThrow(/shorter than the header/);
    const wrong = bytes.slice(0);
    new DataView(wrong).setUint32(0, 1, true);
    expect(() => decodeFrame(wrong)).toThrow(/bad magic/);
  });
});

describe('live hub', () => {
  function feed(hub: LiveHub, channel: number, from: number, n: number, stepMs: number, t0 = 1_000_000) {
    const ts = new Float64Array(n);
    const value = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      ts[i] = t0 + (from + i) * stepMs;
      value[i] = Math.sin((from + i) / 10);
    }
    hub.onSamples({ n, ts, channel: new Uint32Array(n).fill(channel), value });
  }

  it('sends a reset window first, then only changed buckets, whatever the input rate', () => {
    const hub = new LiveHub(1 << 20);
    const frames: LiveFrame[] = [];
    const spec = { channels: [4], windowMs: 5_000, columns: 500 };
    hub.subscribe(spec, { send: () => true }); // watched from the start: its ring keeps the window
    feed(hub, 4, 0, 100_000, 0.1); // 10 kHz for 10 s
    hub.subscribe(spec, { send: (f) => (frames.push(decodeFrame(f)), true) });
    expect(frames).toHaveLength(1);
    expect(frames[0]!.reset).toBe(true);
    const first = frames[0]!.channels[0]!;
    expect(first.t.length).toBeGreaterThanOrEqual(500);
    expect(first.t.length).toBeLessThanOrEqual(502);

    hub.tick();
    expect(frames).toHaveLength(1); // nothing new, nothing sent

    feed(hub, 4, 100_000, 50_000, 0.1); // 5 s more at 10 kHz in one go
    hub.tick();
    const next = frames[1]!;
    expect(next.reset).toBe(false);
    const c = next.channels[0]!;
    // Bounded by the window's columns, not by the 50,000 new samples.
    expect(c.t.length).toBeLessThanOrEqual(502);
    // It starts by re-sending the last bucket of the previous frame (it was still filling).
    expect(c.t[0]).toBe(first.t[first.t.length - 1]);
    // Buckets are 10 ms wide: min/max of the samples inside.
    expect(c.t[1]! - c.t[0]!).toBe(10);
  });

  it('keeps the frame for the next tick when the connection is backed up', () => {
    const hub = new LiveHub(1 << 16);
    let accept = false;
    const sent: LiveFrame[] = [];
    feed(hub, 1, 0, 1000, 1);
    hub.subscribe(
      { channels: [1], windowMs: 1000, columns: 100 },
      { send: (f) => (accept ? (sent.push(decodeFrame(f)), true) : false) },
    );
    feed(hub, 1, 1000, 1000, 1);
    hub.tick();
    expect(sent).toHaveLength(0);
    accept = true;
    hub.tick();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.reset).toBe(true); // the reset was never delivered, so it still is one
  });

  it('keeps at most a few samples of a channel nobody watches, and the window of one somebody does', () => {
    const hub = new LiveHub(1 << 16);
    for (let c = 1; c <= 1000; c++) feed(hub, c, 0, 5, 1); // 1,000 channels, 5 samples each
    // Small rings, not 1,000 × the full capacity.
    expect(hub.allocatedSlots()).toBe(1000 * 16);
    feed(hub, 7, 5, 10_000, 1);
    expect(hub.ring(7)!.capacity).toBe(IDLE_RING_CAPACITY);
    expect(hub.ring(7)!.size).toBe(IDLE_RING_CAPACITY);
    expect(hub.allocatedBytes()).toBe((999 * 16 + IDLE_RING_CAPACITY) * 16);

    // Watched: it grows to hold what arrives, keeping what it had.
    const stop = hub.subscribe({ channels: [7], windowMs: 60_000, columns: 100 }, { send: () => true });
    feed(hub, 7, 10_005, 20_000, 1);
    expect(hub.ring(7)!.size).toBe(20_000 + IDLE_RING_CAPACITY);
    expect(hub.ring(7)!.latest()).toBe(1_000_000 + 30_004);

    // A console that changes its subscription unsubscribes and subscribes at once: history stays.
    stop();
    const again = hub.subscribe({ channels: [7, 8], windowMs: 60_000, columns: 100 }, { send: () => true });
    hub.tick();
    expect(hub.ring(7)!.size).toBe(20_000 + IDLE_RING_CAPACITY);

    // Nobody watches any more: back to the newest few on the next tick.
    again();
    expect(hub.ring(7)!.size).toBe(20_000 + IDLE_RING_CAPACITY);
    hub.tick();
    expect(hub.ring(7)!.capacity).toBe(IDLE_RING_CAPACITY);
    expect(hub.ring(7)!.latest()).toBe(1_000_000 + 30_004);
    const out: Buckets = { t: [], min: [], max: [] };
    decimateMinMax(hub.ring(7)!, hub.ring(7)!.written - hub.ring(7)!.size, hub.ring(7)!.written, 1, out);
    expect(out.t).toEqual(Array.from({ length: IDLE_RING_CAPACITY }, (_, i) => 1_000_000 + 30_005 - 64 + i));
  });
});
