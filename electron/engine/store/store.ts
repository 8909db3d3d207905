// The store: one DuckDB file per workspace, written through Appenders in columnar chunks.
//
// Invariants:
// - Samples, records and quarantine are appended in the order they arrive; a flush (on 2,048 rows
//   per table, and at least every `flushIntervalMs`) makes everything appended so far durable.
// - `query` runs user SQL read-only (SELECT, EXPLAIN, PRAGMA, CALL) on its own connection, and the
//   whole instance has file access, ATTACH and extension loading switched off and locked.
// - `series` never returns more than `maxPoints` buckets per channel, whatever the range.
// - Retention drops the oldest rows and says so: a notice with the count, never silently.
import {
  DuckDBBlobValue,
  DuckDBDataChunk,
  DOUBLE,
  StatementType,
  TIMESTAMP,
  UINTEGER,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBInstance,
  type DuckDBType,
} from '@duckdb/node-api';
import bindings from '@duckdb/node-bindings';
import type { QueryResult, SeriesResult } from '../../../shared/api';
import type { Retention, StoreSettings } from '../../../shared/schemas';
import type { QuarantineEntry, RecordRow, SampleBatch } from '../batch';
import type { RawMessage } from '../sources/source';
import { openDuckDB, writeMicros } from './duckdb';
import { SCHEMA_SQL } from './schema';
import { toJsonSafe } from './values';

const CHUNK_ROWS = 2048; // DuckDB's vector size: one full data chunk per append
const USER_SQL_ALLOWED = new Set<number>([
  StatementType.SELECT,
  StatementType.EXPLAIN,
  StatementType.PRAGMA,
  StatementType.CALL,
]);

export interface StoreNotice {
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface StoreOptions {
  settings: StoreSettings;
  readOnly?: boolean;
  flushIntervalMs?: number;
  onNotice?: (notice: StoreNotice) => void;
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

  /** Appends the partly filled chunk, then makes everything appended durable. */
  flush(): void {
    if (this.filled > 0) {
      this.appendChunk(DuckDBDataChunk.create([TIMESTAMP, UINTEGER, DOUBLE], this.filled), this.filled);
      this.filled = 0;
    }
    this.appender.flushSync();
  }
}

/** Rows of mixed types (records, quarantine) gathered per column and appended a chunk at a time. */
class RowAppender {
  private readonly types: DuckDBType[];
  private columns: unknown[][];
  private readonly timestampColumns: number[];

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
    if (this.pending >= CHUNK_ROWS) this.appendPending();
  }

  flush(): void {
    this.appendPending();
    this.appender.flushSync();
  }

  private appendPending(): void {
    const n = this.pending;
    if (n === 0) return;
    const chunk = DuckDBDataChunk.create(this.types, n);
    for (let c = 0; c < this.types.length; c++) {
      if (this.timestampColumns.includes(c)) {
        const micros = new BigInt64Array(n);
        writeMicros(micros, Float64Array.from(this.columns[c] as number[]), 0, n);
        bindings.copy_data_to_vector(
          bindings.data_chunk_get_vector(chunk.chunk, c),
          0,
          micros.buffer,
          0,
          micros.byteLength,
        );
      } else {
        chunk.setColumnValues(c, this.columns[c] as never[]);
      }
    }
    this.appender.appendDataChunk(chunk);
    this.columns = this.types.map(() => []);
  }
}

export class Store {
  private samples?: SampleAppender;
  private records?: RowAppender;
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
  lastFlushError: string | null = null;

  private instance!: DuckDBInstance;
  /** Appenders only: their calls are synchronous, so nothing async may share this connection. */
  private writer!: DuckDBConnection;
  /** Asynchronous writes: dictionary rows, retention deletes, notices, checkpoints. */
  private maintenance!: DuckDBConnection;
  private reader!: DuckDBConnection;
  private user!: DuckDBConnection;
  /** Why the database cannot take rows right now (it is being reopened), or null. */
  private failure: string | null = null;
  /** Rows that could not be stored because the database had failed; shown in the status. */
  lostRows = 0;

  private constructor(
    readonly path: string,
    readonly readOnly: boolean,
    private readonly options: StoreOptions,
  ) {}

  static async open(path: string, options: StoreOptions): Promise<Store> {
    const store = new Store(path, options.readOnly ?? false, options);
    await store.connect();
    await store.loadDictionaries();
    if (!store.readOnly) {
      store.flushTimer = setInterval(() => void store.flush(), options.flushIntervalMs ?? 100);
      store.flushTimer.unref();
    }
    return store;
  }

