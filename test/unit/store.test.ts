import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  RecordBatchBuilder,
  recordBatch,
  removeRecords,
  SampleBatchBuilder,
  sliceRecords,
} from '../../electron/engine/batch';
import { openDuckDB } from '../../electron/engine/store/duckdb';
import { flushDue, Store, type StoreNotice } from '../../electron/engine/store/store';
import { StoreSettings } from '../../shared/schemas';
import { tempDir } from '../helpers/tmp';

const settings = StoreSettings.parse({ memoryLimitMb: 256, threads: 1 });
const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);

describe('store', () => {
  const open: Store[] = [];
  const dirs: (() => void)[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    for (const d of dirs.splice(0)) d();
  });
  async function fresh(notices: StoreNotice[] = []) {
    const tmp = tempDir();
    dirs.push(tmp.cleanup);
    const file = path.join(tmp.dir, 'data.duckdb');
    const store = await Store.open(file, {
      settings,
      flushIntervalMs: 60_000,
      onNotice: (n) => notices.push(n),
    });
    open.push(store);
    return { store, file, dir: tmp.dir };
  }

  function ramp(store: Store, channel: number, n: number, stepMs: number, t0 = T0) {
    const b = new SampleBatchBuilder(n);
    for (let i = 0; i < n; i++) b.push(t0 + i * stepMs, channel, i % 1000);
    store.appendSamples(b.take());
  }

  it('appends samples in full and partial chunks and reads them back exactly', async () => {
    const { store } = await fresh();
    const ch = store.channelId('rig/a', 'rig', 'V');
    const b = new SampleBatchBuilder();
    // 5,000 rows: two full 2,048-row chunks and a partial one; sub-millisecond times survive.
    for (let i = 0; i < 5000; i++) b.push(T0 + i * 0.25, ch, i / 3);
    store.appendSamples(b.take());
    await store.flush();
    const r = await store.query({
      sql: `SELECT count(*)::INT, min(value), max(value), epoch_us(min(ts))::DOUBLE, epoch_us(max(ts))::DOUBLE FROM samples_v WHERE channel = 'rig/a' AND unit = 'V'`,
      maxRows: 10,
    });
    expect(r.rows[0]).toEqual([5000, 0, 4999 / 3, T0 * 1000, (T0 + 4999 * 0.25) * 1000]);
  });

  it('settles a ticket only once its rows are committed, with the position saved beside them', async () => {
    const { store } = await fresh();
    const channel = store.channelId('s/a', 's', '');
    store.flushDelayMsForTests = 100;
    ramp(store, channel, 5_000, 1);
    store.appendPosition({ source: 's', key: 'offset', value: '{"offset":5000}' });
    let durable = false;
    const ticket = store.ticket().then(() => (durable = true));
    const flushing = store.flush();
    await new Promise((r) => setTimeout(r, 20));
    // Rows that arrive while the flush is under way go with the next flush.
    ramp(store, channel, 10, 1, T0 + 10_000);
    const late = store.ticket();
    await new Promise((r) => setTimeout(r, 40));
    expect(durable).toBe(false);
    await flushing;
    await ticket;
    expect(durable).toBe(true);
    expect(await store.read('SELECT count(*)::DOUBLE FROM samples')).toEqual([[5_000]]);
    expect(await store.positions('s')).toEqual(new Map([['offset', '{"offset":5000}']]));
    store.flushDelayMsForTests = 0;
    await store.flush();
    await late;
    expect(await store.read('SELECT count(*)::DOUBLE FROM samples')).toEqual([[5_010]]);
  });

  function records(n: number, from: number, message: (i: number) => string) {
    const b = new RecordBatchBuilder();
    for (let i = from; i < from + n; i++) b.push(T0 + i, T0 + i, 'rig', 'info', message(i), `{"i":${i}}`);
    return b.take();
  }
  const storedIndexes = async (store: Store) =>
    (await store.read(`SELECT (fields->>'i')::INT FROM records ORDER BY ts`)).map((r) => r[0]);

  it('keeps records arriving during a flush for the next one, across chunks, in order', async () => {
    const { store } = await fresh();
    store.flushDelayMsForTests = 100;
    store.appendRecords(records(3_000, 0, (i) => `m${i}`));
    const first = store.ticket();
    const flushing = store.flush();
    await new Promise((r) => setTimeout(r, 20));
    // Two full chunks and a partial one, short and long messages, while the flush runs.
    store.appendRecords(records(5_000, 3_000, (i) => (i % 3 ? `m${i}` : `a longer message ${i}`)));
    const late = store.ticket();
    await flushing;
    await first;
    expect(await storedIndexes(store)).toEqual(Array.from({ length: 3_000 }, (_, i) => i));
    store.flushDelayMsForTests = 0;
    await store.flush();
    await late;
    expect(await storedIndexes(store)).toEqual(Array.from({ length: 8_000 }, (_, i) => i));
    const messageOf = (i: number) => (i < 3_000 || i % 3 ? `m${i}` : `a longer message ${i}`);
    expect((await store.read(`SELECT message FROM records ORDER BY ts`)).map((r) => r[0])).toEqual(
      Array.from({ length: 8_000 }, (_, i) => messageOf(i)),
    );
    expect(store.storedRecords).toBe(8_000);
  });

  it('commits a row group of records straight into the file; a smaller commit goes through the log', async () => {
    const { store, file } = await fresh();
    const logBytes = () => (fs.existsSync(`${file}.wal`) ? fs.statSync(`${file}.wal`).size : 0);
    const before = logBytes();
    store.appendRecords(records(130_000, 0, (i) => `m${i}`));
    await store.flush();
    const direct = logBytes() - before;
    store.appendRecords(records(20_000, 130_000, (i) => `m${i}`));
    await store.flush();
    const logged = logBytes() - before - direct;
    // What flushDue gathers for: DuckDB logs only where the 130,000 rows are, but 20,000 whole.
    expect(logged).toBeGreaterThan(20_000 * 16); // at least their two timestamps each
    expect(direct).toBeLessThan(logged / 4);
    expect(await storedIndexes(store)).toEqual(Array.from({ length: 150_000 }, (_, i) => i));
  });

  it('commits a slow stream at every tick, and gathers a fast one to a row group per table while it flows, a second at most', () => {
    // Slower than a row group a second: now.
    expect(flushDue(1_000, 0, 100, true)).toBe(true);
    expect(flushDue(0, 2_000, 100, true)).toBe(true);
    expect(flushDue(12_287, 0, 100, true)).toBe(true);
    // Faster: not yet, in either table, not even at exactly a row group a second.
    expect(flushDue(12_288, 0, 100, true)).toBe(false);
    expect(flushDue(50_000, 0, 100, true)).toBe(false);
    expect(flushDue(0, 50_000, 100, true)).toBe(false);
    // One table at a row group and the other not: its rows would still go through the log.
    expect(flushDue(61_440, 122_880, 300, true)).toBe(false);
    // Every table that has rows at a row group.
    expect(flushDue(122_880, 245_760, 400, true)).toBe(true);
    expect(flushDue(0, 122_880, 150, true)).toBe(true);
    // A second at most, whatever gathered.
    expect(flushDue(100_000, 200_000, 999, true)).toBe(false);
    expect(flushDue(100_000, 200_000, 1_000, true)).toBe(true);
    // The stream stopped (no row since the last tick): nothing more to gather for.
    expect(flushDue(50_000, 100_000, 300, false)).toBe(true);
  });

  it('holds records that arrived during a flush that failed, and stores them once it recovers', async () => {
    const notices: StoreNotice[] = [];
    const { store } = await fresh(notices);
    store.flushDelayMsForTests = 100;
    store.appendRecords(records(3_000, 0, (i) => `m${i}`));
    const lostTicket = store.ticket();
    // The flush fails after its delay (as a full disk would): its 3,000 rows are lost.
    const samples = (store as unknown as { samples: { flush(): void } }).samples;
    samples.flush = () => {
      throw new Error('IO Error: No space left on device (injected)');
    };
    const flushing = store.flush();
    await new Promise((r) => setTimeout(r, 20));
    store.appendRecords(records(5_000, 3_000, (i) => `m${i}`));
    const heldTicket = store.ticket();
    await flushing;
    await expect(lostTicket).rejects.toThrow(/No space left on device/);
    store.flushDelayMsForTests = 0;
    for (let i = 0; i < 100 && !notices.some((n) => /still usable/.test(n.message)); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(store.failed).toBeNull();
    await store.flush();
    await heldTicket;
    expect(await storedIndexes(store)).toEqual(Array.from({ length: 5_000 }, (_, i) => 3_000 + i));
    expect([store.storedRecords, store.lostRows]).toEqual([5_000, 3_000]);
  });

  it('stores each record’s origin and line, NULL where a batch has none, across chunk bounds', async () => {
    const { store } = await fresh();
    const b = new RecordBatchBuilder(4);
    // 5,000 rows (three chunks): the first without provenance, the rest from a file, every 7th lineless.
    b.push(T0, T0, 'cap', 'info', 'before', null);
    for (let i = 1; i < 5000; i++)
      b.push(T0 + i, T0, 'cap', 'info', `m${i}`, null, '/evidence/a.log', i % 7 === 0 ? NaN : i + 1);
    const batch = b.take();
    // Slicing and removing keep provenance aligned with the rows.
    const copy = sliceRecords(batch, 0, batch.n);
    removeRecords(copy, 1, 3);
    expect([copy.message[1], copy.origin?.[1], copy.line?.[1]]).toEqual(['m3', '/evidence/a.log', 4]);
    store.appendRecords(batch);
    store.appendRecords(
      recordBatch([{ ts: T0, rx: T0, source: 'live', severity: 'info', message: 'x', fields: null }]),
    );
    await store.flush();
    const r = await store.query({
      sql: `SELECT count(*)::INT, count(origin)::INT, count(line)::INT, max(line)::INT,
              count(*) FILTER (WHERE origin = '/evidence/a.log' AND line = TRY_CAST(substr(message, 2) AS INT) + 1)::INT
            FROM records_v`,
      maxRows: 10,
    });
    const lineless = Math.floor(4999 / 7);
    expect(r.rows[0]).toEqual([5001, 4999, 4999 - lineless, 5000, 4999 - lineless]);
  });

  it('counts a failed write and tells what failed', async () => {
    const notices: StoreNotice[] = [];
    const { store } = await fresh(notices);
    await expect(store.write('INSERT INTO no_such_table VALUES ($1)', [1], 'an audit entry')).rejects.toThrow(
      /no_such_table/,
    );
    expect(store.failedWrites).toBe(1);
    expect(notices.at(-1)).toMatchObject({
      level: 'error',
      message: expect.stringMatching(/^store: writing an audit entry failed: .*no_such_table/),
    });
  });

  it('stores records and quarantine byte for byte', async () => {
    const { store } = await fresh();
    store.appendRecords(
      recordBatch([
        {
          ts: T0,
          rx: T0 + 5,
          source: 'rig',
          severity: 'error',
          message: 'pump: overcurrent',
          fields: { motor: 2 },
        },
      ]),
    );
    const raw = new Uint8Array([0, 255, 10, 13, 0xc3]);
    store.appendQuarantine({ rx: T0, source: 'rig', reason: 'not valid UTF-8', where: 'lab/x', raw });
    await store.flush();
    const rec = await store.query({
      sql: `SELECT source, severity, message, fields->>'motor', epoch_ms(rx) - epoch_ms(ts) FROM records_v`,
      maxRows: 10,
    });
    expect(rec.rows).toEqual([['rig', 'error', 'pump: overcurrent', '2', 5]]);
    const q = await store.query({ sql: `SELECT reason, "where", hex(raw) FROM quarantine`, maxRows: 10 });
    expect(q.rows).toEqual([['not valid UTF-8', 'lab/x', '00FF0A0DC3']]);
  });

  it('stores every message as it came: short ones staged inline, longer ones, non-ASCII and empty, over chunks', async () => {
    const { store } = await fresh();
    // 12 UTF-8 bytes fit DuckDB's inline string; 13 do not; 'é' is 2 bytes, '😀' 4 (a surrogate
    // pair); a lone surrogate becomes U+FFFD as it did through DuckDB's own string call.
    const kinds = [
      '',
      'bench',
      '123456789012',
      '1234567890123',
      'ééééé12',
      'éééééé1',
      '😀😀😀',
      'a😀😀😀',
      'x\uD800',
    ];
    const expected = (m: string) => (m === 'x\uD800' ? 'x\uFFFD' : m);
    const b = new RecordBatchBuilder();
    // 5,000 rows: runs of one message (the staged string reused) and changes from row to row, over
    // two full chunks and a partial one, long and short mixed in each.
    const messageOf = (i: number) =>
      i < 2500 ? kinds[Math.floor(i / 300) % kinds.length]! : kinds[i % kinds.length]!;
    for (let i = 0; i < 5000; i++) b.push(T0 + i, T0 + i, 'rig', 'info', messageOf(i), null);
    store.appendRecords(b.take());
    await store.flush();
    const rows = await store.read(`SELECT message FROM records ORDER BY ts`);
    expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 5000 }, (_, i) => expected(messageOf(i))));
    const lengths = await store.read(
      `SELECT octet_length(message::BLOB)::INT FROM records WHERE message = '123456789012'`,
    );
    expect(lengths[0]).toEqual([12]);
  });

  it('answers any range with at most maxPoints buckets, with the true min and max', async () => {
    const { store } = await fresh();
    const a = store.channelId('rig/a', 'rig', '');
    const b = store.channelId('rig/b', 'rig', '');
    ramp(store, a, 100_000, 1); // 100 s at 1 kHz, values 0..999 repeating
    ramp(store, b, 100, 1000);
    await store.flush();
    const s = await store.series([a, b], T0, T0 + 100_000, 250);
    const sa = s.channels.find((c) => c.id === a)!;
    expect(sa.t.length).toBeLessThanOrEqual(250);
    expect(sa.t.length).toBeGreaterThan(240);
    expect(s.bucketMs).toBe(400);
    expect(sa.t[0]).toBe(T0);
    // Bucket k holds samples k*400 .. k*400+399, values i % 1000.
    expect([sa.min[0], sa.max[0]]).toEqual([0, 399]);
    expect([sa.min[2], sa.max[2]]).toEqual([0, 999]);
    expect(s.channels.find((c) => c.id === b)!.t.length).toBe(100);
    await expect(store.series([a], T0, T0, 10)).rejects.toThrow(/must be after/);
    // A range with no data answers empty channels, not an error.
    const empty = await store.series([a, b], T0 - 10_000, T0 - 5_000, 100);
    const none = new Float64Array(0);
    expect(empty.channels).toEqual([
      { id: a, t: none, min: none, max: none },
      { id: b, t: none, min: none, max: none },
    ]);
  });

  it('refuses SQL that writes, reads files, attaches or loads extensions', async () => {
    const { store, dir } = await fresh();
    const out = path.join(dir, 'leak.csv');
    const refused: [string, RegExp][] = [
      [`COPY samples TO '${out}'`, /only reads|disabled by configuration/],
      [`SELECT * FROM read_csv('/etc/passwd')`, /table function read_csv\(\)/],
      [`ATTACH '${path.join(dir, 'other.duckdb')}' AS other`, /only reads|disabled by configuration/],
      [`INSTALL httpfs`, /only reads|disabled/],
      [`LOAD httpfs`, /only reads|disabled/],
      [`SET enable_external_access = true`, /only reads|locked/],
      [`DELETE FROM samples`, /statement 1 is DELETE/],
      [`SELECT 1; DROP TABLE samples`, /statement 2 is DROP/],
    ];
    for (const [sql, reason] of refused)
      await expect(store.query({ sql: sql, maxRows: 10 }), sql).rejects.toThrow(reason);
    expect(fs.existsSync(out)).toBe(false);
    expect((await store.query({ sql: 'SELECT count(*) FROM samples', maxRows: 1 })).rows).toEqual([[0]]);
    // Reading works, including what the tables hold and DuckDB's own catalog.
    expect((await store.query({ sql: `SELECT 40 + 2 AS answer`, maxRows: 1 })).rows).toEqual([[42]]);
    expect((await store.query({ sql: `SELECT count(*) > 0 FROM duckdb_tables()`, maxRows: 1 })).rows).toEqual(
      [[true]],
    );
  });

  it('is sandboxed below the statement check too: DuckDB itself refuses files, ATTACH and extensions', async () => {
    const { dir } = await fresh();
    const instance = await openDuckDB(':memory:', settings);
    const conn = await instance.connect();
    try {
      for (const sql of [
        `COPY (SELECT 1) TO '${path.join(dir, 'x.csv')}'`,
        `ATTACH '${path.join(dir, 'y.duckdb')}'`,
        `SELECT * FROM read_csv('/etc/passwd')`,
        `LOAD httpfs`,
      ]) {
        await expect(conn.run(sql), sql).rejects.toThrow(/disabled/);
      }
      await expect(conn.run(`SET enable_external_access = true`)).rejects.toThrow(/locked/);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });

  it('marks results truncated at maxRows', async () => {
    const { store } = await fresh();
    const r = await store.query({ sql: 'SELECT * FROM range(10)', maxRows: 3 });
    expect(r.rows).toEqual([[0], [1], [2]]);
    expect(r.truncated).toBe(true);
  });

  it('drops data past the age limit and says how much', async () => {
    const notices: StoreNotice[] = [];
    const { store } = await fresh(notices);
    const ch = store.channelId('rig/a', 'rig', '');
    const now = T0 + 10 * 3_600_000;
    ramp(store, ch, 3600, 1000, T0); // hour 0
    ramp(store, ch, 3600, 1000, now - 3_600_000); // the last hour
    store.appendRecords(
      recordBatch([{ ts: T0, rx: T0, source: 'rig', severity: 'info', message: 'old', fields: null }]),
    );
    const dropped = await store.applyRetention({ maxAgeHours: 2, maxBytes: 0 }, now);
    expect(dropped).toBe(3601);
    expect(store.storedSamples).toBe(3600);
    expect((await store.query({ sql: 'SELECT count(*) FROM samples', maxRows: 1 })).rows).toEqual([[3600]]);
    expect(notices.map((n) => n.message)).toEqual([
      expect.stringMatching(/^retention: dropped 3601 rows older than 2 h/),
    ]);
  });

  it('ages records by when they arrived, so an imported capture of old events is kept', async () => {
    const notices: StoreNotice[] = [];
    const { store } = await fresh(notices);
    const now = T0 + 30 * 24 * 3_600_000;
    store.appendRecords(
      recordBatch([
        // Events of a month ago, imported an hour ago: evidence the user just gave OpsDeck.
        {
          ts: T0,
          rx: now - 3_600_000,
          source: 'import',
          severity: 'info',
          message: 'imported',
          fields: null,
        },
        // Received three hours ago (whatever its event time says): past a 2 h limit.
        {
          ts: now - 3 * 3_600_000,
          rx: now - 3 * 3_600_000,
          source: 'rig',
          severity: 'warning',
          message: 'live',
          fields: null,
        },
      ]),
    );
    expect(await store.applyRetention({ maxAgeHours: 2, maxBytes: 0 }, now)).toBe(1);
    expect((await store.read('SELECT message FROM records')).flat()).toEqual(['imported']);
    expect(store.storedRecords).toBe(1);
  });

  it('keeps a named recording’s raw messages past the age limit; size takes them and names the recording', async () => {
    const notices: StoreNotice[] = [];
    const { store } = await fresh(notices);
    const now = T0 + 10 * 3_600_000;
    const raw = (rx: number, key: string) => ({ rx, key, payload: new Uint8Array([1, 2, 3]), meta: {} });
    // Hour 1 of "rig" is inside the recording "bench-run"; hour 0 of it, and "other", are not.
    store.appendRaw('rig', [raw(T0, 'before'), raw(T0 + 3_600_000, 'inside'), raw(T0 + 3_700_000, 'inside')]);
    store.appendRaw('other', [raw(T0 + 3_600_000, 'not recorded')]);
    await store.flush();
    await store.write(
      `INSERT INTO named_recordings VALUES ('bench-run', '["rig"]', make_timestamp($1::BIGINT), make_timestamp($2::BIGINT), 'tester', 'tester')`,
      [(T0 + 3_500_000) * 1000, (T0 + 3_800_000) * 1000],
    );
    expect(await store.applyRetention({ maxAgeHours: 2, maxBytes: 0 }, now)).toBe(2);
    expect((await store.read('SELECT "key" FROM recordings ORDER BY rx')).flat()).toEqual([
      'inside',
      'inside',
    ]);
    // Over the size limit the oldest goes whatever it is, and the notice says whose. (Size
    // retention cuts where the samples' share says.)
    ramp(store, store.channelId('rig/a', 'rig', ''), 7200, 1000, now - 7_200_000);
    expect(await store.applyRetention({ maxAgeHours: 0, maxBytes: 1 }, now)).toBeGreaterThan(0);
    expect(await store.read('SELECT count(*)::INT FROM recordings')).toEqual([[0]]);
    expect(notices.map((n) => n.message)).toContainEqual(
      expect.stringMatching(/raw messages of named recordings went too: 2 of "bench-run"/),
    );
  });

  it('drops the oldest data when the database outgrows its size limit', async () => {
    const notices: StoreNotice[] = [];
    const { store } = await fresh(notices);
    const ch = store.channelId('rig/a', 'rig', '');
    const b = new SampleBatchBuilder(1 << 20);
    for (let i = 0; i < 1_000_000; i++) b.push(T0 + i, ch, Math.sin(i) * 1e6 + i); // poorly compressible
    store.appendSamples(b.take());
    await store.flush();
    const before = await store.databaseBytes();
    const limit = Math.floor(before / 2);
    // A second call while the first trims (the engine's timer firing again) joins it: one trim.
    const [dropped, again] = await Promise.all([
      store.applyRetention({ maxAgeHours: 0, maxBytes: limit }, T0 + 2_000_000),
      store.applyRetention({ maxAgeHours: 0, maxBytes: limit }, T0 + 2_000_000),
    ]);
    expect(dropped).toBeGreaterThan(0);
    expect(again).toBe(dropped);
    expect(notices.filter((n) => /dropped the oldest/.test(n.message))).toHaveLength(1);
    const oldest = await store.query({
      sql: 'SELECT epoch_ms(min(ts)) - ' + T0 + ' FROM samples',
      maxRows: 1,
    });
    expect(Number(oldest.rows[0]![0])).toBeGreaterThanOrEqual(dropped); // the oldest went first
    expect(notices.at(-1)!.message).toMatch(/over its .* MiB limit; dropped the oldest \d+ rows/);
  });

  it('opens read-only beside no writer, and refuses to write there', async () => {
    const { store, file } = await fresh();
    const ch = store.channelId('rig/a', 'rig', '');
    ramp(store, ch, 10, 1);
    await store.close();
    open.splice(open.indexOf(store), 1);
    const ro = await Store.open(file, { settings, readOnly: true });
    open.push(ro);
    expect((await ro.query({ sql: 'SELECT count(*) FROM samples', maxRows: 1 })).rows).toEqual([[10]]);
    expect(() =>
      ro.appendSamples({
        n: 0,
        ts: new Float64Array(0),
        channel: new Uint32Array(0),
        value: new Float64Array(0),
      }),
    ).toThrow(/read-only/);
  });

  it('opens read-only a file from an older version that lacks newer tables', async () => {
    const { store, file } = await fresh();
    ramp(store, store.channelId('rig/a', 'rig', ''), 10, 1);
    await store.close();
    open.splice(open.indexOf(store), 1);
    const raw = await openDuckDB(file, settings);
    const conn = await raw.connect();
    await conn.run('DROP TABLE recordings');
    conn.closeSync();
    raw.closeSync();
    const ro = await Store.open(file, { settings, readOnly: true });
    open.push(ro);
    expect(ro.storedRecordings).toBe(0);
    expect((await ro.query({ sql: 'SELECT count(*) FROM samples_v', maxRows: 1 })).rows).toEqual([[10]]);
  });

  it('folds the write-ahead log into the file itself, between transactions, so the log stays short', async () => {
    const { store, file } = await fresh();
    const ch = store.channelId('rig/a', 'rig', 'V');
    const threshold = (settings.memoryLimitMb / 16) * 1024 ** 2; // checkpointThresholdBytes
    const wal = () => (fs.existsSync(`${file}.wal`) ? fs.statSync(`${file}.wal`).size : 0);
    let longest = 0;
    // DuckDB's own checkpoint at a commit is off for the writer: without the store's, this log
    // would reach ~60 MiB.
    // Flushes smaller than a row group: DuckDB writes larger appends straight into the file.
    for (let flush = 0; flush < 60; flush++) {
      ramp(store, ch, 60_000, 1, T0 + flush * 60_000);
      await store.flush();
      longest = Math.max(longest, wal());
    }
    expect(store.checkpoints).toBeGreaterThanOrEqual(2);
    // Checked after each commit: at most the threshold plus one flush's rows (~1 MiB).
    expect(longest).toBeLessThan(threshold + 4 * 1024 ** 2);
    expect(Number((await store.read('SELECT count(*) FROM samples'))[0]![0])).toBe(3_600_000);
  });

  it('keeps channel ids stable across reopen', async () => {
    const { store, file } = await fresh();
    const a = store.channelId('rig/a', 'rig', 'V');
    const b = store.channelId('rig/b', 'rig', 'A');
    await store.close();
    open.splice(open.indexOf(store), 1);
    const again = await Store.open(file, { settings });
    open.push(again);
    expect(again.channelId('rig/b', 'rig', 'A')).toBe(b);
    expect(again.channelId('rig/a', 'rig', 'V')).toBe(a);
    expect(again.channelId('rig/c', 'rig', '')).toBe(Math.max(a, b) + 1);
  });
});
