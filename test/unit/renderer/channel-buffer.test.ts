// The live plots' per-channel buckets (renderer/src/live-data.ts): merging frames that overlap what
// is held, history put in front, trimming to the window, growing past the first arrays; and the one
// subscription that serves every live panel.
import { describe, expect, it } from 'vitest';
import { ChannelBuffer, subscriptionFor, type PanelNeed } from '../../../renderer/src/live-data';

const f64 = (...values: number[]) => Float64Array.from(values);
/** Buckets at the given times, min = t and max = t + 0.5 so every value says where it came from. */
function fill(buffer: ChannelBuffer, how: 'replace' | 'merge', times: number[]): void {
  buffer[how](f64(...times), f64(...times), f64(...times.map((t) => t + 0.5)));
}
const held = (b: ChannelBuffer) => {
  const v = b.view(-Infinity, Infinity);
  return { t: [...v.t], min: [...v.min], max: [...v.max] };
};

describe('ChannelBuffer', () => {
  it('is empty at first: no times, an empty view', () => {
    const b = new ChannelBuffer();
    expect(b.length).toBe(0);
    expect(b.firstT()).toBeNaN();
    expect(b.lastT()).toBeNaN();
    expect(b.view(0, 1e12).t).toHaveLength(0);
    b.merge(f64(), f64(), f64()); // an empty frame changes nothing
    expect(b.length).toBe(0);
  });

  it('views the buckets whose start lies in [from, to], both ends included', () => {
    const b = new ChannelBuffer();
    fill(b, 'replace', [10, 20, 30, 40]);
    expect([...b.view(20, 30).t]).toEqual([20, 30]);
    expect([...b.view(21, 29).t]).toEqual([]);
    expect([...b.view(35, 1_000).max]).toEqual([40.5]);
  });

  it('lets a frame that starts inside what is held supersede the held buckets from there on', () => {
    const b = new ChannelBuffer();
    fill(b, 'replace', [10, 20, 30, 40]);
    // The engine re-sends the still-open bucket 30 and beyond: 30 and 40 are replaced, not doubled.
    b.merge(f64(30, 35), f64(-30, -35), f64(300, 350));
    expect(held(b)).toEqual({ t: [10, 20, 30, 35], min: [10, 20, -30, -35], max: [10.5, 20.5, 300, 350] });
  });

  it('takes a frame older than everything held as the new truth (out-of-order arrival)', () => {
    const b = new ChannelBuffer();
    fill(b, 'replace', [100, 200, 300]);
    fill(b, 'merge', [50, 60]);
    expect(held(b).t).toEqual([50, 60]);
    expect(b.firstT()).toBe(50);
    expect(b.lastT()).toBe(60);
  });

  it('puts only strictly older history in front, and nothing when history overlaps entirely', () => {
    const b = new ChannelBuffer();
    fill(b, 'replace', [30, 40]);
    b.prepend([10, 20, 30, 35], [1, 2, 3, 3.5], [1, 2, 3, 3.5]);
    expect(held(b)).toEqual({ t: [10, 20, 30, 40], min: [1, 2, 30, 40], max: [1, 2, 30.5, 40.5] });
    b.prepend([15, 25], [0, 0], [0, 0]); // none older than 10
    expect(held(b).t).toEqual([10, 20, 30, 40]);
  });

  it('takes all of the history into an empty buffer (live data has not come yet)', () => {
    const b = new ChannelBuffer();
    b.prepend([1, 2], [1, 2], [1.5, 2.5]);
    expect(held(b)).toEqual({ t: [1, 2], min: [1, 2], max: [1.5, 2.5] });
    fill(b, 'merge', [2, 3]); // then live data supersedes from its first bucket on
    expect(held(b)).toEqual({ t: [1, 2, 3], min: [1, 2, 3], max: [1.5, 2.5, 3.5] });
  });

  it('drops buckets that start before the window', () => {
    const b = new ChannelBuffer();
    fill(b, 'replace', [10, 20, 30]);
    b.trimBefore(20);
    expect(held(b).t).toEqual([20, 30]);
    b.trimBefore(1_000);
    expect(b.length).toBe(0);
    expect(b.firstT()).toBeNaN();
  });

  it('keeps every value in order through trims, slides and growth far past its first 256 slots', () => {
    const b = new ChannelBuffer();
    let next = 0;
    // A scrolling window: append 100 at a time, keep the last 300 — the held part slides to the
    // front of the arrays and, once, the arrays grow.
    for (let round = 0; round < 40; round++) {
      fill(
        b,
        'merge',
        Array.from({ length: 100 }, () => next++),
      );
      b.trimBefore(next - 300);
      const v = held(b);
      expect(v.t).toHaveLength(300 > next ? next : 300);
      expect(v.t[0]).toBe(Math.max(0, next - 300));
      expect(v.t.every((t, i) => i === 0 || t === v.t[i - 1]! + 1)).toBe(true);
      expect(v.max.every((m, i) => m === v.t[i]! + 0.5)).toBe(true);
    }
    // One frame bigger than everything so far.
    fill(
      b,
      'merge',
      Array.from({ length: 5_000 }, (_, i) => next + i),
    );
    expect(b.length).toBe(5_300);
    expect(b.lastT()).toBe(next + 4_999);
  });

  it('carries NaN values (a bucket with no number) as they are', () => {
    const b = new ChannelBuffer();
    b.replace(f64(1, 2), f64(NaN, 5), f64(NaN, 6));
    const v = held(b);
    expect(v.min[0]).toBeNaN();
    expect(v.max[1]).toBe(6);
  });
});

