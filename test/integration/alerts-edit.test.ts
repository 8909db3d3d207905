// Editing rules keeps incidents: an edit that leaves a rule's condition alone (another rule, or
// this rule's wording) keeps its firing instance, acknowledgement and notification state, so
// nothing is paged twice; an edit to the condition ends the instance with a stored transition that
// says why, and its resolve reaches the receiver.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { AlertRule } from '../../shared/alerts';
import { tempDir, waitFor } from '../helpers/tmp';

const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

it('keeps an incident across edits that leave its condition alone, and ends it with a cause otherwise', async () => {
  const tmp = tempDir();
  closers.push(tmp.cleanup);
  const received: { status: string; rule: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const b = JSON.parse(body) as { status: string; rule: string };
      received.push({ status: b.status, rule: b.rule });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;

  const ruleA = AlertRule.parse({
    id: 'a-hot',
    kind: 'threshold',
    channel: 'feed/a',
    above: 5,
    lateness: 0,
    labels: { site: 'lab' },
    annotations: { summary: 'a at {{value}}' },
    notify: ['hook'],
  });
  const ruleB = AlertRule.parse({
    id: 'b-cold',
    kind: 'threshold',
    channel: 'feed/b',
    below: 0,
    lateness: 0,
    notify: ['hook'],
  });
  const dir = path.join(tmp.dir, 'ws');
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, 'opsdeck.json'),
    JSON.stringify({
      version: 1,
      rules: [ruleA, ruleB],
      alerting: {
        groupWait: 0,
        groupInterval: 0,
        notifiers: [{ id: 'hook', kind: 'webhook', url, backoffMs: 20 }],
      },
    }),
  );
  const engine = await Engine.open(dir, { flushIntervalMs: 50 });
  closers.push(() => engine.close());

  const feed = engine.ingestContext('feed', 'test');
  const a = feed.channel('a');
  const t0 = Date.now() - 60_000;
  await feed.emitSamples({
    n: 2,
    ts: Float64Array.from([t0, t0 + 1000]),
    channel: Uint32Array.from([a, a]),
    value: Float64Array.from([1, 9]),
  });
  await waitFor('A firing, told once', () => received.length === 1);
  engine.ackAlert({ rule: 'a-hot', labels: { site: 'lab' }, actor: 'tech', comment: 'on it' });

  const instanceA = async () => (await engine.alertsNow(50)).instances.find((i) => i.rule === 'a-hot');
  const transitionsOfA = async () =>
    (
      await engine.store.read(
        `SELECT state, cause FROM alert_transitions WHERE rule = 'a-hot' AND mode = 'live' ORDER BY evaluated_at`,
      )
    ).map(([state, cause]) => `${state}${cause ? ` (${cause})` : ''}`);

  // Edit B, then A's wording only: A goes on, still acknowledged, and is not paged again.
  engine.saveRules([ruleA, AlertRule.parse({ ...ruleB, below: -5 })]);
  engine.saveRules([
    { ...ruleA, severity: 'critical', annotations: { summary: 'A is hot: {{value}}' } },
    ruleB,
  ]);
  await engine.alerts!.writer.drain();
  await new Promise((r) => setTimeout(r, 300)); // what would be sent (groupWait 0) would be by now
  expect(await instanceA()).toMatchObject({ state: 'firing', acknowledged: true, acknowledgedBy: 'tech' });
  expect(received).toEqual([{ status: 'firing', rule: 'a-hot' }]);
  expect(await transitionsOfA()).toEqual(['firing']);

  // Edit A's condition: its instance ends with a stored transition naming the cause, and resolves.
  engine.saveRules([AlertRule.parse({ ...ruleA, above: 20 }), ruleB]);
  await waitFor('the resolve delivered', () => received.length === 2);
  expect(received[1]).toEqual({ status: 'resolved', rule: 'a-hot' });
  await engine.alerts!.writer.drain();
  expect(await transitionsOfA()).toEqual(['firing', 'resolved (rule edited)']);
  expect((await instanceA())?.acknowledged ?? false).toBe(false);
  expect(engine.notices().map((n) => n.message)).toContain('alert a-hot resolved: rule edited');
});
