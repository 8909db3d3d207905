// MQTT against a real Mosquitto: plain, password, TLS with a CA and client certificate made for
// this run; messages from mosquitto_pub decoded into channels and records in DuckDB; malformed
// payloads quarantined; the broker restarted mid-stream; the built-in broker; exact recording.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Aedes } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSparkplug } from '../../electron/engine/decode/sparkplug';
import { Engine } from '../../electron/engine/engine';
import { reconnectBackoff } from '../../electron/engine/sources/mqtt/client';
import { backoffDelay } from '../../shared/backoff';
import { topicMatches } from '../../electron/engine/sources/mqtt/topic-match';
import type { SourceConfig } from '../../shared/schemas';
import {
  freePort,
  makePki,
  mosquittoPub,
  mosquittoPubAsync,
  TestBroker,
  type Pki,
} from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let pki: Pki;
const closers: (() => Promise<void> | void)[] = [];

beforeAll(() => {
  tmp = tempDir();
  pki = makePki(fs.mkdirSync(path.join(tmp.dir, 'pki'), { recursive: true }) ?? path.join(tmp.dir, 'pki'));
});
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  tmp.cleanup();
});

async function engineWith(
  sources: SourceConfig[],
  name = `ws-${Math.random().toString(36).slice(2)}`,
): Promise<Engine> {
  const dir = path.join(tmp.dir, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'opsdeck.json'), JSON.stringify({ version: 1, sources }));
  const engine = await Engine.open(dir, { flushIntervalMs: 50 });
  closers.push(() => engine.close());
  return engine;
}

const count = async (engine: Engine, sql: string) => Number((await engine.query(sql)).rows[0]![0]);
const sourceState = (engine: Engine, id: string) => engine.status().sources.find((s) => s.id === id)!;

describe('topic filters and backoff', () => {
  it('match the way MQTT does', () => {
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(topicMatches('a/+/c', 'a/b/d')).toBe(false);
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('a/#', 'a/b/c')).toBe(true);
    expect(topicMatches('#', '$SYS/broker/uptime')).toBe(false);
    expect(topicMatches('+/x', 'a/x/y')).toBe(false);
  });
  it('doubles the reconnect delay up to the maximum, with jitter around it', () => {
    const mid = () => 0.5;
    const backoff = reconnectBackoff({ reconnectMinMs: 500, reconnectMaxMs: 4000 });
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, backoff, mid))).toEqual([500, 1000, 2000, 4000, 4000]);
    expect(backoffDelay(0, backoff, () => 0)).toBe(250);
    expect(backoffDelay(0, backoff, () => 0.999)).toBe(750);
  });
});

