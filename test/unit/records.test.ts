import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fieldsJson,
  recordBatch,
  RecordBatchBuilder,
  recordRows,
  removeRecords,
  sliceRecords,
  type RecordRow,
} from '../../electron/engine/batch';
import { FrameDecoder } from '../../electron/engine/decode/registry';
import { Store } from '../../electron/engine/store/store';
import { StoreSettings } from '../../shared/schemas';
import { tempDir } from '../helpers/tmp';

const settings = StoreSettings.parse({ memoryLimitMb: 256, threads: 1 });
const T0 = Date.UTC(2026, 10, 29, 8, 0, 0);

function row(i: number, over: Partial<RecordRow> = {}): RecordRow {
  return {
    ts: T0 + i * 0.5,
    rx: T0 + i + 3,
    source: 'rig',
    severity: 'info',
    message: `line ${i}`,
    fields: { i },
    ...over,
  };
}

describe('RecordBatch', () => {
  it('keeps rows through the builder, growing past its capacity, with a rollback', () => {
    const b = new RecordBatchBuilder(2);
    const rows = Array.from({ length: 9 }, (_, i) =>
      row(i, { severity: (['debug', 'error', 'critical'] as const)[i % 3], source: i % 2 ? 'a' : 'b' }),
    );
    for (const r of rows) b.push(r.ts, r.rx, r.source, r.severity, r.message, fieldsJson(r.fields));
    b.push(1, 1, 'c', 'info', 'dropped', null);
    b.n = 9; // a frame that failed halfway is rolled back
    expect(() => (b.n = 10)).toThrow(/cannot grow/);
    const batch = b.take();
    expect(batch.n).toBe(9);
    expect(batch.sources.slice(0, 2)).toEqual(['b', 'a']); // 'c' may stay: no row refers to it
    expect(recordRows(batch)).toEqual(rows);
    expect(b.take().n).toBe(0); // take starts over
  });

  it('removes and slices rows', () => {
    const batch = recordBatch(Array.from({ length: 6 }, (_, i) => row(i)));
    const copy = sliceRecords(batch, 1, 3);
    removeRecords(batch, 1, 4);
    expect(recordRows(batch).map((r) => r.message)).toEqual(['line 0', 'line 4', 'line 5']);
    expect(recordRows(copy).map((r) => r.message)).toEqual(['line 1', 'line 2']);
  });

  it('makes BigInts JSON instead of throwing', () => {
    expect(fieldsJson({ small: 12n, big: 2n ** 64n })).toBe('{"small":12,"big":"18446744073709551616"}');
    expect(fieldsJson(null)).toBeNull();
  });

  it('comes out of the FrameDecoder with fields as JSON text', () => {
    const quarantined: string[] = [];
    const d = new FrameDecoder('rig', {
      channel: () => 1,
      quarantine: (_r, reason) => quarantined.push(reason),
    });
    const enc = (s: string) => new TextEncoder().encode(s);
    d.push({ rx: T0, key: 'logs', bytes: enc('{"level":"warn","msg":"über 🔥","n":1}') });
    d.push({ rx: T0 + 1, key: 'logs', bytes: enc('{"level":"warn",') }); // truncated: quarantined, nothing kept
    d.push({ rx: T0 + 2, key: 'text', bytes: enc('pump: error overcurrent') });
    const { records } = d.take();
    expect(records.n).toBe(2);
    expect(records.fields.slice(0, 2)).toEqual(['{"level":"warn","msg":"über 🔥"}', null]);
    expect(recordRows(records).map((r) => [r.severity, r.message, r.rx])).toEqual([
      ['info', 'logs', T0],
      ['error', 'pump: error overcurrent', T0 + 2],
    ]);
    expect(quarantined).toHaveLength(1);
  });
});

