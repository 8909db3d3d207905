// Replaying an incident: a DHT11-like sensor publishes through a real Mosquitto, its temperature
// crosses the rule's threshold and comes back, and live evaluation fires, resolves and posts to a
// webhook on 127.0.0.1. A replay of that range at 100× fires and resolves at the same event times
// and posts nothing; a draft rule with a lower threshold, replayed over the same range, fires earlier,
// listed beside what was paged live; `opsdeck rules test` answers the same through the same path.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../electron/cli/main';
import type { AlertRuleInput, AlertTransition } from '../../shared/alerts';
import { Engine } from '../../electron/engine/engine';
import { TestBroker } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

/** Whole degrees, as a DHT11 reports them: up past 30 and back. */
const TEMPERATURES = [22, 22, 23, 23, 24, 24, 26, 27, 28, 29, 31, 32, 33, 33, 32, 29, 27, 25, 23, 22, 22, 22];
const CHANNEL = 'dht/lab/dht11/temperature';
const LIVE_RULE: AlertRuleInput = {
  id: 'lab-hot',
  kind: 'threshold',
  channel: CHANNEL,
  above: 30,
  lateness: 0,
  notify: ['hook'],
};

async function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((stdout += String(c)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((stderr += String(c)), true));
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const key = (t: { ts: number; rule: string; from: string; state: string; value: number | null }) => [
  t.rule,
  t.from,
  t.state,
  t.ts,
  t.value,
];

describe('replay of a sensor incident through a real Mosquitto', () => {
  const tmp = tempDir();
  const closers: (() => Promise<void> | void)[] = [];
  const hooks: Record<string, unknown>[] = [];
  const live: AlertTransition[] = [];
  let engine: Engine;
  let dir: string;
  let range: { from: number; to: number };

  beforeAll(async () => {
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        hooks.push(JSON.parse(body) as Record<string, unknown>);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const broker = await TestBroker.start();
    closers.push(() => broker.close());

    dir = path.join(tmp.dir, 'ws');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'opsdeck.json'),
      JSON.stringify({
        version: 1,
        sources: [
          {
            id: 'dht',
            kind: 'mqtt',
            name: 'DHT11 bench',
            enabled: true,
            options: { url: broker.url, subscriptions: [{ filter: 'lab/#', qos: 1 }], record: true },
          },
        ],
        rules: [LIVE_RULE],
        alerting: {
          groupWait: 0,
          groupInterval: 0,
          notifiers: [
            {
              id: 'hook',
              kind: 'webhook',
              url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
              backoffMs: 20,
            },
          ],
        },
      }),
    );
    engine = await Engine.open(dir, { flushIntervalMs: 50 });
    closers.push(() => engine.close());
    engine.alerts!.onTransition((t) => live.push(t));
    await waitFor(
      'connected',
      () => engine.status().sources.find((s) => s.id === 'dht')?.state === 'connected',
    );

    // The sensor: one reading every 100 ms, event time = when the engine receives it.
    const pub = spawn('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(broker.port),
      '-t',
      'lab/dht11/temperature',
      '-q',
      '1',
      '-l',
    ]);
    for (const t of TEMPERATURES) {
      pub.stdin.write(`${t}\n`);
      await new Promise((r) => setTimeout(r, 100));
    }
    pub.stdin.end();
    await new Promise((r) => pub.once('exit', r));
    await waitFor('every reading stored', async () => {
      await engine.store.flush();
      const n = Number(
        (await engine.query(`SELECT count(*) FROM samples_v WHERE channel = '${CHANNEL}'`)).rows[0]![0],
      );
      return n === TEMPERATURES.length;
    });
    await waitFor('the live firing and resolved posted', () => hooks.length >= 2);
    await engine.notifier!.drain();
    await engine.alerts!.writer.drain();
    const bounds = await engine.query(
      `SELECT epoch_us(min(ts))::DOUBLE / 1000, epoch_us(max(ts))::DOUBLE / 1000 FROM samples_v WHERE channel = '${CHANNEL}'`,
    );
    range = { from: bounds.rows[0]![0] as number, to: (bounds.rows[0]![1] as number) + 1 };
  });
  afterAll(async () => {
    for (const c of closers.reverse()) await c();
    tmp.cleanup();
  });

  it('live: fired and resolved once, and paged both', () => {
    expect(
      live.filter((t) => t.state === 'firing' || t.state === 'resolved').map((t) => [t.state, t.value]),
    ).toEqual([
      ['firing', 31],
      ['resolved', 29],
    ]);
    expect(hooks.map((h) => [h['rule'], h['status']])).toEqual([
      ['lab-hot', 'firing'],
      ['lab-hot', 'resolved'],
    ]);
  });

  it('a replay at 100× fires and resolves at the same event times, and pages nobody', async () => {
    const posted = hooks.length;
    const opened = await engine.replay.start({ ...range, speed: 100, loop: false });
    const replay = engine.replay.get(opened.id);
    replay.play();
    await waitFor('the replay at its end', () => replay.status().state === 'ended');
    const state = engine.replay.state(opened.id);
    expect(state.cursor).toBe(range.to);
    expect(state.samples).toBeGreaterThanOrEqual(TEMPERATURES.length);
    expect(state.transitions.map(key)).toEqual(live.map((t) => key({ ...t, value: t.value })));
    expect(state.transitions.filter((t) => t.state === 'firing')).toHaveLength(1);
    engine.replay.close(opened.id);
    // Live notifications still flow (the notifier is idle), and the replay added none.
    await engine.notifier!.drain();
    expect(hooks).toHaveLength(posted);
    expect(engine.notices().filter((n) => n.message.startsWith('alert lab-hot firing'))).toHaveLength(1);
    // Nothing of the replay was stored either.
    const stored = await engine.query(`SELECT count(*) FROM alert_transitions WHERE mode <> 'live'`);
    expect(Number(stored.rows[0]![0])).toBe(0);
  });

  it('the topic tree of that moment comes from the recordings of a source with record: true', async () => {
    const rows = await engine.query(
      `SELECT epoch_us(ts)::DOUBLE / 1000 FROM samples_v WHERE channel = '${CHANNEL}' ORDER BY ts`,
    );
    // The receive time of the 13th reading (33 °C); recordings are kept by receive time.
    const at = rows.rows[12]![0] as number;
    const then = await engine.replay.recordedTopics(
      { source: 'dht', at, prefix: '', limit: 100 },
      engine.config.sources,
    );
    expect(then.recorded).toBe(true);
    expect(then.topics.map((t) => [t.topic, t.text])).toEqual([['lab/dht11/temperature', '33']]);
    const before = await engine.replay.recordedTopics(
      { source: 'dht', at: range.from - 1_000, prefix: '', limit: 100 },
      engine.config.sources,
    );
    expect(before.topics).toEqual([]);
    const other = await engine.replay.recordedTopics(
      { source: 'nope', at, prefix: '', limit: 100 },
      engine.config.sources,
    );
    expect(other.recorded).toBe(false);
  });

  it('a draft rule with a lower threshold shows its earlier firing beside the live one', async () => {
    const draft = { ...LIVE_RULE, above: 25 } as AlertRuleInput;
    const { AlertRules } = await import('../../shared/alerts');
    const result = await engine.replay.wouldHaveFired({
      rules: AlertRules.parse([draft]),
      ...range,
      defaultRange: 'allStored',
    });
    const draftFiring = result.transitions.find((t) => t.state === 'firing')!;
    const liveFiring = result.live.find((t) => t.state === 'firing')!;
    expect(draftFiring.value).toBe(26);
    expect(liveFiring.value).toBe(31);
    expect(draftFiring.ts).toBeLessThan(liveFiring.ts);
    expect(result.live.map((t) => t.state)).toEqual(live.map((t) => t.state));
    expect(result.transitions.find((t) => t.state === 'resolved')!.value).toBe(25);
  });

  it('`opsdeck rules test` prints the draft rule transitions and, under # live, what was paged', async () => {
    const rulesFile = path.join(tmp.dir, 'draft.json');
    fs.writeFileSync(rulesFile, JSON.stringify([{ ...LIVE_RULE, above: 25 }]));
    const json = await runMain(['rules', 'test', dir, rulesFile, '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const printed = JSON.parse(json.stdout) as AlertTransition[];
    expect(printed.find((t) => t.state === 'firing')?.value).toBe(26);
    const text = await runMain(['rules', 'test', dir, rulesFile]);
    expect(text.stdout).toMatch(
      /normal -> firing {2}value=26\n[\s\S]*# live\n.*normal -> firing {2}value=31$/m,
    );
  });
});
