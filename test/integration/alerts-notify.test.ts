// Alert notifications to real endpoints on 127.0.0.1: a webhook receiver (OpsDeck and Alertmanager
// payloads), a Mosquitto broker read by mosquitto_sub, a UDP syslog socket, a command (refused
// until enabled), and a webhook nobody listens on (retried, then a notice). A threshold rule on an
// ingest feed fires once and resolves once; stored-data evaluation afterwards notifies nothing.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateStored } from '../../electron/engine/alerts/stored';
import { Engine } from '../../electron/engine/engine';
import { freePort, TestBroker } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  tmp?.cleanup();
});

interface Hook {
  path: string;
  body: Record<string, unknown>;
}

describe('alert notifications', () => {
  let engine: Engine;
  const hooks: Hook[] = [];
  const syslog: string[] = [];
  let mqttOut = '';
  let mqttExited: Promise<unknown>;
  let ranFile: string;
  let refusedFile: string;

  beforeAll(async () => {
    tmp = tempDir();
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        hooks.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const hookPort = (server.address() as { port: number }).port;

    const udp = dgram.createSocket('udp4');
    udp.on('message', (m) => syslog.push(m.toString('utf8')));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => udp.close(() => r())));

    const broker = await TestBroker.start();
    closers.push(() => broker.close());
    const deadPort = await freePort(); // nothing listens here

    ranFile = path.join(tmp.dir, 'ran.jsonl');
    refusedFile = path.join(tmp.dir, 'refused.jsonl');
    const dir = path.join(tmp.dir, 'ws');
    fs.mkdirSync(dir);
    const common = { backoffMs: 20 };
    fs.writeFileSync(
      path.join(dir, 'opsdeck.json'),
      JSON.stringify({
        version: 1,
        sources: [
          {
            id: 'bus',
            kind: 'mqtt',
            name: 'Bus',
            enabled: true,
            options: { url: broker.url, subscriptions: [{ filter: 'nothing/#', qos: 0 }] },
          },
        ],
        rules: [
          {
            id: 'hot',
            kind: 'threshold',
            channel: 'feed/temp',
            above: 5,
            lateness: 0,
            severity: 'critical',
            labels: { site: 'lab' },
            annotations: { summary: '{{channel}} at {{value}}' },
            notify: ['hook', 'am', 'mq', 'sys', 'cmd', 'cmd-off', 'dead'],
          },
        ],
        alerting: {
          groupWait: 0,
          groupInterval: 0,
          notifiers: [
            { id: 'hook', kind: 'webhook', url: `http://127.0.0.1:${hookPort}/opsdeck`, ...common },
            {
              id: 'am',
              kind: 'webhook',
              url: `http://127.0.0.1:${hookPort}/am`,
              format: 'alertmanager',
              ...common,
            },
            { id: 'mq', kind: 'mqtt', source: 'bus', topic: 'opsdeck/alerts', qos: 1, ...common },
            {
              id: 'sys',
              kind: 'syslog',
              host: '127.0.0.1',
              port: (udp.address() as { port: number }).port,
              ...common,
            },
            {
              id: 'cmd',
              kind: 'command',
              argv: ['sh', '-c', `cat >> '${ranFile}'`],
              enabled: true,
              ...common,
            },
            { id: 'cmd-off', kind: 'command', argv: ['sh', '-c', `cat >> '${refusedFile}'`], ...common },
            { id: 'dead', kind: 'webhook', url: `http://127.0.0.1:${deadPort}/`, attempts: 3, ...common },
          ],
        },
      }),
    );
    engine = await Engine.open(dir, { flushIntervalMs: 50 });
    closers.push(() => engine.close());
    await waitFor(
      'mqtt connected',
      () => engine.status().sources.find((s) => s.id === 'bus')?.state === 'connected',
    );

    const sub = spawn('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(broker.port),
      '-t',
      'opsdeck/alerts',
      '-C',
      '2',
      '-v',
    ]);
    sub.stdout.on('data', (d: Buffer) => (mqttOut += d.toString()));
    mqttExited = new Promise((r) => sub.once('exit', r));
    closers.push(() => void sub.kill());
    await new Promise((r) => setTimeout(r, 300)); // let mosquitto_sub subscribe

    // Above 5 for a while (fires once), then below (resolves once).
    const feed = engine.ingestContext('feed', 'test');
    const ch = feed.channel('temp');
    const t0 = Date.now() - 60_000;
    const values = [1, 7, 8, 9, 7, 2, 1, 1];
    await feed.emitSamples({
      n: values.length,
      ts: Float64Array.from(values, (_v, i) => t0 + i * 1_000),
      channel: Uint32Array.from(values, () => ch),
      value: Float64Array.from(values),
    });
    await waitFor('both notifications delivered', () =>
      engine.notifierStatus().every((s) => s.queued === 0 && s.delivered + s.failed === 2),
    );
  });

  it('posts one firing and one resolved to the webhook, in OpsDeck format', () => {
    const mine = hooks.filter((h) => h.path === '/opsdeck').map((h) => h.body);
    expect(mine.map((b) => [b['status'], b['state'], b['value']])).toEqual([
      ['firing', 'firing', 7],
      ['resolved', 'resolved', 2],
    ]);
    expect(mine[0]).toMatchObject({
      generator: 'opsdeck',
      receiver: 'hook',
      rule: 'hot',
      severity: 'critical',
      labels: { alertname: 'hot', site: 'lab' },
      annotations: { summary: 'feed/temp at 7' },
      endsAt: null,
    });
    expect(mine[1]!['fingerprint']).toBe(mine[0]!['fingerprint']);
    expect(mine[1]!['startsAt']).toBe(mine[0]!['startsAt']);
  });

  it('posts the Alertmanager webhook payload v4', () => {
    const am = hooks.filter((h) => h.path === '/am').map((h) => h.body);
    expect(am.map((b) => b['status'])).toEqual(['firing', 'resolved']);
    for (const b of am) {
      expect(b).toMatchObject({
        version: '4',
        receiver: 'am',
        groupKey: '{}:{alertname="hot"}',
        groupLabels: { alertname: 'hot' },
        commonLabels: { alertname: 'hot', site: 'lab' },
        truncatedAlerts: 0,
      });
      const alerts = b['alerts'] as Record<string, unknown>[];
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({
        status: b['status'],
        labels: { alertname: 'hot', site: 'lab' },
        annotations: { summary: expect.stringMatching(/^feed\/temp at \d/) },
        startsAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
        fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
      });
    }
    const [firing, resolved] = am.map((b) => (b['alerts'] as Record<string, string>[])[0]!);
    expect(firing!['endsAt']).toBe('0001-01-01T00:00:00Z');
    expect(Date.parse(resolved!['endsAt']!)).toBeGreaterThan(Date.parse(resolved!['startsAt']!));
  });

  it('publishes the alert to Mosquitto, read back by mosquitto_sub', async () => {
    await mqttExited;
    const lines = mqttOut.trim().split('\n');
    expect(lines).toHaveLength(2);
    const bodies = lines.map((l) => {
      expect(l.startsWith('opsdeck/alerts ')).toBe(true);
      return JSON.parse(l.slice('opsdeck/alerts '.length)) as Record<string, unknown>;
    });
    expect(bodies.map((b) => [b['status'], b['rule'], b['receiver']])).toEqual([
      ['firing', 'hot', 'mq'],
      ['resolved', 'hot', 'mq'],
    ]);
  });

  it('sends RFC 5424 syslog over UDP', async () => {
    await waitFor('two syslog datagrams', () => syslog.length === 2);
    const re =
      /^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (\S+) opsdeck (\S+) (alert-firing|alert-resolved) (-|\[.*?\]) \ufeff(.*)$/su;
    const parsed = syslog.map((line) => re.exec(line));
    expect(parsed.every((m) => m !== null)).toBe(true);
    expect(parsed.map((m) => [Number(m![1]), m![5]])).toEqual([
      [16 * 8 + 2, 'alert-firing'], // local0.crit
      [16 * 8 + 5, 'alert-resolved'], // local0.notice
    ]);
    expect(parsed[0]![7]).toMatch(/^alert hot firing: feed\/temp at 7 \{alertname="hot",site="lab"\}/);
  });

  it('runs the enabled command with the alert on stdin and refuses the other', () => {
    const ran = fs
      .readFileSync(ranFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(ran.map((b) => [b['status'], b['receiver']])).toEqual([
      ['firing', 'cmd'],
      ['resolved', 'cmd'],
    ]);
    expect(fs.existsSync(refusedFile)).toBe(false);
    const off = engine.notifierStatus().find((s) => s.id === 'cmd-off')!;
    expect(off).toMatchObject({ ok: false, attempts: 1, failed: 2, delivered: 0 });
    expect(off.error).toMatch(/refused/);
    expect(engine.notices().map((n) => n.message)).toContain(
      'alerts: notifier cmd-off (command) is off: it runs nothing until it has "enabled": true',
    );
  });

  it('retries a webhook nobody listens on, then reports a notice naming it', () => {
    const dead = engine.notifierStatus().find((s) => s.id === 'dead')!;
    expect(dead).toMatchObject({ ok: false, attempts: 3, failed: 2, delivered: 0 });
    expect(dead.error).toMatch(/ECONNREFUSED/);
    const notices = engine.notices().filter((n) => n.message.includes('notifier dead'));
    expect(notices.map((n) => n.level)).toEqual(['error', 'error']);
    expect(notices[0]!.message).toMatch(
      /^alerts: notifier dead \(webhook\) could not deliver hot firing after 3 attempts: .*ECONNREFUSED/,
    );
    expect(engine.notices().some((n) => n.message.includes('undefined'))).toBe(false);
    for (const id of ['hook', 'am', 'mq', 'sys', 'cmd'])
      expect(engine.notifierStatus().find((s) => s.id === id)).toMatchObject({
        ok: true,
        error: null,
        delivered: 2,
        failed: 0,
      });
  });

  it('does not notify from stored-data evaluation or repeated firing', async () => {
    const replay = await evaluateStored(engine.store, engine.config.rules);
    expect(replay.transitions.map((t) => t.state)).toEqual(['firing', 'resolved']);
    await engine.notifier!.drain();
    expect(hooks).toHaveLength(4);
    expect(engine.notifierStatus().every((s) => s.delivered + s.failed === 2)).toBe(true);
  });
});
