// Masking chosen on an MQTT source: a real Mosquitto delivers a message with an e-mail address;
// the stored record, the exact recording and the quarantined copy all hold it masked.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { mosquittoPub, TestBroker } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let broker: TestBroker;
let engine: Engine;

beforeAll(async () => {
  tmp = tempDir();
  broker = await TestBroker.start();
  const dir = path.join(tmp.dir, 'ws');
  fs.mkdirSync(dir);
  const source = (id: string, masking: unknown) => ({
    id,
    kind: 'mqtt',
    name: id,
    enabled: true,
    options: { url: broker.url, subscriptions: [{ filter: `${id}/#`, qos: 0 }], record: true, masking },
  });
  fs.writeFileSync(
    path.join(dir, 'opsdeck.json'),
    JSON.stringify({
      version: 1,
      sources: [source('masked', { rules: ['email'] }), source('plain', undefined)],
    }),
  );
  engine = await Engine.open(dir, { flushIntervalMs: 50 });
});

afterAll(async () => {
  await engine?.close();
  await broker?.close();
  tmp?.cleanup();
});

describe('masking on an MQTT source', () => {
  it('masks records, recordings and quarantine when chosen, and leaves a source without it exact', async () => {
    await waitFor('both connected', () => engine.status().sources.every((s) => s.state === 'connected'));
    for (const id of ['masked', 'plain']) {
      mosquittoPub(broker, [
        '-t',
        `${id}/door`,
        '-m',
        '{"event":"badge","who":"ana@example.org"}',
        '-q',
        '1',
      ]);
      mosquittoPub(broker, ['-t', `${id}/bad`, '-m', '{"who":"ana@example.org",', '-q', '1']);
    }
    const stored = async (sql: string) => (await engine.query(sql)).rows.map((r) => String(r[0]));
    await waitFor('records and quarantine of both', async () => {
      await engine.store.flush();
      const r = await engine.query(
        'SELECT (SELECT count(*) FROM records) + (SELECT count(*) FROM quarantine)',
      );
      return Number(r.rows[0]![0]) >= 4;
    });
    const text = async (source: string) => [
      ...(await stored(`SELECT fields::VARCHAR FROM records_v WHERE source = '${source}'`)),
      ...(await stored(
        `SELECT decode(payload) FROM recordings r JOIN sources s ON s.id = r.source_id WHERE s.key = '${source}'`,
      )),
      ...(await stored(
        `SELECT decode(raw) FROM quarantine q JOIN sources s ON s.id = q.source_id WHERE s.key = '${source}'`,
      )),
    ];
    const masked = await text('masked');
    expect(masked.length).toBeGreaterThanOrEqual(3);
    for (const t of masked) expect(t).not.toContain('ana@example.org');
    expect(masked.join('\n')).toContain('[masked:email]');
    expect((await text('plain')).join('\n')).toContain('ana@example.org');
  });
});
