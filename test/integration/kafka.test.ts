// Kafka against a real Apache Kafka (KRaft, one node on loopback; test/helpers/kafka.ts), on 3.9.1
// and 4.1.1: messages produced by kcat arrive decoded and stored with their Kafka fields; an
// undecodable one goes to quarantine naming topic, partition and offset; inspect mode leaves no
// consumer group behind; a broker restarted mid-stream loses and doubles nothing.
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import type { z } from 'zod';
import type { SourceConfig } from '../../shared/schemas';
import { followingRequest, ReadAhead, type FetchRequest } from '../../electron/engine/sources/kafka/fetch';
import { createCluster } from '../../electron/engine/sources/kafka/inspect';
import { KAFKA_VERSIONS, KafkaBroker } from '../helpers/kafka';
import { makePki, type Pki } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
const closers: (() => Promise<void> | void)[] = [];
beforeAll(() => {
  tmp = tempDir();
});
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  tmp.cleanup();
});

async function engineWith(sources: z.input<typeof SourceConfig>[]): Promise<Engine> {
  const dir = path.join(tmp.dir, `ws-${Math.random().toString(36).slice(2)}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'opsdeck.json'), JSON.stringify({ version: 1, sources }));
  const engine = await Engine.open(dir, { flushIntervalMs: 50 });
  closers.push(() => engine.close());
  return engine;
}

const count = async (engine: Engine, sql: string) => Number((await engine.query(sql)).rows[0]![0]);
const sourceState = (engine: Engine, id: string) => engine.status().sources.find((s) => s.id === id)!;

async function groups(broker: KafkaBroker): Promise<string[]> {
  const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return (await admin.listGroups()).groups.map((g) => g.groupId).sort();
  } finally {
    await admin.disconnect();
  }
}

describe.each(KAFKA_VERSIONS)('kafka %s', (version) => {
  let broker: KafkaBroker;
  /** A source reading one topic as JSON, its group's session short (a restarted member is not waited for). */
  const jsonSource = (id: string, topic: string, options: Record<string, unknown>) => ({
    id,
    name: id,
    kind: 'kafka' as const,
    options: {
      brokers: [broker.bootstrap],
      topics: [topic],
      decoders: [{ topic, decoder: 'json' as const }],
      sessionTimeoutMs: 6_000,
      ...options,
    },
  });
  beforeAll(async () => {
    broker = await KafkaBroker.start({ version });
    closers.push(() => broker.close());
  }, 300_000);

  it('stores what kcat produced, decoded, with key, headers, partition and offset; quarantines the undecodable', async () => {
    broker.createTopic('events', 2);
    const lines = Array.from({ length: 200 }, (_, i) => `k${i}\t{"seq":${i},"rule":"r${i % 3}"}`);
    broker.produce('events', lines.slice(0, 100), { keyed: true, partition: 0 });
    broker.produce('events', lines.slice(100), { keyed: true, partition: 1 });
    broker.produce('events', ['\u0000\u00ff not json'], { partition: 1 });
    const before = await groups(broker);
    const engine = await engineWith([
      {
        id: 'k',
        name: 'kafka',
        kind: 'kafka',
        options: {
          brokers: [broker.bootstrap],
          topics: ['events'],
          mode: 'inspect',
          start: { from: 'earliest' },
          decoders: [{ topic: 'events', decoder: 'json' }],
        },
      },
    ]);
    await waitFor(
      'the seq samples',
      async () =>
        (await count(engine, `SELECT count(*) FROM samples_v WHERE channel = 'k/events/seq'`)) === 200,
      60_000,
    );
    expect(
      await count(engine, `SELECT count(DISTINCT value) FROM samples_v WHERE channel = 'k/events/seq'`),
    ).toBe(200);
    const fields = await engine.query(`SELECT fields FROM records WHERE fields->>'$.kafka.key' = 'k150'`);
    const kafka = (JSON.parse(String(fields.rows[0]![0])) as { kafka: Record<string, unknown> }).kafka;
    expect(kafka).toMatchObject({ topic: 'events', partition: 1, offset: 50, key: 'k150' });
    await waitFor(
      'the quarantined message',
      async () => (await count(engine, `SELECT count(*) FROM quarantine`)) === 1,
    );
    const q = await engine.query(`SELECT "where" FROM quarantine`);
    expect(q.rows[0]![0]).toBe('events partition 1 offset 100');
    expect(sourceState(engine, 'k').state).toBe('connected');
    // Inspect mode joined no group and committed nothing.
    expect(await groups(broker)).toEqual(before);

    // A message sent with key and headers through the engine comes back through the source.
    const sent = await engine.kafkaProduce({
      source: 'k',
      topic: 'events',
      key: 'sent-by-test',
      headers: { origin: 'opsdeck' },
      payload: '{"seq":1000,"rule":"test"}',
      encoding: 'utf8',
      partition: 0,
    });
    expect(sent).toEqual({ partition: 0, offset: 100 });
    await waitFor('the produced message', async () => {
      const r = await engine.query(
        `SELECT fields FROM records WHERE fields->>'$.kafka.key' = 'sent-by-test'`,
      );
      return r.rows.length === 1 ? r : null;
    });
    const produced = await engine.query(
      `SELECT fields->'$.kafka.headers' FROM records WHERE fields->>'$.kafka.key' = 'sent-by-test'`,
    );
    expect(JSON.parse(String(produced.rows[0]![0]))).toEqual({ origin: 'opsdeck' });
  }, 120_000);

  it('starts where asked: at a time, at an offset per partition (others at the latest), at the latest', async () => {
    broker.createTopic('history', 2);
    // Twenty messages a minute apart from 18:00, even seq on partition 0 and odd on 1 (offsets 0–9).
    const base = Date.UTC(2026, 10, 29, 18, 0, 0);
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const send = (from: number, to: number) =>
      producer.send({
        topic: 'history',
        messages: Array.from({ length: to - from }, (_, k) => ({
          partition: (from + k) % 2,
          timestamp: String(base + (from + k) * 60_000),
          value: JSON.stringify({ seq: from + k }),
        })),
      });
    await send(0, 20);
    const at = { from: 'timestamp', timestamp: '2026-11-29T18:12:00Z' } as const;
    const source = (id: string, options: Record<string, unknown>) => jsonSource(id, 'history', options);
    const engine = await engineWith([
      source('at', { start: at }),
      source('off', { start: { from: 'offsets', offsets: [{ topic: 'history', partition: 0, offset: 7 }] } }),
      source('new', { start: { from: 'latest' } }),
      source('grp', { mode: 'group', groupId: 'history-group', start: at }),
    ]);
    const seqs = async (id: string) =>
      (
        await engine.query(
          `SELECT DISTINCT value::INTEGER FROM samples_v WHERE channel = '${id}/history/seq' ORDER BY 1`,
        )
      ).rows.map((r) => Number(r[0]));
    await waitFor(
      'the sources to read what they were asked for',
      async () =>
        (await seqs('at')).length === 8 &&
        (await seqs('off')).length === 3 &&
        (await seqs('grp')).length === 8 &&
        sourceState(engine, 'new').state === 'connected',
      60_000,
    );
    await send(20, 22); // seq 20 on partition 0, 21 on partition 1
    const after = Array.from({ length: 10 }, (_, k) => 12 + k);
    await waitFor(
      'the new messages',
      async () =>
        (await seqs('new')).length === 2 &&
        (await seqs('off')).length === 5 &&
        (await seqs('at')).length === 10 &&
        (await seqs('grp')).length === 10,
      60_000,
    );
    await producer.disconnect();
    expect(await seqs('at')).toEqual(after);
    expect(await seqs('grp')).toEqual(after);
    // Partition 0 from offset 7 (seq 14, 16, 18, then 20); partition 1 from its latest (seq 21).
    expect(await seqs('off')).toEqual([14, 16, 18, 20, 21]);
    expect(await seqs('new')).toEqual([20, 21]);
    // The Kafka timestamp is each message's event time.
    const first = await engine.query(
      `SELECT epoch_ms(ts) FROM samples_v WHERE channel = 'at/history/seq' AND value = 12`,
    );
    expect(Number(first.rows[0]![0])).toBe(base + 12 * 60_000);
  }, 120_000);

  it('asks the next fetch while a response is read, and takes it only when asked exactly that', async () => {
    broker.createTopic('ahead', 2);
    for (const partition of [0, 1])
      broker.produce(
        'ahead',
        Array.from({ length: 200 }, (_, i) => `{"seq":${i}}`),
        { partition, batchMessages: 10 },
      );
    const cluster = createCluster(new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }));
    closers.push(() => cluster.disconnect());
    await cluster.connect();
    await cluster.addMultipleTargetTopics(['ahead']);
    const [nodeId] = Object.keys(cluster.findLeaderForPartitions('ahead', [0, 1]));
    const leader = await cluster.findBroker({ nodeId: nodeId! });
    // Every Fetch that goes to the broker, as `partition@offset` lists.
    const sent: string[] = [];
    const lookup = leader.lookupRequest.bind(leader);
    leader.lookupRequest = (apiKey, definition) => {
      const make = lookup(apiKey, definition);
      return (request: object) => {
        const { topics } = request as FetchRequest;
        if (apiKey === 1)
          sent.push(
            topics.flatMap((t) => t.partitions.map((p) => `${p.partition}@${p.fetchOffset}`)).join(' '),
          );
        return make(request);
      };
    };
    const reader = new ReadAhead(leader);
    const from = (offsets: Record<number, number>): FetchRequest => ({
      isolationLevel: 1,
      maxWaitTime: 100,
      minBytes: 1,
      maxBytes: 4096,
      // Small, so the topic takes many fetches.
      topics: [
        {
          topic: 'ahead',
          partitions: Object.entries(offsets).map(([p, o]) => ({
            partition: Number(p),
            fetchOffset: String(o),
            maxBytes: 512,
          })),
        },
      ],
    });

    // Read to the end: every fetch but the first was already asked; every offset comes once, in order.
    const seen = new Map<number, number[]>([
      [0, []],
      [1, []],
    ]);
    let request: FetchRequest | null = from({ 0: 0, 1: 0 });
    let calls = 0;
    while (request) {
      const response = await reader.fetch(request);
      calls++;
      if (calls === 1) expect(sent).toHaveLength(2); // asked, and the one after it already on its way
      for (const { partitions } of response.responses)
        for (const p of partitions)
          for (let i = 0; i < (p.records?.n ?? 0); i++) seen.get(p.partition)!.push(p.records!.offset[i]!);
      request = followingRequest(request, response);
    }
    for (const [, offsets] of seen) expect(offsets).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(calls).toBeGreaterThan(4);
    expect(sent).toHaveLength(calls); // none sent twice, none left over at the end of the log

    // A fetch other than the one asked ahead (a seek, a pause) goes out itself and gets its own records.
    sent.length = 0;
    const first = await reader.fetch(from({ 0: 0, 1: 0 }));
    expect(sent).toHaveLength(2);
    const seek = await reader.fetch(from({ 0: 5 }));
    const seekRecords = seek.responses[0]!.partitions[0]!.records!;
    // The seek's own fetch, then the one after it asked ahead in turn.
    expect(sent.slice(1)).toEqual([sent[1], '0@5', `0@${seekRecords.next}`]);
    expect(sent[1]).not.toBe('0@5');
    expect(first.responses[0]!.partitions.find((p) => p.partition === 0)!.records!.offset[0]).toBe(0);
    expect(seekRecords.offset[0]).toBe(5);
  }, 120_000);

  it('browses the cluster: topics with offsets, a group with its member and lag, recent messages without a group', async () => {
    const engine = await engineWith([
      {
        id: 'g',
        name: 'group reader',
        kind: 'kafka',
        options: {
          brokers: [broker.bootstrap],
          topics: ['events'],
          mode: 'group',
          groupId: 'browse-group',
          start: { from: 'earliest' },
          sessionTimeoutMs: 6_000,
        },
      },
    ]);
    await waitFor(
      'the group to read everything',
      async () =>
        (await count(engine, `SELECT count(*) FROM samples_v WHERE channel = 'g/events/seq'`)) === 201,
      60_000,
    );
    const before = await groups(broker);
    const cluster = await waitFor('the group committed', async () => {
      const c = await engine.kafkaCluster({ source: 'g', recentTopic: 'events', recentPerPartition: 3 });
      const g = c.groups.find((x) => x.groupId === 'browse-group');
      return g && g.lag.length === 2 && g.lag.every((l) => l.lag === 0) ? c : null;
    });
    const events = cluster.topics.find((t) => t.name === 'events')!;
    expect(events.partitions).toEqual([
      { partition: 0, leader: 1, earliest: 0, latest: 101, messages: 101 },
      { partition: 1, leader: 1, earliest: 0, latest: 101, messages: 101 },
    ]);
    expect(events.messages).toBe(202);
    const group = cluster.groups.find((x) => x.groupId === 'browse-group')!;
    expect(group.members).toHaveLength(1);
    expect(group.lag.map((l) => l.committed)).toEqual([101, 101]);
    // The last three of each partition, decoded as the source would, keys and headers shown.
    expect(cluster.recent.map((m) => `${m.partition}@${m.offset}`).sort()).toEqual([
      '0@100',
      '0@98',
      '0@99',
      '1@100',
      '1@98',
      '1@99',
    ]);
    const sent = cluster.recent.find((m) => m.key === 'sent-by-test')!;
    expect(sent).toMatchObject({
      partition: 0,
      offset: 100,
      headers: { origin: 'opsdeck' },
      value: '{"seq":1000,"rule":"test"}',
      decoded: { seq: 1000 },
    });
    const undecodable = cluster.recent.find((m) => m.partition === 1 && m.offset === 100)!;
    expect(undecodable.value).toBe('\u0000\u00ff not json');
    expect(undecodable.decoded).toHaveProperty('error');
    // Reading recent messages joined no group.
    expect(await groups(broker)).toEqual(before);
    const again = await engine.kafkaCluster({ source: 'g', recentPerPartition: 10 });
    expect(again.topics.find((t) => t.name === 'events')!.rate).toBe(0);

    // A Kafka alert notifier produces the alert through the source, keyed by its fingerprint.
    broker.createTopic('opsdeck.alerts');
    const tested = await engine.testNotifier({
      id: 'soc-kafka',
      kind: 'kafka',
      source: 'g',
      topic: 'opsdeck.alerts',
      attempts: 1,
      backoffMs: 0,
      timeoutMs: 10_000,
      sendResolved: true,
    });
    expect(tested).toMatchObject({ ok: true, error: null });
    const alerts = await engine.kafkaCluster({
      source: 'g',
      recentTopic: 'opsdeck.alerts',
      recentPerPartition: 10,
    });
    expect(alerts.recent).toHaveLength(1);
    const alert = alerts.recent[0]!;
    expect(alert.headers).toMatchObject({ 'opsdeck-notifier': 'soc-kafka' });
    const payload = JSON.parse(alert.value) as { generator: string; receiver: string; fingerprint: string };
    expect(payload).toMatchObject({ generator: 'opsdeck', receiver: 'soc-kafka' });
    expect(alert.key).toBe(payload.fingerprint);
  }, 120_000);

  it('reads gzip, snappy, lz4 and zstd batches and leaves out aborted transactions (inspect and group)', async () => {
    broker.createTopic('mixed', 1);
    // Padded so each batch compresses well: librdkafka sends a batch uncompressed when compressing
    // would not make it smaller (a CI run's snappy batch of five tiny messages went out plain).
    const pad = 'abcd'.repeat(64);
    const seqs = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k) => `{"seq":${from + k},"pad":"${pad}"}`);
    broker.produce('mixed', seqs(0, 20), { compression: 'gzip' });
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({
      transactionalId: `opsdeck-test-${version}`,
      maxInFlightRequests: 1,
      idempotent: true,
    });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({ topic: 'mixed', messages: seqs(20, 30).map((value) => ({ value })) });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic: 'mixed', messages: seqs(1000, 1010).map((value) => ({ value })) });
    await aborted.abort();
    await producer.disconnect();
    broker.produce('mixed', seqs(30, 35), { compression: 'snappy' });
    broker.produce('mixed', seqs(35, 40), { compression: 'lz4' });
    broker.produce('mixed', seqs(40, 45), { compression: 'zstd' });
    broker.produce('mixed', seqs(45, 50));
    // Headers a peer may send: a name twice, and names that are properties of every JavaScript object.
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({
      topic: 'mixed',
      messages: [
        {
          value: '{"seq":50,"note":"headers"}',
          headers: { trace: ['a', 'b'], constructor: 'c', ['__proto__']: 'p' },
        },
      ],
    });
    await plain.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const [end] = await admin.fetchTopicOffsets('mixed');
    await admin.disconnect();
    const source = (id: string, options: Record<string, unknown>) =>
      jsonSource(id, 'mixed', { start: { from: 'earliest' }, ...options });
    const engine = await engineWith([
      source('ins', { mode: 'inspect' }),
      source('grp', { mode: 'group', groupId: `mixed-group-${version}` }),
    ]);
    for (const id of ['ins', 'grp']) {
      // The saved position reaches the partition's end: past the control records and the aborted ones.
      await waitFor(
        `${id} at the end of the partition`,
        async () => {
          const saved = (await engine.store.positions(id)).get('offsets');
          return (
            saved !== undefined &&
            (JSON.parse(saved) as Record<string, number>)['mixed:0'] === Number(end!.high)
          );
        },
        60_000,
      );
      const stored = await engine.query(
        `SELECT DISTINCT value::INTEGER FROM samples_v WHERE channel = '${id}/mixed/seq' ORDER BY 1`,
      );
      expect(
        stored.rows.map((r) => Number(r[0])),
        id,
      ).toEqual(Array.from({ length: 51 }, (_, i) => i));
      const headers = await engine.query(
        `SELECT fields->'$.kafka.headers' FROM records_v WHERE source = '${id}' AND (fields->>'$.kafka.offset') = '${Number(end!.high) - 1}'`,
      );
      expect(JSON.parse(String(headers.rows[0]![0]))).toEqual({
        trace: ['a', 'b'],
        constructor: 'c',
        ['__proto__']: 'p',
      });
      const quarantined = await engine.query(
        `SELECT count(*) FROM quarantine q JOIN sources s ON s.id = q.source_id WHERE s.key = '${id}'`,
      );
      expect(Number(quarantined.rows[0]![0])).toBe(0);
      expect(sourceState(engine, id).state).toBe('connected');
    }
    // The cluster browser shows the same headers, a name given twice as one line.
    const recent = await engine.kafkaCluster({ source: 'ins', recentTopic: 'mixed', recentPerPartition: 1 });
    expect(recent.recent.map((m) => m.offset)).toEqual([Number(end!.high) - 1]);
    expect(Object.entries(recent.recent[0]!.headers)).toEqual([
      ['trace', 'a, b'],
      ['constructor', 'c'],
      ['__proto__', 'p'],
    ]);
  }, 120_000);
});

describe('kafka security: SCRAM and TLS with the site CA', () => {
  let broker: KafkaBroker;
  let pki: Pki;
  beforeAll(async () => {
    pki = makePki(fs.mkdirSync(path.join(tmp.dir, 'pki'), { recursive: true }) ?? path.join(tmp.dir, 'pki'));
    broker = await KafkaBroker.start({
      version: '3.9.1',
      users: [{ name: 'responder', password: 'scram-secret' }],
      tls: { certFile: pki.serverCert, keyFile: pki.serverKey },
    });
    closers.push(() => broker.close());
    broker.createTopic('secure');
    broker.produce('secure', ['{"n":1,"who":"a"}', '{"n":2,"who":"b"}', '{"n":3,"who":"c"}']);
    process.env.OPSDECK_SECRET_KAFKA_PW = 'scram-secret';
    process.env.OPSDECK_SECRET_KAFKA_BAD = 'not-the-password';
  }, 300_000);
  afterAll(() => {
    delete process.env.OPSDECK_SECRET_KAFKA_PW;
    delete process.env.OPSDECK_SECRET_KAFKA_BAD;
  });

  const source = (id: string, options: { brokers: string[] } & Record<string, unknown>) => ({
    id,
    name: id,
    kind: 'kafka' as const,
    options: {
      topics: ['secure'],
      start: { from: 'earliest' as const },
      reconnectMinMs: 200,
      reconnectMaxMs: 1_000,
      ...options,
    },
  });
  const stored = (engine: Engine, id: string) =>
    count(engine, `SELECT count(*) FROM samples_v WHERE channel = '${id}/secure/n'`);

  it('reads with SCRAM-SHA-256 (inspect) and SCRAM-SHA-512 (group); a wrong password is refused and shown', async () => {
    const sasl = `127.0.0.1:${broker.saslPort}`;
    const engine = await engineWith([
      source('s256', {
        brokers: [sasl],
        sasl: { mechanism: 'scram-sha-256', username: 'responder', password: 'kafka.pw' },
      }),
      source('s512', {
        brokers: [sasl],
        mode: 'group',
        groupId: 'scram-group',
        sasl: { mechanism: 'scram-sha-512', username: 'responder', password: 'kafka.pw' },
      }),
      source('bad', {
        brokers: [sasl],
        sasl: { mechanism: 'scram-sha-256', username: 'responder', password: 'kafka.bad' },
      }),
    ]);
    await waitFor('SCRAM-SHA-256', async () => (await stored(engine, 's256')) === 3, 60_000);
    await waitFor('SCRAM-SHA-512', async () => (await stored(engine, 's512')) === 3, 60_000);
    await waitFor(
      'the refusal shown',
      () => /SASL|authenticat/i.test(sourceState(engine, 'bad').lastError ?? ''),
      60_000,
    );
    expect(sourceState(engine, 'bad').state).not.toBe('connected');
    expect(await stored(engine, 'bad')).toBe(0);
    // The cluster browser says so too, in words.
    await expect(engine.kafkaCluster({ source: 'bad', recentPerPartition: 10 })).rejects.toThrow(
      /^the cluster at 127\.0\.0\.1:\d+ refused the credentials: SASL SCRAM SHA256 authentication failed/,
    );
    expect((await engine.kafkaCluster({ source: 's256', recentPerPartition: 10 })).topics).toHaveLength(1);
  }, 120_000);

  it('reads over TLS with the site CA, and is refused without it', async () => {
    const tls = `127.0.0.1:${broker.tlsPort}`;
    const engine = await engineWith([
      source('ca', { brokers: [tls], tls: { caFile: pki.caFile } }),
      source('noca', { brokers: [tls], tls: {} }),
    ]);
    await waitFor('messages over TLS', async () => (await stored(engine, 'ca')) === 3, 60_000);
    await waitFor(
      'the refused certificate shown',
      () => /certificate|self.signed|issuer/i.test(sourceState(engine, 'noca').lastError ?? ''),
      60_000,
    );
    expect(sourceState(engine, 'noca').state).not.toBe('connected');
    expect(await stored(engine, 'noca')).toBe(0);
  }, 120_000);
});

describe('kafka mutual TLS: a client certificate the broker requires', () => {
  let broker: KafkaBroker;
  let pki: Pki;
  beforeAll(async () => {
    const dir = path.join(tmp.dir, 'pki-mtls');
    fs.mkdirSync(dir, { recursive: true });
    pki = makePki(dir);
    broker = await KafkaBroker.start({
      version: '4.1.1',
      tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.caFile },
    });
    closers.push(() => broker.close());
    broker.createTopic('secure');
    broker.produce('secure', ['{"n":1}', '{"n":2}', '{"n":3}']);
    process.env.OPSDECK_SECRET_KAFKA_KEYPASS = pki.clientKeyPassphrase;
  }, 300_000);
  afterAll(() => {
    delete process.env.OPSDECK_SECRET_KAFKA_KEYPASS;
  });

  it('reads with the client certificate (its key encrypted, the passphrase by name), and is refused without one', async () => {
    const tls = `127.0.0.1:${broker.tlsPort}`;
    const source = (id: string, options: Record<string, unknown>) => ({
      id,
      name: id,
      kind: 'kafka' as const,
      options: {
        brokers: [tls],
        topics: ['secure'],
        start: { from: 'earliest' as const },
        reconnectMinMs: 200,
        reconnectMaxMs: 1_000,
        ...options,
      },
    });
    const engine = await engineWith([
      source('mtls', {
        tls: {
          caFile: pki.caFile,
          certFile: pki.clientCert,
          keyFile: pki.clientKeyEncrypted,
          keyPassphrase: 'kafka.keypass',
        },
      }),
      source('nocert', { tls: { caFile: pki.caFile } }),
    ]);
    const stored = (id: string) =>
      count(engine, `SELECT count(*) FROM samples_v WHERE channel = '${id}/secure/n'`);
    await waitFor('messages over mutual TLS', async () => (await stored('mtls')) === 3, 60_000);
    await waitFor('the refusal shown', () => (sourceState(engine, 'nocert').lastError ?? '') !== '', 60_000);
    expect(sourceState(engine, 'nocert').state).not.toBe('connected');
    expect(await stored('nocert')).toBe(0);
  }, 120_000);
});
