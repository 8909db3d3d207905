// User SQL can change nothing, can be stopped, never holds up the engine, and its results are
// capped in bytes as well as rows. Every attack here changed or stopped a real workspace before.
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { recordBatch, SampleBatchBuilder } from '../../electron/engine/batch';
import { Store } from '../../electron/engine/store/store';
import { StoreSettings } from '../../shared/schemas';
import { tempDir, waitFor } from '../helpers/tmp';

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);
/** Runs until interrupted: 10^18 rows. */
const FOREVER = 'SELECT count(*) FROM range(1000000000) a, range(1000000000) b';

describe('user SQL', () => {
  const open: Store[] = [];
  const dirs: (() => void)[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    for (const d of dirs.splice(0)) d();
  });

  async function workspace(settings: Partial<StoreSettings> = {}) {
    const tmp = tempDir();
    dirs.push(tmp.cleanup);
    const store = await Store.open(path.join(tmp.dir, 'data.duckdb'), {
      settings: StoreSettings.parse({ memoryLimitMb: 256, threads: 1, ...settings }),
      flushIntervalMs: 60_000,
    });
    open.push(store);
    const ch = store.channelId('rig/temp', 'rig', '°C');
    const b = new SampleBatchBuilder(1000);
    for (let i = 0; i < 1000; i++) b.push(T0 + i, ch, i);
    store.appendSamples(b.take());
    store.appendRecords(
      recordBatch([{ ts: T0, rx: T0, source: 'rig', severity: 'info', message: 'm', fields: {} }]),
    );
    await store.flush();
    return store;
  }

  /** Everything an attacker could have changed, as one comparable snapshot. */
  async function snapshot(store: Store) {
    return {
      samples: await store.read('SELECT count(*) FROM samples'),
      records: await store.read('SELECT count(*) FROM records'),
      tables: await store.read(`SELECT table_name FROM duckdb_tables() ORDER BY 1`),
      views: await store.read(`SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY 1`),
      units: await store.read('SELECT name, unit FROM channels ORDER BY id'),
      sequences: await store.read('SELECT sequence_name FROM duckdb_sequences() ORDER BY 1'),
    };
  }

  it('refuses every statement that could change the workspace, EXPLAIN ANALYZE included', async () => {
    const store = await workspace();
    await store.read('SELECT 1');
    const before = await snapshot(store);
    expect(before.samples).toEqual([[1000]]);
    const attacks = [
      'EXPLAIN ANALYZE DELETE FROM samples',
      'explain analyse delete from samples',
      '/* hi */ -- there\n EXPLAIN ANALYZE DELETE FROM samples',
      'EXPLAIN ANALYZE/**/DELETE FROM samples',
      'EXPLAIN/**/ANALYZE DELETE FROM samples',
      'EXPLAIN ANALYZE DROP TABLE samples',
      'EXPLAIN ANALYZE DROP TABLE alert_state',
      'EXPLAIN ANALYZE ALTER TABLE records RENAME TO gone',
      'EXPLAIN ANALYZE CREATE OR REPLACE VIEW samples_v AS SELECT 1 AS x',
      "EXPLAIN ANALYZE UPDATE channels SET unit = 'furlongs'",
      'EXPLAIN DELETE FROM samples',
      'EXPLAIN (FORMAT json) DELETE FROM samples',
      'SELECT 1; EXPLAIN ANALYZE DELETE FROM samples',
      "CALL enable_logging(storage_path => '/tmp/opsdeck-log')",
      "SELECT * FROM enable_logging(storage_path => '/tmp/opsdeck-log')",
      'CALL pragma_version()',
      'CHECKPOINT',
      'FORCE CHECKPOINT',
      'SELECT * FROM checkpoint()',
      'SELECT * FROM force_checkpoint()',
      "PRAGMA memory_limit = '8GB'",
      'PRAGMA enable_profiling',
      "PRAGMA table_info('samples')",
      "SELECT * FROM query('DELETE FROM samples')",
      "SELECT * FROM query_table('samples')",
      "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))",
      "SELECT * FROM read_text('/etc/passwd')",
      "SELECT * FROM glob('/etc/*')",
      "SELECT * FROM read_csv('/etc/passwd')",
      "SELECT * FROM sniff_csv('/etc/passwd')",
      'SELECT * FROM truncate_duckdb_logs()',
      'WITH gone AS (DELETE FROM samples RETURNING *) SELECT count(*) FROM gone',
      'DELETE FROM samples',
      'TRUNCATE samples',
      'INSERT INTO samples SELECT * FROM samples',
      "UPDATE channels SET unit = 'furlongs'",
      'DROP VIEW samples_v',
      'CREATE TABLE x (a INT)',
      'CREATE TEMP TABLE x (a INT)',
      'CREATE SEQUENCE s',
      "SELECT nextval('s')",
      'ALTER TABLE records RENAME TO gone',
      'BEGIN; DELETE FROM samples; COMMIT',
      'COMMIT',
      'ROLLBACK',
      'VACUUM',
      'ANALYZE',
      "ATTACH '/tmp/other.duckdb' AS other",
      'DETACH data',
      'USE memory',
      "SET memory_limit = '8GB'",
      'SET VARIABLE x = 1',
      "EXPORT DATABASE '/tmp/opsdeck-export'",
      "COPY samples TO '/tmp/opsdeck-leak.csv'",
      'INSTALL httpfs',
      'LOAD httpfs',
    ];
    for (const sql of attacks) {
      const error = await store.query({ sql, maxRows: 10 }).then(
        () => null,
        (e: Error) => e.message,
      );
      expect(error, sql).toMatch(/^query: /);
    }
    expect(await snapshot(store)).toEqual(before);
  });

  it('names the statement it refuses and why', async () => {
    const store = await workspace();
    const refused = (sql: string) => store.query({ sql, maxRows: 1 }).catch((e: Error) => e.message);
    expect(await refused('SELECT 1; DROP TABLE samples')).toMatch(
      /statement 2 is DROP; the SQL console only reads/,
    );
    expect(await refused("CALL enable_logging(storage_path => '/x')")).toMatch(/statement 1 is CALL/);
    expect(await refused("SELECT 1; SELECT * FROM read_text('/etc/passwd')")).toMatch(
      /statement 2 calls table function read_text\(\)/,
    );
    expect(await refused('EXPLAIN ANALYZE DELETE FROM samples')).toMatch(
      /EXPLAIN of something that is not a query/,
    );
    expect(await refused('SELEC 1')).toMatch(/syntax error/i);
  });

  it('still reads: queries, catalog functions, DESCRIBE, SHOW, SUMMARIZE and EXPLAIN [ANALYZE]', async () => {
    const store = await workspace();
    const rows = async (sql: string) => (await store.query({ sql, maxRows: 100 })).rows;
    expect(await rows('SELECT count(*), max(value) FROM samples_v')).toEqual([[1000, 999]]);
    expect(await rows('FROM samples_v SELECT DISTINCT channel, unit')).toEqual([['rig/temp', '°C']]);
    expect(await rows('WITH t AS (SELECT 2 AS x) SELECT x * 21 FROM t')).toEqual([[42]]);
    expect((await rows('SELECT * FROM range(3)')).length).toBe(3);
    expect((await rows("SELECT * FROM pragma_table_info('samples')")).map((r) => r[1])).toEqual([
      'ts',
      'channel_id',
      'value',
    ]);
    expect((await rows('DESCRIBE samples')).map((r) => r[0])).toEqual(['ts', 'channel_id', 'value']);
    expect((await rows('SHOW TABLES')).map((r) => r[0])).toContain('samples');
    expect((await rows('SUMMARIZE samples')).length).toBe(3);
    expect(JSON.stringify(await rows('EXPLAIN SELECT count(*) FROM samples'))).toMatch(/SEQ_SCAN|TABLE_SCAN/);
    expect(JSON.stringify(await rows('EXPLAIN ANALYZE SELECT count(*) FROM samples'))).toMatch(/Total Time/);
    // Only the last of several statements returns rows.
    expect(await rows('SELECT 1; SELECT 2')).toEqual([[2]]);
  });

  it('stops a query at its timeout and interrupts DuckDB', async () => {
    const store = await workspace({ queryTimeoutSeconds: 1 });
    await expect(store.query({ sql: FOREVER, maxRows: 1 })).rejects.toThrow(
      /query: stopped after 1 s \(store\.queryTimeoutSeconds\)/,
    );
    // The slot is free again: the next query runs.
    expect((await store.query({ sql: 'SELECT 7', maxRows: 1 })).rows).toEqual([[7]]);
  });

  it('cancels a query by its id', async () => {
    const store = await workspace();
    const running = store.query({ sql: FOREVER, maxRows: 1, id: 'q1' });
    const outcome = running.then(
      () => 'finished',
      (e: Error) => e.message,
    );
    await waitFor('the query to be cancellable', async () => store.cancelQuery('q1') || null);
    expect(await outcome).toBe('query: cancelled');
    expect(store.cancelQuery('q1')).toBe(false);
  });

  it('never holds up the engine: reads, series and writes run while user queries hog their slots', async () => {
    const store = await workspace();
    const hogs = [1, 2, 3, 4].map((i) =>
      store.query({ sql: FOREVER, maxRows: 1, id: `hog${i}` }).catch((e: Error) => e.message),
    );
    await waitFor('two hogs running', async () => (store.userQueriesRunning === 2 ? true : null));
    // Everything the engine itself does still answers while the hogs run.
    const ch = store.channelId('rig/other', 'rig', '');
    const b = new SampleBatchBuilder(10);
    for (let i = 0; i < 10; i++) b.push(T0 + 5000 + i * 200, ch, i);
    store.appendSamples(b.take());
    await store.flush();
    expect(await store.read('SELECT count(*) FROM samples')).toEqual([[1010]]);
    const series = await store.series([ch], T0, T0 + 10_000, 100);
    expect(series.channels[0]!.t.length).toBe(10);
    expect((await store.channelRows()).map((c) => c.name)).toContain('rig/other');
    expect(store.userQueriesRunning).toBe(2); // still hogging: the answers above did not wait for them
    // Closing interrupts what runs and refuses what waits.
    await store.close();
    open.splice(0);
    const outcomes = await Promise.all(hogs);
    for (const o of outcomes) expect(o).toMatch(/shutting down/);
  });

  it('caps a result in bytes as well as rows, and says which', async () => {
    const store = await workspace({ queryMaxResultMb: 1 });
    const big = await store.query({ sql: "SELECT repeat('x', 20000) FROM range(100000)", maxRows: 100_000 });
    expect(big.truncated).toBe(true);
    expect(big.truncatedBy).toBe('bytes');
    expect(big.rows.length).toBeGreaterThan(10);
    expect(JSON.stringify(big.rows).length).toBeLessThanOrEqual(1024 ** 2);
    const many = await store.query({ sql: 'SELECT * FROM range(1000)', maxRows: 10 });
    expect([many.rows.length, many.truncated, many.truncatedBy]).toEqual([10, true, 'rows']);
    const whole = await store.query({ sql: 'SELECT * FROM range(10)', maxRows: 10 });
    expect([whole.rows.length, whole.truncated, whole.truncatedBy]).toEqual([10, false, null]);
  });

  it('survives random statements built from hostile fragments, and they change nothing', async () => {
    const store = await workspace({ queryTimeoutSeconds: 5 });
    const before = await snapshot(store);
    const fragments = [
      'SELECT',
      'EXPLAIN',
      'ANALYZE',
      'DELETE',
      'FROM',
      'samples',
      'samples_v',
      'channels',
      'CALL',
      'PRAGMA',
      'WITH',
      'x',
      'AS',
      '(',
      ')',
      ';',
      ',',
      '*',
      '1',
      "'x'",
      'WHERE',
      'TRUE',
      'DROP',
      'TABLE',
      'VIEW',
      'INSERT',
      'INTO',
      'VALUES',
      'UPDATE',
      'SET',
      "unit = 'u'",
      'CREATE',
      'OR',
      'REPLACE',
      'ALTER',
      'RENAME',
      'TO',
      'gone',
      'CHECKPOINT',
      'BEGIN',
      'COMMIT',
      'ROLLBACK',
      'RETURNING',
      'range(3)',
      "read_text('/etc/hostname')",
      'checkpoint()',
      "query('DELETE FROM samples')",
      'pragma_version()',
      "nextval('s')",
      'SUMMARIZE',
      'DESCRIBE',
      'SHOW',
      'TABLES',
      'UNION',
      'ALL',
      '--',
      '/*',
      '*/',
      'ATTACH',
      "'/tmp/x.duckdb'",
      'COPY',
      'LIMIT',
      '2',
      'ORDER BY',
      'TRUNCATE',
      'VACUUM',
      'LOAD',
      'json',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...fragments), { minLength: 1, maxLength: 12 }),
        async (words) => {
          const sql = words.join(' ');
          const outcome = await store.query({ sql, maxRows: 5 }).then(
            (r) => r,
            (e: Error) => e,
          );
          if (outcome instanceof Error) expect(outcome.message, sql).toMatch(/^query: ./);
          else expect(Array.isArray(outcome.rows), sql).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
    expect(await snapshot(store)).toEqual(before);
  });
});
