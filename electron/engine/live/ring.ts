// One ring buffer per channel: the recent past the live plot draws from without touching DuckDB.
// Invariants: holds the last `size` samples in arrival order (at most `capacity`, which grows by
// doubling up to `maxCapacity` and may be lowered again); `t` is ascending as long as the channel's
// samples arrive in time order (an out-of-order sample is kept, and searches treat the ring as
// sorted, so it may be skipped by a plot but never by the store or alerts).
//
// Rings start at 16 slots (256 bytes): a source with tens of thousands of channels that nobody
// plots must not cost 16 KiB of ring per channel (50,000 channels took RSS from 340 MB to 1.1 GB).

const INITIAL_CAPACITY = 16; // 1,024 is what took RSS to 1.1 GB (above); 16 itself was not compared

export class RingBuffer {
  t: Float64Array;
  v: Float64Array;
  /** Samples ever written; the newest is at index (written - 1) & mask. */
  written = 0;
  /** Samples held: the newest `held` of those written. */
  private held = 0;

  /** `maxCapacity` is a power of two. */
  constructor(public maxCapacity: number) {
    const size = Math.min(INITIAL_CAPACITY, maxCapacity);
    this.t = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  get capacity(): number {
    return this.t.length;
  }

  get size(): number {
    return this.held;
  }

  push(t: number, v: number): void {
    if (this.held === this.t.length && this.t.length < this.maxCapacity)
      this.resize(Math.min(this.t.length * 2, this.maxCapacity));
    const i = this.written & (this.t.length - 1);
    this.t[i] = t;
    this.v[i] = v;
    this.written++;
    if (this.held < this.t.length) this.held++;
  }

  /** Raises or lowers the bound; lowering it drops the oldest samples beyond it at once. */
  setMaxCapacity(maxCapacity: number): void {
    this.maxCapacity = maxCapacity;
    if (this.t.length > maxCapacity) this.resize(maxCapacity);
  }

  /** Sequence number (0..written) of the first held sample with t >= time; binary search. */
  seqAtOrAfter(time: number): number {
    const mask = this.t.length - 1;
    let lo = this.written - this.held;
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

  /** New arrays of `size` slots holding the newest samples, each at its sequence number's slot. */
  private resize(size: number): void {
    const keep = Math.min(this.held, size);
    const t = new Float64Array(size);
    const v = new Float64Array(size);
    const mask = size - 1;
    const oldMask = this.t.length - 1;
    for (let s = this.written - keep; s < this.written; s++) {
      t[s & mask] = this.t[s & oldMask]!;
      v[s & mask] = this.v[s & oldMask]!;
    }
    this.t = t;
    this.v = v;
    this.held = keep;
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
