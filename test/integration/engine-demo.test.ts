// The engine on the demo rig for a few seconds, then the rows read back from DuckDB.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { demoTemperature } from '../../electron/engine/sources/sim';
import { tempDir, waitFor } from '../helpers/tmp';

describe('engine on the demo rig', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('stores samples, records and channels that read back from DuckDB', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const engine = await Engine.open(path.join(tmp.dir, 'ws'));
    cleanups.push(() => engine.close());

    await waitFor('3 s of vibration samples stored', async () => {
      const r = await engine.query(`SELECT count(*) FROM samples_v WHERE channel = 'demo/vibration'`);
      return Number(r.rows[0]![0]) >= 1500;
    });
    const channels = await engine.channels();
    expect(channels.map((c) => c.name).sort()).toEqual([
      'demo/door',
      'demo/humidity',
      'demo/temperature',
      'demo/vibration',
    ]);
    expect(channels.find((c) => c.name === 'demo/temperature')!.unit).toBe('°C');

    // Vibration at 500 Hz: consecutive timestamps 2 ms apart.
    const gaps = await engine.query(
      `SELECT DISTINCT round(epoch_us(ts) - lag(epoch_us(ts)) OVER (ORDER BY ts)) AS gap_us FROM samples_v WHERE channel = 'demo/vibration' QUALIFY gap_us IS NOT NULL`,
    );
    expect(gaps.rows.map((r) => Number(r[0]))).toEqual([2000]);

    // Temperature values are the deterministic function of (seed, index, time).
    const temps = await engine.query(
      `SELECT value FROM samples_v WHERE channel = 'demo/temperature' ORDER BY ts LIMIT 3`,
    );
    expect(temps.rows.map((r) => r[0])).toEqual([0, 1, 2].map((i) => demoTemperature(1, i, i)));

    await waitFor('log records stored', async () => {
      const r = await engine.query(`SELECT count(*) FROM records_v WHERE source = 'demo'`);
      return Number(r.rows[0]![0]) >= 4;
    });
    const status = engine.status();
    expect(status.sources[0]).toMatchObject({ id: 'demo', state: 'connected' });
    expect(status.storedSamples).toBeGreaterThan(1500);
  });
});
