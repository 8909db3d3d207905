// A peer that invents keys cannot create channels without end: five MQTT messages with 9,999
// distinct JSON keys each, through a real Mosquitto, make exactly store.maxChannelsPerSource
// (10,000) channels; the messages that needed more are quarantined whole with the reason, the
// console gets one notice, and the live view's rings stay small for channels nobody watches.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { IDLE_RING_CAPACITY } from '../../electron/engine/live/hub';
import { mosquittoPub, TestBroker } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

const KEYS = 9_999;
const MESSAGES = 5;
const LIMIT = 10_000; // the default

let tmp: ReturnType<typeof tempDir>;
let broker: TestBroker;

beforeAll(async () => {
  tmp = tempDir();
  broker = await TestBroker.start();
});
afterAll(async () => {
  await broker?.close();
  tmp?.cleanup();
});

describe('channels per source', () => {
  it('stops at the limit: the rest is quarantined with the reason, one notice, rings stay small', async () => {
    const dir = path.join(tmp.dir, 'ws');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'opsdeck.json'),
      JSON.stringify({
        version: 1,
        sources: [
          {
            id: 'wide',
            kind: 'mqtt',
            name: 'Key inventor',
            options: { url: broker.url, subscriptions: [{ filter: 'wide/#', qos: 1 }] },
          },
        ],
      }),
    );
    const engine = await Engine.open(dir, { flushIntervalMs: 50 });
    try {
      await waitFor('connected', () => engine.status().sources[0]!.state === 'connected');
      await new Promise((r) => setTimeout(r, 300)); // the subscription is in place after the connect
      for (let m = 0; m < MESSAGES; m++) {
        const body: Record<string, number> = {};
        for (let k = 0; k < KEYS; k++) body[`m${m}k${k}`] = k;
        const file = path.join(tmp.dir, `m${m}.json`);
        fs.writeFileSync(file, JSON.stringify(body));
        mosquittoPub(broker, ['-t', 'wide/t', '-f', file, '-q', '1']);
      }
      const count = async (sql: string) => Number((await engine.query(sql)).rows[0]![0]);
      await waitFor(
        'every message stored or quarantined',
        async () =>
          (await count(`SELECT count(*) FROM samples_v WHERE source = 'wide'`)) +
            (await count(`SELECT count(*) FROM quarantine`)) >=
          KEYS + MESSAGES - 1,
        30_000,
      );

      expect(await count(`SELECT count(*) FROM channels WHERE name LIKE 'wide/%'`)).toBe(LIMIT);
      // The first message whole; none of a message that went to quarantine, not even the
      // channel it could still create before the limit.
      expect(await count(`SELECT count(*) FROM samples_v WHERE source = 'wide'`)).toBe(KEYS);
      expect(await count(`SELECT count(DISTINCT channel) FROM samples_v WHERE source = 'wide'`)).toBe(KEYS);
      const quarantined = await engine.query(
        `SELECT reason, "where", octet_length(raw)::DOUBLE FROM quarantine ORDER BY rx`,
      );
      expect(quarantined.rows).toHaveLength(MESSAGES - 1);
      for (const [reason, where, bytes] of quarantined.rows) {
        expect(reason).toMatch(
          /channel limit \(store\.maxChannelsPerSource\): no channel for "wide\/t\/m\d+k\d+"/,
        );
        expect(where).toBe('wide/t');
        expect(bytes).toBeGreaterThan(KEYS * 8); // the message byte for byte
      }
      const notices = engine.notices().filter((n) => n.message.includes('maxChannelsPerSource'));
      expect(notices).toHaveLength(1);
      expect(notices[0]!.message).toContain('source wide: reached its limit of 10000 channels');

      // Nobody plots these channels: each has a few samples' worth of ring, not 16 KiB.
      expect(engine.live.allocatedSlots()).toBeLessThanOrEqual(KEYS * IDLE_RING_CAPACITY);
      expect(engine.live.allocatedBytes()).toBeLessThanOrEqual(KEYS * 16 * 16);
    } finally {
      await engine.close();
    }
  });
});
