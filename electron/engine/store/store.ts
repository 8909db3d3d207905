// The store: one DuckDB file per workspace, written through Appenders in columnar chunks.
//
// Invariants:
// - Samples, records and quarantine are appended in the order they arrive; a flush (every
//   `flushIntervalMs`, or for a fast stream once a table has a row group's worth, at most a second
//   later: flushIfDue) makes everything appended so far durable.
// - `query` runs user SQL, which can change nothing (user-sql.ts), on connections of its own with a
//   timeout, a cancel and a result capped in rows and bytes; the whole instance has file access,
//   ATTACH and extension loading switched off and locked. The engine's own reads use `read`, on
//   its own connection, so they never wait behind a user's query.
// - `series` never returns more than `maxPoints` buckets per channel, whatever the range.
// - Retention drops the oldest rows and says so: a notice with the count, never silently. It
//   deletes in slices of at most `deleteSliceRows` rows: DuckDB holds ~9 bytes per deleted row
//   until the DELETE commits and again when replaying it from the log, so one DELETE of 8.6 M
//   rows ran a 64 MiB database out of memory, and its log then would not replay at 64 MiB.
// - A failure to write (disk full, out of memory, DuckDB invalidating the database after a failed
//   checkpoint) is a notice, the rows not stored are counted (`lostRows`), and the store recovers
//   on its own: new appenders if the database is still usable, else it reopens the file — with a
//   higher memory limit if replaying the log needs one. Rows arriving meanwhile are held, up to
//   HOLD_MAX_ROWS, and stored once it is back.
// - Opening brings an older file's schema up to date (store/migrations.ts) and refuses one
//   written by a newer OpsDeck, read-only too, with an error saying so.
// - Acknowledged means durable: `ticket()` covers every row appended before it and settles when
//   the flush holding them has committed, or rejects with the error when they cannot be stored.
//   A flush is one transaction on the one writer connection (all appenders, and the positions
//   sources saved with their batches), so a position is never ahead of, nor behind, its rows.
//   Rows appended while a flush's transaction is open are held and appended after its commit:
//   nothing may touch the writer connection while a statement runs on it.
// - Opening keeps a damaged write-ahead log beside the database (`data.duckdb.wal.corrupt-…`) and
//   says what was recovered; DuckDB alone would drop it silently (store/wal.ts).
import fs from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import {
  DuckDBBlobValue,
  DuckDBDataChunk,
  DOUBLE,
  TIMESTAMP,
  UINTEGER,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBInstance,
  type DuckDBType,
  type DuckDBResult,
} from '@duckdb/node-api';
import bindings from '@duckdb/node-bindings';
import type { QueryResult, SeriesResult } from '../../../shared/api';
import type { Retention, StoreSettings } from '../../../shared/schemas';
import { backoffDelay } from '../../../shared/backoff';
import { SEVERITIES, sliceRecords, type QuarantineEntry, type RecordBatch, type SampleBatch } from '../batch';
import type { RawMessage } from '../sources/source';
import { checkpointThresholdBytes, openDuckDB, writeMicros } from './duckdb';
import { checkSchemaVersion, migrate } from './migrations';
import { UserSql, type UserQuery } from './user-sql';
import { toJsonSafe } from './values';
import { checkWal, keptWalName, wholeEntriesBefore } from './wal';

const CHUNK_ROWS = 2048; // DuckDB's vector size: one full data chunk per append
/**
 * Rows held in memory while the database is being recovered (~24 MB of samples); beyond, lost.
 * Not measured; the engine holds 2 × maxPendingRows, as bench ingest lost rows at 1× (c1b7185).
 */
const HOLD_MAX_ROWS = 1_000_000;
/**
 * DuckDB's row group size: a transaction that appends at least this many rows to a table has them
 * compressed and written straight to the database file at its commit, instead of into the
 * write-ahead log and, at the next checkpoint, into the file again. bench kafka, 1 M messages (a
 * record and two samples each): with commits of 60–110 k records the writer spent 1.7 s
 * committing and 1.9 s in 3–6 checkpoints; gathered to a row group, 1.9 s committing and none.
 */
const DIRECT_WRITE_ROWS = 122_880;
/** The longest a fast stream's rows wait to become a row group's worth before they are committed anyway. */
const GATHER_MAX_MS = 1_000;

/**
 * Whether the flush timer's tick commits now, given the sample and record rows appended since
 * the last flush took its rows `elapsedMs` ago, and whether any arrived since the last tick.
 * Rows arriving slower than a row group a second are committed at every tick; a faster stream's
 * are gathered until each table that has rows has a row group's worth (DIRECT_WRITE_ROWS), so
 * DuckDB writes them once, compressed, at the commit; or until the stream stops (a tick with no
 * new row), or GATHER_MAX_MS has passed.
 */
export function flushDue(records: number, samples: number, elapsedMs: number, arriving: boolean): boolean {
  const gathered =
    (records === 0 || records >= DIRECT_WRITE_ROWS) && (samples === 0 || samples >= DIRECT_WRITE_ROWS);
  // At this rate a row group would not gather within GATHER_MAX_MS: no reason to wait.
  const slow = Math.max(records, samples) * GATHER_MAX_MS < DIRECT_WRITE_ROWS * elapsedMs;
  return gathered || slow || !arriving || elapsedMs >= GATHER_MAX_MS;
}
/** Histogram buckets used to cut retention deletes into slices. */
const SLICE_BUCKETS = 1024; // not measured: a slice ends on one of 1,024 equal steps of the table's time span
/** The tables retention trims, with their time column. */
// Records age by when OpsDeck received them: an imported capture's events may be months old, and
// by event time the next retention pass would delete the evidence just imported.
const TIMED_TABLES = [
  ['samples', 'ts'],
  ['records', 'rx'],
  ['quarantine', 'rx'],
  ['recordings', 'rx'],
] as const;
type TimedTable = (typeof TIMED_TABLES)[number][0];

/** DuckDB ran out of its memory_limit (as opposed to a damaged file, a full disk, a bug). */
export function isOutOfMemory(error: unknown): boolean {
  return /Out of Memory Error|could not allocate block|failed to pin block|could not free up enough memory/i.test(
    typeof error === 'string' ? error : ((error as Error)?.message ?? ''),
  );
}

function firstLine(error: unknown): string {
  return (error as Error)?.message?.split('\n')[0] || 'unknown DuckDB error';
}