describe('mqtt source on a plain broker', () => {
  let broker: TestBroker;
  let engine: Engine;
  beforeAll(async () => {
    broker = await TestBroker.start();
    closers.push(() => broker.close());
    engine = await engineWith([
      {
        id: 'bench',
        kind: 'mqtt',
        name: 'Bench',
        enabled: true,
        options: {
          url: broker.url,
          subscriptions: [{ filter: 'lab/#', qos: 1 }],
          record: true,
          maxPayloadBytes: 1024,
        } as never,
      },
    ]);
    await waitFor('connected', () => sourceState(engine, 'bench').state === 'connected');
  });

  it('decodes numbers, JSON and text from mosquitto_pub into channels and records in DuckDB', async () => {
    mosquittoPub(broker, ['-t', 'lab/dht11/temperature', '-m', '23.5', '-q', '1']);
    mosquittoPub(broker, [
      '-t',
      'lab/rig/env',
      '-m',
      '{"ts":1795600000,"temp":21.5,"env":{"hum":40},"list":[1,2],"state":"ok"}',
      '-q',
      '1',
    ]);
    mosquittoPub(broker, ['-t', 'lab/rig/log', '-m', 'pump: ERROR overcurrent', '-q', '1']);
    await waitFor(
      'rows in DuckDB',
      async () => (await count(engine, `SELECT count(*) FROM samples_v WHERE source = 'bench'`)) >= 5,
    );
    const samples = await engine.query(
      `SELECT channel, value, epoch_ms(ts) AS ts FROM samples_v WHERE source = 'bench' ORDER BY channel`,
    );
    expect(samples.rows.map((r) => [r[0], r[1]])).toEqual([
      ['bench/lab/dht11/temperature', 23.5],
      ['bench/lab/rig/env/env.hum', 40],
      ['bench/lab/rig/env/list[0]', 1],
      ['bench/lab/rig/env/list[1]', 2],
      ['bench/lab/rig/env/temp', 21.5],
    ]);
    // The payload's own timestamp (epoch seconds) is the event time.
    expect(samples.rows.find((r) => r[0] === 'bench/lab/rig/env/temp')![2]).toBe(1795600000000);
    // Three MQTT messages, however many channels and records they fed.
    expect(sourceState(engine, 'bench').messages).toBe(3);
    const records = await engine.query(
      `SELECT severity, message, fields FROM records_v WHERE source = 'bench' ORDER BY message`,
    );
    expect(records.rows).toEqual([
      ['info', 'lab/rig/env', '{"state":"ok"}'],
      ['error', 'pump: ERROR overcurrent', null],
    ]);
  });

  it('shows the topic tree, the last payload and its plottable fields', async () => {
    const top = engine.topics({ source: 'bench', prefix: '', limit: 100 });
    expect(top.nodes.map((n) => n.name)).toEqual(['lab']);
    expect(top.nodes[0]!.messages).toBeGreaterThanOrEqual(3);
    const rig = engine.topics({ source: 'bench', prefix: 'lab/rig', limit: 100 });
    expect(rig.nodes.map((n) => [n.name, n.hasMessage, n.decoder])).toEqual([
      ['env', true, 'json'],
      ['log', true, 'text'],
    ]);
    const detail = engine.topicDetail('bench', 'lab/rig/env');
    expect(detail.text).toContain('\n  "temp": 21.5');
    expect(detail.fields.map((f) => [f.path, f.channel, f.value])).toEqual([
      ['temp', 'bench/lab/rig/env/temp', 21.5],
      ['env.hum', 'bench/lab/rig/env/env.hum', 40],
      ['list[0]', 'bench/lab/rig/env/list[0]', 1],
      ['list[1]', 'bench/lab/rig/env/list[1]', 2],
    ]);
    const channels = await engine.channels();
    expect(channels.find((c) => c.name === 'bench/lab/rig/env/temp')!.id).toBe(detail.fields[0]!.channelId);
    expect(
      engine.topics({ source: 'bench', prefix: '', search: 'DHT', limit: 10 }).nodes.map((n) => n.topic),
    ).toEqual(['lab/dht11/temperature']);
  });

  it('quarantines malformed payloads with their reason and keeps the stream going', async () => {
    const file = (name: string, bytes: Uint8Array) => {
      const f = path.join(tmp.dir, name);
      fs.writeFileSync(f, bytes);
      return f;
    };
    mosquittoPub(broker, ['-t', 'lab/rig/env', '-m', '{"temp": 22.', '-q', '1']); // truncated JSON on a JSON topic
    mosquittoPub(broker, [
      '-t',
      'lab/bin',
      '-f',
      file('garbage.bin', Uint8Array.of(0xff, 0xfe, 0x00, 0x81, 0xc3)),
      '-q',
      '1',
    ]);
    mosquittoPub(broker, [
      '-t',
      'lab/big',
      '-f',
      file('big.txt', new Uint8Array(2048).fill(0x41)),
      '-q',
      '1',
    ]);
    mosquittoPub(broker, [
      '-t',
      'lab/utf8',
      '-f',
      file('bad-utf8.txt', Uint8Array.of(0x74, 0x3d, 0xc3, 0x28)),
      '-q',
      '1',
    ]);
    mosquittoPub(broker, ['-t', 'lab/rig/env', '-m', '{"temp": 22.5}', '-q', '1']);
    await waitFor(
      'quarantine and the next good message',
      async () =>
        (await count(engine, `SELECT count(*) FROM quarantine`)) >= 4 &&
        (await count(
          engine,
          `SELECT count(*) FROM samples_v WHERE channel = 'bench/lab/rig/env/temp' AND value = 22.5`,
        )) === 1,
    );
    const q = await engine.query(`SELECT "where", reason, octet_length(raw) FROM quarantine ORDER BY rx`);
    expect(q.rows).toEqual([
      ['lab/rig/env', expect.stringMatching(/^json: invalid JSON/), 12],
      ['lab/bin', expect.stringMatching(/^binary payload: not valid UTF-8/), 5],
      ['lab/big', 'payload of 2048 bytes is over the 1024-byte cap', 2048],
      ['lab/utf8', expect.stringMatching(/not valid UTF-8/), 4],
    ]);
    expect(sourceState(engine, 'bench')).toMatchObject({ state: 'connected', quarantined: 4 });
  });

  it('records every message byte for byte with its QoS and retain flag', async () => {
    mosquittoPub(broker, ['-t', 'lab/retained', '-m', 'held', '-r', '-q', '1']);
    await waitFor(
      'recorded',
      async () => (await count(engine, `SELECT count(*) FROM recordings WHERE "key" = 'lab/retained'`)) === 1,
    );
    const r = await engine.query(
      `SELECT decode(payload), meta->>'qos', meta->>'retain' FROM recordings WHERE "key" = 'lab/retained'`,
    );
    expect(r.rows).toEqual([['held', '1', 'false']]); // a live delivery: retain is set only for stored messages sent on subscribe
    const bin = await engine.query(`SELECT hex(payload) FROM recordings WHERE "key" = 'lab/bin'`);
    expect(bin.rows).toEqual([['FFFE0081C3']]);
  });

  it('applies a subscription edit while connected, without reconnecting', async () => {
    const config = engine.config.sources.find((x) => x.id === 'bench')!;
    // A restart would make a new source whose message count starts again from zero.
    mosquittoPub(broker, ['-t', 'lab/before-edit', '-m', '5', '-q', '1']);
    await waitFor(
      'a message before the edit',
      async () =>
        (await count(engine, `SELECT count(*) FROM samples_v WHERE channel = 'bench/lab/before-edit'`)) === 1,
    );
    const messagesBefore = sourceState(engine, 'bench').messages;
    expect(messagesBefore).toBeGreaterThanOrEqual(1);
    await engine.upsertSource({
      ...config,
      options: { ...(config.options as object), subscriptions: [{ filter: 'plant/+/speed', qos: 1 }] },
    } as SourceConfig);
    mosquittoPub(broker, ['-t', 'lab/dropped', '-m', '1', '-q', '1']); // no longer subscribed
    mosquittoPub(broker, ['-t', 'plant/line2/speed', '-m', '88', '-q', '1']);
    await waitFor(
      'new subscription delivers',
      async () =>
        (await count(engine, `SELECT count(*) FROM samples_v WHERE channel = 'bench/plant/line2/speed'`)) ===
        1,
    );
    expect(await count(engine, `SELECT count(*) FROM samples_v WHERE channel = 'bench/lab/dropped'`)).toBe(0);
    expect(sourceState(engine, 'bench').state).toBe('connected');
    expect(sourceState(engine, 'bench').messages).toBeGreaterThan(messagesBefore);
    expect(
      JSON.parse(fs.readFileSync(path.join(engine.dir, 'opsdeck.json'), 'utf8')).sources[0].options
        .subscriptions,
    ).toEqual([{ filter: 'plant/+/speed', qos: 1 }]);
    await engine.upsertSource(config); // back to lab/# for the next tests
  });

  it('publishes through the engine API to other clients', async () => {
    const sub = spawn('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(broker.port),
      '-t',
      'lab/alerts',
      '-C',
      '1',
      '-v',
    ]);
    let out = '';
    sub.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => sub.once('exit', r));
    await new Promise((r) => setTimeout(r, 300)); // let mosquitto_sub subscribe
    await engine.publish({
      source: 'bench',
      topic: 'lab/alerts',
      payload: '{"alert":"fridge"}',
      encoding: 'utf8',
      qos: 1,
      retain: false,
    });
    await exited;
    expect(out.trim()).toBe('lab/alerts {"alert":"fridge"}');
    await expect(
      engine.publish({ source: 'bench', topic: 'x', payload: 'zz', encoding: 'hex', qos: 0, retain: false }),
    ).rejects.toThrow(/not hex/);
  });
});

