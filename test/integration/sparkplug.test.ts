// Sparkplug B as a host application sees it, against a real Mosquitto: an edge node simulated with
// Eclipse Tahu's codec (`sparkplug-payload`) over its own MQTT connection publishes births, data
// by alias, deaths and a `seq` gap; OpsDeck's MQTT source keeps one channel per metric, tracks
// which nodes and devices are online, counts gaps, and asks for a rebirth only when allowed to
// publish to the plant's broker.
import fs from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import proto from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSparkplug } from '../../electron/engine/decode/sparkplug';
import { Engine } from '../../electron/engine/engine';
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
async function plantEngine(id: string, sparkplug?: Record<string, unknown>): Promise<Engine> {
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
        { filter: 'spBv1.0/#', qos: 1 },
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
          (await rows(engine, `SELECT count(*) FROM samples_v WHERE channel LIKE 'plant/spBv1.0/%'`))[0]![0],
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
      ['plant/spBv1.0/Plant1/Edge1/Uptime', ''],
      ['plant/spBv1.0/Plant1/Edge1/bdSeq', ''],
    ]);
  });

  it('holds the birth value first, then the data values', async () => {
    const values = await rows(
      engine,
      `SELECT regexp_extract(channel, '[^/]+$'), list(value ORDER BY ts), list(epoch_ms(ts) - ${T0} ORDER BY ts)
       FROM samples_v WHERE source = 'plant' AND channel LIKE '%/Press1/%' GROUP BY 1 ORDER BY 1`,
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
