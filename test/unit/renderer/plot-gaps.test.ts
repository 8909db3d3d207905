// Gaps are gaps: the columns handed to uPlot (renderer/src/panels/plot/plot-data.ts) carry a null
// where a channel went quiet for longer than its own spacing explains, so the line breaks there.
import { describe, expect, it } from 'vitest';
import { alignBuckets, gapsIn, typicalSpacing } from '../../../renderer/src/panels/plot/plot-data';
import type { BucketView } from '../../../renderer/src/live-data';

function view(times: number[], value = (t: number) => t / 1000): BucketView {
  const t = Float64Array.from(times);
  const v = Float64Array.from(times, value);
  return { t, min: v, max: v.slice() };
}
const every = (from: number, to: number, step: number) =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

describe('gaps in plotted data', () => {
  it('puts a null between the buckets around a quiet minute of a 1 Hz channel', () => {
    const quiet = view([...every(0, 10_000, 1_000), ...every(70_000, 80_000, 1_000)]);
    const { data, gaps } = alignBuckets([quiet]);
    expect(gaps).toBe(1);
    const [x, max, min] = data as unknown as [number[], (number | null)[], (number | null)[]];
    const at = Array.from(x).indexOf(40_000); // half-way across the hole
    expect(at).toBe(11);
    expect(max[at]).toBeNull();
    expect(min[at]).toBeNull();
    // Everywhere else a value.
    expect(Array.from(max).filter((v) => v === null)).toHaveLength(1);
    expect(max[at - 1]).toBe(10);
    expect(max[at + 1]).toBe(70);
  });

  it('judges each channel by its own spacing: a slow channel beside a fast one does not break', () => {
    const fast = view(every(0, 10_000, 10));
    const slow = view(every(0, 10_000, 1_000));
    const { data, gaps } = alignBuckets([fast, slow]);
    expect(gaps).toBe(0);
    // The slow channel has no bucket at most x: undefined there (joined over), never null (a break).
    const slowMax = data[3] as (number | null | undefined)[];
    expect(slowMax.some((v) => v === undefined)).toBe(true);
    expect(slowMax.some((v) => v === null)).toBe(false);
  });

  it('breaks the fast channel of a mixed panel where it went quiet, and only it', () => {
    const fast = view([...every(0, 2_000, 10), ...every(5_000, 10_000, 10)]);
    const slow = view(every(0, 10_000, 1_000));
    const { data, gaps } = alignBuckets([fast, slow]);
    expect(gaps).toBe(1);
    const x = Array.from(data[0] as ArrayLike<number>);
    const at = x.indexOf(3_500);
    expect((data[1] as (number | null)[])[at]).toBeNull();
    expect((data[3] as (number | null | undefined)[]).some((v) => v === null)).toBe(false);
  });

  it('does not break on jitter, and never with gap factor 0', () => {
    // A board sending every ~100 ms, early or late by up to 40 %.
    let t = 0;
    const times: number[] = [];
    for (let i = 0; i < 500; i++) times.push((t += 100 * (0.6 + (0.8 * ((i * 7919) % 13)) / 12)));
    expect(typicalSpacing(times)).toBeGreaterThan(60);
    expect(gapsIn(times, 5)).toEqual([]);
    const holed = view([...every(0, 1_000, 100), ...every(60_000, 61_000, 100)]);
    expect(alignBuckets([holed], 0).gaps).toBe(0);
    expect((alignBuckets([holed], 0).data[1] as ArrayLike<number | null>)[11]).not.toBeNull();
  });
});
