// Records benchmark: 200-byte JSON log lines with 5 fields, decoded by the engine's FrameDecoder
// (detection settles on the json decoder) and emitted through an ingest context → bus → store
// (DuckDB) and live alerts, against DuckDB's Appender taking the same rows into the same columns,
// in the same run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBDataChunk, type DuckDBType } from '@duckdb/node-api';
import bindings from '@duckdb/node-bindings';
import { FrameDecoder } from '../electron/engine/decode/registry';
import { Engine } from '../electron/engine/engine';
import { openDuckDB, writeMicros } from '../electron/engine/store/duckdb';
import { migrate } from '../electron/engine/store/migrations';
import { StoreSettings } from '../shared/schemas';
import { figure, note } from './report';

const ROWS = 400_000;
/** Lines handed to the bus per emit, as a source flushes what it decoded in one go. */
const EMIT_EVERY = 2048;
const TOPIC = 'site/web/log';

/** ~200 bytes of JSON with 5 string fields (none numeric, so all go to the record's fields). */
function logLine(i: number): string {
  return JSON.stringify({
    host: `web-${i % 8}.plant.local`,
    user: `operator${i % 1000}`,
    path: `/api/v1/lines/${i % 5000}/items`,
    status: i % 50 === 0 ? 'error' : 'ok',
    msg: `GET request for the line status page served in ${i % 97} ms for client 10.0.${i % 255}.${i % 13} (session ${(i * 7919) % 100000})`,
  });
}

function lines(n: number): Uint8Array[] {
  const enc = new TextEncoder();
  return Array.from({ length: n }, (_, i) => enc.encode(logLine(i)));
}

function tempWorkspace(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'opsdeck-bench-'));
}

/**
 * Raw DuckDB Appender, no engine, the same rows into the records table. `prebuilt`: every data
 * chunk is built before the clock starts (DuckDB alone, as `ingest.baseline.raw_appender`); else
 * the clock includes filling the chunks from JS column arrays already in hand (times, ids, and
 * strings with fields already JSON text): the least any JS program pays to put these rows in.
 */
