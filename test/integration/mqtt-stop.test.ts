// Stopping an MQTT source loses nothing the broker was told was received, and takes nothing twice:
// QoS 1 numbered messages flow at ~3,000 msg/s from a real Mosquitto into a persistent session
// (fixed clientId, clean: false) while the source is disabled and enabled again, and while the
// engine process is stopped with SIGINT and SIGTERM and started again. Every message is then in
// the database exactly once: count = distinct = published.
import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { assertBuilt, runCli, startServe, type ServedConsole } from '../helpers/cli';
import { freePort, TestBroker } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

const RATE = 3_000;
const TOPIC = 'seq/n';

let tmp: ReturnType<typeof tempDir>;
let broker: TestBroker;

beforeAll(async () => {
  tmp = tempDir();
  // No queue limit: the broker keeps every QoS 1 message for the session while OpsDeck is away.
  // (Sessions live in the broker's memory; its persistence file only matters across its restarts.)
  broker = await TestBroker.start({ maxQueuedMessages: 0 });
});
afterAll(async () => {
  await broker?.close();
  tmp?.cleanup();
});

function workspace(name: string, clientId: string): string {
  const dir = path.join(tmp.dir, name);
  fs.mkdirSync(dir, { recursive: true });
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
            clientId,
            clean: false,
            reconnectMinMs: 200,
            reconnectMaxMs: 1000,
            subscriptions: [{ filter: 'seq/#', qos: 1 }],
          },
        },
      ],
    }),
  );
  return dir;
}

/**
 * Publishes 0, 1, 2, … as QoS 1 at RATE msg/s until `stop()`; `done` resolves with how many the
 * broker acknowledged (every one published, or the test fails).
 */