  private async connect(): Promise<void> {
    this.instance = await openDuckDB(this.path, this.options.settings, { readOnly: this.readOnly });
    this.writer = await this.instance.connect();
    if (!this.readOnly) await this.writer.run(SCHEMA_SQL);
    this.maintenance = await this.instance.connect();
    this.reader = await this.instance.connect();
    this.user = await this.instance.connect();
    if (!this.readOnly) {
      this.sourceRows = new RowAppender(await this.writer.createAppender('sources'));
      this.channelRowsAppender = new RowAppender(await this.writer.createAppender('channels'));
      this.samples = new SampleAppender(await this.writer.createAppender('samples'));
      this.records = new RowAppender(await this.writer.createAppender('records'));
      this.quarantineRows = new RowAppender(await this.writer.createAppender('quarantine'));
      this.recordings = new RowAppender(await this.writer.createAppender('recordings'));
    }
  }

  private disconnect(): void {
    for (const c of [this.user, this.reader, this.maintenance, this.writer]) {
      try {
        c.closeSync();
      } catch {
        // an invalidated database may refuse; it is being dropped anyway
      }
    }
    try {
      this.instance.closeSync();
    } catch {
      // as above
    }
  }

  /**
   * A write failed (DuckDB invalidates a database after a fatal error, e.g. out of memory during a
   * checkpoint): say so, count what is lost, and reopen the file, which replays its write-ahead log.
   * Rows arriving meanwhile are counted as lost rather than buffered without bound.
   */
  private fail(error: unknown, rows: number): void {
    this.lostRows += rows;
    if (this.failure) return;
    this.failure = (error as Error).message?.split('\n')[0] || 'unknown DuckDB error';
    this.notice('error', `store: ${this.failure}; reopening the database`);
    void (async () => {
      await new Promise((r) => setTimeout(r, 500));
      this.disconnect();
      for (let attempt = 1; ; attempt++) {
        if (this.closed) return;
        try {
          await this.connect();
          await this.restoreDictionaries();
          this.failure = null;
          this.notice(
            'warn',
            `store: database reopened; ${this.lostRows} rows could not be stored while it was down`,
          );
          return;
        } catch (reopenError) {
          if (attempt === 1 || attempt % 10 === 0)
            this.notice(
              'error',
              `store: reopening failed (attempt ${attempt}): ${(reopenError as Error).message}`,
            );
          await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** attempt)));
        }
      }
    })();
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
   * After a reopen, rows of the dictionaries that never reached the file are written again, so
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
    if (this.failure) {
      this.lostRows += batch.n;
      return;
    }
    try {
      this.samples!.append(batch);
      this.storedSamples += batch.n;
    } catch (error) {
      this.fail(error, batch.n);
    }
  }

  appendRecords(rows: readonly RecordRow[]): void {
    this.assertWritable();
    if (this.failure) {
      this.lostRows += rows.length;
      return;
    }
    for (const r of rows) {
      this.records!.add([
        r.ts,
        r.rx,
        this.sourceId(r.source, 'unknown'),
        r.severity,
        r.message,
        r.fields ? JSON.stringify(r.fields) : null,
      ]);
    }
    this.storedRecords += rows.length;
  }

  appendQuarantine(entry: QuarantineEntry): void {
    this.assertWritable();
    if (this.failure) {
      this.lostRows++;
      return;
    }
    this.quarantineRows!.add([
      entry.rx,
      this.sourceId(entry.source, 'unknown'),
      entry.reason,
      entry.where,
      new DuckDBBlobValue(entry.raw),
    ]);
    this.storedQuarantine++;
  }

  /** Raw messages kept byte for byte (exact recording). */
  appendRaw(source: string, messages: readonly RawMessage[]): void {
    this.assertWritable();
    if (this.failure) {
      this.lostRows += messages.length;
      return;
    }
    const sourceId = this.sourceId(source, 'unknown');
    for (const m of messages) {
      this.recordings!.add([m.rx, sourceId, m.key, new DuckDBBlobValue(m.payload), JSON.stringify(m.meta)]);
    }
    this.storedRecordings += messages.length;
  }

  get pendingRows(): number {
    return (
      (this.samples?.filled ?? 0) +
      (this.records?.pending ?? 0) +
      (this.quarantineRows?.pending ?? 0) +
      (this.recordings?.pending ?? 0)
    );
  }

  /** Appends what is buffered and makes it durable. Synchronous inside: no await can hold it up. */
  async flush(): Promise<void> {
    if (this.readOnly || this.closed || this.failure) return;
    try {
      // Dictionary rows first, so every sample flushed joins to its channel.
      this.sourceRows!.flush();
      this.channelRowsAppender!.flush();
      this.samples!.flush();
      this.records!.flush();
      this.quarantineRows!.flush();
      this.recordings!.flush();
      this.lastFlushError = null;
    } catch (error) {
      this.lastFlushError = (error as Error).message;
      this.fail(error, this.pendingRows);
    }
  }

  async query(sql: string, maxRows: number): Promise<QueryResult> {
    const started = performance.now();
    const extracted = await this.user.extractStatements(sql);
    const count = extracted.count;
    if (count === 0) throw new Error('query: no SQL statement given');
    let result: QueryResult | null = null;
    for (let i = 0; i < count; i++) {
      const prepared = await extracted.prepare(i);
      if (!USER_SQL_ALLOWED.has(prepared.statementType)) {
        throw new Error(
          `query: statement ${i + 1} is ${StatementType[prepared.statementType] ?? prepared.statementType}; the SQL console only reads (SELECT, EXPLAIN, PRAGMA, CALL)`,
        );
      }
      if (i < count - 1) continue;
      const reader = await prepared.streamAndReadUntil(maxRows + 1);
      const names = reader.columnNames();
      const types = reader.columnTypes().map((t) => t.toString());
      const rows = reader
        .getRows()
        .slice(0, maxRows)
        .map((row) => row.map(toJsonSafe));
      result = {
        columns: names.map((name, c) => ({ name, type: types[c]! })),
        rows,
        truncated: reader.currentRowCount > maxRows,
        elapsedMs: performance.now() - started,
      };
    }
    return result!;
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
    const byChannel = new Map<number, { id: number; t: number[]; min: number[]; max: number[] }>();
    for (const id of channels) byChannel.set(id, { id, t: [], min: [], max: [] });
    for (let i = 0; i < (cols[0]?.length ?? 0); i++) {
      const entry = byChannel.get(cols[0][i]!)!;
      entry.t.push(cols[1][i]!);
      entry.min.push(cols[2][i]!);
      entry.max.push(cols[3][i]!);
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
    if (this.readOnly) return 0;
    await this.flush();
    let dropped = 0;
    if (retention.maxAgeHours > 0) {
      const cutoff = now - retention.maxAgeHours * 3_600_000;
      const n = await this.deleteBefore(cutoff);
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
        const reader = await this.writer.runAndReadAll(
          `SELECT epoch_us(quantile_disc(ts, ${share}))::DOUBLE / 1000 FROM samples`,
        );
        const cutoff = reader.getRows()[0]?.[0] as number | null;
        if (cutoff !== null && cutoff !== undefined) {
          const n = await this.deleteBefore(cutoff);
          await this.maintenance.run('CHECKPOINT');
          this.notice(
            'warn',
            `retention: database at ${(bytes / 1024 ** 2).toFixed(1)} MiB is over its ${(retention.maxBytes / 1024 ** 2).toFixed(1)} MiB limit; dropped the oldest ${n} rows (before ${new Date(cutoff).toISOString()})`,
          );
          dropped += n;
        }
      }
    }
    this.retentionDropped += dropped;
    return dropped;
  }

  private async deleteBefore(cutoffMs: number): Promise<number> {
    const us = Math.round(cutoffMs * 1000);
    let total = 0;
    for (const [table, column] of [
      ['samples', 'ts'],
      ['records', 'ts'],
      ['quarantine', 'rx'],
      ['recordings', 'rx'],
    ] as const) {
      const result = await this.writer.run(
        `DELETE FROM ${table} WHERE ${column} < make_timestamp(${us}::BIGINT)`,
      );
      const n = Number(result.rowsChanged);
      total += n;
      if (table === 'samples') this.storedSamples -= n;
      else if (table === 'records') this.storedRecords -= n;
      else if (table === 'quarantine') this.storedQuarantine -= n;
      else this.storedRecordings -= n;
    }
    return total;
  }

  /**
   * Streams the result of a read-only query chunk by chunk (exports), on a connection of its own:
   * any other query on a connection would cut a pending stream short.
   */
  async stream(
    sql: string,
  ): Promise<{ names: string[]; next(): Promise<DuckDBDataChunk | null>; close(): void }> {
    const connection = await this.instance.connect();
    try {
      const result = await connection.stream(sql);
      return {
        names: result.columnNames(),
        next: () => result.fetchChunk(),
        close: () => connection.closeSync(),
      };
    } catch (error) {
      connection.closeSync();
      throw error;
    }
  }

  /**
   * Runs one parameterised write on the connection for asynchronous writes (rare rows: alert
   * transitions, notices), never on the appenders' connection.
   */
  async write(sql: string, values: (string | number | null)[]): Promise<void> {
    this.assertWritable();
    await this.maintenance.run(sql, values);
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
    await this.flush();
    this.closed = true;
    if (!this.readOnly && !this.failure) await this.maintenance.run('CHECKPOINT').catch(() => undefined);
    this.disconnect();
  }
}
