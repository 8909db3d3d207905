// Sparkplug B as a host application sees it, against a real Mosquitto: an edge node simulated with
// Eclipse Tahu's codec (`sparkplug-payload`) over its own MQTT connection publishes births, data
// by alias, deaths and a `seq` gap; OpsDeck's MQTT source keeps one channel per metric, tracks
// which nodes and devices are online, counts gaps, and asks for a rebirth only when allowed to
// publish to the plant's broker.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import proto from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSparkplugPayload, encodeSparkplug } from '../../electron/engine/decode/sparkplug';
import { Engine } from '../../electron/engine/engine';
import { AlertRules } from '../../shared/alerts';
import type { SourceConfig } from '../../shared/schemas';
import { TestBroker } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

const T0 = Date.UTC(2026, 4, 1, 8, 0, 0);
let tmp: ReturnType<typeof tempDir>;
let broker: TestBroker;
const closers: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  tmp = tempDir();
  broker = await TestBroker.start();
});
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  await broker?.close();
  tmp?.cleanup();
});

/** An engine with one MQTT source subscribed to Sparkplug, ready once its subscription delivers. */
async function plantEngine(
  id: string,
  sparkplug?: Record<string, unknown>,
  filter = 'spBv1.0/#',
): Promise<Engine> {
  const dir = path.join(tmp.dir, id);
  fs.mkdirSync(dir, { recursive: true });
  const source = {
    id,
    kind: 'mqtt',
    name: id,
    enabled: true,
    options: {
      url: broker.url,
      subscriptions: [
        { filter, qos: 1 },
        { filter: `ready/${id}`, qos: 1 },
      ],
      ...(sparkplug ? { sparkplug } : {}),
    },
  } as SourceConfig;
  fs.writeFileSync(path.join(dir, 'opsdeck.json'), JSON.stringify({ version: 1, sources: [source] }));
  const engine = await Engine.open(dir, { flushIntervalMs: 50 });
  closers.push(() => engine.close());
  const probe = await edgeClient();
  await probe.publishAsync(`ready/${id}`, '1', { qos: 1, retain: true });
  await probe.endAsync();
  await waitFor(
    `${id} subscribed`,
    () => engine.topics({ source: id, prefix: 'ready', limit: 10 }).nodes.length > 0,
  );
  return engine;
}

async function edgeClient(): Promise<MqttClient> {
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
  closers.push(() => client.endAsync(true).catch(() => undefined));
  return client;
}

type Metric = Parameters<typeof encodeSparkplug>[0]['metrics'][number] & { properties?: unknown };

/** An edge node as Tahu's examples publish: births, data and deaths on its own connection, QoS 1 in order. */
class EdgeNode {
  seq = 0;
  constructor(
    private readonly client: MqttClient,
    readonly group: string,
    readonly node: string,
  ) {}
  private topic(type: string, device?: string) {
    return `spBv1.0/${this.group}/${type}/${this.node}${device ? `/${device}` : ''}`;
  }
  async send(type: string, metrics: Metric[], device?: string, options: { seq?: number; at?: number } = {}) {
    const seq = options.seq ?? this.seq;
    this.seq = (seq + 1) % 256;
    const bytes = encodeSparkplug({
      timestamp: options.at ?? T0,
      ...(type === 'NDEATH' ? {} : { seq }),
      metrics: metrics as never,
    });
    await this.client.publishAsync(this.topic(type, device), Buffer.from(bytes), { qos: 1 });
  }
  /** Raw bytes, for what Tahu's encoder cannot write (a data metric without its datatype). */
  async sendRaw(type: string, bytes: Uint8Array, device?: string) {
    this.seq = (this.seq + 1) % 256;
    await this.client.publishAsync(this.topic(type, device), Buffer.from(bytes), { qos: 1 });
  }
}

const rows = async (engine: Engine, sql: string) => (await engine.query(sql)).rows;

