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

/**
 * One record as an object: what a consumer that reasons about single records (a log alert rule,
 * a test) gets from `recordRows`. Records travel through the engine as RecordBatch.
 */
export interface RecordRow {
  ts: number;
  rx: number;
  source: string;
  severity: Severity;
  message: string;
  fields: Record<string, unknown> | null;
}

/**
 * Records in arrival order, one array per column, like SampleBatch: a capture of a million log
 * lines is a few arrays per 2,048 rows, not a million objects. Invariants: every column holds at
 * least `n` entries and only the first `n` are meaningful; `ts` is event time and `rx` receive
 * time in epoch ms; `source[i]` indexes `sources` (a batch usually holds one source; after a
 * rollback `sources` may name one no row refers to);
 * `severity[i]` indexes SEVERITIES; `fields[i]` is the record's fields as JSON text (an object),
 * or null when it has none.
 *
 * Fields are JSON text from the moment the record is built, so the store appends them as they
 * are: one `JSON.stringify` per record where it is made, none on the way to DuckDB. Measured
 * (bench `records`, 2,048-row chunks of 5-field objects): V8's per-object `JSON.stringify` costs
 * ~1–3 µs a row, while one stringify of the whole batch that still lets it be cut into rows (an
 * indent marker, then split) costs twice that; a MAP column would change what users query.
 */
export interface RecordBatch {
  n: number;
  ts: Float64Array;
  rx: Float64Array;
  source: Uint32Array;
  sources: string[];
  severity: Uint8Array;
  message: string[];
  fields: (string | null)[];
  /**
   * Provenance, when the producer knows it (imports): `origin[i]` the file the record came from (or
   * null), `line[i]` its line in that file (NaN when unknown). Absent columns are NULL in the store.
   */
  origin?: (string | null)[];
  line?: Float64Array;
}

const SEVERITY_INDEX = new Map(SEVERITIES.map((s, i) => [s, i]));

/** Fields as the JSON text a RecordBatch holds: null for none. */
export function fieldsJson(fields: Record<string, unknown> | null): string | null {
  if (!fields) return null;
  // A replacer takes V8 off its fast path (3× slower, bench `records`): only for BigInts, which throw.
  try {
    return JSON.stringify(fields);
  } catch {
    return JSON.stringify(fields, jsonSafe);
  }
}

/** BigInts (a 64-bit counter from a peer) become numbers when exact, else strings: never a throw. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value !== 'bigint') return value;
  return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
}

/**
 * The capacity a builder starts its next batch with: as many rows as the batch it just handed out
 * (within [initial, MAX_START_CAPACITY]), so a steady feed does not double its way up again from
 * the initial size every batch (bench `kafka`: `grow` was 1.2% of the engine's time).
 */
const MAX_START_CAPACITY = 65_536; // not measured: 4× the ingest stage's FLUSH_ROWS; a burst beyond grows
function nextCapacity(initial: number, lastRows: number): number {
  return Math.max(initial, Math.min(lastRows, MAX_START_CAPACITY));
}

/** Grows by doubling, as SampleBatchBuilder; `n` may be set back to drop what a frame wrote. */
export class RecordBatchBuilder {
  private ts: Float64Array;
  private rx: Float64Array;
  private source: Uint32Array;
  private severity: Uint8Array;
  private message: string[] = [];
  private fields: (string | null)[] = [];
  private origin: (string | null)[] = [];
  /** Made on the first row with a provenance, as long as the other columns. */
  private line: Float64Array | null = null;
  /** Whether any row since the last `take()` has a provenance: else the batch carries none. */
  private hasOrigin = false;
  private sources: string[] = [];
  private sourceIndex = new Map<string, number>();
  private _n = 0;

  constructor(private readonly initialCapacity = 256) {
    this.ts = new Float64Array(initialCapacity);
    this.rx = new Float64Array(initialCapacity);
    this.source = new Uint32Array(initialCapacity);
    this.severity = new Uint8Array(initialCapacity);
  }

  get n(): number {
    return this._n;
  }

  /** Rolls back to `n` rows (a frame that failed halfway). Only shrinks. */
  set n(n: number) {
    if (n > this._n) throw new Error(`RecordBatchBuilder: cannot grow to ${n} rows by setting n`);
    this._n = n;
    this.message.length = n;
    this.fields.length = n;
    if (this.hasOrigin) this.origin.length = n;
  }