describe('security', () => {
  it('logs in with a password from the secret store, and says why when it is wrong', async () => {
    const broker = await TestBroker.start({ users: { tech: 's3cret' } });
    closers.push(() => broker.close());
    const options = {
      url: broker.url,
      username: 'tech',
      password: 'bench.password',
      subscriptions: [{ filter: '#', qos: 0 }],
    };
    const engine = await engineWith([
      { id: 'auth', kind: 'mqtt', name: 'Auth', enabled: true, options: options as never },
    ]);
    // No secret yet: the source says which one is missing and how to give it.
    await waitFor('missing secret reported', () =>
      /secret "bench.password" is not set.*OPSDECK_SECRET_BENCH_PASSWORD/.test(
        sourceState(engine, 'auth').lastError ?? '',
      ),
    );
    await engine.setSecret('bench.password', 'wrong');
    await waitFor('refused login reported', () =>
      /^user name or password refused: check username \("tech"\)/.test(
        sourceState(engine, 'auth').lastError ?? '',
      ),
    );
    await engine.setSecret('bench.password', 's3cret');
    await engine.setSourceEnabled('auth', false);
    await engine.setSourceEnabled('auth', true);
    await waitFor(
      'connected with the right password',
      () => sourceState(engine, 'auth').state === 'connected',
    );
    mosquittoPub(broker, ['-t', 'secure/x', '-m', '7'], { user: 'tech', password: 's3cret' });
    await waitFor(
      'data',
      async () =>
        (await count(engine, `SELECT count(*) FROM samples_v WHERE channel = 'auth/secure/x'`)) === 1,
    );
    // The workspace holds the secret's name, never its value.
    expect(fs.readFileSync(path.join(engine.dir, 'opsdeck.json'), 'utf8')).not.toContain('s3cret');
  });

  it('connects with mutual TLS to a broker whose certificate comes from the site CA', async () => {
    const broker = await TestBroker.start({ tls: { pki, requireClientCert: true } });
    closers.push(() => broker.close());
    process.env['OPSDECK_SECRET_TLS_KEY'] = pki.clientKeyPassphrase;
    const tls = {
      caFile: pki.caFile,
      certFile: pki.clientCert,
      keyFile: pki.clientKeyEncrypted,
      keyPassphrase: 'tls.key',
    };
    const engine = await engineWith([
      {
        id: 'tls',
        kind: 'mqtt',
        name: 'TLS',
        enabled: true,
        options: { url: broker.url, tls, subscriptions: [{ filter: 'plant/#', qos: 1 }] } as never,
      },
    ]);
    await waitFor('TLS connected', () => sourceState(engine, 'tls').state === 'connected');
    expect(sourceState(engine, 'tls').endpoint).toMatch(
      /^mqtts:\/\/127\.0\.0\.1:\d+, MQTT 5, TLS with client certificate$/,
    );
    mosquittoPub(broker, ['-t', 'plant/line1/speed', '-m', '{"rpm":1450}', '-q', '1'], { tls: pki });
    await waitFor(
      'TLS data',
      async () =>
        (await count(
          engine,
          `SELECT count(*) FROM samples_v WHERE channel = 'tls/plant/line1/speed/rpm'`,
        )) === 1,
    );

    // Without the site CA the broker is not trusted, and the error says so.
    const untrusted = await engineWith([
      {
        id: 'tls',
        kind: 'mqtt',
        name: 'TLS',
        enabled: true,
        options: { url: broker.url, tls: { ...tls, caFile: undefined } } as never,
      },
    ]);
    await waitFor(
      'certificate refused',
      () =>
        sourceState(untrusted, 'tls').lastError ===
        "the broker's certificate is not signed by a CA this machine trusts: set tls.caFile to the site's CA",
    );
    expect(sourceState(untrusted, 'tls').state).not.toBe('connected');
    // Skipping verification connects, and is shown as a warning.
    const insecure = await engineWith([
      {
        id: 'tls',
        kind: 'mqtt',
        name: 'TLS',
        enabled: true,
        options: { url: broker.url, tls: { ...tls, caFile: undefined, insecureSkipVerify: true } } as never,
      },
    ]);
    await waitFor('insecure connected', () => sourceState(insecure, 'tls').state === 'connected');
    expect(sourceState(insecure, 'tls').warnings).toEqual([
      expect.stringMatching(/certificate verification is OFF/),
    ]);
  });
});