describe('records in the store', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function fresh() {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const store = await Store.open(path.join(tmp.dir, 'data.duckdb'), { settings, flushIntervalMs: 60_000 });
    cleanups.push(() => store.close());
    return store;
  }
  async function readBack(store: Store): Promise<RecordRow[]> {
    const r = await store.query({
      sql: `SELECT epoch_us(r.ts)::DOUBLE / 1000, epoch_us(r.rx)::DOUBLE / 1000, s.key, r.severity, r.message, r.fields::VARCHAR
            FROM records r JOIN sources s ON s.id = r.source_id ORDER BY r.rowid`,
      maxRows: 100_000,
    });
    return (r.rows as [number, number, string, RecordRow['severity'], string, string | null][]).map(
      ([ts, rx, source, severity, message, fields]) => ({
        ts,
        rx,
        source,
        severity,
        message,
        fields: fields === null ? null : (JSON.parse(fields) as Record<string, unknown>),
      }),
    );
  }

  it('round-trips unicode, nulls, nested and many fields, and several sources, across chunks', async () => {
    const store = await fresh();
    const many = Object.fromEntries(Array.from({ length: 1000 }, (_, k) => [`f${k}`, k % 2 ? `v${k}` : k]));
    const rows: RecordRow[] = [
      row(0, {
        message: 'Grüße, 世界, مرحبا, 🔥 e\u0301',
        fields: { ключ: 'значение', emoji: '👩‍🔧', '': 'empty key' },
      }),
      row(1, { fields: null, severity: 'critical' }),
      row(2, { fields: { a: null, b: [null, 1, 'x'], c: { d: { e: [true, false] } }, __proto__x: 1 } }),
      row(3, { fields: {}, source: 'other', message: '' }),
      row(4, { fields: many, message: 'tab\tnew\nline "quoted" \\ back' }),
    ];
    // Past two 2,048-row chunks, with nulls on both sides of each chunk boundary.
    for (let i = 5; i < 4500; i++) rows.push(row(i, { fields: i % 3 === 0 ? null : { i, s: `s${i}` } }));
    store.appendRecords(recordBatch(rows.slice(0, 3000)));
    store.appendRecords(recordBatch(rows.slice(3000)));
    await store.flush();
    expect(await readBack(store)).toEqual(rows);
    expect(store.storedRecords).toBe(4500);
  });

  it('round-trips huge strings', async () => {
    const store = await fresh();
    const big = 'x'.repeat(2_000_000) + 'é🔥';
    const rows = [row(0, { message: big, fields: { big } }), row(1)];
    store.appendRecords(recordBatch(rows));
    await store.flush();
    expect(await readBack(store)).toEqual(rows);
  });

  it('keeps a message with a NUL character whole', async () => {
    const store = await fresh();
    const rows = [row(0, { message: 'before\u0000after', fields: { k: 'a\u0000b' } })];
    store.appendRecords(recordBatch(rows));
    await store.flush();
    expect(await readBack(store)).toEqual(rows);
  });

  it('reads a field with the JSON operators users write in the SQL console', async () => {
    const store = await fresh();
    store.appendRecords(recordBatch([row(0, { fields: { motor: { id: 2 }, state: 'on' } })]));
    await store.flush();
    const r = await store.query({
      sql: `SELECT fields->>'state', fields->'motor'->>'id', json_type(fields) FROM records`,
      maxRows: 1,
    });
    expect(r.rows).toEqual([['on', '2', 'OBJECT']]);
  });

  it('keeps provenance only for batches that have it, through growth and reuse of a builder', () => {
    const b = new RecordBatchBuilder(2);
    for (let i = 0; i < 5; i++) b.push(T0, T0, 's', 'info', `a${i}`, null, i === 3 ? 'f.log' : null, i + 1);
    const first = b.take();
    expect(first.origin).toEqual([null, null, null, 'f.log', null]);
    expect(Array.from(first.line!.subarray(0, 5))).toEqual([NaN, NaN, NaN, 4, 5]);
    for (let i = 0; i < 9; i++) b.push(T0, T0, 's', 'info', `b${i}`, null);
    const second = b.take();
    expect([second.n, second.origin, second.line]).toEqual([9, undefined, undefined]);
    b.push(T0, T0, 's', 'info', 'c', null, 'g.log', 7);
    b.n = 0; // a frame rolled back
    b.push(T0, T0, 's', 'info', 'd', null, 'g.log', 8);
    const third = b.take();
    expect([third.n, third.origin, third.line?.[0]]).toEqual([1, ['g.log'], 8]);
  });
});
