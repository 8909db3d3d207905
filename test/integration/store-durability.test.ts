// What survives a crash, a damaged write-ahead log, a log that needs more memory than the limit to
// replay, and a full disk — on real workspaces and real processes:
// - kill -9 of `opsdeck serve` during heavy ingest: every row a query saw before the kill is
//   there after the restart;
// - the log that kill left, cut short mid-entry, with bytes flipped in the middle, or with its
//   header overwritten: the engine opens, keeps the damaged log beside the database and says what
//   it recovered (DuckDB 1.5.5 alone drops the first and third silently and refuses the second);
// - a log holding a DELETE of millions of rows (what retention used to write) does not replay at
//   a 32 MiB limit: the store opens with more, checkpoints, and runs at 32 MiB again;
// - the disk (a small tmpfs) fills up: a notice saying so, rows held and counted, and the store
//   takes rows again once there is space, every row accounted for as stored or lost.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SampleBatch } from '../../electron/engine/batch';
import { Engine } from '../../electron/engine/engine';
import { Store, type StoreNotice } from '../../electron/engine/store/store';
import { migrate } from '../../electron/engine/store/migrations';
import { checkWal } from '../../electron/engine/store/wal';
import { StoreSettings } from '../../shared/schemas';
import { assertBuilt, root, runCli, startServe } from '../helpers/cli';
import { sampleBurst, smallDisk } from '../helpers/small-disk';
import { tempDir, waitFor } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp?.cleanup());

const count = async (engine: Engine, sql: string) => Number((await engine.query(sql)).rows[0]![0]);

/** Rows in a table, as DuckDB counts them (not the store's own count). */
async function countOf(store: Store, table: string): Promise<number> {
  const result = await store.stream(`SELECT count(*)::DOUBLE FROM ${table}`);
  try {
    return (await result.next())!.getColumnValues(0)[0] as number;
  } finally {
    result.close();
  }
}

function copyFolder(from: string, to: string): string {
  fs.cpSync(from, to, { recursive: true });
  fs.rmSync(path.join(to, 'opsdeck.lock'), { force: true });
  return to;
}

/** Opens a copy of a crashed workspace without starting its sources; answers the notices too. */
async function reopen(dir: string): Promise<{ engine: Engine; notices: string[] }> {
  const engine = await Engine.open(dir, { startSources: false });
  return { engine, notices: engine.notices().map((n) => n.message) };
}

