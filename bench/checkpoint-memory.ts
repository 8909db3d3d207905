// How much memory DuckDB needs to open a workspace and checkpoint it, measured rather than guessed:
// `store.memoryLimitMb` (default and floor) is set from these figures.
//
// For a workspace holding `--hours` (24) of samples at each of `--rates` samples/s (50 channels,
// the engine's schema), the smallest memory_limit (MiB, the engine's own DuckDB configuration)
// at which:
//   open_checkpoint         the database opens and checkpoints a write-ahead log of appended rows
//                           (WAL_MB, four times the checkpoint threshold at the default limit):
//                           what a kill or a failed checkpoint leaves behind
//   retention_slice         one retention DELETE of Store.deleteSliceRows rows at that limit
//                           commits and checkpoints (the slice shrinks with the limit)
//   replay_unsliced_delete  a log holding one DELETE of the oldest 10% (retention before it
//                           deleted in slices) replays and checkpoints: it grows with the table
//   store_flood_retention   the engine's Store itself takes FLOOD_RATE samples/s for FLOOD_SECONDS
//                           while size retention drops the oldest 10% and checkpoints, with no
//                           failed write, no reopen and no lost row: the operations above at once
// Each attempt runs in a process of its own on a fresh copy of the files (a failed checkpoint
// invalidates the database), in /dev/shm when there is one so the copies cost no disk writes.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBDataChunk, DuckDBInstance, DOUBLE, TIMESTAMP, UINTEGER } from '@duckdb/node-api';
import bindings from '@duckdb/node-bindings';
import { openDuckDB } from '../electron/engine/store/duckdb';
import { Store } from '../electron/engine/store/store';
import { migrate } from '../electron/engine/store/migrations';
import { StoreSettings } from '../shared/schemas';
import { figure, note } from './report';

const CHANNELS = 50;
const WAL_MB = 16;
const LOW_MB = 4;
const HIGH_MB = 4096;
const DEFAULT_LIMIT_MB = StoreSettings.parse({}).memoryLimitMb;

type Scenario = 'open_checkpoint' | 'retention_slice' | 'replay_unsliced_delete' | 'store_flood_retention';

const FLOOD_RATE = 200_000;
const FLOOD_SECONDS = 10;

interface Attempt {
  scenario: Scenario;
  /** Folder holding data.duckdb (and data.duckdb.wal) to copy. */
  from: string;
  limitMb: number;
  rate: number;
}

function scratchRoot(): string {
  const shm = '/dev/shm';
  const base = fs.existsSync(shm) && fs.statfsSync(shm).bavail * fs.statfsSync(shm).bsize > 8 * 1024 ** 3;
  return fs.mkdtempSync(path.join(base ? shm : os.tmpdir(), 'opsdeck-ckpt-'));
}

const T0_US = 1_700_000_000_000_000;

/**
 * A database of `hours` of samples at `rate`/s over CHANNELS channels of a source "rig" (the
 * engine's schema), from `startUs` on, checkpointed. Answers the number of rows.
 */
export async function buildWorkspace(
  dir: string,
  rate: number,
  hours: number,
  startUs = T0_US,
): Promise<number> {
  fs.mkdirSync(dir, { recursive: true });
  const db = await DuckDBInstance.create(path.join(dir, 'data.duckdb'), { memory_limit: '2GB' });
  const c = await db.connect();
  await migrate(c, 'bench');
  await c.run(`INSERT INTO sources VALUES (1, 'rig', 'bench')`);
  await c.run(`INSERT INTO channels SELECT range + 1, 1, 'rig/ch' || range, '' FROM range(${CHANNELS})`);
  const perHour = rate * 3600;
  const stepUs = 1e6 / rate;
  for (let h = 0; h < hours; h++) {
    await c.run(
      `INSERT INTO samples SELECT make_timestamp((${startUs} + (${h * perHour} + range) * ${stepUs})::BIGINT),
         (range % ${CHANNELS} + 1)::UINTEGER, sin(range / 100.0) * 10 + random() FROM range(${perHour})`,
    );
  }
  await c.run('CHECKPOINT');
  c.closeSync();
  db.closeSync();
  return perHour * hours;
}

/** Runs `script` in a node process that kills itself (-9) at the end: its log stays behind. */
async function leaveLog(script: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [process.argv[1]!, 'checkpoint-memory-log', script], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', () => resolve());
  });
}

