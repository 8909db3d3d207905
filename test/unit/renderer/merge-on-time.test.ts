// Channels into uPlot's aligned columns (renderer/src/panels/plot/plot-data.ts): one shared x,
// channels sampled at other times merged onto it with `undefined` where they have no bucket (uPlot
// joins over those), their own gaps kept as null; and the readout's bucket lookup.
import { describe, expect, it } from 'vitest';
import type { BucketView } from '../../../renderer/src/live-data';
import { alignBuckets, bucketAt, typicalSpacing } from '../../../renderer/src/panels/plot/plot-data';

function view(times: number[], values: number[] = times.map((t) => t / 10)): BucketView {
  return {
    t: Float64Array.from(times),
    min: Float64Array.from(values),
    max: Float64Array.from(values, (v) => v + 1),
  };
}
const columns = (data: ArrayLike<unknown>[]) => data.map((c) => Array.from(c));

describe('alignBuckets', () => {
  it('gives an empty panel one empty x column and no newest time', () => {
    const r = alignBuckets([]);
    expect(columns(r.data)).toEqual([[]]);
    expect(r.points).toBe(0);
    expect(r.lastT).toBeNaN();
  });

  it('hands channels sampled alike to uPlot as they are, without copying', () => {
    const a = view([0, 10, 20]);
    const b = view([0, 10, 20], [5, 6, 7]);
    const r = alignBuckets([a, b]);
    expect(r.data[0]).toBe(a.t);
    expect(r.data.slice(1)).toEqual([a.max, a.min, b.max, b.min]);
    expect(r.points).toBe(6);
    expect(r.lastT).toBe(20);
  });

  it('merges channels with different times onto one sorted x, undefined where one has no bucket', () => {
    const a = view([0, 20, 40]);
    const b = view([10, 20, 30], [7, 8, 9]);
    const { data, points, lastT } = alignBuckets([a, b], 0);
    expect(columns(data)).toEqual([
      [0, 10, 20, 30, 40],
      [1, undefined, 3, undefined, 5],
      [0, undefined, 2, undefined, 4],
      [undefined, 8, 9, 10, undefined],
      [undefined, 7, 8, 9, undefined],
    ]);
    expect(points).toBe(6);
    expect(lastT).toBe(40);
  });

  it('takes the newest time from whichever channel has it, not from the last one', () => {
    expect(alignBuckets([view([0, 100]), view([0, 50])], 0).lastT).toBe(100);
    expect(alignBuckets([view([]), view([0, 50])], 0).lastT).toBe(50);
  });

  it('keeps a channel that has no buckets as columns of undefined beside one that has', () => {
    const { data } = alignBuckets([view([1, 2]), view([])], 0);
    expect(columns(data)).toEqual([
      [1, 2],
      [1.1, 1.2],
      [0.1, 0.2],
      [undefined, undefined],
      [undefined, undefined],
    ]);
  });

  it("keeps a channel's own gap as null while the other channel's line goes on", () => {
    // a: 1 Hz with a 60 s hole; b: every 10 s throughout, so b never breaks.
    const aTimes = [
      ...Array.from({ length: 11 }, (_, i) => i * 1_000),
      ...Array.from({ length: 11 }, (_, i) => 70_000 + i * 1_000),
    ];
    const bTimes = Array.from({ length: 9 }, (_, i) => i * 10_000);
    const { data, gaps } = alignBuckets([view(aTimes), view(bTimes)]);
    expect(gaps).toBe(1);
    const x = Array.from(data[0]);
    const aMax = Array.from(data[1]!);
    const bMax = Array.from(data[3]!);
    expect(aMax[x.indexOf(40_000)]).toBeNull(); // the gap mark, half-way across a's hole
    expect(bMax[x.indexOf(40_000)]).toBe(4_001); // b has its own bucket there
    expect(bMax.filter((v) => v === null)).toHaveLength(0);
    expect(x).toEqual([...x].sort((p, q) => p - q));
  });

  it('passes NaN values through untouched (they are values, not gaps)', () => {
    const { data } = alignBuckets([view([0, 1, 2], [1, NaN, 3])], 0);
    expect(Array.from(data[2]!)[1]).toBeNaN();
  });
});

describe('typicalSpacing', () => {
  it('is NaN with fewer than two distinct times', () => {
    expect(typicalSpacing([])).toBeNaN();
    expect(typicalSpacing([5])).toBeNaN();
    expect(typicalSpacing([5, 5, 5])).toBeNaN();
  });

  it('is the median positive spacing, ignoring repeated and backward times', () => {
    expect(typicalSpacing([0, 10, 20, 30, 1_000])).toBe(10);
    // Out of order: the step back (-25) and the repeat (0) do not count.
    expect(typicalSpacing([0, 10, 10, 20, -5, 5])).toBe(10);
  });
});

describe('bucketAt', () => {
  const t = Float64Array.from([10, 20, 30]);
  it('finds the last bucket starting at or before the time, -1 before the first', () => {
    expect(bucketAt(t, 9)).toBe(-1);
    expect(bucketAt(t, 10)).toBe(0);
    expect(bucketAt(t, 29.9)).toBe(1);
    expect(bucketAt(t, 1e9)).toBe(2);
    expect(bucketAt(new Float64Array(0), 10)).toBe(-1);
  });
});