describe('kill -9 during heavy ingest, and the write-ahead log it leaves', () => {
  let crashed: string;
  let visibleCount = 0;
  let newest: [number, number, number][] = [];
  let walBytes = 0;

  beforeAll(async () => {
    assertBuilt();
    const dir = path.join(tmp.dir, 'crash');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'opsdeck.json'),
      JSON.stringify({
        version: 1,
        // ~100,000 samples/s; a memory limit whose checkpoint threshold (32 MiB) leaves a log of
        // several MiB behind the kill.
        sources: [{ id: 'rig', kind: 'sim', name: 'Rig', options: { rateMultiplier: 200 } }],
        store: { memoryLimitMb: 512 },
      }),
    );
    const served = await startServe(['serve', '--workspace', dir, '--port', '0']);
    const query = async (sql: string) => {
      const r = await runCli(['query', dir, sql, '--format', 'json', '--max-rows', '2000']);
      if (r.code !== 0) throw new Error(r.stderr);
      return JSON.parse(r.stdout) as Record<string, number>[];
    };
    try {
      await waitFor(
        'heavy ingest under way',
        async () => Number((await query('SELECT count(*) AS n FROM samples'))[0]!.n) > 200_000,
        60_000,
      );
      visibleCount = Number((await query('SELECT count(*) AS n FROM samples'))[0]!.n);
      newest = (
        await query(
          'SELECT epoch_us(ts) AS t, channel_id AS c, value AS v FROM samples ORDER BY ts DESC, channel_id LIMIT 1000',
        )
      ).map((r) => [r.t!, r.c!, r.v!]);
    } finally {
      const exited = new Promise((r) => served.child.once('exit', r));
      served.child.kill('SIGKILL');
      await exited;
    }
    crashed = dir;
    walBytes = fs.statSync(path.join(dir, 'data.duckdb.wal')).size;
    expect(walBytes).toBeGreaterThan(100_000);
    expect(checkWal(path.join(dir, 'data.duckdb.wal'))?.problem).toBeNull();
  }, 120_000);

  it('keeps every row a query saw before the kill', async () => {
    const { engine, notices } = await reopen(copyFolder(crashed, path.join(tmp.dir, 'whole')));
    try {
      expect(await count(engine, 'SELECT count(*) FROM samples')).toBeGreaterThanOrEqual(visibleCount);
      // Each value as text: a literal like -0.69129693715142540 would be read as a DECIMAL.
      const values = newest.map(([t, c, v]) => `(${t}, ${c}, '${v}'::DOUBLE)`).join(',');
      expect(
        await count(
          engine,
          `SELECT count(*) FROM (VALUES ${values}) seen(t, c, v) ANTI JOIN samples s
           ON epoch_us(s.ts) = seen.t AND s.channel_id = seen.c AND s.value = seen.v`,
        ),
      ).toBe(0);
      expect(notices.filter((n) => n.includes('write-ahead log'))).toEqual([]);
    } finally {
      await engine.close();
    }
  });

  /** Rows in the database at the last checkpoint before the kill: the log not replayed at all. */
  async function checkpointedRows(): Promise<number> {
    const dir = copyFolder(crashed, path.join(tmp.dir, `no-wal-${Date.now()}`));
    fs.rmSync(path.join(dir, 'data.duckdb.wal'));
    const { engine } = await reopen(dir);
    try {
      return await count(engine, 'SELECT count(*) FROM samples');
    } finally {
      await engine.close();
    }
  }

  async function openDamaged(name: string, damage: (wal: string) => void) {
    const dir = copyFolder(crashed, path.join(tmp.dir, name));
    const wal = path.join(dir, 'data.duckdb.wal');
    damage(wal);
    const damaged = fs.readFileSync(wal);
    const { engine, notices } = await reopen(dir);
    const kept = fs.readdirSync(dir).filter((f) => /^data\.duckdb\.wal\.corrupt-\d{8}T\d{6}Z$/.test(f));
    const samples = await count(engine, 'SELECT count(*) FROM samples');
    const records = await count(engine, 'SELECT count(*) FROM records');
    await engine.close();
    expect(kept).toHaveLength(1);
    // The damaged log, byte for byte, beside the database.
    expect(fs.readFileSync(path.join(dir, kept[0]!)).equals(damaged)).toBe(true);
    const told = notices.filter((n) => n.includes('write-ahead log'));
    expect(told).toHaveLength(1);
    expect(told[0]).toContain(`kept as ${kept[0]} (${damaged.length} bytes)`);
    expect(told[0]).toContain(`the database holds ${samples} samples, ${records} records`);
    return { told: told[0]!, samples };
  }

  it('keeps a log cut short mid-entry, says so, and has what came before the cut', async () => {
    const { told, samples } = await openDamaged('truncated', (wal) =>
      fs.truncateSync(wal, Math.floor(walBytes * 0.55)),
    );
    expect(told).toMatch(/cut short/);
    expect(samples).toBeGreaterThan(await checkpointedRows());
    expect(samples).toBeLessThan(visibleCount);
  });

  it('opens despite flipped bytes in the middle, with the transactions before them', async () => {
    const { told, samples } = await openDamaged('flipped', (wal) => {
      const bytes = fs.readFileSync(wal);
      for (let i = 0; i < 64; i++) bytes[Math.floor(walBytes / 2) + i]! ^= 0xff;
      fs.writeFileSync(wal, bytes);
    });
    expect(told).toMatch(
      /DuckDB refused to replay it: entry at byte position \d+ computed checksum .*; replayed the \d+ bytes before it/,
    );
    expect(samples).toBeGreaterThan(await checkpointedRows());
    expect(samples).toBeLessThan(visibleCount);
  });

  it('keeps a log whose header was overwritten', async () => {
    const { told } = await openDamaged('header', (wal) => {
      const fd = fs.openSync(wal, 'r+');
      fs.writeSync(fd, Buffer.from('OVERWRIT'), 0, 8, 0);
      fs.closeSync(fd);
    });
    expect(told).toMatch(/does not start with a write-ahead log header/);
  });
});