describe('MQTT over WebSocket', () => {
  it('connects with ws:// (to an aedes broker behind a real WebSocket server) and round-trips a publish', async () => {
    // Debian's Mosquitto here cannot open a websockets listener, so aedes serves MQTT over `ws`.
    const broker = await Aedes.createBroker();
    const port = await freePort();
    const wss = new WebSocketServer({ host: '127.0.0.1', port });
    wss.on('connection', (socket) => broker.handle(createWebSocketStream(socket) as never));
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          for (const c of wss.clients) c.terminate();
          wss.close(() => broker.close(() => resolve()));
        }),
    );
    const engine = await engineWith([
      {
        id: 'web',
        kind: 'mqtt',
        name: 'WS',
        enabled: true,
        options: {
          url: `ws://127.0.0.1:${port}/mqtt`,
          protocolVersion: 4,
          subscriptions: [{ filter: 'ws/#', qos: 1 }],
        } as never,
      },
    ]);
    await waitFor('ws connected', () => sourceState(engine, 'web').state === 'connected');
    expect(sourceState(engine, 'web').endpoint).toBe(`ws://127.0.0.1:${port}/mqtt, MQTT 3.1.1`);
    await engine.publish({
      source: 'web',
      topic: 'ws/probe',
      payload: '{"v":3.25}',
      encoding: 'utf8',
      qos: 1,
      retain: false,
    });
    await waitFor(
      'round trip',
      async () =>
        (await count(
          engine,
          `SELECT count(*) FROM samples_v WHERE channel = 'web/ws/probe/v' AND value = 3.25`,
        )) === 1,
    );
  });
});