/** `bench.js checkpoint-memory-log <json>`: writes the log a scenario starts from, then dies. */
export async function checkpointMemoryLogMain(args: string[]): Promise<void> {
  const spec = JSON.parse(args[0] ?? '{}') as { file: string; kind: 'append' | 'delete'; rate: number };
  const db = await DuckDBInstance.create(spec.file, { memory_limit: '4GB', checkpoint_threshold: '100GB' });
  const c = await db.connect();
  if (spec.kind === 'delete') {
    await c.run(`DELETE FROM samples WHERE ts < (SELECT quantile_disc(ts, 0.1) FROM samples)`);
  } else {
    // As the store appends: 2,048-row chunks, flushed every 10 chunks, until the log is WAL_MB.
    const max = (
      await c.runAndReadAll('SELECT epoch_us(max(ts))::DOUBLE FROM samples')
    ).getRows()[0]![0] as number;
    const appender = await c.createAppender('samples');
    const chunk = DuckDBDataChunk.create([TIMESTAMP, UINTEGER, DOUBLE], 2048);
    const ts = new BigInt64Array(2048);
    const channel = new Uint32Array(2048);
    const value = new Float64Array(2048);
    for (let n = 0; ; n += 2048) {
      for (let i = 0; i < 2048; i++) {
        ts[i] = BigInt(Math.round(max + ((n + i + 1) * 1e6) / spec.rate));
        channel[i] = ((n + i) % CHANNELS) + 1;
        value[i] = Math.sin((n + i) / 100);
      }
      [ts, channel, value].forEach((col, k) =>
        bindings.copy_data_to_vector(
          bindings.data_chunk_get_vector(chunk.chunk, k),
          0,
          col.buffer as ArrayBuffer,
          0,
          col.byteLength,
        ),
      );
      appender.appendDataChunk(chunk);
      if ((n / 2048) % 10 === 9) {
        appender.flushSync();
        if (fs.statSync(`${spec.file}.wal`).size >= WAL_MB * 1024 ** 2) break;
      }
    }
  }
  process.kill(process.pid, 'SIGKILL');
}

