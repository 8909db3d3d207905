// Columnar batches: how samples move through the engine. One typed array per column, channels
// dictionary-encoded as numeric ids, so a batch of 10,000 samples is three allocations, not 10,000.

/**
 * Samples in arrival order. Invariants: `ts`, `channel` and `value` each hold at least `n` entries;
 * only the first `n` are meaningful; `ts` is event time in epoch milliseconds (fractions allowed).
 */
export interface SampleBatch {
  n: number;
  ts: Float64Array;
  channel: Uint32Array;
  value: Float64Array;
}

export type Severity = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical';
export const SEVERITIES: readonly Severity[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical'];

/** A log line or discrete event. Records are rare next to samples, so they travel as objects. */
export interface RecordRow {
  ts: number;
  rx: number;
  source: string;
  severity: Severity;
  message: string;
  fields: Record<string, unknown> | null;
}

/** Input that could not be decoded, kept byte for byte with the reason and where it came from. */
export interface QuarantineEntry {
  rx: number;
  source: string;
  reason: string;
  where: string;
  raw: Uint8Array;
}

/** Grows by doubling; `take()` hands out the filled part and starts over with fresh arrays. */
export class SampleBatchBuilder {
  private ts: Float64Array;
  private channel: Uint32Array;
  private value: Float64Array;
  n = 0;

  constructor(private readonly initialCapacity = 1024) {
    this.ts = new Float64Array(initialCapacity);
    this.channel = new Uint32Array(initialCapacity);
    this.value = new Float64Array(initialCapacity);
  }

  push(ts: number, channel: number, value: number): void {
    if (this.n === this.ts.length) this.grow();
    this.ts[this.n] = ts;
    this.channel[this.n] = channel;
    this.value[this.n] = value;
    this.n++;
  }

  take(): SampleBatch {
    const batch: SampleBatch = { n: this.n, ts: this.ts, channel: this.channel, value: this.value };
    this.ts = new Float64Array(this.initialCapacity);
    this.channel = new Uint32Array(this.initialCapacity);
    this.value = new Float64Array(this.initialCapacity);
    this.n = 0;
    return batch;
  }

  private grow(): void {
    const size = this.ts.length * 2;
    const ts = new Float64Array(size);
    ts.set(this.ts);
    const channel = new Uint32Array(size);
    channel.set(this.channel);
    const value = new Float64Array(size);
    value.set(this.value);
    this.ts = ts;
    this.channel = channel;
    this.value = value;
  }
}
