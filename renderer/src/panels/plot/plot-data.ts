// Turns per-channel min/max buckets into uPlot's aligned columns: one shared x column and, per
// channel, a max and a min column drawn as the edges of a band, so a one-bucket spike still shows.
import type uPlot from 'uplot';
import type { BucketView } from '../../live-data';

export interface PlotColumns {
  data: uPlot.AlignedData;
  /** Buckets drawn, all channels together. */
  points: number;
  /** Start of the newest bucket drawn, or NaN when nothing is. */
  lastT: number;
}

/** Columns in the order [x, max0, min0, max1, min1, …]; channels with differing times are merged on x. */
export function alignBuckets(views: readonly BucketView[]): PlotColumns {
  let points = 0;
  let lastT = NaN;
  for (const v of views) {
    points += v.t.length;
    const last = v.t[v.t.length - 1];
    if (last !== undefined && !(last <= lastT)) lastT = last;
  }
  if (views.length === 0) return { data: [new Float64Array(0)], points, lastT };
  if (sameTimes(views)) {
    // The common case (one channel, or channels sampled alike): the views go to uPlot as they are.
    const data: uPlot.AlignedData = [views[0]!.t];
    for (const v of views) data.push(v.max, v.min);
    return { data, points, lastT };
  }
  return { data: mergeOnTime(views), points, lastT };
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

/** k-way merge of the channels' sorted times; a channel with no bucket at some x gets null there. */
function mergeOnTime(views: readonly BucketView[]): uPlot.AlignedData {
  const k = views.length;
  let total = 0;
  for (const v of views) total += v.t.length;
  const x = new Float64Array(total);
  const ys: (number | null)[][] = [];
  for (let c = 0; c < 2 * k; c++) ys.push(new Array<number | null>(total));
  const cursor = new Array<number>(k).fill(0);
  let n = 0;
  for (;;) {
    let next = Infinity;
    for (let c = 0; c < k; c++) {
      const t = views[c]!.t[cursor[c]!];
      if (t !== undefined && t < next) next = t;
    }
    if (next === Infinity) break;
    x[n] = next;
    for (let c = 0; c < k; c++) {
      const v = views[c]!;
      const i = cursor[c]!;
      if (v.t[i] === next) {
        ys[2 * c]![n] = v.max[i]!;
        ys[2 * c + 1]![n] = v.min[i]!;
        cursor[c] = i + 1;
      } else {
        ys[2 * c]![n] = null;
        ys[2 * c + 1]![n] = null;
      }
    }
    n++;
  }
  for (const y of ys) y.length = n;
  return [x.subarray(0, n), ...ys];
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
