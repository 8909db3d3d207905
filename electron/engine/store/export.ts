// Export of samples over a time range as CSV or Parquet: a recording someone can hand over.
// Rows stream from DuckDB a chunk at a time, so memory stays flat for CSV whatever the range.
// Parquet is written by a private in-memory DuckDB instance that alone may write files: the
// workspace instance has file access switched off for good (see duckdb.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { ExportRequest } from '../../../shared/api';
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

export async function exportData(
  store: Store,
  request: ExportRequest,
  onProgress?: (p: ExportProgress) => void,
): Promise<number> {
  if (!(request.to > request.from))
    throw new Error(`export: --to (${new Date(request.to).toISOString()}) must be after --from`);
  const target = path.resolve(request.path);
  if (!fs.existsSync(path.dirname(target)))
    throw new Error(`export: folder ${path.dirname(target)} does not exist`);
  const fromUs = Math.round(request.from * 1000);
  const toUs = Math.round(request.to * 1000);
  const channelFilter = request.channels?.length
    ? `AND c.name IN (${request.channels.map(sqlString).join(', ')})`
    : '';
  const where = `FROM samples s JOIN channels c ON c.id = s.channel_id
    WHERE s.ts >= make_timestamp(${fromUs}::BIGINT) AND s.ts < make_timestamp(${toUs}::BIGINT) ${channelFilter}`;

  if (request.channels?.length) {
    const known = new Set((await store.channelRows()).map((c) => c.name));
    const unknown = request.channels.filter((c) => !known.has(c));
    if (unknown.length)
      throw new Error(`export: no channel named ${unknown.map((c) => `"${c}"`).join(', ')}`);
  }

  const counted = await store.read(`SELECT count(*) ${where}`);
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

  if (request.format === 'csv') {
    const stream = await store.stream(
      `SELECT strftime(s.ts, '%Y-%m-%dT%H:%M:%S.%fZ') AS ts, c.name AS channel, c.unit, s.value ${where} ORDER BY s.ts, c.name`,
    );
    const out = fs.createWriteStream(target);
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
      await conn.run('CREATE TABLE export(ts TIMESTAMP, channel VARCHAR, unit VARCHAR, value DOUBLE)');
      const appender = await conn.createAppender('export');
      const stream = await store.stream(
        `SELECT s.ts, c.name AS channel, c.unit, s.value ${where} ORDER BY s.ts, c.name`,
      );
      try {
        for (let chunk = await stream.next(); chunk && chunk.rowCount > 0; chunk = await stream.next()) {
          appender.appendDataChunk(chunk);
          done += chunk.rowCount;
          report(false);
        }
      } finally {
        stream.close();
      }
      appender.closeSync();
      await conn.run(`COPY export TO ${sqlString(target)} (FORMAT parquet, COMPRESSION zstd)`);
    } finally {
      conn.closeSync();
      sink.closeSync();
      fs.rmSync(spill, { recursive: true, force: true });
    }
  }
  report(true);
  return done;
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
