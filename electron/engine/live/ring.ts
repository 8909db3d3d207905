// One ring buffer per channel: the recent past the live plot draws from without touching DuckDB.
// Invariants: holds the last `capacity` samples in arrival order; `t` is ascending as long as the
// channel's samples arrive in time order (an out-of-order sample is kept, and searches treat the
// ring as sorted, so it may be skipped by a plot but never by the store or alerts).

const INITIAL_CAPACITY = 1024;

export class RingBuffer {
  t: Float64Array;
  v: Float64Array;
  /** Samples ever written; the newest is at index (written - 1) & mask. */
  written = 0;

  constructor(readonly maxCapacity: number) {
    const size = Math.min(INITIAL_CAPACITY, maxCapacity);
    this.t = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  get capacity(): number {
    return this.t.length;
  }

  get size(): number {
    return Math.min(this.written, this.t.length);
  }

  push(t: number, v: number): void {
    if (this.written === this.t.length && this.t.length < this.maxCapacity) this.grow();
    const i = this.written & (this.t.length - 1);
    this.t[i] = t;
    this.v[i] = v;
    this.written++;
  }

  /** Sequence number (0..written) of the first held sample with t >= time; binary search. */
  seqAtOrAfter(time: number): number {
    const mask = this.t.length - 1;
    let lo = this.written - this.size;
    let hi = this.written;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[mid & mask]! < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  latest(): number {
    return this.written === 0 ? NaN : this.t[(this.written - 1) & (this.t.length - 1)]!;
  }

  private grow(): void {
    // Only grows while never wrapped, so the order is already linear.
    const size = Math.min(this.t.length * 2, this.maxCapacity);
    const t = new Float64Array(size);
    t.set(this.t);
    const v = new Float64Array(size);
    v.set(this.v);
    this.t = t;
    this.v = v;
  }
}

export interface Buckets {
  t: number[];
  min: number[];
  max: number[];
}

/**
 * Min/max per bucket of the samples with sequence numbers [fromSeq, toSeq), buckets aligned to
 * multiples of `bucketMs` (so successive calls line up). Appends to `out`; returns the count.
 */
export function decimateMinMax(
  ring: RingBuffer,
  fromSeq: number,
  toSeq: number,
  bucketMs: number,
  out: Buckets,
): number {
  const mask = ring.t.length - 1;
  const { t, v } = ring;
  let count = 0;
  let bucket = NaN;
  let lo = 0;
  let hi = 0;
  for (let s = fromSeq; s < toSeq; s++) {
    const i = s & mask;
    const ti = t[i]!;
    const vi = v[i]!;
    const b = Math.floor(ti / bucketMs);
    if (b !== bucket) {
      if (count > 0) {
        out.min.push(lo);
        out.max.push(hi);
      }
      out.t.push(b * bucketMs);
      bucket = b;
      lo = vi;
      hi = vi;
      count++;
    } else {
      if (vi < lo) lo = vi;
      if (vi > hi) hi = vi;
    }
  }
  if (count > 0) {
    out.min.push(lo);
    out.max.push(hi);
  }
  return count;
}