describe('one metric is one channel', () => {
  let engine: Engine;
  let edge: EdgeNode;
  beforeAll(async () => {
    engine = await plantEngine('plant');
    edge = new EdgeNode(await edgeClient(), 'Plant1', 'Edge1');
    await edge.send('NBIRTH', [
      { name: 'bdSeq', type: 'UInt64', value: 0 },
      { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
      { name: 'Uptime', alias: 1, type: 'Int64', value: 10 },
    ]);
    await edge.send(
      'DBIRTH',
      [
        {
          name: 'Temperature',
          alias: 2,
          type: 'Float',
          value: 21.5,
          properties: { engUnit: { type: 'String', value: '°C' } },
        },
        {
          name: 'Pressure',
          alias: 3,
          type: 'Double',
          value: 1.25,
          properties: { engUnit: { type: 'String', value: 'bar' } },
        },
        { name: 'Count', alias: 4, type: 'Int32', value: -5 },
        { name: 'Running', alias: 5, type: 'Boolean', value: true },
      ],
      'Press1',
    );
    await edge.send(
      'DDATA',
      [
        { alias: 2, type: 'Float', value: 22.5, timestamp: T0 + 1000 },
        { alias: 4, type: 'Int32', value: -7, timestamp: T0 + 1000 },
        { alias: 5, type: 'Boolean', value: false, timestamp: T0 + 1000 },
      ],
      'Press1',
    );
    // Data may leave the datatype to the birth: alias 3 (Double) with a value and nothing else.
    const { Payload } = proto.org.eclipse.tahu.protobuf;
    await edge.sendRaw(
      'DDATA',
      Payload.encode({
        timestamp: T0 + 2000,
        seq: edge.seq,
        metrics: [{ alias: 3, doubleValue: 1.5 }],
      }).finish(),
      'Press1',
    );
    await edge.send('NDATA', [{ alias: 1, type: 'Int64', value: 11, timestamp: T0 + 2000 }]);
    await waitFor(
      'birth and data values stored',
      async () =>
        Number(
          (
            await rows(
              engine,
              `SELECT count(*) FROM samples_v WHERE channel LIKE 'plant/spBv1.0/%' AND channel NOT LIKE '%/[online]'`,
            )
          )[0]![0],
        ) === 12,
    );
  });

  it('names a channel by group, edge node, device and metric, whatever message carried it', async () => {
    const channels = (await engine.channels()).filter((c) => c.name.startsWith('plant/spBv1.0/'));
    expect(channels.map((c) => [c.name, c.unit])).toEqual([
      ['plant/spBv1.0/Plant1/Edge1/Node Control\\/Rebirth', ''],
      ['plant/spBv1.0/Plant1/Edge1/Press1/Count', ''],
      ['plant/spBv1.0/Plant1/Edge1/Press1/Pressure', 'bar'],
      ['plant/spBv1.0/Plant1/Edge1/Press1/Running', ''],
      ['plant/spBv1.0/Plant1/Edge1/Press1/Temperature', '°C'],
      ['plant/spBv1.0/Plant1/Edge1/Press1/[online]', ''], // 1 while the device is online
      ['plant/spBv1.0/Plant1/Edge1/Uptime', ''],
      ['plant/spBv1.0/Plant1/Edge1/[online]', ''],
      ['plant/spBv1.0/Plant1/Edge1/bdSeq', ''],
    ]);
  });

  it('holds the birth value first, then the data values', async () => {
    const values = await rows(
      engine,
      `SELECT regexp_extract(channel, '[^/]+$'), list(value ORDER BY ts), list(epoch_ms(ts) - ${T0} ORDER BY ts)
       FROM samples_v WHERE source = 'plant' AND channel LIKE '%/Press1/%' AND channel NOT LIKE '%[online]'
       GROUP BY 1 ORDER BY 1`,
    );
    expect(values).toEqual([
      ['Count', '[-5, -7]', '[0, 1000]'],
      // Read as a Double, the datatype its birth declared, though the data message named none.
      ['Pressure', '[1.25, 1.5]', '[0, 2000]'],
      ['Running', '[1, 0]', '[0, 1000]'],
      ['Temperature', '[21.5, 22.5]', '[0, 1000]'],
    ]);
    expect(
      await rows(engine, `SELECT value FROM samples_v WHERE channel LIKE '%/Edge1/Uptime' ORDER BY ts`),
    ).toEqual([[10], [11]]);
  });

  it('offers an alias-only data message’s metrics to plot, named by the source’s own births', async () => {
    const samplesBefore = await rows(engine, `SELECT count(*) FROM samples_v WHERE source = 'plant'`);
    const channels = new Map((await engine.channels()).map((c) => [c.name, c.id]));
    const detail = engine.topicDetail('plant', 'spBv1.0/Plant1/DDATA/Edge1/Press1');
    // The last DDATA named alias 3 only, with no datatype: the birth says Pressure, a Double.
    expect(detail.fields).toEqual([
      {
        path: 'Pressure',
        channel: 'plant/spBv1.0/Plant1/Edge1/Press1/Pressure',
        channelId: channels.get('plant/spBv1.0/Plant1/Edge1/Press1/Pressure'),
        value: 1.5,
      },
    ]);
    expect(
      engine.topicDetail('plant', 'spBv1.0/Plant1/NDATA/Edge1').fields.map((f) => [f.channel, f.value]),
    ).toEqual([['plant/spBv1.0/Plant1/Edge1/Uptime', 11]]);
    // The tree names them too, with their units, where it showed "binary".
    const ddata = engine.topics({ source: 'plant', prefix: 'spBv1.0/Plant1/DDATA/Edge1', limit: 10 }).nodes;
    expect(ddata.map((n) => [n.name, n.preview])).toEqual([['Press1', 'Pressure 1.5 bar']]);
    const dbirth = engine.topics({ source: 'plant', prefix: 'spBv1.0/Plant1/DBIRTH/Edge1', limit: 10 }).nodes;
    expect(dbirth[0]!.preview).toBe('Temperature 21.5 °C, Pressure 1.25 bar, Count -5, Running true');
    // Looking decoded nothing again into the store.
    await engine.channels(); // flushes
    expect(await rows(engine, `SELECT count(*) FROM samples_v WHERE source = 'plant'`)).toEqual(
      samplesBefore,
    );
  });
});

/** `mosquitto_sub` on every NCMD (a client we did not write), ready once it has seen its own probe. */
async function ncmdWatcher(): Promise<{ lines: string[]; stop(): void }> {
  const sub = spawn('mosquitto_sub', [
    '-h',
    '127.0.0.1',
    '-p',
    String(broker.port),
    '-t',
    'spBv1.0/+/NCMD/#',
    '-t',
    'watcher/probe',
    '-F',
    '%t %x',
  ]);
  const lines: string[] = [];
  let buffered = '';
  sub.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    lines.push(...parts.filter((l) => l !== ''));
  });
  const stop = () => void sub.kill();
  closers.push(stop);
  const probe = await edgeClient();
  await waitFor('mosquitto_sub subscribed', async () => {
    await probe.publishAsync('watcher/probe', 'x', { qos: 1 });
    return lines.some((l) => l.startsWith('watcher/probe'));
  });
  return { lines, stop };
}

