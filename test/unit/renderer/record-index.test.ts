// The log view's row numbers as seeks: the bucket a row falls in and the rows of it before, and
// the scroll height capped for tens of millions of rows.
import { describe, expect, it } from 'vitest';
import {
  MAX_SCROLL_PX,
  recordIndex,
  scrollGeometry,
  seekFor,
} from '../../../renderer/src/panels/logs/record-index';

const histogram = {
  bucketMs: 10,
  from: 0,
  to: 40,
  starts: [0, 10, 20, 30],
  severities: ['info', 'error'],
  counts: [
    [5, 0, 3, 2],
    [1, 0, 0, 4],
  ],
  total: 15,
  elapsedMs: 1,
};

describe('record index', () => {
  it('turns a row number into the start of its bucket and a skip inside it', () => {
    const index = recordIndex(histogram);
    expect(index.total).toBe(15);
    expect(seekFor(index, 0)).toEqual({ ts: 0, skip: 0 });
    expect(seekFor(index, 5)).toEqual({ ts: 0, skip: 5 });
    // The empty bucket at 10 is skipped: row 6 is the first of the bucket at 20.
    expect(seekFor(index, 6)).toEqual({ ts: 20, skip: 0 });
    expect(seekFor(index, 9)).toEqual({ ts: 30, skip: 0 });
    expect(seekFor(index, 14)).toEqual({ ts: 30, skip: 5 });
  });

  it('caps the scrolled height, so 10 M rows still scroll to the last', () => {
    expect(scrollGeometry(1_000, 22)).toEqual({ height: 22_000, rowsPerPx: 1 / 22 });
    const big = scrollGeometry(10_000_000, 22);
    expect(big.height).toBe(MAX_SCROLL_PX);
    expect(big.rowsPerPx * big.height).toBe(10_000_000);
  });
});
