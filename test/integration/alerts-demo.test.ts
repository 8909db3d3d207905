// The demo rig fires the demo rule within its first minute, live; evaluating the stored data
// afterwards gives the same transitions.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../electron/cli/main';
import type { AlertTransition } from '../../shared/alerts';
import { evaluateStored } from '../../electron/engine/alerts/stored';
import { Engine } from '../../electron/engine/engine';
import { tempDir, waitFor } from '../helpers/tmp';

async function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('alerts on the demo rig', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('fires the demo temperature rule, stores it, and stored evaluation agrees', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    // A clock running 25 times fast: the rig's first minute passes in under 3 s.
    const t0 = Date.now();
    const now = () => t0 + (Date.now() - t0) * 25;
    const engine = await Engine.open(path.join(tmp.dir, 'ws'), { now });
    cleanups.push(() => engine.close());
    const live: AlertTransition[] = [];
    engine.alerts!.onTransition((t) => live.push(t));

    const firing = await waitFor('the demo rule firing', () => live.find((t) => t.state === 'firing'));
    const pending = live.find((t) => t.state === 'pending')!;
    expect(pending.value).toBeGreaterThan(25);
    expect(firing.ts - pending.ts).toBeGreaterThanOrEqual(10_000);
    expect(firing.ts - t0).toBeLessThan(60_000); // within the first minute of the rig
    expect(firing).toMatchObject({
      rule: 'demo-temperature-high',
      from: 'pending',
      labels: { site: 'demo' },
    });
    expect(firing.annotations['summary']).toMatch(
      /^demo\/temperature at 2\d\.\d °C, above 25 °C for 10 s \(demo\)$/,
    );
    expect(
      engine
        .notices()
        .some((n) => n.level === 'warn' && n.message.startsWith('alert demo-temperature-high firing')),
    ).toBe(true);

    await engine.alerts!.writer.drain();
    const stored = await engine.query(
      `SELECT state, mode, epoch_us(ts)::DOUBLE / 1000 AS ts, value FROM alert_transitions ORDER BY ts`,
    );
    expect(stored.rows.slice(0, 2)).toEqual([
      ['pending', 'live', pending.ts, pending.value],
      ['firing', 'live', firing.ts, firing.value],
    ]);

    // The API the console reads: the instance firing now, transitions newest first.
    const current = await engine.alertsNow(10);
    expect(current.instances).toEqual([
      expect.objectContaining({ rule: 'demo-temperature-high', state: 'firing' }),
    ]);
    expect(current.transitions.slice(-2).map((t) => [t.from, t.state, t.ts])).toEqual([
      ['pending', 'firing', firing.ts],
      ['normal', 'pending', pending.ts],
    ]);

    // The same rules over the stored data: what was paged live is a prefix of what it finds (it
    // also sees the last lateness window, which live evaluation still holds back).
    const replay = await evaluateStored(engine.store, engine.config.rules);
    expect(replay.transitions.slice(0, live.length)).toEqual(live);
    expect(replay.late).toEqual({ 'demo-temperature-high': 0 });

    // `opsdeck rules test` on the closed workspace prints the same transitions.
    await engine.close();
    const dir = path.join(tmp.dir, 'ws');
    const rulesFile = path.join(tmp.dir, 'rules.json');
    fs.writeFileSync(rulesFile, JSON.stringify(engine.config.rules));
    const cli = await runMain(['rules', 'test', dir, rulesFile, '--format', 'json']);
    expect(cli.code).toBe(0);
    expect((JSON.parse(cli.stdout) as AlertTransition[]).slice(0, 2)).toEqual(
      live.slice(0, 2).map((t) => ({ ...t, cause: null })),
    );
    expect(cli.stderr).toMatch(/1 rules over \d+ samples and 0 records: \d+ transitions/);
    const text = await runMain(['rules', 'test', dir, path.join(dir, 'opsdeck.json')]);
    expect(text.stdout).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}demo-temperature-high\{site="demo"\} {2}normal -> pending {2}value=2\d\.\d$/m,
    );

    fs.writeFileSync(
      rulesFile,
      JSON.stringify({ rules: [{ id: 'x', kind: 'threshold', channel: 'demo/temperature', for: '5 min' }] }),
    );
    const bad = await runMain(['rules', 'test', dir, rulesFile]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/rules\.0\.for: not a duration: "5 min"/);
  });
});