  /**
   * `fields` is JSON text of an object (see `fieldsJson`), or null; `origin` and `line` say where
   * the record came from (a file and its line), when known.
   */
  push(
    ts: number,
    rx: number,
    source: string,
    severity: Severity,
    message: string,
    fields: string | null,
    origin: string | null = null,
    line = NaN,
  ): void {
    if (this._n === this.ts.length) this.grow();
    const i = this._n;
    let s = this.sourceIndex.get(source);
    if (s === undefined) {
      s = this.sources.length;
      this.sources.push(source);
      this.sourceIndex.set(source, s);
    }
    this.ts[i] = ts;
    this.rx[i] = rx;
    this.source[i] = s;
    this.severity[i] = SEVERITY_INDEX.get(severity) ?? 1;
    this.message[i] = message;
    this.fields[i] = fields;
    if (origin !== null || this.hasOrigin) this.pushOrigin(i, origin, line);
    this._n = i + 1;
  }

  /** Off the hot path: only producers that know provenance pay for it. */
  private pushOrigin(i: number, origin: string | null, line: number): void {
    if (!this.hasOrigin) {
      this.hasOrigin = true;
      this.origin = new Array<string | null>(i).fill(null);
      this.line = new Float64Array(this.ts.length).fill(NaN);
    }
    this.origin[i] = origin;
    this.line![i] = line;
  }

  take(): RecordBatch {
    const batch: RecordBatch = {
      n: this._n,
      ts: this.ts,
      rx: this.rx,
      source: this.source,
      sources: this.sources,
      severity: this.severity,
      message: this.message,
      fields: this.fields,
      ...(this.hasOrigin && this.line ? { origin: this.origin, line: this.line } : {}),
    };
    const capacity = nextCapacity(this.initialCapacity, this._n);
    this.ts = new Float64Array(capacity);
    this.rx = new Float64Array(capacity);
    this.source = new Uint32Array(capacity);
    this.severity = new Uint8Array(capacity);
    this.message = [];
    this.fields = [];
    if (this.hasOrigin) {
      this.origin = [];
      this.line = null;
      this.hasOrigin = false;
    }
    this.sources = [];
    this.sourceIndex = new Map();
    this._n = 0;
    return batch;
  }

  private grow(): void {
    const size = this.ts.length * 2;
    const grown = <T extends Float64Array | Uint32Array | Uint8Array>(a: T, b: T): T => (b.set(a), b);
    this.ts = grown(this.ts, new Float64Array(size));
    this.rx = grown(this.rx, new Float64Array(size));
    this.source = grown(this.source, new Uint32Array(size));
    this.severity = grown(this.severity, new Uint8Array(size));
    if (this.line) this.line = grown(this.line, new Float64Array(size));
  }
}

/** A batch of the given rows (sources, tests, records read back from the store). */
export function recordBatch(rows: readonly RecordRow[]): RecordBatch {
  const b = new RecordBatchBuilder(Math.max(1, rows.length));
  for (const r of rows) b.push(r.ts, r.rx, r.source, r.severity, r.message, fieldsJson(r.fields));
  return b.take();
}

/** Row `i` of a batch as an object (fields parsed). */
export function recordRow(batch: RecordBatch, i: number): RecordRow {
  const fields = batch.fields[i];
  return {
    ts: batch.ts[i]!,
    rx: batch.rx[i]!,
    source: batch.sources[batch.source[i]!]!,
    severity: SEVERITIES[batch.severity[i]!] ?? 'info',
    message: batch.message[i]!,
    fields: fields ? (JSON.parse(fields) as Record<string, unknown>) : null,
  };
}

/** Every row of a batch as objects. */
export function recordRows(batch: RecordBatch): RecordRow[] {
  return Array.from({ length: batch.n }, (_, i) => recordRow(batch, i));
}

/** Rows [from, to) of a batch, as a batch of their own (its arrays are copies). */
export function sliceRecords(batch: RecordBatch, from: number, to: number): RecordBatch {
  return {
    n: to - from,
    ts: batch.ts.slice(from, to),
    rx: batch.rx.slice(from, to),
    source: batch.source.slice(from, to),
    sources: batch.sources,
    severity: batch.severity.slice(from, to),
    message: batch.message.slice(from, to),
    fields: batch.fields.slice(from, to),
    ...(batch.origin && batch.line
      ? { origin: batch.origin.slice(from, to), line: batch.line.slice(from, to) }
      : {}),
  };
}

/** Removes rows [from, to) of a batch in place (the rows of a message sent to quarantine). */
export function removeRecords(batch: RecordBatch, from: number, to: number): void {
  const k = to - from;
  if (k <= 0) return;
  for (const column of [batch.ts, batch.rx, batch.source, batch.severity])
    column.copyWithin(from, to, batch.n);
  batch.message.splice(from, k);
  batch.fields.splice(from, k);
  batch.line?.copyWithin(from, to, batch.n);
  batch.origin?.splice(from, k);
  batch.n -= k;
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
    const capacity = nextCapacity(this.initialCapacity, this.n);
    this.ts = new Float64Array(capacity);
    this.channel = new Uint32Array(capacity);
    this.value = new Float64Array(capacity);
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