function publishNumbered(): { stop(): void; done: Promise<number>; acked(): number } {
  const client = mqtt.connect(broker.url, {
    clientId: `pub-${process.pid}`,
    clean: true,
    reconnectPeriod: 0,
  });
  let next = 0;
  let acked = 0;
  let stopped = false;
  const done = new Promise<number>((resolve, reject) => {
    client.once('error', reject);
    client.once('connect', () => {
      const started = performance.now();
      const tick = setInterval(() => {
        const due = stopped ? next : Math.floor(((performance.now() - started) / 1000) * RATE);
        for (; next < due; next++) {
          client.publish(TOPIC, String(next), { qos: 1 }, (error) => {
            if (error) reject(error);
            else acked++;
          });
        }
        if (stopped && acked === next) {
          clearInterval(tick);
          client.end(false, {}, () => resolve(next));
        }
      }, 5);
    });
  });
  return { stop: () => (stopped = true), done, acked: () => acked };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves once the engine's subscription exists at the broker (a probe it published is stored):
 * from then on the session queues every message for OpsDeck, even while it is away.
 */
async function untilSubscribed(stored: (sql: string) => Promise<number>): Promise<void> {
  const probe = await mqtt.connectAsync(broker.url, { clientId: `probe-${process.pid}`, reconnectPeriod: 0 });
  try {
    await waitFor('the subscription in place', async () => {
      await probe.publishAsync('seq/probe', '1', { qos: 1 });
      return (await stored(`SELECT count(*) AS n FROM samples_v WHERE channel = 'plant/seq/probe'`)) > 0;
    });
  } finally {
    await probe.endAsync();
  }
}

const COUNTS = `SELECT count(*)::DOUBLE, count(DISTINCT value)::DOUBLE, min(value), max(value) FROM samples_v WHERE channel = 'plant/${TOPIC}'`;

describe('stopping an MQTT source under QoS 1 load', () => {
  it('disabling, enabling and editing the source loses and duplicates nothing', async () => {
    const dir = workspace('disable', 'opsdeck-stop-disable');
    const engine = await Engine.open(dir, { flushIntervalMs: 50 });
    try {
      const state = () => engine.status().sources.find((s) => s.id === 'plant')!.state;
      await waitFor('connected', () => state() === 'connected');
      await untilSubscribed(async (sql) => Number((await engine.query(sql)).rows[0]![0]));
      const publisher = publishNumbered();
      for (let round = 0; round < 3; round++) {
        await sleep(1_500);
        await engine.setSourceEnabled('plant', false); // messages in flight when it stops
        await sleep(500); // the broker queues for the session meanwhile
        await engine.setSourceEnabled('plant', true);
        await waitFor('reconnected', () => state() === 'connected');
      }
      // An edit that needs a new connection stops and starts the source too.
      await sleep(1_500);
      const source = engine.config.sources.find((s) => s.id === 'plant')!;
      await engine.upsertSource({
        ...source,
        options: { ...source.options, keepaliveSeconds: 20 },
      } as typeof source);
      await waitFor('reconnected after the edit', () => state() === 'connected');
      await sleep(1_000);
      publisher.stop();
      const published = await publisher.done;
      expect(published).toBeGreaterThan(RATE * 3);

      const counts = async () => (await engine.query(COUNTS)).rows[0] as number[];
      await waitFor('every message stored', async () => (await counts())[1] === published, 60_000);
      // Redeliveries of messages taken twice would come with the session's queue: wait until quiet.
      let last = -1;
      await waitFor('nothing more arriving', async () => {
        const received = engine.status().sources.find((s) => s.id === 'plant')!.messages;
        const quiet = received === last;
        last = received;
        await sleep(500);
        return quiet;
      });
      expect(await counts()).toEqual([published, published, 0, published - 1]);
      expect(engine.status().lostRows).toBe(0);
    } finally {
      await engine.close();
    }
  }, 180_000);

  it('the built-in broker stops with devices connected, keeping every message it acknowledged', async () => {
    const dir = path.join(tmp.dir, 'built-in');
    fs.mkdirSync(dir);
    const port = await freePort();
    fs.writeFileSync(
      path.join(dir, 'opsdeck.json'),
      JSON.stringify({
        version: 1,
        sources: [{ id: 'site', kind: 'mqtt-broker', name: 'Site broker', options: { port } }],
      }),
    );
    const engine = await Engine.open(dir, { flushIntervalMs: 50 });
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
    try {
      let acked = 0;
      let next = 0;
      const pump = setInterval(() => {
        for (let i = 0; i < 15 && device.connected; i++)
          device.publish(TOPIC, String(next++), { qos: 1 }, (error) => {
            if (!error) acked++;
          });
      }, 5);
      await waitFor('messages flowing in', () => acked > 1_000);
      // Before, this waited for the device to hang up, which it never does: the engine hung.
      await engine.setSourceEnabled('site', false);
      clearInterval(pump);
      await waitFor('the device disconnected', () => !device.connected);
      const rows = (
        await engine.query(
          `SELECT count(*)::DOUBLE, count(DISTINCT value)::DOUBLE, max(value) FROM samples_v WHERE channel = 'site/${TOPIC}'`,
        )
      ).rows[0] as number[];
      // Every message the device had an acknowledgement for is stored, once.
      expect(rows[0]).toBe(rows[1]);
      expect(rows[0]).toBeGreaterThanOrEqual(acked);
      expect(rows[2]).toBe(rows[0]! - 1);
    } finally {
      device.end(true);
      await engine.close();
    }
  });

  it('SIGINT and SIGTERM of the engine process lose and duplicate nothing', async () => {
    assertBuilt();
    const dir = workspace('signals', 'opsdeck-stop-signals');
    const serve = () => startServe(['serve', '--workspace', dir, '--port', '0']);
    const stopWith = (served: ServedConsole, signal: NodeJS.Signals) =>
      new Promise<number | null>((resolve) => {
        const kill = setTimeout(() => served.child.kill('SIGKILL'), 30_000);
        served.child.once('exit', (code) => {
          clearTimeout(kill);
          resolve(code);
        });
        served.child.kill(signal);
      });
    const query = async (sql: string) => {
      const result = await runCli(['query', dir, sql, '--format', 'json']);
      if (result.code !== 0) throw new Error(result.stderr);
      return JSON.parse(result.stdout) as Record<string, number>[];
    };
    const received = async () =>
      Number((await query(`SELECT count(*) AS n FROM samples_v WHERE channel = 'plant/${TOPIC}'`))[0]!.n);

    let served = await serve();
    await untilSubscribed(async (sql) => Number((await query(sql))[0]!.n));
    const publisher = publishNumbered();
    try {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        // Stop while messages flow into it (the engine has stored some: the stop is mid-stream).
        const before = publisher.acked();
        await waitFor('messages flowing in', async () => (await received()) > before);
        await sleep(700);
        expect(await stopWith(served, signal)).toBe(0);
        await sleep(500);
        served = await serve();
      }
      await sleep(1_000);
      publisher.stop();
      const published = await publisher.done;
      await waitFor('every message stored', async () => (await received()) >= published, 60_000).catch(
        async (error: Error) => {
          const [gaps] = await query(
            `SELECT count(*) AS n, string_agg(v::BIGINT::VARCHAR, ',') AS missing FROM (SELECT range::DOUBLE AS v FROM range(${published}) EXCEPT SELECT value FROM samples_v WHERE channel = 'plant/${TOPIC}')`,
          );
          throw new Error(`${error.message}: ${JSON.stringify(gaps)} of ${published} missing`);
        },
      );
      await sleep(1_500); // a duplicate would have arrived with the session's queue by now
      expect(await stopWith(served, 'SIGTERM')).toBe(0);
      const [row] = await query(
        `SELECT count(*) AS n, count(DISTINCT value) AS d, min(value) AS lo, max(value) AS hi FROM samples_v WHERE channel = 'plant/${TOPIC}'`,
      );
      expect(row).toEqual({ n: published, d: published, lo: 0, hi: published - 1 });
    } finally {
      publisher.stop();
      await served.stop();
    }
  }, 180_000);
});
