// Turns per-channel min/max buckets into uPlot's aligned columns: one shared x column and, per
// channel, a max and a min column drawn as the edges of a band, so a one-bucket spike still shows.
// Where a channel went quiet for longer than its own spacing explains, a null goes between its
// buckets: uPlot breaks the line there instead of drawing straight across minutes without data. A
// channel that merely has no bucket at another channel's time gets `undefined`, which uPlot joins over.
import type uPlot from 'uplot';
import type { BucketView } from '../../live-data';

/** How many times its usual spacing a channel may go quiet before its line breaks (a panel's default). */
export const DEFAULT_GAP_FACTOR = 5;

export interface PlotColumns {
  data: uPlot.AlignedData;
  /** Buckets drawn, all channels together. */
  points: number;
  /** Start of the newest bucket drawn, or NaN when nothing is. */
  lastT: number;
  /** Breaks drawn, all channels together. */
  gaps: number;
}

/** The channel's usual time between buckets: the median of its spacings (NaN with fewer than two). */
export function typicalSpacing(t: ArrayLike<number>): number {
  const n = t.length;
  if (n < 2) return NaN;
  const diffs = new Float64Array(n - 1);
  let k = 0;
  for (let i = 1; i < n; i++) {
    const d = t[i]! - t[i - 1]!;
    if (d > 0) diffs[k++] = d;
  }
  if (k === 0) return NaN;
  const sorted = diffs.subarray(0, k).sort();
  return sorted[k >> 1]!;
}

/** Positions i where the time from bucket i to i+1 exceeds `gapFactor` × the usual spacing. */
export function gapsIn(t: ArrayLike<number>, gapFactor: number): number[] {
  if (!(gapFactor > 0)) return [];
  const spacing = typicalSpacing(t);
  if (!(spacing > 0)) return [];
  const limit = spacing * gapFactor;
  const gaps: number[] = [];
  for (let i = 0; i + 1 < t.length; i++) if (t[i + 1]! - t[i]! > limit) gaps.push(i);
  return gaps;
}

type Column = ArrayLike<number | null>;
interface Series {
  t: ArrayLike<number>;
  max: Column;
  min: Column;
}

/** The view with a null bucket half-way across each gap. */
function withGapMarks(v: BucketView, gaps: readonly number[]): Series {
  if (gaps.length === 0) return v;
  const n = v.t.length + gaps.length;
  const t = new Array<number>(n);
  const max = new Array<number | null>(n);
  const min = new Array<number | null>(n);
  let g = 0;
  let o = 0;
  for (let i = 0; i < v.t.length; i++) {
    t[o] = v.t[i]!;
    max[o] = v.max[i]!;
    min[o] = v.min[i]!;
    o++;
    if (gaps[g] === i) {
      t[o] = (v.t[i]! + v.t[i + 1]!) / 2;
      max[o] = null;
      min[o] = null;
      o++;
      g++;
    }
  }
  return { t, max, min };
}

/**
 * Columns in the order [x, max0, min0, max1, min1, …]; channels with differing times are merged on
 * x. `gapFactor` 0 never breaks a line.
 */
export function alignBuckets(views: readonly BucketView[], gapFactor = DEFAULT_GAP_FACTOR): PlotColumns {
  let points = 0;
  let lastT = NaN;
  for (const v of views) {
    points += v.t.length;
    const last = v.t[v.t.length - 1];
    if (last !== undefined && !(last <= lastT)) lastT = last;
  }
  if (views.length === 0) return { data: [new Float64Array(0)], points, lastT, gaps: 0 };
  const gapLists = views.map((v) => gapsIn(v.t, gapFactor));
  const gaps = gapLists.reduce((sum, g) => sum + g.length, 0);
  if (gaps === 0 && sameTimes(views)) {
    // The common case (one channel, or channels sampled alike): the views go to uPlot as they are.
    const data: uPlot.AlignedData = [views[0]!.t];
    for (const v of views) data.push(v.max, v.min);
    return { data, points, lastT, gaps };
  }
  return { data: mergeOnTime(views.map((v, i) => withGapMarks(v, gapLists[i]!))), points, lastT, gaps };
}

function sameTimes(views: readonly BucketView[]): boolean {
  const first = views[0]!.t;
  for (let k = 1; k < views.length; k++) {
    const t = views[k]!.t;
    if (t.length !== first.length) return false;
    for (let i = 0; i < t.length; i++) if (t[i] !== first[i]) return false;
  }
  return true;
}

/**
 * k-way merge of the channels' sorted times. A channel's own null (a gap) stays null; a channel with
 * no bucket at some x gets undefined there, which uPlot joins over.
 */
function mergeOnTime(views: readonly Series[]): uPlot.AlignedData {
  const k = views.length;
  let total = 0;
  for (const v of views) total += v.t.length;
  const x = new Float64Array(total);
  const ys: (number | null | undefined)[][] = [];
  for (let c = 0; c < 2 * k; c++) ys.push(new Array<number | null | undefined>(total));
  const cursor = new Array<number>(k).fill(0);
  let n = 0;
  for (;;) {
    let next = Infinity;
    for (let c = 0; c < k; c++) {
      const v = views[c]!;
      const i = cursor[c]!;
      if (i < v.t.length && v.t[i]! < next) next = v.t[i]!;
    }
    if (next === Infinity) break;
    x[n] = next;
    for (let c = 0; c < k; c++) {
      const v = views[c]!;
      const i = cursor[c]!;
      if (i < v.t.length && v.t[i] === next) {
        ys[2 * c]![n] = v.max[i] as number | null;
        ys[2 * c + 1]![n] = v.min[i] as number | null;
        cursor[c] = i + 1;
      } else {
        ys[2 * c]![n] = undefined;
        ys[2 * c + 1]![n] = undefined;
      }
    }
    n++;
  }
  for (const y of ys) y.length = n;
  return [x.subarray(0, n), ...(ys as uPlot.AlignedData[1][])];
}

/** Index of the bucket holding `time` (the last one starting at or before it), or -1. */
export function bucketAt(t: Float64Array, time: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