describe('resilience', () => {
  it('reconnects after the broker restarts and loses no QoS 1 message the broker accepted', async () => {
    const broker = await TestBroker.start({ persistence: true, maxQueuedMessages: 0 });
    closers.push(() => broker.close());
    const engine = await engineWith([
      {
        id: 'plant',
        kind: 'mqtt',
        name: 'Plant',
        enabled: true,
        options: {
          url: broker.url,
          clientId: 'opsdeck-resilience',
          clean: false,
          reconnectMinMs: 200,
          reconnectMaxMs: 1000,
          subscriptions: [{ filter: 'seq/#', qos: 1 }],
        } as never,
      },
    ]);
    await waitFor('connected', () => sourceState(engine, 'plant').state === 'connected');
    const publish = (from: number, to: number) => {
      for (let i = from; i < to; i++) mosquittoPub(broker, ['-t', 'seq/n', '-m', String(i), '-q', '1']);
    };
    publish(0, 20);
    await waitFor(
      'first 20',
      async () =>
        (await count(engine, `SELECT count(*) FROM samples_v WHERE channel = 'plant/seq/n'`)) === 20,
    );

    // The broker goes away (saving its state) and comes back on the same port.
    await broker.stop();
    await waitFor('disconnect noticed', () => sourceState(engine, 'plant').state === 'reconnecting');
    await broker.run();
    await waitFor('reconnected', () => sourceState(engine, 'plant').state === 'connected');
    publish(20, 40);

    // OpsDeck goes away; the broker queues for its persistent session.
    await engine.setSourceEnabled('plant', false);
    publish(40, 60);
    await engine.setSourceEnabled('plant', true);
    await waitFor(
      'all 60, each once',
      async () =>
        (await count(engine, `SELECT count(DISTINCT value) FROM samples_v WHERE channel = 'plant/seq/n'`)) ===
        60,
      30_000,
    );
    const values = await engine.query(
      `SELECT min(value), max(value), count(*) FROM samples_v WHERE channel = 'plant/seq/n'`,
    );
    expect(values.rows[0]!.slice(0, 2)).toEqual([0, 59]);
  });
});