describe('host application state', () => {
  /** An edge node's session with a seq gap; the caller says what happens at the gap. */
  async function session(edge: EdgeNode, atGap: () => Promise<void>) {
    const at = (s: number) => T0 + s * 1000;
    await edge.send(
      'NBIRTH',
      [
        { name: 'bdSeq', type: 'UInt64', value: 1 },
        { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
      ],
      undefined,
      { at: at(0) },
    );
    await edge.send('DBIRTH', [{ name: 'Temperature', alias: 2, type: 'Float', value: 21.5 }], 'Press1', {
      at: at(1),
    });
    await edge.send('DDATA', [{ alias: 2, type: 'Float', value: 22 }], 'Press1', { at: at(2) });
    await edge.send('DDATA', [{ alias: 2, type: 'Float', value: 23 }], 'Press1', {
      seq: edge.seq + 2,
      at: at(3),
    });
    await atGap();
    await edge.send('DDEATH', [], 'Press1', { at: at(9) });
  }
  const nodeOf = (engine: Engine, id: string) => engine.sparkplugNodes(id).nodes[0]!;

  it('counts the gap, shows the device offline after DDEATH and the node after NDEATH, as channels a rule can alert on; asks for nothing when not allowed to publish', async () => {
    const watcher = await ncmdWatcher();
    const engine = await plantEngine('quiet', undefined, 'spBv1.0/Quiet/#');
    const edge = new EdgeNode(await edgeClient(), 'Quiet', 'Edge1');
    await session(edge, async () => {
      // The scan that decided not to ask says so; an NCMD it had published instead would reach
      // the broker before this marker, on the same connection: so the first the watcher sees
      // must be the marker.
      await waitFor('rebirth withheld', () =>
        engine.notices().some((n) => n.message.startsWith('quiet: edge node Quiet/Edge1 needs a rebirth')),
      );
      await engine.publish({
        source: 'quiet',
        topic: 'spBv1.0/Quiet/NCMD/marker',
        payload: '',
        encoding: 'utf8',
        qos: 0,
        retain: false,
      });
      await waitFor('marker seen', () => watcher.lines.some((l) => l.startsWith('spBv1.0/Quiet/')));
      expect(watcher.lines.filter((l) => l.startsWith('spBv1.0/Quiet/'))[0]).toBe(
        'spBv1.0/Quiet/NCMD/marker ',
      );
    });
    await waitFor('device offline', () => nodeOf(engine, 'quiet').devices[0]?.online === false);
    expect(engine.sparkplugNodes('quiet')).toMatchObject({
      allowPublish: false,
      hostId: null,
      nodes: [
        {
          group: 'Quiet',
          node: 'Edge1',
          online: true,
          bdSeq: 1,
          seqGaps: 1,
          rebirthWanted: 'seq gap: expected 3, got 5',
          rebirthsRequested: 0,
          devices: [{ device: 'Press1', online: false }],
        },
      ],
    });
    expect(engine.notices().map((n) => n.message)).toContain(
      'quiet: edge node Quiet/Edge1 needs a rebirth (seq gap: expected 3, got 5); not asked, since the source may not publish to the broker (sparkplug.allowPublish is off)',
    );
    await expect(engine.sparkplugRebirth({ source: 'quiet', group: 'Quiet', node: 'Edge1' })).rejects.toThrow(
      'source "quiet" may not publish to the plant\'s broker: turn on sparkplug.allowPublish in its options',
    );

    // An NDEATH of an earlier session is ignored; this session's takes the node offline.
    await edge.send('NDEATH', [{ name: 'bdSeq', type: 'UInt64', value: 0 }]);
    await edge.send('NDEATH', [{ name: 'bdSeq', type: 'UInt64', value: 1 }]);
    await waitFor('node offline', () => nodeOf(engine, 'quiet').online === false);
    const ndeath = `SELECT count(*) FROM records_v WHERE source = 'quiet' AND message = 'NDEATH Quiet/Edge1'`;
    await waitFor('NDEATH stored', async () => Number((await rows(engine, ndeath))[0]![0]) === 1);

    // Online state is a channel per node and device (1 from a birth, 0 from a death)…
    await engine.channels();
    expect(
      await rows(
        engine,
        `SELECT channel, list(value ORDER BY ts)::VARCHAR FROM samples_v
         WHERE channel LIKE 'quiet/%[online]' GROUP BY 1 ORDER BY 1`,
      ),
    ).toEqual([
      ['quiet/spBv1.0/Quiet/Edge1/Press1/[online]', '[1.0, 0.0]'],
      ['quiet/spBv1.0/Quiet/Edge1/[online]', '[1.0, 0.0]'],
    ]);
    // …and births, deaths and the gap are records.
    expect(
      (
        await rows(
          engine,
          // In the order stored (rowid): two records can share a receive millisecond.
          `SELECT r.severity, r.message FROM records r JOIN sources s ON s.id = r.source_id
           WHERE s.key = 'quiet' ORDER BY r.rowid`,
        )
      ).map((r) => r.join(' ')),
    ).toEqual([
      'notice NBIRTH Quiet/Edge1',
      'notice DBIRTH Quiet/Edge1/Press1',
      'warning seq gap on Quiet/Edge1: expected 3, got 5',
      'info NCMD Quiet/marker',
      'warning DDEATH Quiet/Edge1/Press1',
      'info NDEATH Quiet/Edge1 of an earlier session ignored',
      'warning NDEATH Quiet/Edge1',
    ]);
    // A threshold rule on a device's online channel fires when it goes offline.
    const preview = await engine.previewRules(
      AlertRules.parse([
        {
          id: 'press-offline',
          kind: 'threshold',
          channel: 'quiet/spBv1.0/Quiet/Edge1/Press1/[online]',
          below: 0.5,
        },
      ]),
      { defaultRange: 'allStored' },
    );
    expect(preview.transitions.map((t) => [t.state, t.value, t.ts - T0])).toEqual([['firing', 0, 9000]]);
    // Nothing was published to the plant from this source but the test's own marker.
    expect(watcher.lines.filter((l) => l.startsWith('spBv1.0/Quiet/'))).toEqual([
      'spBv1.0/Quiet/NCMD/marker ',
    ]);
  });

  it('with publishing allowed, asks the node for a rebirth at the gap: mosquitto_sub receives the NCMD', async () => {
    const watcher = await ncmdWatcher();
    const engine = await plantEngine(
      'host',
      { allowPublish: true, rebirthIntervalSeconds: 3600 },
      'spBv1.0/Loud/#',
    );
    const edge = new EdgeNode(await edgeClient(), 'Loud', 'Edge1');
    await session(edge, async () => {
      await waitFor('NCMD received', () =>
        watcher.lines.some((l) => l.startsWith('spBv1.0/Loud/NCMD/Edge1 ')),
      );
      const hex = watcher.lines.find((l) => l.startsWith('spBv1.0/Loud/NCMD/Edge1 '))!.split(' ')[1]!;
      const ncmd = decodeSparkplugPayload(Buffer.from(hex, 'hex'));
      expect(ncmd.ok && ncmd.payload.metrics.map((m) => [m.name, m.value])).toEqual([
        ['Node Control/Rebirth', true],
      ]);
      expect(nodeOf(engine, 'host')).toMatchObject({
        rebirthsRequested: 1,
        rebirthWanted: 'seq gap: expected 3, got 5',
      });
      // The node answers with its births: nothing is wanted any more.
      edge.seq = 0;
      await edge.send('NBIRTH', [{ name: 'bdSeq', type: 'UInt64', value: 1 }], undefined, { at: T0 + 4000 });
      await edge.send('DBIRTH', [{ name: 'Temperature', alias: 2, type: 'Float', value: 24 }], 'Press1', {
        at: T0 + 5000,
      });
    });
    await waitFor('device offline', () => nodeOf(engine, 'host').devices[0]?.online === false);
    expect(nodeOf(engine, 'host')).toMatchObject({
      online: true,
      seqGaps: 1,
      rebirthWanted: null,
      rebirthsRequested: 1,
    });
    expect(watcher.lines.filter((l) => l.startsWith('spBv1.0/Loud/NCMD/'))).toHaveLength(1);
    // By hand, too.
    await engine.sparkplugRebirth({ source: 'host', group: 'Loud', node: 'Edge1' });
    await waitFor(
      'second NCMD',
      () => watcher.lines.filter((l) => l.startsWith('spBv1.0/Loud/NCMD/')).length === 2,
    );
    // The metric kept one channel through the rebirth.
    const temperatures = `SELECT count(*) FROM samples_v WHERE channel LIKE 'host/%Temperature'`;
    await waitFor(
      'rebirth values stored',
      async () => Number((await rows(engine, temperatures))[0]![0]) === 4,
    );
    expect(
      await rows(
        engine,
        `SELECT channel, list(value ORDER BY ts)::VARCHAR FROM samples_v WHERE channel LIKE 'host/%Temperature' GROUP BY 1`,
      ),
    ).toEqual([['host/spBv1.0/Loud/Edge1/Press1/Temperature', '[21.5, 22.0, 23.0, 24.0]']]);
  });

  it('as a primary host, publishes its STATE online after connecting and offline when stopped, with one timestamp', async () => {
    const lines: string[] = [];
    const sub = spawn('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(broker.port),
      '-t',
      'spBv1.0/STATE/#',
      '-v',
    ]);
    sub.stdout.on('data', (d: Buffer) =>
      lines.push(
        ...d
          .toString()
          .split('\n')
          .filter((l) => l !== ''),
      ),
    );
    closers.push(() => void sub.kill());
    const engine = await plantEngine(
      'primary',
      { allowPublish: true, hostId: 'opsdeck1' },
      'spBv1.0/Nobody/#',
    );
    await waitFor('STATE online', () => lines.some((l) => l.includes('"online":true')));
    expect(engine.sparkplugNodes('primary')).toMatchObject({ allowPublish: true, hostId: 'opsdeck1' });
    await engine.setSourceEnabled('primary', false);
    await waitFor('STATE offline', () => lines.some((l) => l.includes('"online":false')));
    const [online, offline] = lines.map((l) => {
      const [topic, json] = l.split(' ');
      return { topic, ...(JSON.parse(json!) as { online: boolean; timestamp: number }) };
    });
    expect(online).toMatchObject({ topic: 'spBv1.0/STATE/opsdeck1', online: true });
    expect(offline).toEqual({ ...online, online: false });
  });
});