async function rawAppenderRate(payloads: Uint8Array[], prebuilt: boolean): Promise<number> {
  const dir = tempWorkspace();
  try {
    const instance = await openDuckDB(path.join(dir, 'raw.duckdb'), StoreSettings.parse({}));
    const conn = await instance.connect();
    await migrate(conn, 'bench');
    const appender = await conn.createAppender('records');
    const types: DuckDBType[] = Array.from({ length: appender.columnCount }, (_, i) =>
      appender.columnType(i),
    );
    const dec = new TextDecoder();
    const start = Date.now() - 3_600_000;
    const n = payloads.length;
    const ms = Float64Array.from({ length: n }, (_, i) => start + i);
    const sourceIds = new Uint32Array(n).fill(1);
    const severity = new Array<string>(n).fill('info');
    const message = new Array<string>(n).fill(TOPIC);
    const fields = payloads.map((p) => dec.decode(p));
    const build = (off: number): DuckDBDataChunk => {
      const k = Math.min(2048, n - off);
      const chunk = DuckDBDataChunk.create(types, k);
      const micros = new BigInt64Array(k);
      writeMicros(micros, ms, off, k);
      const ids = sourceIds.subarray(off, off + k);
      for (const [c, col] of [
        [0, micros],
        [1, micros],
        [2, ids],
      ] as const)
        bindings.copy_data_to_vector(
          bindings.data_chunk_get_vector(chunk.chunk, c),
          0,
          col.buffer as ArrayBuffer,
          col.byteOffset,
          col.byteLength,
        );
      chunk.setColumnValues(3, severity.slice(off, off + k));
      chunk.setColumnValues(4, message.slice(off, off + k));
      chunk.setColumnValues(5, fields.slice(off, off + k));
      // origin and line (migration 4): NULL, as for a live source.
      chunk.setColumnValues(6, new Array<null>(k).fill(null));
      chunk.setColumnValues(7, new Array<null>(k).fill(null));
      return chunk;
    };
    const chunks: DuckDBDataChunk[] = [];
    if (prebuilt) for (let off = 0; off < n; off += 2048) chunks.push(build(off));
    const started = performance.now();
    if (prebuilt) for (const chunk of chunks) appender.appendDataChunk(chunk);
    else for (let off = 0; off < n; off += 2048) appender.appendDataChunk(build(off));
    appender.flushSync();
    const seconds = (performance.now() - started) / 1000;
    appender.closeSync();
    conn.closeSync();
    instance.closeSync();
    return n / seconds;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The engine path: frames → FrameDecoder (json) → ingest context → bus → store and alerts.
 * `predecoded`: the frames are decoded into batches before the clock starts, so the figure is
 * the records path alone (bus, store, DuckDB), without JSON parsing.
 */
async function engineRate(payloads: Uint8Array[], predecoded = false): Promise<number> {
  const dir = tempWorkspace();
  try {
    const engine = await Engine.open(dir, { startSources: false, retentionIntervalMs: 3_600_000 });
    const ctx = engine.ingestContext('bench', 'mqtt');
    const decoder = new FrameDecoder(ctx.sourceId, {
      channel: (p, unit) => ctx.channel(p, unit),
      quarantine: (raw, reason, where) => ctx.quarantine(raw, reason, where),
    });
    const rx = Date.now();
    const decoded: ReturnType<FrameDecoder['take']>[] = [];
    const decode = async (emit: (d: ReturnType<FrameDecoder['take']>) => Promise<void>) => {
      for (let i = 0; i < payloads.length; i++) {
        decoder.push({ rx: rx + i / 1000, key: TOPIC, bytes: payloads[i]! });
        if ((i + 1) % EMIT_EVERY === 0 || i === payloads.length - 1) await emit(decoder.take());
      }
    };
    const emit = async ({ samples, records }: ReturnType<FrameDecoder['take']>) => {
      await ctx.emitSamples(samples);
      await ctx.emitRecords(records);
    };
    if (predecoded) await decode(async (d) => void decoded.push(d));
    await engine.store.flush();
    const started = performance.now();
    if (predecoded) for (const d of decoded) await emit(d);
    else await decode(emit);
    await engine.store.flush();
    const seconds = (performance.now() - started) / 1000;
    const stored = await engine.query(
      `SELECT count(*), count(fields->>'msg') FROM records WHERE message = '${TOPIC}'`,
    );
    if (Number(stored.rows[0]![0]) !== payloads.length || Number(stored.rows[0]![1]) !== payloads.length)
      throw new Error(`engine stored ${JSON.stringify(stored.rows[0])} of ${payloads.length} records`);
    await engine.close();
    return payloads.length / seconds;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchRecords(): Promise<void> {
  const payloads = lines(ROWS);
  const bytes = payloads.reduce((s, p) => s + p.length, 0) / payloads.length;
  note(`records: ${ROWS} JSON log lines of ${bytes.toFixed(0)} bytes with 5 fields`);
  // Warm every path once, then measure each twice, alternating, and keep the best.
  await rawAppenderRate(payloads.slice(0, 50_000), false);
  await rawAppenderRate(payloads.slice(0, 50_000), true);
  await engineRate(payloads.slice(0, 50_000));
  let raw = 0;
  let prebuilt = 0;
  let engine = 0;
  let store = 0;
  for (let round = 0; round < 2; round++) {
    raw = Math.max(raw, await rawAppenderRate(payloads, false));
    prebuilt = Math.max(prebuilt, await rawAppenderRate(payloads, true));
    engine = Math.max(engine, await engineRate(payloads));
    store = Math.max(store, await engineRate(payloads, true));
  }
  figure('records.engine', engine, 'records/s');
  figure('records.baseline.raw_appender', raw, 'records/s');
  figure('records.baseline.raw_appender_prebuilt_chunks', prebuilt, 'records/s');
  figure('records.ratio', engine / raw, '(target ≥ 0.6)');
  figure('records.ratio_vs_prebuilt_chunks', engine / prebuilt, '');
  figure('records.store_path', store, 'records/s (decoded before the clock)');
  figure('records.store_path.ratio', store / raw, '');
}
