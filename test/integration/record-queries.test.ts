// The log view's queries on a real DuckDB file of generated records: pages by seek, keyset and
// tail agree with each other, the histogram counts what the filter selects, field statistics,
// surrounding lines from the same source, and a user value never becomes SQL.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Investigate } from '../../electron/engine/investigate';
import { ReadFlush } from '../../electron/engine/store/read-flush';
import { Store } from '../../electron/engine/store/store';
import { RecordsRequest } from '../../shared/investigate';
import { StoreSettings } from '../../shared/schemas';
import { GENERATED_T0, generateRecords } from '../helpers/generated-records';
import { tempDir } from '../helpers/tmp';

const COUNT = 100_000;

describe('log view queries', () => {
  const tmp = tempDir();
  let store: Store;
  let investigate: Investigate;
  const page = (p: Parameters<typeof RecordsRequest.parse>[0]) =>
    investigate.records(RecordsRequest.parse(p)).then((r) => r.rows);

  beforeAll(async () => {
    store = await Store.open(path.join(tmp.dir, 'data.duckdb'), {
      settings: StoreSettings.parse({ memoryLimitMb: 256, threads: 1 }),
      flushIntervalMs: 60_000,
    });
    await generateRecords(store, COUNT);
    investigate = new Investigate(store, new ReadFlush(store), () => null, false);
  });
  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  it('pages in (ts, id) order: seek, keyset after, keyset before and tail meet', async () => {
    const first = await page({ limit: 50 });
    expect(first).toHaveLength(50);
    expect(first[0]!.ts).toBe(GENERATED_T0);
    const next = await page({ limit: 50, after: { ts: first[49]!.ts, id: first[49]!.id } });
    expect(next[0]!.message).toBe('request 50 served in 50 ms');
    const sought = await page({ limit: 10, at: { ts: GENERATED_T0 + 40, skip: 5 } });
    expect(sought[0]!.message).toBe('request 45 served in 45 ms');
    const back = await page({ limit: 5, before: { ts: next[0]!.ts, id: next[0]!.id } });
    expect(back.map((r) => r.message)).toEqual(first.slice(45).map((r) => r.message));
    const tail = await page({ limit: 3, tail: true });
    expect(tail.map((r) => r.ts)).toEqual([COUNT - 3, COUNT - 2, COUNT - 1].map((i) => GENERATED_T0 + i));
  });

  it('filters by text, regex, severity, fields, numbers, existence and exclusion', async () => {
    const count = async (filter: string) => (await investigate.histogram({ filter, buckets: 10 })).total;
    expect(await count('')).toBe(COUNT);
    const errors = Math.ceil(COUNT / 97);
    expect(await count('severity=ERROR')).toBe(errors);
    expect(await count('TIMEOUT')).toBe(errors);
    expect(await count('/timeout talking to db-[0-3]/')).toBeGreaterThan(0);
    expect(await count('/timeout talking to db-[0-3]/')).toBeLessThan(errors);
    expect(await count('host=web-1')).toBe(COUNT / 4);
    expect(await count('-host=web-1')).toBe((COUNT * 3) / 4);
    expect(await count('latency_ms >= 490')).toBe(COUNT / 50);
    expect(await count('has:user')).toBe(Math.ceil(COUNT / 3));
    expect(await count('source=db severity=error,warning')).toBeGreaterThan(0);
    expect(await count('-source=db')).toBe(COUNT / 2);
    expect(await count('source~D')).toBe(COUNT / 2);
    // A value that would be SQL if it were pasted in is only a value.
    expect(await count(`"'); DROP TABLE records; --"`)).toBe(0);
    expect(await count(`host="web-1' OR '1'='1"`)).toBe(0);
    expect(await count('')).toBe(COUNT);
    await expect(count('latency_ms > fast')).rejects.toThrow(/"fast" is not a number .*character 14/);
  });

  it('draws a histogram of counts by severity that sums to the filtered total', async () => {
    const h = await investigate.histogram({ filter: '', buckets: 100 });
    expect(h.starts.length).toBeLessThanOrEqual(101);
    expect(h.severities.sort()).toEqual(['debug', 'error', 'info', 'warning']);
    expect(h.counts.flat().reduce((a, b) => a + b, 0)).toBe(COUNT);
    const ranged = await investigate.histogram({
      filter: '',
      from: GENERATED_T0,
      to: GENERATED_T0 + 1000,
      buckets: 10,
    });
    expect(ranged.total).toBe(1000);
    expect(ranged.bucketMs).toBe(100);
  });

  it('counts a field’s top values over the filter', async () => {
    const stats = await investigate.fieldStats({ filter: 'severity=error', field: 'host', limit: 10 });
    expect(stats.total).toBe(Math.ceil(COUNT / 97));
    expect(stats.values.map((v) => v.value).sort()).toEqual(['web-0', 'web-1', 'web-2', 'web-3']);
    expect(stats.values.reduce((n, v) => n + v.count, 0)).toBe(stats.present);
    expect(await investigate.fields()).toEqual(['host', 'latency_ms', 'user']);
    const sources = await investigate.fieldStats({ filter: '', field: 'source', limit: 10 });
    expect(sources.values).toEqual([
      { value: 'app', count: COUNT / 2 },
      { value: 'db', count: COUNT / 2 },
    ]);
  });

  it('lists quarantined items per source with their bytes as hex', async () => {
    store.appendQuarantine({
      rx: GENERATED_T0,
      source: 'bench',
      reason: 'json: invalid JSON',
      where: 'app.log:7',
      raw: Uint8Array.of(0x7b, 0xff, 0x00),
    });
    await store.flush();
    const q = await investigate.quarantine({ offset: 0, limit: 10 });
    expect(q.sources).toEqual([{ source: 'bench', count: 1 }]);
    expect(q.items).toEqual([
      expect.objectContaining({
        source: 'bench',
        reason: 'json: invalid JSON',
        where: 'app.log:7',
        rawHex: '7BFF00',
        bytes: 3,
      }),
    ]);
  });

  it('exports a query’s whole result as CSV, beyond the console’s row cap, and refuses a write', async () => {
    const file = path.join(tmp.dir, 'errors.csv');
    const done = await investigate.exportQuery({
      sql: `SELECT message, fields->>'host' AS host FROM records_v WHERE severity = 'error' ORDER BY ts`,
      path: file,
    });
    expect(done.rows).toBe(Math.ceil(COUNT / 97));
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('message,host');
    expect(lines[1]).toBe('request 0 failed: timeout talking to db-0,web-0');
    expect(lines).toHaveLength(done.rows + 1);
    await expect(investigate.exportQuery({ sql: 'DELETE FROM records', path: file })).rejects.toThrow(
      /only reads/,
    );
  });

  it('shows the lines around a record from its own source', async () => {
    const [record] = await page({ limit: 1, at: { ts: GENERATED_T0 + 500, skip: 0 } });
    const context = await investigate.context({ id: record!.id, before: 3, after: 3 });
    expect(context.rows).toHaveLength(7);
    expect(context.rows[context.index]!.id).toBe(record!.id);
    expect(new Set(context.rows.map((r) => r.source))).toEqual(new Set([record!.source]));
    expect(context.rows.map((r) => r.ts - GENERATED_T0)).toEqual([494, 496, 498, 500, 502, 504, 506]);
  });

  it('shows the lines around an imported record by line in its file, not by time', async () => {
    // Lines 1–5 of a capture whose clock went backwards at line 3: file order is not time order.
    const t = (ms: number) => `make_timestamp(${(GENERATED_T0 - 60_000 + ms) * 1000})`;
    await store.write(
      `INSERT INTO records (ts, rx, source_id, severity, message, fields, origin, line) VALUES
        (${t(10)}, ${t(10)}, 901, 'info', 'line one', NULL, '/cap/app.log', 1),
        (${t(20)}, ${t(20)}, 901, 'info', 'line two', NULL, '/cap/app.log', 2),
        (${t(1)}, ${t(1)}, 901, 'info', 'line three', NULL, '/cap/app.log', 3),
        (${t(30)}, ${t(30)}, 901, 'info', 'line four', NULL, '/cap/app.log', 4),
        (${t(2)}, ${t(2)}, 901, 'info', 'other file', NULL, '/cap/other.log', 1)`,
      [],
      'an imported file',
    );
    const [two] = await page({ limit: 1, filter: '"line two"' });
    expect(two).toMatchObject({ origin: '/cap/app.log', line: 2 });
    const context = await investigate.context({ id: two!.id, before: 1, after: 2 });
    expect(context.rows.map((r) => r.message)).toEqual(['line one', 'line two', 'line three', 'line four']);
    expect(context.index).toBe(1);
  });
});
