// Device clocks through a real Mosquitto: zone-less times read in the source's zone (UTC by
// default), never the engine host's; New York wall-clock times across a daylight-saving change
// with the source's zone set; a 5-hour offset noticed when it is not set; implausible times stored
// at receive time with the device's time kept, and counted.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { mosquittoPub, TestBroker } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let broker: TestBroker;
const closers: (() => Promise<void> | void)[] = [];
const hostZone = process.env['TZ'];

beforeAll(async () => {
  tmp = tempDir();
  broker = await TestBroker.start();
  // The engine's host runs on New York time: nothing below may depend on it.
  process.env['TZ'] = 'America/New_York';
});
afterAll(async () => {
  if (hostZone === undefined) delete process.env['TZ'];
  else process.env['TZ'] = hostZone;
  for (const c of closers.reverse()) await c();
  await broker.close();
  tmp.cleanup();
});

async function engineWith(options: Record<string, unknown>, now?: () => number): Promise<Engine> {
  const dir = fs.mkdtempSync(path.join(tmp.dir, 'ws-'));
  fs.writeFileSync(
    path.join(dir, 'opsdeck.json'),
    JSON.stringify({
      version: 1,
      sources: [
        {
          id: 'plant',
          kind: 'mqtt',
          name: 'Plant',
          options: { url: broker.url, subscriptions: [{ filter: 'tele/#', qos: 1 }], ...options },
        },
      ],
    }),
  );
  const engine = await Engine.open(dir, { flushIntervalMs: 50, ...(now ? { now } : {}) });
  closers.push(() => engine.close());
  await waitFor('connected', () => engine.status().sources[0]?.state === 'connected');
  return engine;
}

const stored = async (engine: Engine, channel: string) =>
  (
    await engine.query(
      `SELECT epoch_ms(ts)::DOUBLE, value FROM samples_v WHERE channel = '${channel}' ORDER BY value`,
    )
  ).rows as [number, number][];

/** Wall-clock time of `ms` as a zone-less ISO string, the way Tasmota writes its `Time`. */
const wall = (ms: number) => new Date(ms).toISOString().slice(0, 19);

describe('device clocks', () => {
  it('reads a zone-less Time as UTC by default, whatever the host zone', async () => {
    const engine = await engineWith({});
    const sent = Date.now();
    mosquittoPub(broker, [
      '-t',
      'tele/utc/SENSOR',
      '-m',
      `{"Time":"${wall(sent)}","ENERGY":{"Power":7}}`,
      '-q',
      '1',
    ]);
    const rows = await waitFor('stored', async () => {
      const r = await stored(engine, 'plant/tele/utc/SENSOR/ENERGY.Power');
      return r.length ? r : null;
    });
    // Within seconds of when it was sent, not 5 h off (Date.parse would read New York time).
    expect(Math.abs(rows[0]![0] - sent)).toBeLessThan(5_000);
  });

  it('reads New York wall-clock times right across the autumn change when the source says so', async () => {
    let now = Date.UTC(2026, 10, 1, 5, 59, 55); // 01:59:55 EDT
    const engine = await engineWith({ timeZone: 'America/New_York' }, () => now);
    mosquittoPub(broker, ['-t', 'tele/ny/SENSOR', '-m', '{"Time":"2026-11-01T01:59:50","v":1}', '-q', '1']);
    await waitFor('the first', async () =>
      (await stored(engine, 'plant/tele/ny/SENSOR/v')).length === 1 ? 1 : null,
    );
    now = Date.UTC(2026, 10, 1, 6, 0, 10); // the clocks fell back: 01:00:10 EST
    mosquittoPub(broker, ['-t', 'tele/ny/SENSOR', '-m', '{"Time":"2026-11-01T01:00:05","v":2}', '-q', '1']);
    const rows = await waitFor('the second', async () => {
      const r = await stored(engine, 'plant/tele/ny/SENSOR/v');
      return r.length === 2 ? r : null;
    });
    expect(rows).toEqual([
      [Date.UTC(2026, 10, 1, 5, 59, 50), 1],
      [Date.UTC(2026, 10, 1, 6, 0, 5), 2],
    ]);
  });

  it('notices a device 5 h off when the zone is not set, and keeps implausible times', async () => {
    const engine = await engineWith({});
    const base = Date.now();
    // A New York device in winter, its wall clock 5 h behind UTC.
    for (let i = 0; i < 10; i++)
      mosquittoPub(broker, [
        '-t',
        'tele/nyc/SENSOR',
        '-m',
        `{"Time":"${wall(base - 5 * 3_600_000 + i * 1000)}","v":${i}}`,
        '-q',
        '1',
      ]);
    const notice = await waitFor('the offset notice', () =>
      engine.notices().find((n) => n.message.includes('tele/nyc/SENSOR')),
    );
    expect(notice).toMatchObject({
      level: 'warn',
      message:
        "plant: timestamps on tele/nyc/SENSOR run 5 h behind receive time: set the source's time zone (timeZone)",
    });
    const detail = await waitFor('the topic', () => engine.topicDetail('plant', 'tele/nyc/SENSOR'));
    expect(detail.clock).toMatch(/run 5 h behind receive time/);

    // A board that says 2099: stored now, its own time kept in the record, and told.
    const before = Date.now();
    mosquittoPub(broker, [
      '-t',
      'tele/future/SENSOR',
      '-m',
      '{"Time":"2099-01-01T00:00:00","v":1}',
      '-q',
      '1',
    ]);
    const [row] = await waitFor('stored', async () => {
      const r = await stored(engine, 'plant/tele/future/SENSOR/v');
      return r.length ? r : null;
    });
    expect(row![0]).toBeGreaterThanOrEqual(before - 1000);
    expect(row![0]).toBeLessThanOrEqual(Date.now() + 1000);
    const kept = await engine.query(
      `SELECT fields->>'Time' FROM records_v WHERE message = 'tele/future/SENSOR'`,
    );
    expect(kept.rows).toEqual([['2099-01-01T00:00:00']]);
    expect(engine.notices().map((n) => n.message)).toContainEqual(
      expect.stringMatching(
        /^plant: device times on tele\/future\/SENSOR are not believed \(\d+ days ahead of receive time\)/,
      ),
    );
  });

  it('refuses a zone that does not exist, naming the field', async () => {
    const { WorkspaceConfig, describeZodError } = await import('../../shared/schemas');
    const parsed = WorkspaceConfig.safeParse({
      version: 1,
      sources: [{ id: 'p', kind: 'mqtt', name: 'P', options: { url: 'mqtt://x', timeZone: 'Mars/Olympus' } }],
    });
    expect(parsed.success).toBe(false);
    expect(describeZodError(parsed.error!)).toMatch(
      /^sources\.0\.options\.timeZone: not a time zone: use an IANA name/,
    );
  });
});
