// The broker restarts under load: Mosquitto stopped with SIGTERM (so its persistence is written)
// and started again while a device publishes 10,000 QoS 1 messages a second, OpsDeck holding a
// persistent session. Every message the broker acknowledged to the device reaches DuckDB.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { TestBroker } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

const RATE = 10_000;
const COUNT = 60_000;
const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

it('loses no QoS 1 message when Mosquitto restarts under 10,000 msg/s', async () => {
  const tmp = tempDir();
  closers.push(tmp.cleanup);
  const broker = await TestBroker.start({ persistence: true, saveEveryChange: false, maxQueuedMessages: 0 });
  closers.push(() => broker.close());
  const dir = path.join(tmp.dir, 'ws');
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, 'opsdeck.json'),
    JSON.stringify({
      version: 1,
      sources: [
        {
          id: 'plant',
          kind: 'mqtt',
          name: 'Plant',
          options: {
            url: broker.url,
            clientId: 'opsdeck-restart',
            clean: false,
            reconnectMinMs: 100,
            reconnectMaxMs: 500,
            subscriptions: [{ filter: 'line/#', qos: 1 }],
          },
        },
      ],
    }),
  );
  const engine = await Engine.open(dir, { flushIntervalMs: 50 });
  closers.push(() => engine.close());
  const state = () => engine.status().sources.find((s) => s.id === 'plant')!.state;
  await waitFor('connected', () => state() === 'connected');

  const device = spawn(
    process.execPath,
    [
      path.join(import.meta.dirname, '../helpers/sequence-publisher.mjs'),
      JSON.stringify({ url: broker.url, topic: 'line/seq', count: COUNT, rate: RATE, clientId: 'device-1' }),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  closers.push(() => void device.kill());
  let out = '';
  device.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<{ acked: number; reconnects: number }>((resolve, reject) => {
    device.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`publisher exited ${code}`)),
    );
  });

  const stored = async () =>
    Number(
      (await engine.query(`SELECT count(DISTINCT value) FROM samples_v WHERE channel = 'plant/line/seq'`))
        .rows[0]![0],
    );
  // Mid-stream, the broker goes away (saving its state) and comes back on the same port.
  await waitFor('a first share of the stream stored', async () => {
    const n = await stored();
    return n > COUNT / 6 ? true : null;
  });
  await broker.stop('SIGTERM');
  await waitFor('the source noticing', () => state() !== 'connected');
  await broker.run();
  await waitFor('reconnected', () => state() === 'connected');

  const device1 = await done;
  expect(device1.acked).toBe(COUNT);
  expect(device1.reconnects).toBeGreaterThan(0);
  await waitFor('every message stored', async () => ((await stored()) === COUNT ? true : null), 60_000);
  const [lo, hi] = (
    await engine.query(`SELECT min(value), max(value) FROM samples_v WHERE channel = 'plant/line/seq'`)
  ).rows[0]!;
  expect([lo, hi]).toEqual([0, COUNT - 1]);
});
