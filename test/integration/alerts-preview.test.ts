// The rule editor's API: previewRules evaluates over stored data exactly as evaluateStored does and
// writes nothing; saveRules refuses a bad rule by naming its field (opsdeck.json untouched) and
// hands a good one to the live evaluator.
import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../shared/alerts';
import { RpcClient, type Transport } from '../../shared/rpc';
import { evaluateStored } from '../../electron/engine/alerts/stored';
import { Engine } from '../../electron/engine/engine';
import { bindConnection } from '../../electron/engine/server/bind';
import { portTransport } from '../../electron/engine/server/port';
import { tempDir, waitFor } from '../helpers/tmp';

function connect(engine: Engine): RpcClient {
  const { port1, port2 } = new MessageChannel();
  bindConnection(engine, portTransport(port1));
  const transport: Transport = {
    send: (data) => port2.postMessage(data),
    onMessage: (handler) => port2.on('message', (data: string | ArrayBuffer) => handler(data)),
    onClose: (handler) => port2.on('close', () => handler('port closed')),
    close: () => port2.close(),
  };
  return new RpcClient(transport);
}

describe('rule preview and save', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function demoRig() {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    // A clock running 25 times fast: the rig's first minute passes in under 3 s.
    const t0 = Date.now();
    const now = () => t0 + (Date.now() - t0) * 25;
    const engine = await Engine.open(path.join(tmp.dir, 'ws'), { now });
    cleanups.push(() => engine.close());
    const client = connect(engine);
    cleanups.push(() => client.close());
    const live: AlertTransition[] = [];
    engine.alerts!.onTransition((t) => live.push(t));
    return { engine, client, live, t0, configFile: path.join(engine.dir, 'opsdeck.json') };
  }

  it('previews the demo rule over stored data with the transitions of evaluateStored, writing nothing', async () => {
    const { engine, client, live, t0 } = await demoRig();
    await waitFor('the demo rule firing', () => live.find((t) => t.state === 'firing'));
    // The stored data must hold still while both evaluations read it.
    for (const source of engine.config.sources) await engine.setSourceEnabled(source.id, false);
    await engine.alerts!.writer.drain();
    const stored = async () =>
      (await engine.query(`SELECT count(*)::INTEGER FROM alert_transitions`)).rows[0]![0];
    const before = await stored();

    const rules = engine.config.rules;
    const range = { from: t0 - 1_000, to: engine.now() };
    const preview = await client.call('previewRules', { rules, ...range });
    const expected = await evaluateStored(engine.store, rules, range);

    expect(preview.total).toBe(expected.transitions.length);
    expect(preview.transitions).toEqual(
      expected.transitions.map((t) => ({
        ...t,
        value: Number.isFinite(t.value) ? t.value : null,
        cause: null,
      })),
    );
    expect(preview.firings).toBeGreaterThanOrEqual(1);
    expect(preview.transitions.find((t) => t.state === 'firing')).toMatchObject({
      rule: 'demo-temperature-high',
      from: 'pending',
    });
    expect(preview.samples).toBe(expected.samples);
    expect(await stored()).toBe(before); // nothing written

    // Without a range: the hour before the engine's now.
    const lastHour = await client.call('previewRules', { rules });
    expect(lastHour.to - lastHour.from).toBe(3_600_000);
    expect(lastHour.firings).toBeGreaterThanOrEqual(1);

    // The rules are validated like the workspace file.
    await expect(client.call('previewRules', { rules: [{ ...rules[0]!, for: 'soon' }] })).rejects.toThrow(
      /^previewRules: rules\.0\.for: not a duration/,
    );
  });

  it('refuses a bad rule naming the field and leaves opsdeck.json alone; saves a good one that runs live', async () => {
    const { engine, client, live, configFile } = await demoRig();
    const original = fs.readFileSync(configFile, 'utf8');
    const demo = engine.config.rules[0]!;

    await expect(
      client.call('saveRules', { rules: [demo, { ...demo, id: 'bad', for: 'soon' }] }),
    ).rejects.toThrow(/^saveRules: rules\.1\.for: not a duration/);
    await expect(
      client.call('saveRules', {
        rules: [{ id: 'band', kind: 'threshold', channel: 'demo/temperature' }],
      }),
    ).rejects.toThrow(/rules\.0\.above: set above, below, or both/);
    expect(fs.readFileSync(configFile, 'utf8')).toBe(original);
    expect(engine.config.rules).toEqual([demo]);

    const rule = {
      id: 'editor-always',
      kind: 'threshold' as const,
      channel: 'demo/temperature',
      above: -1_000,
      for: '0s',
      labels: { origin: 'editor' },
    };
    await client.call('saveRules', { rules: [demo, rule] });
    const saved = JSON.parse(fs.readFileSync(configFile, 'utf8')) as { rules: { id: string }[] };
    expect(saved.rules.map((r) => r.id)).toEqual(['demo-temperature-high', 'editor-always']);
    expect(engine.config.rules.map((r) => r.id)).toEqual(['demo-temperature-high', 'editor-always']);
    const fired = await waitFor('the saved rule firing live', () =>
      live.find((t) => t.rule === 'editor-always' && t.state === 'firing'),
    );
    expect(fired.labels).toMatchObject({ origin: 'editor' });
  });
});