describe('a write-ahead log that needs more memory than the limit to replay', () => {
  it('opens with more, checkpoints, and runs at the configured limit again', async () => {
    const dir = path.join(tmp.dir, 'big-delete');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'data.duckdb');
    const settings = StoreSettings.parse({ memoryLimitMb: 1024, threads: 1 });
    const store = await Store.open(file, { settings });
    const rows = 5_000_000;
    const channel = store.channelId('feed/x', 'feed', '');
    for (let done = 0; done < rows; done += 100_000) {
      const n = 100_000;
      const batch: SampleBatch = {
        n,
        ts: Float64Array.from({ length: n }, (_, i) => 1.7e12 + (done + i)),
        channel: new Uint32Array(n).fill(channel),
        value: Float64Array.from({ length: n }, (_, i) => i),
      };
      store.appendSamples(batch);
    }
    await store.close();
    // What the retention of earlier versions did: one DELETE of every row, logged and not yet
    // checkpointed when the process died.
    const script = `
      import { DuckDBInstance } from '@duckdb/node-api';
      const db = await DuckDBInstance.create(${JSON.stringify(file)}, { checkpoint_threshold: '100GB', memory_limit: '2GB' });
      const c = await db.connect();
      await c.run('DELETE FROM samples');
      process.kill(process.pid, 'SIGKILL');`;
    await new Promise((resolve) =>
      spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: 'inherit' }).once(
        'exit',
        resolve,
      ),
    );
    expect(fs.statSync(`${file}.wal`).size).toBeGreaterThan(30 * 1024 ** 2);

    const notices: StoreNotice[] = [];
    const small = StoreSettings.parse({ memoryLimitMb: 32, threads: 1 });
    const reopened = await Store.open(file, {
      settings: small,
      onNotice: (n) => notices.push(n),
      maxRecoveryMemoryMb: 1024,
    });
    try {
      expect(notices.map((n) => n.message).join('\n')).toMatch(
        /opening the database needs more than 32 MiB of memory \(.*Out of Memory Error: Failure while replaying WAL.*\); trying 64 MiB[\s\S]*checkpointed it, and reopened at 32 MiB/,
      );
      expect(reopened.memoryLimitMb).toBe(32);
      expect(reopened.storedSamples).toBe(0);
      expect(fs.existsSync(`${file}.wal`) ? fs.statSync(`${file}.wal`).size : 0).toBeLessThan(1024 ** 2);
    } finally {
      await reopened.close();
    }
  }, 120_000);
});

describe('a database that runs out of memory while it works', () => {
  it('reopens with more memory, and every row is stored or counted lost', async () => {
    const dir = path.join(tmp.dir, 'oom');
    fs.mkdirSync(dir);
    const notices: StoreNotice[] = [];
    const store = await Store.open(path.join(dir, 'data.duckdb'), {
      // 4 MiB: far below what a checkpoint under this load needs (bench checkpoint-memory).
      settings: { ...StoreSettings.parse({ threads: 1 }), memoryLimitMb: 4 },
      onNotice: (n) => notices.push(n),
      maxRecoveryMemoryMb: 256,
    });
    try {
      const channel = store.channelId('feed/x', 'feed', '');
      let appended = 0;
      const t0 = Date.now() - 3_600_000;
      const told = (re: RegExp) => notices.some((n) => re.test(n.message));
      await waitFor(
        'out of memory, then back with more',
        async () => {
          const n = 100_000;
          store.appendSamples({
            n,
            ts: Float64Array.from({ length: n }, (_, i) => t0 + (appended + i) / 1000),
            channel: new Uint32Array(n).fill(channel),
            value: Float64Array.from({ length: n }, (_, i) => Math.sin(i)),
          });
          appended += n;
          if (appended % 1_000_000 === 0)
            await store.applyRetention({ maxAgeHours: 0, maxBytes: 1024 ** 2 }, Date.now()).catch(() => 0);
          await new Promise((r) => setTimeout(r, 20));
          return (
            told(/DuckDB ran out of its \d+ MiB; reopening with \d+ MiB/) &&
            store.failed === null &&
            told(/store: database reopened/)
          );
        },
        120_000,
      );
      await store.flush();
      expect(store.memoryLimitMb).toBeGreaterThan(4);
      const stored = await countOf(store, 'samples');
      expect(stored + store.lostRows + store.retentionDropped).toBe(appended);
    } finally {
      await store.close();
    }
  }, 180_000);
});

