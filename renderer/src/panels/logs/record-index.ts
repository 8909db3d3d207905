// Row numbers of the log view as seeks the engine answers with one bounded query: the histogram's
// per-bucket counts (under the same filter and range) say in which bucket row n falls and how many
// rows of that bucket come before it. Pure, so it is unit-tested without a browser.
import type { Histogram } from '../../../../shared/investigate';

export interface RecordIndex {
  total: number;
  starts: readonly number[];
  /** cumulative[b]: rows in buckets before b. */
  cumulative: Float64Array;
}

export function recordIndex(histogram: Histogram): RecordIndex {
  const n = histogram.starts.length;
  const cumulative = new Float64Array(n + 1);
  for (let b = 0; b < n; b++) {
    let inBucket = 0;
    for (const series of histogram.counts) inBucket += series[b] ?? 0;
    cumulative[b + 1] = cumulative[b]! + inBucket;
  }
  return { total: cumulative[n]!, starts: histogram.starts, cumulative };
}

/** The seek for row `row`: the start of its bucket, and the rows of that bucket before it. */
export function seekFor(index: RecordIndex, row: number): { ts: number; skip: number } {
  const { cumulative, starts } = index;
  let lo = 0;
  let hi = starts.length - 1;
  // The last bucket whose cumulative start is <= row.
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (cumulative[mid]! <= row) lo = mid;
    else hi = mid - 1;
  }
  return { ts: starts[lo] ?? 0, skip: Math.max(0, row - cumulative[lo]!) };
}

/** Browsers stop scrolling near 2^25 px: beyond this, a pixel of scrollbar stands for several rows. */
export const MAX_SCROLL_PX = 15_000_000;

/** Height of the scrolled area and rows per pixel of it for `total` rows of `rowHeight` px. */
export function scrollGeometry(total: number, rowHeight: number): { height: number; rowsPerPx: number } {
  const natural = total * rowHeight;
  if (natural <= MAX_SCROLL_PX) return { height: natural, rowsPerPx: 1 / rowHeight };
  return { height: MAX_SCROLL_PX, rowsPerPx: total / MAX_SCROLL_PX };
}