function mib(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

export interface StoreNotice {
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface StoreOptions {
  settings: StoreSettings;
  readOnly?: boolean;
  flushIntervalMs?: number;
  onNotice?: (notice: StoreNotice) => void;
  /** The highest memory_limit recovery may raise DuckDB to (default: half the machine's memory). */
  maxRecoveryMemoryMb?: number;
  /** Rows held while the database recovers (or a flush commits) before they count as lost. */
  holdMaxRows?: number;
}

/** Rows that arrived while the database was being recovered, stored once it is back. */
interface HeldRows {
  samples: SampleBatch[];
  records: RecordBatch[];
  /** Records that arrived during a flush that then failed, in the chunks they were put in. */
  recordChunks: DuckDBDataChunk[];
  quarantine: QuarantineEntry[];
  raw: [string, RawMessage[]][];
  positions: Map<string, SourcePosition>;
  rows: number;
}

function emptyHold(): HeldRows {
  return {
    samples: [],
    records: [],
    recordChunks: [],
    quarantine: [],
    raw: [],
    positions: new Map(),
    rows: 0,
  };
}

/** Where a source is in its input (a file's identity and byte offset, a partition's offset). */
export interface SourcePosition {
  source: string;
  key: string;
  value: string;
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

function positionKey(p: SourcePosition): string {
  return `${p.source}\u0000${p.key}`;
}

/**
 * Sample rows straight from typed arrays into DuckDB vectors: columns are staged in typed arrays of
 * one chunk's size and copied into the chunk's vectors with one memcpy per column.
 */
class SampleAppender {
  private readonly ts = new BigInt64Array(CHUNK_ROWS);
  private readonly channel = new Uint32Array(CHUNK_ROWS);
  private readonly value = new Float64Array(CHUNK_ROWS);
  private readonly chunk = DuckDBDataChunk.create([TIMESTAMP, UINTEGER, DOUBLE], CHUNK_ROWS);
  filled = 0;

  constructor(private readonly appender: DuckDBAppender) {}

  append(batch: SampleBatch): void {
    let offset = 0;
    while (offset < batch.n) {
      const k = Math.min(CHUNK_ROWS - this.filled, batch.n - offset);
      writeMicros(this.ts, batch.ts, offset, k, this.filled);
      this.channel.set(batch.channel.subarray(offset, offset + k), this.filled);
      this.value.set(batch.value.subarray(offset, offset + k), this.filled);
      this.filled += k;
      offset += k;
      if (this.filled === CHUNK_ROWS) {
        this.appendChunk(this.chunk, CHUNK_ROWS);
        this.filled = 0;
      }
    }
  }

  private appendChunk(chunk: DuckDBDataChunk, rows: number): void {
    const columns = [this.ts, this.channel, this.value];
    for (let c = 0; c < 3; c++) {
      const column = columns[c]!;
      bindings.copy_data_to_vector(
        bindings.data_chunk_get_vector(chunk.chunk, c),
        0,
        column.buffer,
        column.byteOffset,
        rows * column.BYTES_PER_ELEMENT,
      );
    }
    this.appender.appendDataChunk(chunk);
  }

  /**
   * Drops what is buffered, here and in DuckDB's appender, and closes it: after a failed write
   * those rows are counted lost, and an appender left to the garbage collector would still write
   * them when it is finalized.
   */
  discard(): void {
    this.filled = 0;
    discardAppender(this.appender);
  }

  /** Appends the partly filled chunk, then makes everything appended durable. */
  flush(): void {
    if (this.filled > 0) {
      this.appendChunk(DuckDBDataChunk.create([TIMESTAMP, UINTEGER, DOUBLE], this.filled), this.filled);
      this.filled = 0;
    }
    this.appender.flushSync();
  }
}

function discardAppender(appender: DuckDBAppender): void {
  try {
    appender.clear();
  } catch {
    // an invalidated database refuses everything
  }
  try {
    appender.closeSync();
  } catch {
    // as above
  }
}

const utf8 = new TextEncoder();

/**
 * `text` as DuckDB's inline `string_t` (uint32 length, then up to 12 bytes, zero-padded), or null
 * when its UTF-8 is longer than 12 bytes (DuckDB keeps those in the vector's string heap).
 */
function inlineString(text: string): Uint8Array | null {
  if (text.length > 12) return null;
  const t = new Uint8Array(16);
  const { read, written } = utf8.encodeInto(text, t.subarray(4));
  if (read < text.length || written > 12) return null;
  new DataView(t.buffer).setUint32(0, written, true);
  return t;
}

/**
 * Records straight from RecordBatch columns into DuckDB vectors, a chunk at a time: times,
 * source ids, severities and short messages are staged in typed arrays and copied with one memcpy
 * per column; fields (already JSON text) and longer messages are written into the chunk's string
 * vectors, and a record without fields is marked null in a validity mask copied in with the chunk. No object
 * per row, no `JSON.stringify` (fields became JSON where the record was built).
 */
class RecordAppender {
  /**
   * Severities as DuckDB `string_t`s (uint32 length, then the bytes inline, zero-padded: every
   * severity is at most 12 bytes, so none needs DuckDB's string heap), staged like the typed
   * columns and copied in with one memcpy: no call into DuckDB per row for them.
   */
  private static readonly severityStrings = SEVERITIES.map((name) => {
    const t = new Uint8Array(16);
    new DataView(t.buffer).setUint32(0, name.length, true);
    t.set(new TextEncoder().encode(name), 4);
    return new Uint32Array(t.buffer);
  });
  private readonly severity = new Uint32Array(CHUNK_ROWS * 4);
  /**
   * Messages of at most 12 UTF-8 bytes staged the same way (a topic, a port: most live records'),
   * the last one's `string_t` kept for the next row; longer ones are written into the vector after
   * the staged column is copied in. bench kafka: a call into DuckDB per string cost ~240 ns even
   * for `"bench"`, a tenth of the store's time on the main thread.
   */
  private readonly message = new Uint32Array(CHUNK_ROWS * 4);
  private lastMessage: string | null = null;
  private lastMessageWords: Uint32Array | null = null;
  /** Chunk rows whose message is too long to stage, and those messages. */
  private readonly longMessageRows = new Int32Array(CHUNK_ROWS);
  private readonly longMessages: string[] = [];
  private readonly ts = new BigInt64Array(CHUNK_ROWS);
  private readonly rx = new BigInt64Array(CHUNK_ROWS);
  private readonly sourceId = new Uint32Array(CHUNK_ROWS);
  private readonly types: DuckDBType[];
  private chunk!: DuckDBDataChunk;
  private messageVector!: bindings.Vector;
  private fieldsVector!: bindings.Vector;
  private originVector!: bindings.Vector;
  /** Lines of the chunk's rows (0 where unknown: NULL by `provenance`). */
  private readonly line = new BigInt64Array(CHUNK_ROWS);
  /** Validity bits of origin and line (both 0: NULL), set for the rows that have them. */
  private readonly originValidity = new Uint8Array(CHUNK_ROWS / 8);
  private readonly lineValidity = new Uint8Array(CHUNK_ROWS / 8);
  private hasProvenance = false;
  /** Validity bits of the fields column (1 = a value), written to the vector when a row is null. */
  private readonly validity = new Uint8Array(CHUNK_ROWS / 8);
  private hasNull = false;
  filled = 0;
  /** While a flush's transaction runs on the writer: full chunks kept here (`defer`). */
  private deferring = false;
  private readonly sealed: DuckDBDataChunk[] = [];

  constructor(private readonly appender: DuckDBAppender) {
    this.types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
    this.validity.fill(0xff);
    this.startChunk();
  }

  private startChunk(): void {
    this.chunk = DuckDBDataChunk.create(this.types, CHUNK_ROWS);
    this.messageVector = bindings.data_chunk_get_vector(this.chunk.chunk, 4);
    this.fieldsVector = bindings.data_chunk_get_vector(this.chunk.chunk, 5);
    this.originVector = bindings.data_chunk_get_vector(this.chunk.chunk, 6);
    if (this.hasNull) this.validity.fill(0xff);
    this.hasNull = false;
    if (this.hasProvenance) {
      this.originValidity.fill(0);
      this.lineValidity.fill(0);
      this.hasProvenance = false;
    }
  }

  /** `sourceIds[k]` is the store's id of `batch.sources[k]`. */
  append(batch: RecordBatch, sourceIds: Uint32Array): void {
    let offset = 0;
    while (offset < batch.n) {
      const k = Math.min(CHUNK_ROWS - this.filled, batch.n - offset);
      const at = this.filled;
      writeMicros(this.ts, batch.ts, offset, k, at);
      writeMicros(this.rx, batch.rx, offset, k, at);
      for (let i = 0; i < k; i++) {
        const row = offset + i;
        this.sourceId[at + i] = sourceIds[batch.source[row]!]!;
        // A string_t is four words: written one by one (bench kafka: `set` of 16 bytes cost more).
        const w = (at + i) * 4;
        const severity = RecordAppender.severityStrings[batch.severity[row]!]!;
        this.severity[w] = severity[0]!;
        this.severity[w + 1] = severity[1]!;
        this.severity[w + 2] = severity[2]!;
        this.severity[w + 3] = severity[3]!;
        const message = batch.message[row]!;
        if (message !== this.lastMessage) {
          this.lastMessage = message;
          const bytes = inlineString(message);
          this.lastMessageWords = bytes ? new Uint32Array(bytes.buffer) : null;
        }
        const words = this.lastMessageWords;
        if (words) {
          this.message[w] = words[0]!;
          this.message[w + 1] = words[1]!;
          this.message[w + 2] = words[2]!;
          this.message[w + 3] = words[3]!;
        } else {
          this.longMessageRows[this.longMessages.length] = at + i;
          this.longMessages.push(message);
        }
        const fields = batch.fields[row];
        if (fields !== null && fields !== undefined)
          bindings.vector_assign_string_element(this.fieldsVector, at + i, fields);
        else this.setNull(at + i);
      }
      if (batch.origin && batch.line) this.provenance(batch.origin, batch.line, offset, k, at);
      this.filled += k;
      offset += k;
      if (this.filled === CHUNK_ROWS) this.appendChunk();
    }
  }

  /** Origin and line of rows [offset, offset + k) into chunk rows from `at`; the rest stay NULL. */
  private provenance(
    origin: (string | null)[],
    line: Float64Array,
    offset: number,
    k: number,
    at: number,
  ): void {
    this.hasProvenance = true;
    for (let i = 0; i < k; i++) {
      const row = at + i;
      const o = origin[offset + i];
      if (o !== null && o !== undefined) {
        bindings.vector_assign_string_element(this.originVector, row, o);
        this.originValidity[row >> 3]! |= 1 << (row & 7);
      }
      const l = line[offset + i]!;
      if (l === l) {
        this.line[row] = BigInt(l);
        this.lineValidity[row >> 3]! |= 1 << (row & 7);
      }
    }
  }

  private setNull(row: number): void {
    this.hasNull = true;
    this.validity[row >> 3]! &= ~(1 << (row & 7));
  }

  private appendChunk(): void {
    const rows = this.filled;
    if (rows === 0) return;
    const columns = [this.ts, this.rx, this.sourceId, this.severity, this.message];
    for (let c = 0; c < 5; c++) {
      const column = columns[c]!;
      const rowBytes = c >= 3 ? 16 : column.BYTES_PER_ELEMENT; // string_t columns: four words a row
      bindings.copy_data_to_vector(
        bindings.data_chunk_get_vector(this.chunk.chunk, c),
        0,
        column.buffer,
        column.byteOffset,
        rows * rowBytes,
      );
    }
    // After the staged messages: these write their own string_t, pointing into the vector's heap.
    for (let k = 0; k < this.longMessages.length; k++)
      bindings.vector_assign_string_element(
        this.messageVector,
        this.longMessageRows[k]!,
        this.longMessages[k]!,
      );
    this.longMessages.length = 0;
    if (this.hasNull) {
      // vector_get_validity hands out a copy: the mask goes in as a whole.
      bindings.vector_ensure_validity_writable(this.fieldsVector);
      bindings.copy_data_to_vector_validity(
        this.fieldsVector,
        0,
        this.validity.buffer,
        0,
        this.validity.byteLength,
      );
    }
    // Origin and line are NULL unless a row set them: masks of zeros for a live source's chunk.
    const lineVector = bindings.data_chunk_get_vector(this.chunk.chunk, 7);
    if (this.hasProvenance) bindings.copy_data_to_vector(lineVector, 0, this.line.buffer, 0, rows * 8);
    for (const [vector, mask] of [
      [this.originVector, this.originValidity],
      [lineVector, this.lineValidity],
    ] as const) {
      bindings.vector_ensure_validity_writable(vector);
      bindings.copy_data_to_vector_validity(vector, 0, mask.buffer, 0, mask.byteLength);
    }
    bindings.data_chunk_set_size(this.chunk.chunk, rows);
    if (this.deferring) this.sealed.push(this.chunk);
    else this.appender.appendDataChunk(this.chunk);
    this.filled = 0;
    this.startChunk();
  }

  /**
   * From now on, full chunks are kept (`sealed`) instead of handed to DuckDB's appender, which
   * belongs to the writer connection while a flush's statements run on it. The rows sit in
   * DuckDB's vectors, not in the JavaScript heap: records held as batches during a commit (bench
   * kafka: 100,000–500,000 rows a commit) were copied by every young collection and promoted.
   */
  defer(): void {
    this.appendChunk(); // rows staged before now go with this flush
    this.deferring = true;
  }

  /** Rows taken since `defer()`: sealed chunks and the partly filled one. */
  get deferredRows(): number {
    if (!this.deferring) return 0;
    let rows = this.filled;
    for (const chunk of this.sealed) rows += chunk.rowCount;
    return rows;
  }

  /** The writer is free again: the chunks kept meanwhile go to the appender, in order. */
  undefer(): void {
    this.deferring = false;
    for (const chunk of this.sealed.splice(0)) this.appender.appendDataChunk(chunk);
  }

  /**
   * The rows taken since `defer()`, as chunks (the partly filled one sealed too), taken out of
   * this appender: a failed flush keeps them for the appender made after recovery (`appendSealed`).
   */
  takeDeferred(): DuckDBDataChunk[] {
    if (!this.deferring) return [];
    this.appendChunk();
    this.deferring = false;
    return this.sealed.splice(0);
  }

  /** Chunks another RecordAppender sealed (`takeDeferred`), appended as they are. */
  appendSealed(chunks: readonly DuckDBDataChunk[]): void {
    if (chunks.length === 0) return;
    this.appendChunk(); // rows staged before them go first
    for (const chunk of chunks) this.appender.appendDataChunk(chunk);
  }

  /** As SampleAppender.discard. */
  discard(): void {
    this.filled = 0;
    this.longMessages.length = 0;
    this.deferring = false;
    this.sealed.length = 0;
    this.startChunk();
    discardAppender(this.appender);
  }

  /** Appends the partly filled chunk, then makes everything appended durable. */
  flush(): void {
    this.appendChunk();
    this.appender.flushSync();
  }

  /** Makes what the appender holds durable, leaving deferred rows where they are. */
  flushAppended(): void {
    this.appender.flushSync();
  }
}

/** Rows of mixed types (quarantine, recordings, dictionaries) gathered per column and appended a chunk at a time. */
class RowAppender {
  private readonly types: DuckDBType[];
  private columns: unknown[][];
  private readonly timestampColumns: number[];
  /** While a flush's transaction runs on the writer: keep rows here, hand DuckDB nothing. */
  deferred = false;

  constructor(private readonly appender: DuckDBAppender) {
    this.types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
    this.columns = this.types.map(() => []);
    this.timestampColumns = this.types.flatMap((t, i) => (t.typeId === TIMESTAMP.typeId ? [i] : []));
  }

  get pending(): number {
    return this.columns[0]!.length;
  }

  /** Timestamp columns take epoch ms; the rest take values the column accepts (string, number, Uint8Array, null). */
  add(row: unknown[]): void {
    for (let i = 0; i < row.length; i++) this.columns[i]!.push(row[i]);
    if (this.pending >= CHUNK_ROWS && !this.deferred) this.appendPending();
  }

  flush(): void {
    this.appendPending();
    this.appender.flushSync();
  }

  /** As SampleAppender.discard. */
  discard(): void {
    this.columns = this.types.map(() => []);
    discardAppender(this.appender);
  }

  /** A chunk at a time: rows kept while `deferred` may be more than one chunk holds. */
  private appendPending(): void {
    const n = this.pending;
    for (let from = 0; from < n; from += CHUNK_ROWS) {
      const k = Math.min(CHUNK_ROWS, n - from);
      this.appendChunk(
        k === n ? this.columns : this.columns.map((column) => column.slice(from, from + k)),
        k,
      );
    }
    this.columns = this.types.map(() => []);
  }

  private appendChunk(columns: unknown[][], n: number): void {
    const chunk = DuckDBDataChunk.create(this.types, n);
    for (let c = 0; c < this.types.length; c++) {
      if (this.timestampColumns.includes(c)) {
        const micros = new BigInt64Array(n);
        writeMicros(micros, Float64Array.from(columns[c] as number[]), 0, n);
        bindings.copy_data_to_vector(
          bindings.data_chunk_get_vector(chunk.chunk, c),
          0,
          micros.buffer,
          0,
          micros.byteLength,
        );
      } else {
        chunk.setColumnValues(c, columns[c] as never[]);
      }
    }
    this.appender.appendDataChunk(chunk);
  }
}

export class Store {
  private samples?: SampleAppender;
  private records?: RecordAppender;
  private quarantineRows?: RowAppender;
  private recordings?: RowAppender;
  private flushTimer?: NodeJS.Timeout;
  private readonly sourceIds = new Map<string, number>();
  private readonly channelIds = new Map<string, number>();
  /** Channels per source id, in the file and created since. */
  private readonly channelCounts = new Map<number, number>();
  private nextSourceId = 1;
  private nextChannelId = 1;
  /** Dictionary rows (sources, channels) for the next flush: appended before the data that uses them. */
  private sourceRows?: RowAppender;
  private channelRowsAppender?: RowAppender;
  private readonly sourceKeys = new Map<number, [string, string]>();
  private readonly channelDefs = new Map<number, [number, string, string]>();
  private closed = false;
  storedSamples = 0;
  storedRecords = 0;
  storedQuarantine = 0;
  storedRecordings = 0;
  retentionDropped = 0;
  /** The retention trim running now, if any. */
  private trimming: Promise<number> | null = null;
  lastFlushError: string | null = null;

  private instance!: DuckDBInstance;
  /** Appenders only: their calls are synchronous, so nothing async may share this connection. */
  private writer!: DuckDBConnection;
  /** Asynchronous writes: dictionary rows, retention deletes, notices, checkpoints. */
  private maintenance!: DuckDBConnection;
  private reader!: DuckDBConnection;
  private readonly userSql = new UserSql(
    () => this.instance,
    () => ({
      timeoutMs: this.options.settings.queryTimeoutSeconds * 1000,
      maxBytes: this.options.settings.queryMaxResultMb * 1024 ** 2,
    }),
  );
  /** Why the database cannot take rows right now (it is being recovered), or null. */
  private failure: string | null = null;
  /** Rows counted as stored that are not yet flushed: lost, not stored, if the flush fails. */
  private readonly unflushed = { samples: 0, records: 0, quarantine: 0, recordings: 0 };
  private held: HeldRows = emptyHold();
  /** Rows that could not be stored (the database failed, or the hold was full); shown in the status. */
  lostRows = 0;
  /** Writes that failed (a flush, an alert transition, an audit entry…) since the store opened. */
  failedWrites = 0;
  /** Tests only: each flush waits this long with its transaction about to open (a slow disk). */
  flushDelayMsForTests = 0;
  /** A flush's transaction is open on the writer: appends are held until it commits. */
  private writing = false;
  /** Tickets for rows in the appenders: settled by the next flush. */
  private waiting: Waiter[] = [];
  /** Tickets for held rows: they join `waiting` when the rows are appended. */
  private heldWaiting: Waiter[] = [];
  /** Rows were lost since the last ticket was taken: that ticket rejects with this. */
  private lossSinceTicket: Error | null = null;
  /** Positions saved with the rows appended since the last flush, one per source and key. */
  private positionsPending = new Map<string, SourcePosition>();
  /** The flush not yet started, which every caller until it starts shares. */
  private nextFlush: Promise<void> | null = null;
  /** When the last flush took the rows appended until then (performance.now()). */
  private lastFlushAt = 0;
  /** Sample and record rows not yet flushed at the timer's last tick (flushIfDue). */
  private rowsAtLastTick = 0;
  private flushChain: Promise<void> = Promise.resolve();
  /** Someone waits on a ticket: flush at once rather than on the timer. */
  private flushSoon = false;
  /** Times the database was reopened after a failure since the store opened. */
  reopens = 0;
  /** Checkpoints the store ran between transactions since it opened (checkpointIfDue). */
  checkpoints = 0;
  /** Failures since writing last worked: recovery waits longer, and notices thin out. */
  private failStreak = 0;
  /** A statement other than a write (retention, a checkpoint) ran out of memory since the last good flush. */
  private outOfMemorySinceFlush = false;
  /** How the store came back, told once a flush has worked again. */
  private recovered: { how: string; held: number } | null = null;
  /** The memory_limit DuckDB runs with now: the configured one unless recovery needed more. */
  memoryLimitMb: number;
  /** DuckDB calls not yet settled: a call in flight when its connection closes never settles. */
  private readonly inflight = new Set<Promise<unknown>>();
  /** Connections of exports' streams, closed with the store. */
  private readonly streams = new Set<DuckDBConnection>();

  private constructor(
    readonly path: string,
    readonly readOnly: boolean,
    private readonly options: StoreOptions,
  ) {
    this.memoryLimitMb = options.settings.memoryLimitMb;
  }

  static async open(path: string, options: StoreOptions): Promise<Store> {
    const store = new Store(path, options.readOnly ?? false, options);
    if (store.readOnly) {
      await store.connect(store.memoryLimitMb);
      await store.loadDictionaries();
    } else {
      await store.openWritable();
    }
    if (!store.readOnly) {
      // 100 ms: not measured; a peer waiting for an acknowledgement does not wait for it (ticket(soon)).
      store.flushTimer = setInterval(() => store.flushIfDue(true), options.flushIntervalMs ?? 100);
      store.flushTimer.unref();
    }
    return store;
  }

  /** Why the store cannot take rows now (it is recovering from a failure), or null. */
  get failed(): string | null {
    return this.failure;
  }

  /**
   * Rows DuckDB may delete in one statement: it holds ~9 bytes per deleted row until the commit
   * (and again to replay it from the log). A sixteenth of memory_limit: with a quarter, the soak's
   * retention commit ran out at 256 MiB beside a block cache that fills whatever the limit is.
   */
  get deleteSliceRows(): number {
    return Math.max(10_000, Math.floor((this.options.settings.memoryLimitMb * 1024 ** 2) / 144));
  }

  /**
   * Opens for writing: checks the write-ahead log first and keeps a damaged one (DuckDB would
   * replay what it can of it and drop the rest without a word, or refuse to open).
   */
  private async openWritable(): Promise<void> {
    const wal = `${this.path}.wal`;
    const check = checkWal(wal);
    let kept: string | null = null;
    let problem = check?.problem ?? null;
    if (problem) {
      kept = keptWalName(wal);
      fs.copyFileSync(wal, kept);
    }
    try {
      await this.connectRecovering();
    } catch (error) {
      if (
        !/Failure while replaying WAL|Corrupt WAL/i.test((error as Error).message ?? '') ||
        isOutOfMemory(error)
      )
        throw error;
      // DuckDB refuses the whole log for one bad entry: keep it, and replay the entries before it.
      const original = kept ?? keptWalName(wal);
      if (!kept) fs.renameSync(wal, original);
      kept = original;
      const cut = wholeEntriesBefore(original, (error as Error).message);
      const refusal = /Corrupt WAL file: (.*)$/.exec(firstLine(error))?.[1] ?? firstLine(error);
      problem = `DuckDB refused to replay it: ${refusal}`;
      fs.rmSync(wal, { force: true });
      if (cut !== null && cut > 8) {
        fs.writeFileSync(wal, fs.readFileSync(original).subarray(0, cut));
        problem += `; replayed the ${cut} bytes before it`;
      }
      try {
        await this.connectRecovering();
      } catch (again) {
        if (!fs.existsSync(wal)) throw again;
        fs.rmSync(wal, { force: true });
        problem += `, which failed too (${firstLine(again)}), so nothing of the log was replayed`;
        await this.connectRecovering();
      }
    }
    await this.loadDictionaries();
    if (kept) {
      this.notice(
        'error',
        `store: the write-ahead log ${nodePath.basename(wal)} was damaged (${problem}); rows in it after the damage are not in the database. ` +
          `It is kept as ${nodePath.basename(kept)} (${fs.statSync(kept).size} bytes). After opening the database holds ` +
          `${this.storedSamples} samples, ${this.storedRecords} records, ${this.storedQuarantine} quarantined and ${this.storedRecordings} recorded messages.`,
      );
    }
  }

  /** The most memory recovery may give DuckDB: half the machine's, unless told otherwise. */
  private get memoryCeilingMb(): number {
    return Math.max(
      this.options.settings.memoryLimitMb,
      this.options.maxRecoveryMemoryMb ?? Math.floor(os.totalmem() / 2 / 1024 ** 2),
    );
  }

  /**
   * Opens at `configured` MiB (the setting, unless a failure raised it); when replaying the log
   * needs more (a log holding a large DELETE), opens with twice as much until it fits,
   * checkpoints so the log is folded into the file, and opens again at `configured`.
   */
  private async connectRecovering(configured = this.options.settings.memoryLimitMb): Promise<void> {
    const ceiling = this.memoryCeilingMb;
    let limit = configured;
    for (;;) {
      try {
        await this.connect(limit);
        break;
      } catch (error) {
        if (!isOutOfMemory(error) || limit >= ceiling) throw error;
        const next = Math.min(ceiling, limit * 2);
        this.notice(
          'warn',
          `store: opening the database needs more than ${limit} MiB of memory (${firstLine(error)}); trying ${next} MiB`,
        );
        limit = next;
      }
    }
    if (limit === configured) return;
    try {
      await this.maintenance.run('CHECKPOINT');
      this.disconnect();
      await this.connect(configured);
      this.notice(
        'warn',
        `store: opened with ${limit} MiB to replay the write-ahead log, checkpointed it, and reopened at ${configured} MiB`,
      );
    } catch (error) {
      this.disconnect();
      await this.connect(limit);
      this.notice(
        'warn',
        `store: the database needs ${limit} MiB of memory to open (${firstLine(error)}); running with ${limit} MiB instead of the configured ${configured} MiB`,
      );
    }
  }

  private async connect(memoryLimitMb: number): Promise<void> {
    const instance = await openDuckDB(
      this.path,
      { ...this.options.settings, memoryLimitMb },
      { readOnly: this.readOnly, manualCheckpoints: !this.readOnly },
    );
    const connections: DuckDBConnection[] = [];
    try {
      const connect = async () => {
        const c = await instance.connect();
        connections.push(c);
        return this.watched(c);
      };
      this.writer = await connect();
      if (this.readOnly) await checkSchemaVersion(this.writer, this.path);
      else {
        const { from, to } = await migrate(this.writer, this.path);
        if (from > 0 && to > from)
          this.notice('info', `store: migrated the database from schema version ${from} to ${to}`);
      }
      this.maintenance = await connect();
      this.reader = await connect();
      this.instance = instance;
      this.memoryLimitMb = memoryLimitMb;
      if (!this.readOnly) await this.createAppenders();
    } catch (error) {
      for (const c of connections) c.closeSync();
      instance.closeSync();
      throw error;
    }
  }

  /**
   * New appenders on the writer, which then opens the transaction the next flush commits. The
   * writer is always inside one: DuckDB's appender also flushes on its own (every 204,800 rows), and
   * rows it flushed outside a transaction would commit without the positions that go with them.
   */
  private async createAppenders(): Promise<void> {
    await this.writer.run('ROLLBACK').catch(() => undefined); // what a failed flush left open
    await this.writer.run('BEGIN TRANSACTION');
    this.sourceRows = new RowAppender(await this.writer.createAppender('sources'));
    this.channelRowsAppender = new RowAppender(await this.writer.createAppender('channels'));
    this.samples = new SampleAppender(await this.writer.createAppender('samples'));
    this.records = new RecordAppender(await this.writer.createAppender('records'));
    this.quarantineRows = new RowAppender(await this.writer.createAppender('quarantine'));
    this.recordings = new RowAppender(await this.writer.createAppender('recordings'));
  }

  /** The connection, with every promise its methods return counted in `inflight` until it settles. */
  private watched(connection: DuckDBConnection): DuckDBConnection {
    const inflight = this.inflight;
    return new Proxy(connection, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (result instanceof Promise) {
            inflight.add(result);
            result.then(
              () => inflight.delete(result),
              () => inflight.delete(result),
            );
          }
          return result;
        };
      },
    });
  }

  /**
   * Interrupts what runs on the connections and waits (up to 5 s) for it to settle before
   * closing them: a query still running when its connection closes would never answer.
   */
  private async disconnectGracefully(): Promise<void> {
    this.userSql.interruptAll('the database is being closed');
    for (const c of [this.reader, this.maintenance, this.writer, ...this.streams]) {
      try {
        c?.interrupt();
      } catch {
        // already closed
      }
    }
    if (this.inflight.size > 0)
      await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => setTimeout(r, 5_000))]);
    await new Promise((r) => setTimeout(r, 50)); // statements of the user's SQL are not counted
    this.disconnect();
  }

  private discardAppenders(): void {
    for (const a of [
      this.sourceRows,
      this.channelRowsAppender,
      this.samples,
      this.records,
      this.quarantineRows,
      this.recordings,
    ])
      a?.discard();
  }

  private disconnect(): void {
    this.userSql.interruptAll('the database is being reopened');
    this.discardAppenders();
    for (const c of [this.reader, this.maintenance, this.writer, ...this.streams]) {
      try {
        c?.closeSync();
      } catch {
        // an invalidated database may refuse; it is being dropped anyway
      }
    }
    this.streams.clear();
    try {
      this.instance?.closeSync();
    } catch {
      // as above
    }
  }

  /**
   * A write failed. What was appended since the last flush is lost (counted, and taken off the
   * stored counts); rows arriving from now on are held. Recovery: if DuckDB still answers, new
   * appenders (an out-of-memory append leaves the database usable); else DuckDB invalidated it
   * (a failed checkpoint: disk full, out of memory) and the file is reopened, which replays its
   * write-ahead log — with more memory if that needs it — retrying with backoff until it works.
   */
  private fail(error: unknown): void {
    this.failedWrites++;
    const reason = new Error(`not stored: ${firstLine(error)}`, { cause: error });
    for (const t of this.waiting.splice(0)) t.reject(reason);
    this.positionsPending.clear(); // their rows are lost: a position must not pass them
    const lost =
      this.unflushed.samples + this.unflushed.records + this.unflushed.quarantine + this.unflushed.recordings;
    this.storedSamples -= this.unflushed.samples;
    this.storedRecords -= this.unflushed.records;
    this.storedQuarantine -= this.unflushed.quarantine;
    this.storedRecordings -= this.unflushed.recordings;
    this.unflushed.samples =
      this.unflushed.records =
      this.unflushed.quarantine =
      this.unflushed.recordings =
        0;
    this.lostRows += lost;
    // The next ticket covers rows appended before it: it fails only if some of them were lost (a
    // checkpoint failing after its commit loses none).
    if (lost > 0) this.lossSinceTicket = reason;
    if (this.failure) return;
    // Records that arrived during a failed flush are held (counted so in `hold`), not lost.
    this.held.recordChunks.push(...(this.records?.takeDeferred() ?? []));
    this.discardAppenders();
    this.failure = firstLine(error);
    this.recovered = null;
    this.failStreak++;
    if (this.failStreak === 1 || this.failStreak % 10 === 0)
      this.notice(
        'error',
        `store: writing to the database failed${this.failStreak > 1 ? ` (${this.failStreak} times in a row)` : ''}: ${this.failure}; ${lost} rows were not stored. Recovering; rows arriving meanwhile are held (up to ${HOLD_MAX_ROWS}).`,
      );
    void this.recover();
  }

  private async recover(): Promise<void> {
    await new Promise((r) =>
      setTimeout(r, backoffDelay(this.failStreak - 1, { firstMs: 200, maxMs: 5_000 })),
    );
    if (this.closed) return;
    const outOfMemoryAgain = isOutOfMemory(this.failure) && this.failStreak >= 3;
    if (!/invalidated|FATAL/i.test(this.failure ?? '') && !outOfMemoryAgain) {
      try {
        await this.maintenance.run('SELECT 1');
        await this.createAppenders();
        await this.restoreDictionaries();
        await this.reconcileCounts();
        await this.resume('the database was still usable: writing again');
        return;
      } catch {
        // invalidated after all: reopen below
      }
    }
    await this.disconnectGracefully();
    // Out of memory, and the database did not stay usable (a checkpoint that ran out invalidates
    // it, whether an append, retention or the checkpoint itself hit it first): it needs more than
    // it has, so reopening with as much would fail the same way (bench soak, checkpoint-memory).
    let limit = this.memoryLimitMb;
    const outOfMemory = isOutOfMemory(this.failure) || this.outOfMemorySinceFlush;
    this.outOfMemorySinceFlush = false;
    if (outOfMemory && limit < this.memoryCeilingMb) {
      limit = Math.min(this.memoryCeilingMb, limit * 2);
      this.notice(
        'warn',
        `store: DuckDB ran out of its ${this.memoryLimitMb} MiB; reopening with ${limit} MiB until the engine restarts (raise store.memoryLimitMb to keep it)`,
      );
    }
    for (let attempt = 1; ; attempt++) {
      if (this.closed) return;
      try {
        await this.connectRecovering(limit);
        if (this.closed) return this.disconnect(); // closed while it reopened: let the file go
        await this.restoreDictionaries();
        await this.reconcileCounts();
        await this.resume(`database reopened${attempt > 1 ? ` after ${attempt} attempts` : ''}`);
        this.reopens++;
        return;
      } catch (reopenError) {
        if (attempt === 1 || attempt % 10 === 0)
          this.notice(
            'error',
            `store: reopening the database failed (attempt ${attempt}): ${firstLine(reopenError)}; ${this.lostRows} rows could not be stored so far; retrying`,
          );
        this.disconnect();
        // A disk that fills up empties again at the user's pace: look again every few seconds.
        await new Promise((r) => setTimeout(r, backoffDelay(attempt, { firstMs: 500, maxMs: 5_000 })));
      }
    }
  }

  /**
   * What the database holds after a failure may differ from what was counted: DuckDB can report
   * a commit as failed (its checkpoint ran out of memory) after logging it, and the reopened
   * database has the rows. The counts follow the database; lost rows follow them.
   */
  private async reconcileCounts(): Promise<void> {
    const counted: [TimedTable, number][] = [
      ['samples', this.storedSamples],
      ['records', this.storedRecords],
      ['quarantine', this.storedQuarantine],
      ['recordings', this.storedRecordings],
    ];
    for (const [table, expected] of counted) {
      const actual = Number(
        (await this.reader.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows()[0]![0],
      );
      if (actual === expected) continue;
      this.countDeleted(table, expected - actual);
      this.lostRows = Math.max(0, this.lostRows - (actual - expected));
    }
  }

  /**
   * Back after a failure, once a small write works: stores what was held. It is told as
   * recovered after the next flush works too.
   */
  private async resume(how: string): Promise<void> {
    await this.maintenance.run(
      `INSERT OR REPLACE INTO meta VALUES ('last_recovery', strftime(now(), '%Y-%m-%dT%H:%M:%SZ'))`,
    );
    this.failure = null;
    this.recovered = { how, held: this.held.rows };
    this.appendHeld();
    await this.flush();
  }

  /** Appends the rows held (during a recovery or a flush's commit); their tickets go with them. */
  private appendHeld(): void {
    const held = this.held;
    const tickets = this.heldWaiting;
    // Records that arrived during the flush just ended are in the appender's kept chunks;
    // those of a failed flush come back as chunks, before the ones copied during recovery.
    let chunkRows = this.records!.deferredRows;
    this.records!.undefer();
    for (const chunk of held.recordChunks) chunkRows += chunk.rowCount;
    this.records!.appendSealed(held.recordChunks);
    this.storedRecords += chunkRows;
    this.unflushed.records += chunkRows;
    if (held.rows === 0 && held.positions.size === 0 && tickets.length === 0) return;
    this.held = emptyHold();
    this.heldWaiting = [];
    for (const batch of held.samples) this.appendSamples(batch);
    for (const batch of held.records) this.appendRecords(batch);
    for (const entry of held.quarantine) this.appendQuarantine(entry);
    for (const [source, messages] of held.raw) this.appendRaw(source, messages);
    for (const p of held.positions.values()) this.appendPosition(p);
    (this.failure ? this.heldWaiting : this.waiting).push(...tickets);
  }

  /** Keeps rows while the database is recovering; counts them lost beyond HOLD_MAX_ROWS. */
  private hold(rows: number, keep: (held: HeldRows) => void): void {
    if (this.held.rows + rows > (this.options.holdMaxRows ?? HOLD_MAX_ROWS)) {
      this.lostRows += rows;
      this.lossSinceTicket = new Error(
        `not stored: ${rows} rows arrived while ${this.failure ? 'the database recovers' : 'a flush commits'} and the hold was full`,
      );
      return;
    }
    this.held.rows += rows;
    keep(this.held);
  }

  private async loadDictionaries(): Promise<void> {
    // A file written by an older version may lack newer tables; read-only, they cannot be added.
    const tables = new Set(
      (
        await this.reader.runAndReadAll(
          `SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()`,
        )
      )
        .getRows()
        .map((r) => String(r[0])),
    );
    const count = async (table: string) =>
      tables.has(table)
        ? Number((await this.reader.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows()[0]![0])
        : 0;
    this.storedSamples = await count('samples');
    this.storedRecords = await count('records');
    this.storedQuarantine = await count('quarantine');
    this.storedRecordings = await count('recordings');
    for (const [id, key] of (await this.reader.runAndReadAll('SELECT id, key FROM sources')).getRows() as [
      number,
      string,
    ][]) {
      this.sourceIds.set(key, id);
      this.nextSourceId = Math.max(this.nextSourceId, id + 1);
    }
    for (const [id, name, sourceId] of (
      await this.reader.runAndReadAll('SELECT id, name, source_id FROM channels')
    ).getRows() as [number, string, number][]) {
      this.channelIds.set(name, id);
      this.channelCounts.set(sourceId, (this.channelCounts.get(sourceId) ?? 0) + 1);
      this.nextChannelId = Math.max(this.nextChannelId, id + 1);
    }
  }

  /** Id of a source, created on first use. The row is written before the next data flush. */
  sourceId(key: string, kind: string): number {
    let id = this.sourceIds.get(key);
    if (id === undefined) {
      id = this.nextSourceId++;
      this.sourceIds.set(key, id);
      this.sourceKeys.set(id, [key, kind]);
      this.sourceRows?.add([id, key, kind]);
    }
    return id;
  }

  /** Id of a channel by its full name, created on first use. */
  channelId(name: string, sourceKey: string, unit: string): number {
    let id = this.channelIds.get(name);
    if (id === undefined) {
      id = this.nextChannelId++;
      this.channelIds.set(name, id);
      const sourceId = this.sourceId(sourceKey, 'unknown');
      this.channelDefs.set(id, [sourceId, name, unit]);
      this.channelCounts.set(sourceId, (this.channelCounts.get(sourceId) ?? 0) + 1);
      this.channelRowsAppender?.add([id, sourceId, name, unit]);
    }
    return id;
  }

  /** Channels of a source: in the file, and created since it opened. */
  channelCount(sourceKey: string): number {
    const id = this.sourceIds.get(sourceKey);
    return id === undefined ? 0 : (this.channelCounts.get(id) ?? 0);
  }

  knownChannels(): ReadonlyMap<string, number> {
    return this.channelIds;
  }

  async channelRows(): Promise<{ id: number; name: string; source: string; unit: string }[]> {
    const reader = await this.reader.runAndReadAll(
      'SELECT c.id, c.name, s.key, c.unit FROM channels c JOIN sources s ON s.id = c.source_id ORDER BY c.name',
    );
    return (reader.getRows() as [number, string, string, string][]).map(([id, name, source, unit]) => ({
      id,
      name,
      source,
      unit,
    }));
  }

  /**
   * After a failure, rows of the dictionaries that never reached the file are written again, so
   * every stored sample still joins to its channel.
   */
  private async restoreDictionaries(): Promise<void> {
    const have = async (table: string) =>
      new Set(
        (await this.reader.runAndReadAll(`SELECT id FROM ${table}`)).getRows().map((r) => Number(r[0])),
      );
    const sources = await have('sources');
    for (const [id, [key, kind]] of this.sourceKeys)
      if (!sources.has(id)) this.sourceRows!.add([id, key, kind]);
    const channels = await have('channels');
    for (const [id, [sourceId, name, unit]] of this.channelDefs)
      if (!channels.has(id)) this.channelRowsAppender!.add([id, sourceId, name, unit]);
  }

  appendSamples(batch: SampleBatch): void {
    this.assertWritable();
    if (this.failure || this.writing) {
      // A copy: the producer's arrays are not ours to keep.
      const n = batch.n;
      return this.hold(n, (h) =>
        h.samples.push({
          n,
          ts: batch.ts.slice(0, n),
          channel: batch.channel.slice(0, n),
          value: batch.value.slice(0, n),
        }),
      );
    }
    try {
      this.samples!.append(batch);
      this.storedSamples += batch.n;
      this.unflushed.samples += batch.n;
    } catch (error) {
      this.lostRows += batch.n;
      this.fail(error);
    }
  }

  appendRecords(batch: RecordBatch): void {
    this.assertWritable();
    const n = batch.n;
    // A copy: the producer's arrays are not ours to keep.
    if (this.failure) return this.hold(n, (h) => h.records.push(sliceRecords(batch, 0, n)));
    // During a flush: into DuckDB's vectors at once, kept by the appender until the commit ends
    // (RecordAppender.defer), and counted as held until then.
    if (this.writing)
      return this.hold(n, () => {
        try {
          this.records!.append(
            batch,
            Uint32Array.from(batch.sources, (key) => this.sourceId(key, 'unknown')),
          );
        } catch (error) {
          this.held.rows -= n;
          this.lostRows += n;
          this.fail(error);
        }
      });
    try {
      const sourceIds = Uint32Array.from(batch.sources, (key) => this.sourceId(key, 'unknown'));
      this.records!.append(batch, sourceIds);
      this.storedRecords += n;
      this.unflushed.records += n;
    } catch (error) {
      this.lostRows += n;
      this.fail(error);
    }
  }

  /**
   * A connection of its own (an import's bulk rows, import/fast.ts), which commits its own
   * transactions: closed with the store or when it is reopened after a failure (then its
   * uncommitted rows are rolled back and its next call throws), like an export's stream.
   */
  async ownConnection(): Promise<{ connection: DuckDBConnection; close(): void }> {
    this.assertWritable();
    if (this.failure) throw new Error(`the database cannot take rows now: ${this.failure}`);
    const connection = this.watched(await this.instance.connect());
    this.streams.add(connection);
    return { connection, close: () => this.streams.delete(connection) && connection.closeSync() };
  }

  /** The records table's column types, in order (a fast-path import makes its chunks to match). */
  async recordColumns(): Promise<string[]> {
    const rows = await this.read(
      `SELECT data_type FROM duckdb_columns() WHERE table_name = 'records' AND schema_name = 'main' ORDER BY column_index`,
    );
    return rows.map((r) => String(r[0]));
  }

  appendQuarantine(entry: QuarantineEntry): void {
    this.assertWritable();
    if (this.failure || this.writing) return this.hold(1, (h) => h.quarantine.push(entry));
    try {
      this.quarantineRows!.add([
        entry.rx,
        this.sourceId(entry.source, 'unknown'),
        entry.reason,
        entry.where,
        new DuckDBBlobValue(entry.raw),
      ]);
      this.storedQuarantine++;
      this.unflushed.quarantine++;
    } catch (error) {
      this.lostRows++;
      this.fail(error);
    }
  }

  /** Raw messages kept byte for byte (exact recording). */
  appendRaw(source: string, messages: readonly RawMessage[]): void {
    this.assertWritable();
    if (this.failure || this.writing)
      return this.hold(messages.length, (h) => h.raw.push([source, [...messages]]));
    try {
      const sourceId = this.sourceId(source, 'unknown');
      for (const m of messages) {
        this.recordings!.add([m.rx, sourceId, m.key, new DuckDBBlobValue(m.payload), JSON.stringify(m.meta)]);
      }
      this.storedRecordings += messages.length;
      this.unflushed.recordings += messages.length;
    } catch (error) {
      this.lostRows += messages.length;
      this.fail(error);
    }
  }

  get pendingRows(): number {
    return (
      (this.samples?.filled ?? 0) +
      (this.writing ? 0 : (this.records?.filled ?? 0)) + // while writing, rows arriving are held
      (this.quarantineRows?.pending ?? 0) +
      (this.recordings?.pending ?? 0) +
      this.held.rows
    );
  }

  /**
   * Saves a source's position with the rows appended since the last flush: both commit in the
   * same transaction. Positions are opaque text (JSON, say); the last one saved per key wins.
   */
  appendPosition(position: SourcePosition): void {
    this.assertWritable();
    if (this.failure || this.writing) {
      this.held.positions.set(positionKey(position), position);
      return;
    }
    this.positionsPending.set(positionKey(position), position);
  }

  /** The positions a source saved, by key, as committed (read at start to resume from). */
  async positions(source: string): Promise<Map<string, string>> {
    const rows = await this.read(`SELECT "key", value FROM positions WHERE source = $1`, [source]);
    return new Map(rows.map(([key, value]) => [key as string, value as string]));
  }

  /**
   * A promise for every row appended before this call: it resolves once they are committed, and
   * rejects with the error when some cannot be stored (a full disk, a failed checkpoint; rows lost
   * while the hold was full). `soon` asks for a flush at once instead of on the timer (a peer
   * waiting for an acknowledgement).
   */
  ticket(soon = false): Promise<void> {
    if (this.readOnly) return Promise.reject(new Error('the workspace is open read-only'));
    if (this.lossSinceTicket) {
      const error = this.lossSinceTicket;
      this.lossSinceTicket = null;
      return Promise.reject(error);
    }
    const promise = new Promise<void>((resolve, reject) =>
      (this.failure || this.writing ? this.heldWaiting : this.waiting).push({ resolve, reject }),
    );
    if (soon && !this.flushSoon) {
      this.flushSoon = true;
      setImmediate(() => {
        this.flushSoon = false;
        void this.flush();
      });
    }
    return promise;
  }

  /**
   * Appends what is buffered and commits it in one transaction; resolves when everything
   * appended before the call is durable (or failed: then the tickets say so). Calls while a flush
   * runs share the next one.
   */
  flush(): Promise<void> {
    if (this.nextFlush) return this.nextFlush;
    const next = this.flushChain.then(() => {
      this.nextFlush = null;
      return this.flushOnce();
    });
    this.nextFlush = next;
    this.flushChain = next.catch(() => undefined);
    return next;
  }

  /**
   * Flushes, then runs `work` after the commit and before the writer opens its next transaction,
   * with arriving rows held. For deletes: DuckDB keeps a deleted row's version (~9 bytes) pinned
   * while any older transaction runs, and the writer always has one open, so retention's slices
   * beside it ran a 128 MiB store out of memory on a 2 GiB database (soak), where between
   * transactions they need under 24 MiB (measured on 100 M rows, 40 slices of 1 M).
   */
  private withWriterIdle<T>(work: () => Promise<T>): Promise<T> {
    let result: { value: T } | { error: unknown } | null = null;
    const run = this.flushChain.then(async () => {
      await this.flushOnce(async () => {
        try {
          result = { value: await work() };
        } catch (error) {
          result = { error };
        }
      });
      const done = result as { value: T } | { error: unknown } | null;
      if (!done) throw new Error(this.failure ?? 'the store closed');
      if ('error' in done) throw done.error;
      return done.value;
    });
    this.flushChain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * The flush timer's tick (`tick`), and the end of every flush: commits when `flushDue` says so.
   * A ticket that asks for it (`soon`: a peer waits, or the engine's pending work is at its
   * bound) flushes at once instead.
   */
  private flushIfDue(tick: boolean): void {
    if (this.nextFlush || this.writing) return; // the tick after it decides (or the flush's end)
    const { records, samples } = this.unflushed;
    // Other rows, positions, tickets: committed at the tick, as ever; none at a flush's end.
    if (records === 0 && samples === 0) {
      if (tick) void this.flush();
      return;
    }
    const arriving = !tick || records + samples > this.rowsAtLastTick;
    if (tick) this.rowsAtLastTick = records + samples;
    if (flushDue(records, samples, performance.now() - this.lastFlushAt, arriving)) void this.flush();
  }

  private async flushOnce(betweenTransactions?: () => Promise<void>): Promise<void> {
    if (this.readOnly || this.closed || this.failure) return;
    this.lastFlushAt = performance.now();
    this.rowsAtLastTick = 0;
    const tickets = this.waiting;
    this.waiting = [];
    const positions = [...this.positionsPending.values()];
    this.positionsPending.clear();
    // Samples and records arriving during the transaction are held whole (appendSamples,
    // appendRecords); these gather rows of their own and are told to keep them meanwhile.
    const appenders = [this.sourceRows, this.channelRowsAppender, this.quarantineRows, this.recordings];
    this.writing = true;
    for (const a of appenders) a!.deferred = true;
    this.records!.defer();
    let open = true; // the writer's transaction, opened after the last commit
    try {
      if (this.flushDelayMsForTests > 0) await new Promise((r) => setTimeout(r, this.flushDelayMsForTests));
      if (this.closed) throw new Error('the store closed');
      // Dictionary rows first, so every sample flushed joins to its channel. Synchronous: the
      // appenders hand their rows to the open transaction.
      for (const a of appenders) a!.deferred = false;
      this.sourceRows!.flush();
      this.channelRowsAppender!.flush();
      this.samples!.flush();
      this.records!.flushAppended();
      this.quarantineRows!.flush();
      this.recordings!.flush();
      for (const a of appenders) a!.deferred = true;
      for (const p of positions)
        await this.writer.run(`INSERT OR REPLACE INTO positions VALUES ($1, $2, $3, now()::TIMESTAMP)`, [
          p.source,
          p.key,
          p.value,
        ]);
      await this.writer.run('COMMIT');
      open = false;
      this.outOfMemorySinceFlush = false; // what retention met has not stopped the database
      this.unflushed.samples =
        this.unflushed.records =
        this.unflushed.quarantine =
        this.unflushed.recordings =
          0;
      this.lastFlushError = null;
      for (const t of tickets) t.resolve();
      tickets.length = 0;
      if (betweenTransactions) await betweenTransactions();
      await this.checkpointIfDue();
      await this.writer.run('BEGIN TRANSACTION');
      open = true;
      if (this.recovered) {
        this.notice(
          'warn',
          `store: ${this.recovered.how}; ${this.recovered.held} rows held meanwhile are stored; ${this.lostRows} rows could not be stored since the engine started`,
        );
        this.recovered = null;
        this.failStreak = 0;
      }
    } catch (error) {
      if (open) await this.writer.run('ROLLBACK').catch(() => undefined);
      this.waiting.unshift(...tickets); // rejected by fail(), with what it counts lost
      this.lastFlushError = (error as Error).message;
      if (!this.closed) this.fail(error);
      else for (const t of this.waiting.splice(0)) t.reject(error as Error);
    } finally {
      this.writing = false;
      for (const a of appenders) if (a) a.deferred = false;
      if (!this.failure && !this.closed) {
        this.appendHeld();
        // What arrived during a long flush may be due already: no waiting for the next tick.
        if (this.flushTimer) this.flushIfDue(false);
      }
    }
  }

  /**
   * Folds the write-ahead log into the file once it passes the threshold, between the writer's
   * transactions. DuckDB would do it inside the COMMIT that passed it, where a checkpoint that ran
   * out of memory also failed the commit: its rows were counted lost though they were in the log
   * (soak: 90,844 rows), and the database was invalidated mid-write. Here the rows are committed
   * first; a checkpoint that fails invalidates the database all the same (the store reopens and
   * replays the log), but loses nothing.
   */
  private async checkpointIfDue(): Promise<void> {
    if (
      (await this.walBytes()) <
      checkpointThresholdBytes({ ...this.options.settings, memoryLimitMb: this.memoryLimitMb })
    )
      return;
    await this.maintenance.run('CHECKPOINT');
    this.checkpoints++;
  }

  /** User SQL: read-only whatever it says, with a timeout, a cancel and a capped result. */
  query(query: UserQuery): Promise<QueryResult> {
    return this.userSql.run(query);
  }

  /** User SQL streamed whole to `consume` (an export of a result): the same walls, deadline, cancel. */
  streamQuery<T>(
    query: Omit<UserQuery, 'maxRows'>,
    consume: (result: DuckDBResult) => Promise<T>,
  ): Promise<T> {
    return this.userSql.stream(query, consume);
  }

  /** User queries running now (at most two; others wait). */
  get userQueriesRunning(): number {
    return this.userSql.runningCount;
  }

  /** User queries running or waiting. */
  get userQueries(): number {
    return this.userSql.count;
  }

  /** Interrupts the user query with this id; false when none runs or waits. */
  cancelQuery(id: string): boolean {
    return this.userSql.cancel(id);
  }

  /** Whether the workspace has this table (a file from an older version may lack newer ones). */
  async hasTable(name: string): Promise<boolean> {
    const r = await this.read(
      `SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = $1`,
      [name],
    );
    return Number(r[0]?.[0] ?? 0) > 0;
  }

  /** The engine's own reads: rows made JSON-safe, on the engine's connection, never the user's. */
  async read(sql: string, values?: (string | number | null)[]): Promise<unknown[][]> {
    const reader = await this.reader.runAndReadAll(sql, values);
    return reader.getRows().map((row) => row.map(toJsonSafe));
  }

  /** Min/max per bucket for each channel over [from, to), at most `maxPoints` buckets. */
  async series(
    channels: readonly number[],
    from: number,
    to: number,
    maxPoints: number,
  ): Promise<SeriesResult> {
    if (!(to > from)) throw new Error(`series: "to" (${to}) must be after "from" (${from})`);
    const bucketUs = Math.max(1, Math.ceil(((to - from) * 1000) / maxPoints));
    const fromUs = Math.round(from * 1000);
    const ids = channels.map((c) => Math.trunc(c)).join(',');
    const reader = await this.reader.runAndReadAll(
      `SELECT channel_id, (${fromUs}::DOUBLE + bucket * ${bucketUs}) / 1000 AS t, min(value) AS lo, max(value) AS hi FROM (
         SELECT channel_id, value, (epoch_us(ts) - ${fromUs}) // ${bucketUs} AS bucket
         FROM samples WHERE channel_id IN (${ids}) AND ts >= make_timestamp(${fromUs}::BIGINT) AND ts < make_timestamp(${Math.round(to * 1000)}::BIGINT))
       GROUP BY channel_id, bucket ORDER BY channel_id, bucket`,
    );
    const cols = reader.getColumns() as [number[], number[], number[], number[]];
    // Rows come ordered by channel: each channel's buckets are one run, copied into typed arrays.
    const runs = new Map<number, { start: number; end: number }>();
    const rowChannels = cols[0] ?? [];
    for (let i = 0; i < rowChannels.length; i++) {
      const run = runs.get(rowChannels[i]!);
      if (run) run.end = i + 1;
      else runs.set(rowChannels[i]!, { start: i, end: i + 1 });
    }
    const byChannel = new Map<number, SeriesResult['channels'][number]>();
    for (const id of channels) {
      const { start, end } = runs.get(id) ?? { start: 0, end: 0 };
      byChannel.set(id, {
        id,
        t: Float64Array.from((cols[1] ?? []).slice(start, end)),
        min: Float64Array.from((cols[2] ?? []).slice(start, end)),
        max: Float64Array.from((cols[3] ?? []).slice(start, end)),
      });
    }
    return { bucketMs: bucketUs / 1000, channels: [...byChannel.values()] };
  }

  /** Bytes the database occupies: used blocks plus the write-ahead log. */
  async databaseBytes(): Promise<number> {
    const reader = await this.reader.runAndReadAll(
      `SELECT block_size::DOUBLE * used_blocks::DOUBLE FROM pragma_database_size() WHERE database_name = current_database()`,
    );
    const used = (reader.getRows()[0]?.[0] as number | undefined) ?? 0;
    return used + (await this.walBytes());
  }

  private async walBytes(): Promise<number> {
    try {
      const { stat } = await import('node:fs/promises');
      return (await stat(`${this.path}.wal`)).size;
    } catch {
      return 0;
    }
  }

  /** Drops data older than the age limit, then the oldest data until the size limit holds. */
  async applyRetention(retention: Retention, now = Date.now()): Promise<number> {
    if (this.readOnly || this.failure) return 0;
    // One trim at a time: on a busy 2 GiB database a trim outlasted the engine's 60 s interval,
    // and the runs piled up (eight in the soak), each scanning the table for its slices.
    if (this.trimming) return this.trimming;
    const run = (async () => {
      await this.flush();
      try {
        return await this.trim(retention, now);
      } catch (error) {
        if (isOutOfMemory(error)) this.outOfMemorySinceFlush = true;
        throw error;
      }
    })();
    this.trimming = run;
    try {
      return await run;
    } finally {
      this.trimming = null;
    }
  }

  private async trim(retention: Retention, now: number): Promise<number> {
    let dropped = 0;
    if (retention.maxAgeHours > 0) {
      const cutoff = now - retention.maxAgeHours * 3_600_000;
      // A named recording is evidence the user asked for: age does not take its raw messages.
      const n = await this.deleteBefore(cutoff, { keepNamedRecordings: true });
      if (n > 0)
        this.notice(
          'warn',
          `retention: dropped ${n} rows older than ${retention.maxAgeHours} h (before ${new Date(cutoff).toISOString()})`,
        );
      dropped += n;
    }
    if (retention.maxBytes > 0) {
      const bytes = await this.databaseBytes();
      if (bytes > retention.maxBytes && this.storedSamples > 0) {
        // Drop the oldest share of samples that brings the file back under 90% of the limit.
        const share = Math.min(1, 1 - (retention.maxBytes * 0.9) / bytes);
        const cutoff = await this.sampleTimeAtShare(share);
        if (cutoff !== null) {
          // Size does (the disk would fill otherwise), and says which recordings lost what.
          const recorded = await this.namedRecordingRows(cutoff);
          const n = await this.deleteBefore(cutoff, { keepNamedRecordings: false });
          if (recorded.length)
            this.notice(
              'warn',
              `retention: the database is over its size limit, so raw messages of named recordings went too: ${recorded
                .map(([name, rows]) => `${rows} of "${name}"`)
                .join(', ')}; re-decoding them no longer covers their whole span`,
            );
          this.notice(
            'warn',
            `retention: database at ${mib(bytes)} is over its ${mib(retention.maxBytes)} limit; dropped the oldest ${n} rows (before ${new Date(cutoff).toISOString()})`,
          );
          dropped += n;
        }
      }
    }
    return dropped;
  }

  /**
   * The time (ms) before which about `share` of the samples lie, read off a histogram: a
   * quantile over the whole table would sort it, in memory the store does not have.
   */
  private async sampleTimeAtShare(share: number): Promise<number | null> {
    const range = (
      await this.maintenance.runAndReadAll(
        'SELECT epoch_us(min(ts))::DOUBLE, epoch_us(max(ts))::DOUBLE, count(*)::DOUBLE FROM samples',
      )
    ).getRows()[0] as [number | null, number | null, number];
    const [lo, hi, total] = range;
    if (lo === null || hi === null || total === 0) return null;
    const width = Math.max(1, Math.ceil((hi - lo + 1) / SLICE_BUCKETS));
    const buckets = (
      await this.maintenance.runAndReadAll(
        `SELECT ((epoch_us(ts) - ${lo}::BIGINT) // ${width})::DOUBLE AS b, count(*)::DOUBLE FROM samples GROUP BY b ORDER BY b`,
      )
    ).getRows() as [number, number][];
    let seen = 0;
    for (const [b, count] of buckets) {
      seen += count;
      if (seen >= share * total) return (lo + (b + 1) * width) / 1000;
    }
    return (hi + 1) / 1000;
  }

  /**
   * Raw messages inside a named recording's span, of its sources (evidence/recordings.ts), as a
   * condition on `recordings` rows; none when the workspace predates named recordings.
   */
  private async namedRecordingCondition(): Promise<string | null> {
    if (!(await this.hasTable('named_recordings'))) return null;
    return `EXISTS (SELECT 1 FROM named_recordings n JOIN sources s ON list_contains(from_json(n.sources, '["VARCHAR"]'), s.key)
      WHERE s.id = recordings.source_id AND recordings.rx >= n.started_at AND (n.stopped_at IS NULL OR recordings.rx <= n.stopped_at))`;
  }

  /** Named recordings with raw messages received before `cutoffMs`, and how many. */
  private async namedRecordingRows(cutoffMs: number): Promise<[string, number][]> {
    if (!(await this.hasTable('named_recordings'))) return [];
    const rows = await this.maintenance.runAndReadAll(
      `SELECT n.name, count(*)::DOUBLE FROM recordings r JOIN sources s ON s.id = r.source_id
       JOIN named_recordings n ON list_contains(from_json(n.sources, '["VARCHAR"]'), s.key)
         AND r.rx >= n.started_at AND (n.stopped_at IS NULL OR r.rx <= n.stopped_at)
       WHERE r.rx < make_timestamp(${Math.round(cutoffMs * 1000)}::BIGINT) GROUP BY n.name ORDER BY n.name`,
    );
    return rows.getRows() as [string, number][];
  }

  private async deleteBefore(cutoffMs: number, options: { keepNamedRecordings: boolean }): Promise<number> {
    const cutoffUs = Math.round(cutoffMs * 1000);
    const kept = options.keepNamedRecordings ? await this.namedRecordingCondition() : null;
    let total = 0;
    for (const [table, column] of TIMED_TABLES) {
      const keep = table === 'recordings' && kept ? ` AND NOT ${kept}` : '';
      for (const bound of await this.deleteSlices(table, column, cutoffUs)) {
        // Each slice with no write transaction beside it, checkpointed before the writer goes on:
        // its deleted rows' versions are freed then (see withWriterIdle).
        const n = await this.withWriterIdle(async () => {
          const result = await this.maintenance.run(
            `DELETE FROM ${table} WHERE ${column} < make_timestamp(${bound}::BIGINT)${keep}`,
          );
          await this.maintenance.run('CHECKPOINT');
          return Number(result.rowsChanged);
        });
        total += n;
        this.countDeleted(table, n);
        this.retentionDropped += n; // per slice: a later one may fail, this one is gone
      }
    }
    return total;
  }

  /**
   * Removes quarantined input (of one source, received before a time, or all of it) once the user
   * has looked at it; answers how many entries went. The engine puts the clear in the audit log.
   */
  async clearQuarantine(filter: {
    source?: string | undefined;
    beforeMs?: number | undefined;
  }): Promise<number> {
    this.assertWritable();
    await this.flush();
    const where: string[] = [];
    const values: (string | number)[] = [];
    if (filter.source !== undefined) {
      values.push(filter.source);
      where.push(`source_id IN (SELECT id FROM sources WHERE key = $${values.length})`);
    }
    if (filter.beforeMs !== undefined)
      where.push(`rx < make_timestamp(${Math.round(filter.beforeMs * 1000)}::BIGINT)`);
    const result = await this.maintenance.run(
      `DELETE FROM quarantine${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`,
      values,
    );
    const n = Number(result.rowsChanged);
    this.countDeleted('quarantine', n);
    return n;
  }

  private countDeleted(table: TimedTable, n: number): void {
    if (table === 'samples') this.storedSamples -= n;
    else if (table === 'records') this.storedRecords -= n;
    else if (table === 'quarantine') this.storedQuarantine -= n;
    else this.storedRecordings -= n;
  }

  /**
   * Upper bounds (µs) for successive DELETEs of the rows before `cutoffUs`, each removing at most
   * `deleteSliceRows` rows (unless more share one microsecond), found from a histogram of the
   * rows to delete; a bucket holding more than a slice is split with a finer histogram.
   */
  private async deleteSlices(table: TimedTable, column: string, cutoffUs: number): Promise<number[]> {
    const first = (
      await this.maintenance.runAndReadAll(
        `SELECT epoch_us(min(${column}))::DOUBLE FROM ${table} WHERE ${column} < make_timestamp(${cutoffUs}::BIGINT)`,
      )
    ).getRows()[0]?.[0] as number | null | undefined;
    if (first === null || first === undefined) return [];
    const limit = this.deleteSliceRows;
    const bounds: number[] = [];
    const walk = async (fromUs: number, toUs: number): Promise<void> => {
      const width = Math.max(1, Math.ceil((toUs - fromUs) / SLICE_BUCKETS));
      const buckets = (
        await this.maintenance.runAndReadAll(
          `SELECT ((epoch_us(${column}) - ${fromUs}::BIGINT) // ${width})::DOUBLE AS b, count(*)::DOUBLE FROM ${table}
           WHERE ${column} >= make_timestamp(${fromUs}::BIGINT) AND ${column} < make_timestamp(${toUs}::BIGINT)
           GROUP BY b ORDER BY b`,
        )
      ).getRows() as [number, number][];
      let pending = 0;
      for (const [b, count] of buckets) {
        const start = fromUs + b * width;
        if (pending > 0 && pending + count > limit) {
          bounds.push(start);
          pending = 0;
        }
        if (count > limit && width > 1) {
          await walk(start, Math.min(toUs, start + width));
          continue;
        }
        pending += count;
      }
      if (pending > 0) bounds.push(toUs);
    };
    await walk(first, cutoffUs);
    if (bounds[bounds.length - 1] !== cutoffUs) bounds.push(cutoffUs);
    return bounds;
  }

  /**
   * Streams the result of a read-only query chunk by chunk (exports), on a connection of its own:
   * any other query on a connection would cut a pending stream short.
   */
  async stream(
    sql: string,
  ): Promise<{ names: string[]; next(): Promise<DuckDBDataChunk | null>; close(): void }> {
    const connection = this.watched(await this.instance.connect());
    this.streams.add(connection);
    const close = () => {
      if (this.streams.delete(connection)) connection.closeSync(); // else the store closed it
    };
    try {
      const result = await connection.stream(sql);
      return { names: result.columnNames(), next: () => result.fetchChunk(), close };
    } catch (error) {
      close();
      throw error;
    }
  }

  /**
   * Runs one parameterised write on the connection for asynchronous writes (rare rows: alert
   * transitions, notices), never on the appenders' connection.
   */
  async write(sql: string, values: (string | number | null)[], what = 'a row'): Promise<void> {
    this.assertWritable();
    try {
      await this.maintenance.run(sql, values);
    } catch (error) {
      this.failedWrites++;
      this.notice('error', `store: writing ${what} failed: ${firstLine(error)}`);
      throw error;
    }
  }

  async saveNotice(level: string, message: string): Promise<void> {
    if (this.readOnly) return;
    await this.maintenance.run(`INSERT INTO notices VALUES (now()::TIMESTAMP, $1, $2)`, [level, message]);
  }

  private notice(level: StoreNotice['level'], message: string): void {
    this.options.onNotice?.({ level, message });
  }

  private assertWritable(): void {
    if (this.readOnly) throw new Error('the workspace is open read-only: another engine owns it');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.flushTimer);
    await this.userSql.close();
    await this.flush();
    this.closed = true;
    this.lostRows += this.held.rows; // the database never came back for them
    this.held = emptyHold();
    const closing = new Error('not stored: the store closed before these rows could be written');
    for (const t of [...this.waiting.splice(0), ...this.heldWaiting.splice(0)]) t.reject(closing);
    if (!this.readOnly && !this.failure) {
      await this.writer.run('ROLLBACK').catch(() => undefined); // the empty transaction the last flush opened
      await this.maintenance.run('CHECKPOINT').catch(() => undefined);
    }
    await this.disconnectGracefully();
  }
}