describe('retention on a store with little memory', () => {
  it('deletes millions of rows in slices that fit in 32 MiB, taking rows all along', async () => {
    const dir = path.join(tmp.dir, 'retention');
    fs.mkdirSync(dir);
    const notices: StoreNotice[] = [];
    const store = await Store.open(path.join(dir, 'data.duckdb'), {
      settings: StoreSettings.parse({ memoryLimitMb: 32, threads: 1 }),
      onNotice: (n) => notices.push(n),
    });
    try {
      const channel = store.channelId('feed/x', 'feed', '');
      const hour = 3_600_000;
      const t0 = Date.now() - 24 * hour;
      const rows = 6_000_000; // a day, one sample every 14.4 ms
      for (let done = 0; done < rows; done += 200_000) {
        const n = 200_000;
        store.appendSamples({
          n,
          ts: Float64Array.from({ length: n }, (_, i) => t0 + ((done + i) * 24 * hour) / rows),
          channel: new Uint32Array(n).fill(channel),
          value: Float64Array.from({ length: n }, (_, i) => Math.sin(i)),
        });
        await store.flush();
      }
      // Keep the last 2 hours: 5.5 M rows to drop, ~6 times what one DELETE may take at 32 MiB.
      expect(store.deleteSliceRows).toBeLessThan(1_000_000);
      const dropped = await store.applyRetention({ maxAgeHours: 2, maxBytes: 0 }, t0 + 24 * hour);
      expect(dropped).toBeGreaterThan(5_400_000);
      expect(store.storedSamples).toBe(rows - dropped);
      expect(store.failed).toBeNull();
      expect(notices.filter((n) => n.level === 'error')).toEqual([]);
    } finally {
      await store.close();
    }
  }, 120_000);
});

describe('retention beside a flood of appends', () => {
  // The soak's failure: the writer always has a transaction open, and rows deleted beside it stay
  // pinned, so retention's slices ran a 128 MiB store on a 2 GiB database out of memory (a failed
  // commit, then a reopen; bench.js soak). Slices now run between the writer's transactions, with
  // what arrives meanwhile held: none of it may be lost, and the trim must fit the smallest limit.
  it('trims a large table at the smallest memory limit with no failed write, reopen or lost row', async () => {
    const dir = path.join(tmp.dir, 'retention-flood');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'data.duckdb');
    const hour = 3_600_000;
    const t0 = Date.now() - 24 * hour;
    const rows = 20_000_000; // a day at ~230 samples/s over 100 channels, written fast with SQL
    {
      const db = await DuckDBInstance.create(file, { memory_limit: '1GB' });
      const c = await db.connect();
      await migrate(c, 'test');
      await c.run(`INSERT INTO sources VALUES (1, 'rig', 'test')`);
      await c.run(`INSERT INTO channels SELECT range + 1, 1, 'rig/ch' || range, '' FROM range(100)`);
      await c.run(
        `INSERT INTO samples SELECT make_timestamp((${t0 * 1000} + range * ${(24 * hour * 1000) / rows})::BIGINT),
           (range % 100 + 1)::UINTEGER, sin(range / 100.0) FROM range(${rows})`,
      );
      await c.run('CHECKPOINT');
      c.closeSync();
      db.closeSync();
    }
    const notices: StoreNotice[] = [];
    const store = await Store.open(file, {
      settings: StoreSettings.parse({ memoryLimitMb: 32, threads: 1 }),
      onNotice: (n) => notices.push(n),
      maxRecoveryMemoryMb: 32, // a raised limit would hide the failure
    });
    let appended = 0;
    const channel = store.channelId('rig/ch0', 'rig', '');
    const flood = setInterval(() => {
      const n = 3_000; // 150,000 samples/s
      store.appendSamples({
        n,
        ts: Float64Array.from({ length: n }, (_, i) => Date.now() + i / 1000),
        channel: new Uint32Array(n).fill(channel),
        value: new Float64Array(n).fill(appended),
      });
      appended += n;
    }, 20);
    try {
      const dropped = await store.applyRetention({ maxAgeHours: 2, maxBytes: 0 }, t0 + 24 * hour);
      clearInterval(flood);
      await store.flush();
      expect(notices.filter((n) => n.level === 'error').map((n) => n.message)).toEqual([]);
      expect(store.reopens).toBe(0);
      expect(store.lostRows).toBe(0);
      expect(dropped).toBeGreaterThan(rows * 0.9);
      expect(appended).toBeGreaterThan(0);
      const counted = await store.read('SELECT count(*)::DOUBLE FROM samples');
      expect(Number(counted[0]![0])).toBe(rows - dropped + appended);
    } finally {
      clearInterval(flood);
      await store.close();
    }
  }, 300_000);
});

