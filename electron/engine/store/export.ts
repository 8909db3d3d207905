// Export of a time range: samples, records, alert transitions or annotations, as CSV, JSON Lines or
// Parquet (flat, or hive-partitioned by day and source for Spark, Trino and DuckDB): a recording
// someone can hand over. Rows stream from DuckDB a chunk at a time; flat CSV of samples goes
// straight to the file, so memory stays flat whatever the range. Every other form is written by a
// private in-memory DuckDB instance that alone may write files: the workspace instance has file
// access switched off for good (see duckdb.ts).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ExportRequest, ExportTable } from '../../../shared/api';
import { StoreSettings } from '../../../shared/schemas';
import { openDuckDB, sqlString } from './duckdb';
import type { Store } from './store';
import { toJsonSafe } from './values';

export interface ExportProgress {
  done: number;
  total: number;
  ratePerSecond: number;
  etaSeconds: number | null;
  finished: boolean;
}

export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

interface TableShape {
  /** Columns of the exported rows, as created in the private writer. */
  columns: string;
  /** SELECT list and FROM/WHERE over the workspace for [from, to) in microseconds; `filter` is ANDed. */
  select(fromUs: number, toUs: number, filter: string): { list: string; from: string; order: string };
  /** Whether the rows carry a `source` column (a hive partition key). */
  hasSource: boolean;
}

const range = (column: string, fromUs: number, toUs: number) =>
  `${column} >= make_timestamp(${fromUs}::BIGINT) AND ${column} < make_timestamp(${toUs}::BIGINT)`;

/** What each table exports. Times are UTC TIMESTAMPs; JSON columns stay JSON. */
export const EXPORT_TABLES: Record<ExportTable, TableShape> = {
  samples: {
    columns: 'ts TIMESTAMP, source VARCHAR, channel VARCHAR, unit VARCHAR, value DOUBLE',
    select: (fromUs, toUs, filter) => ({
      list: 's.ts, src.key AS source, c.name AS channel, c.unit, s.value',
      from: `FROM samples s JOIN channels c ON c.id = s.channel_id JOIN sources src ON src.id = c.source_id
        WHERE ${range('s.ts', fromUs, toUs)} ${filter}`,
      order: 's.ts, c.name',
    }),
    hasSource: true,
  },
  records: {
    columns: 'ts TIMESTAMP, rx TIMESTAMP, source VARCHAR, severity VARCHAR, message VARCHAR, fields JSON',
    select: (fromUs, toUs, filter) => ({
      list: 'r.ts, r.rx, src.key AS source, r.severity, r.message, r.fields',
      from: `FROM records r JOIN sources src ON src.id = r.source_id WHERE ${range('r.ts', fromUs, toUs)} ${filter}`,
      order: 'r.ts, r.rx',
    }),
    hasSource: true,
  },
  recordings: {
    // Raw messages as received (sources with `record: true`, or in a named recording), by receive time.
    columns: 'ts TIMESTAMP, source VARCHAR, "key" VARCHAR, payload BLOB, meta JSON',
    select: (fromUs, toUs, filter) => ({
      list: 'g.rx AS ts, src.key AS source, g."key", g.payload, g.meta',
      from: `FROM recordings g JOIN sources src ON src.id = g.source_id WHERE ${range('g.rx', fromUs, toUs)} ${filter}`,
      order: 'g.rx',
    }),
    hasSource: true,
  },
  transitions: {
    columns:
      'ts TIMESTAMP, rule VARCHAR, labels JSON, from_state VARCHAR, state VARCHAR, value DOUBLE, severity VARCHAR, annotations JSON, mode VARCHAR, evaluated_at TIMESTAMP, cause VARCHAR',
    select: (fromUs, toUs) => ({
      list: 'ts, rule, labels, from_state, state, value, severity, annotations, mode, evaluated_at, cause',
      from: `FROM alert_transitions WHERE ${range('ts', fromUs, toUs)}`,
      order: 'ts, rule',
    }),
    hasSource: false,
  },
  annotations: {
    columns:
      'id VARCHAR, ts TIMESTAMP, ts_end TIMESTAMP, text VARCHAR, author VARCHAR, channels JSON, created_at TIMESTAMP',
    // An annotation belongs to the range when it overlaps it (an instant: when it lies in it).
    select: (fromUs, toUs) => ({
      list: 'id, ts, ts_end, text, author, channels, created_at',
      from: `FROM annotations WHERE ts < make_timestamp(${toUs}::BIGINT)
        AND coalesce(ts_end, ts) >= make_timestamp(${fromUs}::BIGINT)`,
      order: 'ts, id',
    }),
    hasSource: false,
  },
};

