// Alert state survives an engine restart: a firing instance stays firing with the same since, and
// resolves (once, with no second firing) on the next low value.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { tempDir, waitFor } from '../helpers/tmp';

const RULE = {
  id: 'hot',
  kind: 'threshold',
  channel: 'feed/temp',
  above: 5,
  clearBelow: 3,
  for: '2s',
  lateness: 0,
  labels: { site: 'lab' },
};

describe('alert state across a restart', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('keeps a firing instance firing and resolves it once afterwards', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const dir = path.join(tmp.dir, 'ws');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'opsdeck.json'),
      JSON.stringify({ version: 1, sources: [], rules: [RULE] }),
    );
    let nextTs = Date.now() - 60_000;
    async function emit(engine: Engine, values: number[]): Promise<void> {
      const feed = engine.ingestContext('feed', 'test');
      const ch = feed.channel('temp');
      const t0 = nextTs;
      nextTs += values.length * 1_000;
      await feed.emitSamples({
        n: values.length,
        ts: Float64Array.from(values, (_v, i) => t0 + i * 1_000),
        channel: Uint32Array.from(values, () => ch),
        value: Float64Array.from(values),
      });
    }
    const hot = (e: Engine) => e.alertsNow(100).then((r) => r.instances.find((i) => i.rule === 'hot'));

    const first = await Engine.open(dir, { flushIntervalMs: 50 });
    // 4 is between clearBelow and above: only the hysteresis memory keeps it firing.
    await emit(first, [1, 7, 8, 9, 10, 4]);
    const firing = await waitFor('hot firing', async () => {
      const i = await hot(first);
      return i?.state === 'firing' ? i : undefined;
    });
    await first.close();

    const second = await Engine.open(dir, { flushIntervalMs: 50 });
    cleanups.push(() => second.close());
    const restored = await hot(second);
    expect(restored).toMatchObject({ state: 'firing', since: firing.since, labels: { site: 'lab' } });

    await emit(second, [4, 2]);
    await waitFor('hot resolved', async () => ((await hot(second))?.state === 'resolved' ? true : undefined));
    await second.alerts!.writer.drain();
    const stored = await second.query(
      `SELECT from_state, state, value FROM alert_transitions WHERE rule = 'hot' ORDER BY ts, evaluated_at`,
    );
    expect(stored.rows).toEqual([
      ['normal', 'pending', 7],
      ['pending', 'firing', 8], // the `for` timer, with the last value
      ['firing', 'resolved', 2], // not at 4: the restored hysteresis held it
    ]);
  });
});