describe('subscriptionFor', () => {
  const need = (over: Partial<PanelNeed>): PanelNeed => ({
    channels: [1],
    windowMs: 60_000,
    widthPx: 800,
    live: true,
    ...over,
  });

  it('asks for nothing when no panel is live or none has channels', () => {
    expect(subscriptionFor([])).toBeNull();
    expect(subscriptionFor([need({ live: false }), need({ channels: [] })])).toBeNull();
  });

  it('covers every live panel: their channels once, sorted, and the widest window', () => {
    const s = subscriptionFor([
      need({ channels: [5, 2], windowMs: 60_000 }),
      need({ channels: [2, 9], windowMs: 600_000 }),
      need({ channels: [7], live: false, windowMs: 86_400_000 }),
    ]);
    expect(s?.channels).toEqual([2, 5, 9]);
    expect(s?.windowMs).toBe(600_000);
  });

  it('gives the narrowest window about a bucket per pixel, rounded up to 50 and within bounds', () => {
    // 800 px over 1 min beside a 10 min panel: the 10 min subscription needs 8,000 columns.
    const s = subscriptionFor([
      need({ windowMs: 60_000, widthPx: 800 }),
      need({ windowMs: 600_000, widthPx: 100 }),
    ]);
    expect(s?.columns).toBe(8_000);
    expect(subscriptionFor([need({ widthPx: 333 })])?.columns).toBe(350);
    expect(subscriptionFor([need({ widthPx: 10 })])?.columns).toBe(200);
    expect(
      subscriptionFor([need({ windowMs: 1_000, widthPx: 4_000 }), need({ windowMs: 60_000 })])?.columns,
    ).toBe(8_000);
  });

  it('asks for at most 64 channels and a window between 100 ms and a day', () => {
    const many = subscriptionFor([need({ channels: Array.from({ length: 100 }, (_, i) => 100 - i) })]);
    expect(many?.channels).toHaveLength(64);
    expect(many?.channels[0]).toBe(1);
    expect(subscriptionFor([need({ windowMs: 5 })])?.windowMs).toBe(100);
    expect(subscriptionFor([need({ windowMs: 7 * 86_400_000 })])?.windowMs).toBe(86_400_000);
  });
});