describe('closing or reopening the database under a running statement', () => {
  it('answers the statement with an error instead of leaving it unanswered', async () => {
    const dir = path.join(tmp.dir, 'interrupt');
    fs.mkdirSync(dir);
    const store = await Store.open(path.join(dir, 'data.duckdb'), {
      settings: StoreSettings.parse({ threads: 1 }),
    });
    // Seconds of work for an export's stream (DuckDB never answers a statement whose connection
    // closes under it).
    const answer = store.stream('SELECT sum(range) FROM range(3000000000)').then(
      () => 'a result',
      (error: Error) => error.message,
    );
    await new Promise((r) => setTimeout(r, 200));
    await store.close();
    expect(await answer).toMatch(/Interrupt/i);
  });
});

describe('a full disk', () => {
  it('is a clear error; rows are held or counted lost, and the store recovers when space returns', async (ctx) => {
    const disk = smallDisk(tmp.dir, (reason) => ctx.skip(reason));
    let engine: Engine | undefined;
    try {
      engine = await Engine.open(disk.workspace, { flushIntervalMs: 50 });
      const feed = engine.ingestContext('feed', 'bench');
      const channels = Array.from({ length: 8 }, (_, c) => feed.channel(`c${c}`));
      let emitted = 0;
      const emit = () => {
        const burst = sampleBurst(channels, emitted);
        feed.emitSamples(burst);
        emitted += burst.n;
      };
      const noticed = (re: RegExp) => engine!.notices().some((n) => re.test(n.message));
      await waitFor(
        'the disk to fill up',
        async () => {
          for (let i = 0; i < 5; i++) emit();
          await new Promise((r) => setTimeout(r, 60));
          return noticed(/store: writing to the database failed.*No space left on device/);
        },
        120_000,
      );
      const failed = engine.status();
      expect(engine.store.failed).toMatch(/No space left on device/);
      // Rows keep arriving while it is down: held (up to a bound), not stored.
      for (let i = 0; i < 10; i++) emit();
      expect(engine.status().pendingRows).toBeGreaterThan(0);
      expect(engine.status().storedSamples).toBeLessThanOrEqual(failed.storedSamples);

      disk.grow();
      await waitFor(
        'the store to take rows again',
        () => noticed(/store: (database reopened|the database was still usable)/),
        60_000,
      );
      for (let i = 0; i < 5; i++) emit();
      await engine.store.flush();
      const status = engine.status();
      // Every row emitted is either in the database or counted lost. (Whether any is lost depends
      // on where the disk filled: a commit loses its rows, a checkpoint after its commit none.)
      expect(await count(engine, 'SELECT count(*) FROM samples')).toBe(emitted - status.lostRows);
      expect(status.storedSamples).toBe(emitted - status.lostRows);
    } finally {
      await engine?.close();
      disk.unmount();
    }
  }, 180_000);
});