/** `bench.js checkpoint-memory-attempt <json>`: one try at one limit; prints {"ok":…}. */
export async function checkpointMemoryAttemptMain(args: string[]): Promise<void> {
  const attempt = JSON.parse(args[0] ?? '{}') as Attempt;
  const work = fs.mkdtempSync(path.join(path.dirname(attempt.from), 'try-'));
  let result: { ok: boolean; error?: string };
  try {
    for (const f of ['data.duckdb', 'data.duckdb.wal'])
      if (fs.existsSync(path.join(attempt.from, f)))
        fs.copyFileSync(path.join(attempt.from, f), path.join(work, f));
    if (attempt.scenario === 'store_flood_retention') {
      await floodWithRetention(path.join(work, 'data.duckdb'), attempt.limitMb);
      process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
      return;
    }
    const settings = { memoryLimitMb: attempt.limitMb, threads: 0 };
    const db = await openDuckDB(path.join(work, 'data.duckdb'), settings); // spills beside it, as the engine's
    const c = await db.connect();
    if (attempt.scenario === 'retention_slice') {
      // Store.deleteSliceRows at this limit, as a time range at this rate.
      const rows = Math.max(10_000, Math.floor((attempt.limitMb * 1024 ** 2) / 36));
      await c.run(
        `DELETE FROM samples WHERE ts < make_timestamp(${T0_US + Math.round((rows * 1e6) / attempt.rate)}::BIGINT)`,
      );
    }
    await c.run('CHECKPOINT');
    c.closeSync();
    db.closeSync();
    result = { ok: true };
  } catch (error) {
    result = { ok: false, error: (error as Error).message.split('\n')[0] };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Throws if the store fails a write, reopens or loses a row while flooded and trimmed. */
async function floodWithRetention(file: string, limitMb: number): Promise<void> {
  const errors: string[] = [];
  const store = await Store.open(file, {
    settings: { ...StoreSettings.parse({}), memoryLimitMb: limitMb }, // below the schema's floor too
    onNotice: (n) => {
      if (n.level === 'error') errors.push(n.message);
    },
    maxRecoveryMemoryMb: limitMb, // a raised limit would hide the need being measured
  });
  try {
    const bytes = await store.databaseBytes();
    const ids = Array.from({ length: CHANNELS }, (_, c) => store.channelId(`rig/ch${c}`, 'rig', ''));
    const perTick = FLOOD_RATE / 10;
    let sent = 0;
    const t0 = Date.now();
    const flood = setInterval(() => {
      store.appendSamples({
        n: perTick,
        ts: Float64Array.from({ length: perTick }, (_, i) => t0 + (sent + i) / (FLOOD_RATE / 1000)),
        channel: Uint32Array.from({ length: perTick }, (_, i) => ids[i % CHANNELS]!),
        value: Float64Array.from({ length: perTick }, (_, i) => Math.sin(i)),
      });
      sent += perTick;
    }, 100);
    const retention = store
      .applyRetention({ maxAgeHours: 0, maxBytes: Math.floor(bytes * 0.95) }, t0)
      .catch((error: Error) => errors.push(`retention: ${error.message.split('\n')[0]}`));
    await new Promise((r) => setTimeout(r, FLOOD_SECONDS * 1000));
    clearInterval(flood);
    await retention;
    await store.flush();
    if (store.lostRows > 0 || store.reopens > 0 || errors.length > 0)
      throw new Error(errors[0] ?? `lost ${store.lostRows} rows, reopened ${store.reopens} times`);
  } finally {
    await store.close();
  }
}

function tryLimit(attempt: Attempt): { ok: boolean; error?: string } {
  try {
    const out = execFileSync(
      process.execPath,
      [process.argv[1]!, 'checkpoint-memory-attempt', JSON.stringify(attempt)],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 },
    );
    return JSON.parse(out.trim().split('\n').pop()!) as { ok: boolean; error?: string };
  } catch (error) {
    return { ok: false, error: `the attempt did not finish: ${(error as Error).message.split('\n')[0]}` };
  }
}

/** The smallest limit (MiB) at which the scenario works, to within 5% (bisection on powers). */
function smallestLimit(base: Omit<Attempt, 'limitMb'>): { mb: number; lastError: string } {
  let lastError = '';
  const at = (limitMb: number) => {
    const r = tryLimit({ ...base, limitMb });
    if (!r.ok) lastError = r.error ?? '';
    return r.ok;
  };
  if (!at(HIGH_MB)) return { mb: Infinity, lastError };
  if (at(LOW_MB)) return { mb: LOW_MB, lastError: `works at ${LOW_MB} MiB, the lowest tried` };
  let lo = LOW_MB; // fails
  let hi = HIGH_MB; // works
  while (hi - lo > Math.max(1, lo * 0.05)) {
    const mid = Math.round((lo + hi) / 2);
    if (at(mid)) hi = mid;
    else lo = mid;
  }
  return { mb: hi, lastError };
}

export const CHECKPOINT_SCENARIOS: readonly Scenario[] = [
  'open_checkpoint',
  'retention_slice',
  'replay_unsliced_delete',
  'store_flood_retention',
];

export async function benchCheckpointMemory(
  rates: number[],
  hours: number,
  only: readonly string[] = CHECKPOINT_SCENARIOS,
): Promise<void> {
  const root = scratchRoot();
  note(`checkpoint-memory: working in ${root}`);
  let worstBounded = 0;
  try {
    for (const rate of rates) {
      const base = path.join(root, `rate-${rate}`);
      const started = performance.now();
      const rows = await buildWorkspace(path.join(base, 'base'), rate, hours);
      const bytes = fs.statSync(path.join(base, 'base', 'data.duckdb')).size;
      note(
        `rate ${rate}/s: ${rows} rows, ${(bytes / 1024 ** 2).toFixed(0)} MiB built in ${((performance.now() - started) / 1000).toFixed(0)} s`,
      );
      figure(`checkpoint_memory.rate_${rate}.rows`, rows, 'rows');
      figure(`checkpoint_memory.rate_${rate}.file`, bytes / 1024 ** 2, 'MiB');

      const withLog = async (name: string, kind: 'append' | 'delete') => {
        const dir = path.join(base, name);
        fs.mkdirSync(dir);
        fs.copyFileSync(path.join(base, 'base', 'data.duckdb'), path.join(dir, 'data.duckdb'));
        await leaveLog(JSON.stringify({ file: path.join(dir, 'data.duckdb'), kind, rate }));
        const wal = path.join(dir, 'data.duckdb.wal');
        figure(
          `checkpoint_memory.rate_${rate}.${name}.wal`,
          fs.existsSync(wal) ? fs.statSync(wal).size / 1024 ** 2 : 0,
          'MiB',
        );
        return dir;
      };
      const from = async (scenario: Scenario) =>
        scenario === 'open_checkpoint'
          ? withLog('appended', 'append')
          : scenario === 'replay_unsliced_delete'
            ? withLog('deleted', 'delete')
            : path.join(base, 'base');
      for (const scenario of CHECKPOINT_SCENARIOS.filter((s) => only.includes(s))) {
        const { mb, lastError } = smallestLimit({ scenario, from: await from(scenario), rate });
        figure(`checkpoint_memory.rate_${rate}.${scenario}`, mb, `MiB (smallest memory_limit that works)`);
        if (lastError) note(`${scenario} at rate ${rate}: below that, ${lastError}`);
        if (scenario !== 'replay_unsliced_delete') worstBounded = Math.max(worstBounded, mb);
      }
      fs.rmSync(base, { recursive: true, force: true });
    }
    figure('checkpoint_memory.bounded_worst', worstBounded, 'MiB (all but replay_unsliced_delete)');
    figure('checkpoint_memory.baseline.default_limit', DEFAULT_LIMIT_MB, 'MiB');
    figure(
      'checkpoint_memory.ratio',
      DEFAULT_LIMIT_MB / worstBounded,
      '(default over the worst need: the margin)',
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
