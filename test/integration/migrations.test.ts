import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { recordBatch } from '../../electron/engine/batch';
import { openDuckDB } from '../../electron/engine/store/duckdb';
import {
  migrate,
  MIGRATIONS,
  SCHEMA_VERSION,
  schemaVersion,
  WorkspaceTooNew,
  type Migration,
} from '../../electron/engine/store/migrations';
import { Store, type StoreNotice } from '../../electron/engine/store/store';
import { StoreSettings } from '../../shared/schemas';
import { tempDir } from '../helpers/tmp';

const settings = StoreSettings.parse({ memoryLimitMb: 64, threads: 1 });
const FIXTURE = path.join(__dirname, '../fixtures/workspace-release1/data.duckdb.gz');
const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);

describe('migrations', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function releaseOneCopy(): string {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const file = path.join(tmp.dir, 'data.duckdb');
    fs.writeFileSync(file, zlib.gunzipSync(fs.readFileSync(FIXTURE)));
    return file;
  }

  async function versionOf(file: string): Promise<number> {
    const instance = await openDuckDB(file, settings, { readOnly: true });
    const c = await instance.connect();
    try {
      return await schemaVersion(c);
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  }

  it('opens a workspace written by the first release, migrates it, and finds all its data', async () => {
    const file = releaseOneCopy();
    expect(await versionOf(file)).toBe(1);
    const notices: StoreNotice[] = [];
    const store = await Store.open(file, {
      settings,
      flushIntervalMs: 60_000,
      onNotice: (n) => notices.push(n),
    });
    cleanups.push(() => store.close());
    expect(notices.map((n) => n.message)).toContain(
      `store: migrated the database from schema version 1 to ${SCHEMA_VERSION}`,
    );
    const rows = async (sql: string) => (await store.query({ sql, maxRows: 100 })).rows;
    expect(await rows(`SELECT value FROM meta WHERE key = 'schema_version'`)).toEqual([
      [String(SCHEMA_VERSION)],
    ]);
    expect(store.storedSamples).toBe(2000);
    expect(store.storedRecords).toBe(3);
    expect(
      await rows(
        `SELECT channel, unit, count(*)::INT, min(value), max(value), epoch_us(min(ts))::DOUBLE / 1000 FROM samples_v GROUP BY ALL ORDER BY channel`,
      ),
    ).toEqual([
      ['rig/temp', '°C', 1000, 20, 20 + 999 / 100, T0],
      ['rig/vib', 'g', 1000, expect.any(Number), expect.any(Number), T0 + 0.5],
    ]);
    expect(
      await rows(
        `SELECT source, severity, message, fields::VARCHAR, epoch_us(ts)::DOUBLE / 1000, epoch_us(rx)::DOUBLE / 1000 FROM records_v ORDER BY ts`,
      ),
    ).toEqual([
      ['rig', 'info', 'pump started', '{"pump":1,"rpm":1450}', T0, T0 + 3],
      [
        'rig',
        'error',
        'überstrom — 🔥',
        '{"motor":{"id":2,"amps":[3.5,4]},"ok":false,"note":null}',
        T0 + 1000,
        T0 + 1002,
      ],
      ['logs', 'warning', 'no fields', null, T0 + 2000, T0 + 2001],
    ]);
    expect(await rows(`SELECT reason, "where", hex(raw) FROM quarantine`)).toEqual([
      ['not valid UTF-8', 'lab/x', '00FF0A'],
    ]);
    expect(
      await rows(
        `SELECT rule, from_state, state, value, labels->>'site', mode, cause FROM alert_transitions ORDER BY ts`,
      ),
    ).toEqual([
      ['temp-high', 'normal', 'pending', 25.5, 'lab1', 'live', null],
      ['temp-high', 'pending', 'firing', 26, 'lab1', 'live', null],
    ]);
    expect(await rows(`SELECT seq::INT, actor, action, detail->>'comment' FROM audit`)).toEqual([
      [1, 'tech', 'ack', 'looking'],
    ]);
    expect(await rows(`SELECT level, message FROM notices`)).toEqual([['warn', 'fixture notice']]);

    // The migrated file takes new data beside the old, under the same dictionaries.
    store.appendRecords(
      recordBatch([
        { ts: T0 + 5000, rx: T0 + 5000, source: 'rig', severity: 'info', message: 'new', fields: { a: 1 } },
      ]),
    );
    await store.flush();
    expect(await rows(`SELECT source, count(*)::INT FROM records_v GROUP BY 1 ORDER BY 1`)).toEqual([
      ['logs', 1],
      ['rig', 3],
    ]);
    await store.close();
    // Reopened: nothing more to migrate, nothing said about it.
    const again: StoreNotice[] = [];
    const reopened = await Store.open(file, {
      settings,
      flushIntervalMs: 60_000,
      onNotice: (n) => again.push(n),
    });
    cleanups.push(() => reopened.close());
    expect(again.filter((n) => n.message.includes('migrated'))).toEqual([]);
    expect(reopened.storedRecords).toBe(4);
  });

  it('makes a new file at the current version', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const file = path.join(tmp.dir, 'data.duckdb');
    const store = await Store.open(file, { settings, flushIntervalMs: 60_000 });
    await store.close();
    expect(await versionOf(file)).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('refuses a workspace written by a newer OpsDeck, writable or read-only, and leaves it untouched', async () => {
    const file = releaseOneCopy();
    const instance = await openDuckDB(file, settings);
    const c = await instance.connect();
    await c.run(`UPDATE meta SET value = '${SCHEMA_VERSION + 1}' WHERE key = 'schema_version'`);
    await c.run('CHECKPOINT');
    c.closeSync();
    instance.closeSync();
    const before = fs.readFileSync(file);
    for (const readOnly of [false, true]) {
      const error = await Store.open(file, { settings, readOnly }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WorkspaceTooNew);
      expect((error as Error).message).toBe(
        `${file} was written by a newer OpsDeck: its schema version is ${SCHEMA_VERSION + 1}, and this OpsDeck knows versions up to ${SCHEMA_VERSION}. ` +
          'Open it with the OpsDeck that wrote it (or a newer one); this one leaves it untouched.',
      );
    }
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('runs migrations in order in one transaction: a failing one leaves the file at its old version', async () => {
    const file = releaseOneCopy();
    const instance = await openDuckDB(file, settings);
    cleanups.push(() => instance.closeSync());
    const c = await instance.connect();
    cleanups.push(() => c.closeSync());
    const ran: number[] = [];
    const extra: Migration[] = [
      ...MIGRATIONS,
      // Out of order on purpose: they run by number.
      {
        version: SCHEMA_VERSION + 2,
        name: 'breaks',
        sql: async (conn) => {
          ran.push(SCHEMA_VERSION + 2);
          await conn.run('SELECT * FROM no_such_table');
        },
      },
      {
        version: SCHEMA_VERSION + 1,
        name: 'adds a table',
        sql: async (conn) => {
          ran.push(SCHEMA_VERSION + 1);
          await conn.run('CREATE TABLE test_added(source VARCHAR, position VARCHAR)');
        },
      },
    ];
    await expect(migrate(c, file, extra)).rejects.toThrow(
      `${file}: migration ${SCHEMA_VERSION + 2} (breaks) from schema version 1 failed: Catalog Error: Table with name no_such_table does not exist`,
    );
    expect(ran).toEqual([SCHEMA_VERSION + 1, SCHEMA_VERSION + 2]);
    expect(await schemaVersion(c)).toBe(1);
    const tables = (
      await c.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE table_name = 'test_added'`)
    ).getRows();
    expect(tables).toEqual([]);
    // Without the broken one it goes through, to the last number.
    expect(await migrate(c, file, extra.slice(0, -2).concat(extra[extra.length - 1]!))).toEqual({
      from: 1,
      to: SCHEMA_VERSION + 1,
    });
    expect(await schemaVersion(c)).toBe(SCHEMA_VERSION + 1);
  });
});