/** Checks where an export may write: a file in an existing folder, or a new or empty folder for hive. */
function checkTarget(target: string, partitioned: boolean): void {
  if (!fs.existsSync(path.dirname(target)))
    throw new Error(`export: folder ${path.dirname(target)} does not exist`);
  if (partitioned && fs.existsSync(target)) {
    if (!fs.statSync(target).isDirectory())
      throw new Error(`export: ${target} is a file; a partitioned export writes a folder`);
    if (fs.readdirSync(target).length > 0)
      throw new Error(
        `export: folder ${target} is not empty; a partitioned export writes a new or empty folder`,
      );
  }
  if (!partitioned && fs.existsSync(target) && fs.statSync(target).isDirectory())
    throw new Error(`export: ${target} is a folder; give a file name`);
}

/**
 * Where an export is written until it is whole: a hidden name beside the target, in the folder the
 * user chose. Only a finished export takes the target's name, so a cancelled or failed one leaves
 * nothing that poses as complete (and a crash leaves a name that says "partial"). `tag`: the job's
 * id, so a job resumed after a crash finds (and removes) what its first run left.
 */
export function partialPath(target: string, tag = randomBytes(4).toString('hex')): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.partial-${tag}`);
}

/** Gives a finished export (file or folder) the target's name; an empty target folder makes way. */
export function finishPartial(partial: string, target: string): void {
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) fs.rmdirSync(target); // checked empty before
  fs.renameSync(partial, target);
}

export async function exportData(
  store: Store,
  request: ExportRequest,
  onProgress?: (p: ExportProgress) => void,
  signal?: AbortSignal,
  partialTag?: string,
): Promise<number> {
  if (!(request.to > request.from))
    throw new Error(`export: --to (${new Date(request.to).toISOString()}) must be after --from`);
  const table = request.table ?? 'samples';
  const shape = EXPORT_TABLES[table];
  const partitionBy = request.partitionBy ?? [];
  if (partitionBy.includes('source') && !shape.hasSource)
    throw new Error(`export: ${table} have no source to partition by; use --partition-by day`);
  const target = path.resolve(request.path);
  checkTarget(target, partitionBy.length > 0);
  const fromUs = Math.round(request.from * 1000);
  const toUs = Math.round(request.to * 1000);
  const channelFilter =
    table === 'samples' && request.channels?.length
      ? `AND c.name IN (${request.channels.map(sqlString).join(', ')})`
      : '';
  if (request.sources?.length && !shape.hasSource)
    throw new Error(`export: ${table} have no source to choose by; leave out the sources`);
  const sourceFilter = request.sources?.length
    ? `AND src.key IN (${request.sources.map(sqlString).join(', ')})`
    : '';

  if (table === 'samples' && request.channels?.length) {
    const known = new Set((await store.channelRows()).map((c) => c.name));
    const unknown = request.channels.filter((c) => !known.has(c));
    if (unknown.length)
      throw new Error(`export: no channel named ${unknown.map((c) => `"${c}"`).join(', ')}`);
  }
  if (table === 'annotations' && !(await store.hasTable('annotations')))
    throw new Error('export: this workspace has no annotations table');
  const { list, from, order } = shape.select(fromUs, toUs, `${channelFilter} ${sourceFilter}`);

  const counted = await store.read(`SELECT count(*) ${from}`);
  const total = Number(counted[0]?.[0] ?? 0);
  const started = performance.now();
  let done = 0;
  const report = (finished: boolean) => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    onProgress?.({
      done,
      total,
      ratePerSecond: rate,
      etaSeconds: rate > 0 ? (total - done) / rate : null,
      finished,
    });
  };

  const stopIfAsked = () => {
    if (signal?.aborted) throw new Error(`export cancelled: nothing written to ${target}`);
  };
  const partial = partialPath(target, partialTag);
  fs.rmSync(partial, { recursive: true, force: true }); // what a killed run of the same job left
  try {
    await writeExport();
    stopIfAsked();
    if (partitionBy.length && !fs.existsSync(partial)) fs.mkdirSync(partial); // no rows: an empty folder
    finishPartial(partial, target);
  } catch (error) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw error;
  }
  report(true);
  return done;

  async function writeExport(): Promise<void> {
    if (table === 'samples' && request.format === 'csv' && partitionBy.length === 0) {
      // The CSV of samples keeps its first-release columns (ts, channel, unit, value).
      const stream = await store.stream(
        `SELECT strftime(s.ts, '%Y-%m-%dT%H:%M:%S.%fZ') AS ts, c.name AS channel, c.unit, s.value ${from} ORDER BY ${order}`,
      );
      const out = fs.createWriteStream(partial);
      try {
        const write = (text: string) =>
          new Promise<void>((resolve, reject) =>
            out.write(text) ? resolve() : out.once('drain', resolve).once('error', reject),
          );
        await write('ts,channel,unit,value\n');
        for (let chunk = await stream.next(); chunk && chunk.rowCount > 0; chunk = await stream.next()) {
          const [ts, channel, unit, value] = chunk.getColumns() as [string[], string[], string[], number[]];
          let text = '';
          for (let i = 0; i < chunk.rowCount; i++)
            text += `${ts[i]},${csvField(channel[i])},${csvField(unit[i])},${value[i]}\n`;
          await write(text);
          done += chunk.rowCount;
          report(false);
          stopIfAsked();
        }
        await new Promise<void>((resolve, reject) =>
          out.end((error?: Error | null) => (error ? reject(error) : resolve())),
        );
      } finally {
        stream.close();
      }
    } else {
      // Rows beyond its memory limit spill to a temp folder beside the target, removed afterwards.
      const spill = fs.mkdtempSync(path.join(path.dirname(target), '.opsdeck-export-'));
      const sink = await openDuckDB(':memory:', StoreSettings.parse({ memoryLimitMb: 256, threads: 1 }), {
        externalAccess: true,
        tempDirectory: spill,
      });
      const conn = await sink.connect();
      try {
        await conn.run(`CREATE TABLE export(${shape.columns})`);
        const appender = await conn.createAppender('export');
        const stream = await store.stream(`SELECT ${list} ${from} ORDER BY ${order}`);
        try {
          for (let chunk = await stream.next(); chunk && chunk.rowCount > 0; chunk = await stream.next()) {
            appender.appendDataChunk(chunk);
            done += chunk.rowCount;
            report(false);
            stopIfAsked();
          }
        } finally {
          stream.close();
        }
        appender.closeSync();
        const options =
          request.format === 'parquet'
            ? ['FORMAT parquet', 'COMPRESSION zstd']
            : request.format === 'jsonl'
              ? ['FORMAT json']
              : ['FORMAT csv', 'HEADER true'];
        // Times are UTC; the day of a row is its UTC day, as the partition folders name it.
        const source = partitionBy.length
          ? `(SELECT *, strftime(ts, '%Y-%m-%d') AS day FROM export ORDER BY ts)`
          : 'export';
        if (partitionBy.length) options.push(`PARTITION_BY (${partitionBy.join(', ')})`);
        stopIfAsked();
        await conn.run(`COPY ${source} TO ${sqlString(partial)} (${options.join(', ')})`);
      } finally {
        conn.closeSync();
        sink.closeSync();
        fs.rmSync(spill, { recursive: true, force: true });
      }
    }
  }
}

/**
 * Writes the whole result of a user query (the SQL console's "Export") as CSV. The query runs on
 * the user-SQL path (read-only, deadline, cancel); only this engine code writes the file.
 */
export async function exportQueryResult(
  store: Store,
  request: { sql: string; path: string; id?: string | undefined },
): Promise<number> {
  const target = path.resolve(request.path);
  if (!fs.existsSync(path.dirname(target)))
    throw new Error(`export: folder ${path.dirname(target)} does not exist`);
  return store.streamQuery({ sql: request.sql, id: request.id }, async (result) => {
    const out = fs.createWriteStream(target);
    let rows = 0;
    try {
      const write = (text: string) =>
        new Promise<void>((resolve, reject) =>
          out.write(text) ? resolve() : out.once('drain', resolve).once('error', reject),
        );
      await write(result.columnNames().map(csvField).join(',') + '\n');
      for (
        let chunk = await result.fetchChunk();
        chunk && chunk.rowCount > 0;
        chunk = await result.fetchChunk()
      ) {
        let text = '';
        for (const row of chunk.getRows()) text += row.map((v) => csvField(toJsonSafe(v))).join(',') + '\n';
        await write(text);
        rows += chunk.rowCount;
      }
    } finally {
      await new Promise<void>((resolve) => out.end(() => resolve()));
    }
    return rows;
  });
}