describe('built-in broker', () => {
  it('takes publishes from devices that log in, refuses those that do not, and stays on loopback', async () => {
    const port = await freePort();
    process.env['OPSDECK_SECRET_LAPTOP_BROKER'] = 'field-pass';
    const engine = await engineWith([
      {
        id: 'laptop',
        kind: 'mqtt-broker',
        name: 'Laptop broker',
        enabled: true,
        options: { port, username: 'device', password: 'laptop.broker' } as never,
      },
    ]);
    await waitFor('listening', () => sourceState(engine, 'laptop').state === 'connected');
    const device = { user: 'device', password: 'field-pass' };
    await mosquittoPubAsync(port, ['-t', 'site/pump/pressure', '-m', '2.5', '-q', '1'], device);
    await expect(
      mosquittoPubAsync(port, ['-t', 'site/pump/pressure', '-m', '9', '-q', '1'], {
        user: 'device',
        password: 'nope',
      }),
    ).rejects.toThrow(/not authori[sz]ed|bad user name or password|refused/i);
    const payload = encodeSparkplug({
      timestamp: Date.now(),
      seq: 0,
      metrics: [{ name: 'Motor/RPM', alias: 1, type: 'Double', value: 1450.5 }],
    });
    const file = path.join(tmp.dir, 'nbirth.bin');
    fs.writeFileSync(file, payload);
    await mosquittoPubAsync(port, ['-t', 'spBv1.0/plant/NBIRTH/edge1', '-f', file], device);
    const data = encodeSparkplug({
      timestamp: Date.now(),
      seq: 1,
      metrics: [{ alias: 1, type: 'Double', value: 1460 }],
    });
    fs.writeFileSync(file, data);
    await mosquittoPubAsync(port, ['-t', 'spBv1.0/plant/NDATA/edge1', '-f', file], device);
    await waitFor(
      'device data',
      async () => (await count(engine, `SELECT count(*) FROM samples_v WHERE source = 'laptop'`)) === 4,
    );
    const rows = await engine.query(
      `SELECT channel, value FROM samples_v WHERE source = 'laptop' AND channel NOT LIKE '%/[online]' ORDER BY ts`,
    );
    expect(rows.rows).toEqual([
      ['laptop/site/pump/pressure', 2.5],
      ['laptop/spBv1.0/plant/edge1/Motor\\/RPM', 1450.5],
      ['laptop/spBv1.0/plant/edge1/Motor\\/RPM', 1460],
    ]);
    // The built-in broker's Sparkplug traffic is followed as by a subscribed source (it publishes nothing).
    expect(engine.sparkplugNodes('laptop')).toMatchObject({
      allowPublish: false,
      nodes: [{ group: 'plant', node: 'edge1', online: true, seqGaps: 0 }],
    });
    // What the console publishes through its own broker is taken in like a device's message.
    await engine.publish({
      source: 'laptop',
      topic: 'site/console/note',
      payload: '12.5',
      encoding: 'utf8',
      qos: 0,
      retain: false,
    });
    await waitFor(
      'own publish stored',
      async () =>
        (await count(engine, `SELECT count(*) FROM samples_v WHERE channel = 'laptop/site/console/note'`)) ===
        1,
    );
    expect(engine.topics({ source: 'laptop', prefix: 'site', limit: 10 }).nodes.map((n) => n.name)).toEqual([
      'console',
      'pump',
    ]);
    const births = await engine.query(`SELECT severity, message FROM records_v WHERE source = 'laptop'`);
    expect(births.rows).toEqual([['notice', 'NBIRTH plant/edge1']]);
    // Only loopback: the port is not open on other interfaces.
    const local = execFileSync('ss', ['-ltnH', `sport = :${port}`])
      .toString()
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[3]);
    expect(local).toEqual([`127.0.0.1:${port}`]);
  });
});
