// A Kafka cluster as a source (kafkajs 2.2.4): bootstrap brokers, TLS and SASL; `group` mode reads
// as a member of a named consumer group, `inspect` mode with no group at all (inspect.ts). In both,
// the next offset of every partition is saved in the workspace with the rows (ingest.ts), and a
// start seeks there: exactly once into the workspace, after a crash at any point. In group mode the
// offsets are committed to Kafka too, after the rows are durable, so the cluster shows the lag.
//
// Back-pressure: while the engine's pending work is at its bound the consumer's partitions are
// paused (no more fetches) and the batch being handed over waits for room; at most one fetch per
// partition (maxBytesPerPartition) is ever held in memory.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Kafka, type Admin, type Consumer, type Producer } from 'kafkajs';
import { KafkaOptions as KafkaOptionsSchema, type KafkaOptions } from '../../../../shared/schemas';
import { topicDetail } from '../mqtt/detail';
import type { Source, SourceContext, SourceFactory } from '../source';
import { describeEndpoint, kafkaClient, kafkaConfig, reconnectDelay } from './connection';
import { clusterErrorText, readCluster, type RateMemory } from './cluster';
import { markerRecords } from './fetch';
import { createCluster, InspectReader, ownFetchConsumer, type Cluster } from './inspect';
import { KafkaIngest } from './ingest';

/** Where each partition of the source's topics starts: the workspace's position, else the option. */
async function startOffsets(
  admin: Admin,
  options: KafkaOptions,
  saved: Map<string, number>,
  ctx: SourceContext,
  committed: Map<string, number> = new Map(),
): Promise<Map<string, { topic: string; partition: number; offset: number }>> {
  const out = new Map<string, { topic: string; partition: number; offset: number }>();
  const start = options.start;
  const at = start.from === 'timestamp' ? Date.parse(start.timestamp!) : undefined;
  for (const topic of options.topics) {
    const bounds = await admin.fetchTopicOffsets(topic);
    const byTime = at === undefined ? [] : await admin.fetchTopicOffsetsByTimestamp(topic, at);
    for (const { partition, low, high } of bounds) {
      const key = `${topic}:${partition}`;
      const lowest = Number(low);
      const highest = Number(high);
      let offset = saved.get(key) ?? committed.get(key);
      if (offset !== undefined && offset < lowest) {
        ctx.notice(
          'warn',
          `${ctx.sourceId}: ${topic} partition ${partition} no longer holds offsets ${offset}–${lowest - 1} (retention): reading from ${lowest}`,
        );
        offset = lowest;
      }
      if (offset === undefined) {
        if (start.from === 'earliest') offset = lowest;
        else if (start.from === 'latest') offset = highest;
        else if (start.from === 'timestamp')
          offset = Number(byTime.find((p) => p.partition === partition)?.offset ?? highest);
        else
          offset =
            start.offsets.find((o) => o.topic === topic && o.partition === partition)?.offset ?? highest;
      }
      out.set(key, { topic, partition, offset: Math.min(Math.max(offset, lowest), highest) });
    }
  }
  return out;
}

/** The cluster browser's retries: two, within about 3 s (not measured; a person is waiting). */
const BROWSE_RETRY = { initialRetryTime: 300, maxRetryTime: 2_000, retries: 2 };

export const kafkaSource: SourceFactory<KafkaOptions> = {
  kind: 'kafka',
  options: KafkaOptionsSchema,
  create(options, ctx): Source {
    let kafka: Kafka | null = null;
    let admin: Admin | null = null;
    let consumer: Consumer | null = null;
    let reader: InspectReader | null = null;
    let producer: Producer | null = null;
    let accepting = false;
    let stopping = false;
    let attempt = 0;
    let retry: NodeJS.Timeout | undefined;
    let state: 'starting' | 'connected' | 'reconnecting' = 'starting';
    const commits = new Set<Promise<unknown>>();
    /** The cluster browser's own connections (admin requests, fetches of recent messages). */
    let browser: { admin: Admin; fetcher: Cluster } | null = null;
    const rates: RateMemory = new Map();

    /** One message to the cluster (the engine API, the publish dialog, notifiers); where it went. */
    const produce = async (message: {
      topic: string;
      value: Uint8Array;
      key?: string;
      headers?: Record<string, string>;
      partition?: number;
    }): Promise<{ partition: number; offset: number }> => {
      const client = kafka ?? kafkaClient(options, ctx);
      if (!producer) {
        const p = client.producer({ allowAutoTopicCreation: false });
        await p.connect();
        producer = p;
      }
      const [sent] = await producer.send({
        topic: message.topic,
        messages: [
          {
            value: Buffer.from(message.value),
            ...(message.key !== undefined ? { key: message.key } : {}),
            ...(message.headers ? { headers: message.headers } : {}),
            ...(message.partition !== undefined ? { partition: message.partition } : {}),
          },
        ],
      });
      return { partition: sent?.partition ?? -1, offset: Number(sent?.baseOffset ?? -1) };
    };
    const { endpoint, warnings } = describeEndpoint(options);
    ctx.describe(endpoint, warnings);

    const setState = (next: typeof state, error?: string, detail?: string) => {
      if (next === state && next === 'connected') return;
      state = next;
      ctx.setState(next, error, detail);
    };
    const onLibraryError = (message: string, detail: string) => {
      if (!stopping && accepting) setState('reconnecting', message, detail);
    };

    const ingest = new KafkaIngest(ctx, options, {
      pause: () => consumer?.pause(options.topics.map((topic) => ({ topic }))),
      resume: () => consumer?.resume(options.topics.map((topic) => ({ topic }))),
    });

    /**
     * Kafka hears the group's offsets once the rows up to them are durable, at the store's own
     * cadence (not a prompt commit per batch: the workspace's positions are what exactly-once
     * rests on; Kafka's copy only shows the lag); one commit in flight per flush.
     */
    let commitPending: Map<string, { topic: string; partition: number; offset: string }> | null = null;
    const commitWhenDurable = (topic: string, partition: number, next: number) => {
      const first = commitPending === null;
      commitPending ??= new Map();
      commitPending.set(`${topic}:${partition}`, { topic, partition, offset: String(next) });
      if (!first) return;
      ingest.stage.onDurable((error) => {
        const offsets = [...commitPending!.values()];
        commitPending = null;
        const c = consumer;
        if (error || !c) return;
        const commit = c.commitOffsets(offsets).catch(() => undefined); // a rebalance: the next commit says it
        commits.add(commit);
        void commit.then(() => commits.delete(commit));
      }, false);
    };

    /**
     * After each partition's batch: waits while the store is behind, then yields to the event loop
     * either way. A response's partitions are otherwise handed over in one synchronous run, and the
     * fetch asked ahead (ReadAhead) stalls once the socket's buffer is full, unread until then:
     * bench kafka spent a fifth of its time waiting for responses without the yield, 2% with it.
     */
    const waitForRoom = async (heartbeat?: () => Promise<void>) => {
      while (accepting && ingest.stage.full) {
        await Promise.race([ingest.stage.pauseUntilRoom(), new Promise((r) => setTimeout(r, 1000))]);
        await heartbeat?.().catch(() => undefined);
      }
      await yieldToEventLoop();
    };

    const runGroup = async (client: Kafka) => {
      const groupId = options.groupId!;
      const saved = await ingest.restore();
      // The admin knows only the bootstrap broker until it reads metadata: finding the group's
      // coordinator first failed ("No brokers in the broker pool") and kafkajs retried after its
      // initial retry time, 0.5 s of every group start (bench kafka); the metadata takes ~10 ms.
      await admin!.fetchTopicMetadata({ topics: options.topics });
      const committedList = await admin!.fetchOffsets({ groupId, topics: options.topics });
      const committed = new Map<string, number>();
      for (const t of committedList)
        for (const p of t.partitions)
          if (Number(p.offset) >= 0) committed.set(`${t.topic}:${p.partition}`, Number(p.offset));
      const targets = await startOffsets(admin!, options, saved, ctx, committed);
      const c = ownFetchConsumer(client, {
        groupId,
        sessionTimeout: options.sessionTimeoutMs,
        heartbeatInterval: Math.max(100, Math.floor(options.sessionTimeoutMs / 3)),
        rebalanceTimeout: Math.max(options.sessionTimeoutMs, 10_000),
        maxBytesPerPartition: options.maxBytesPerPartition,
        maxWaitTimeInMs: 500,
        allowAutoTopicCreation: false,
        retry: { initialRetryTime: options.reconnectMinMs, maxRetryTime: options.reconnectMaxMs, retries: 8 },
      });
      consumer = c;
      c.on(c.events.GROUP_JOIN, ({ payload }) => {
        setState('connected');
        attempt = 0;
        ingest.reassigned();
        // Every partition we are given starts where this workspace's rows end (else the group's
        // committed offset, else the start option), whatever the group had committed.
        for (const [topic, partitions] of Object.entries(payload.memberAssignment))
          for (const partition of partitions) {
            const key = `${topic}:${partition}`;
            const offset = ingest.next.get(key) ?? targets.get(key)?.offset;
            if (offset !== undefined) c.seek({ topic, partition, offset: String(offset) });
          }
      });
      c.on(c.events.CRASH, ({ payload }) => {
        if (stopping) return;
        setState('reconnecting', payload.error.message);
        if (!payload.restart) scheduleRestart();
      });
      await c.connect();
      await c.subscribe({ topics: options.topics, fromBeginning: options.start.from === 'earliest' });
      await c.run({
        // Offsets go to Kafka only once durable (commitWhenDurable); resolving a batch here only
        // moves kafkajs's next fetch on.
        autoCommit: false,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
          if (!accepting || !isRunning() || isStale()) return;
          setState('connected');
          const records = markerRecords(batch);
          const next = records
            ? ingest.accept(batch.topic, batch.partition, records, Number(batch.highWatermark))
            : null;
          if (next !== null) commitWhenDurable(batch.topic, batch.partition, next);
          await waitForRoom(heartbeat);
        },
      });
    };

    const runInspect = async (client: Kafka) => {
      const saved = await ingest.restore();
      const targets = await startOffsets(admin!, options, saved, ctx);
      const cluster = createCluster(client);
      await cluster.connect();
      await cluster.addMultipleTargetTopics(options.topics);
      const r = new InspectReader(cluster, {
        maxBytesPerPartition: options.maxBytesPerPartition,
        maxWaitMs: 500,
      });
      reader = r;
      for (const t of targets.values())
        r.seek(t.topic, t.partition, ingest.next.get(`${t.topic}:${t.partition}`) ?? t.offset);
      setState('connected');
      const loop = async () => {
        while (accepting) {
          try {
            await r.run(async (b) => {
              setState('connected');
              attempt = 0;
              ingest.accept(b.topic, b.partition, b.records, b.highWatermark);
              await waitForRoom();
            });
          } catch (error) {
            if (!accepting) break;
            setState('reconnecting', (error as Error).message);
            await new Promise((res) => setTimeout(res, reconnectDelay(options, attempt++)));
          }
        }
        await cluster.disconnect().catch(() => undefined);
      };
      inspectLoop = loop();
    };
    let inspectLoop: Promise<void> | null = null;

    /** `start()` throws for unusable options (a missing file or secret); a reconnect shows them as an error. */
    const connect = async (first: boolean) => {
      let client: Kafka;
      try {
        client = kafkaClient(options, ctx, onLibraryError);
      } catch (error) {
        if (first) throw error;
        ctx.setState('error', (error as Error).message);
        return;
      }
      kafka = client;
      const a = client.admin();
      admin = a;
      try {
        await a.connect();
        if (options.mode === 'group') await runGroup(client);
        else await runInspect(client);
      } catch (error) {
        if (stopping) return;
        setState('reconnecting', (error as Error).message);
        scheduleRestart();
      }
    };

    const teardown = async () => {
      reader?.stop();
      const c = consumer;
      consumer = null;
      await c?.disconnect().catch(() => undefined);
      await inspectLoop?.catch(() => undefined);
      inspectLoop = null;
      reader = null;
      await admin?.disconnect().catch(() => undefined);
      admin = null;
    };

    const scheduleRestart = () => {
      if (stopping || retry) return;
      retry = setTimeout(
        () => {
          retry = undefined;
          void (async () => {
            await teardown();
            if (!stopping) await connect(false);
          })();
        },
        reconnectDelay(options, attempt++),
      );
    };

    return {
      async start() {
        stopping = false;
        accepting = true;
        state = 'starting';
        ctx.setState('starting');
        await connect(true);
      },
      async stop() {
        stopping = true;
        clearTimeout(retry);
        retry = undefined;
        // Everything taken in goes to the store, and its offsets to the group, before disconnecting.
        accepting = false;
        reader?.stop();
        await ingest.stop();
        await Promise.all([...commits]);
        await teardown();
        await producer?.disconnect().catch(() => undefined);
        producer = null;
        await browser?.admin.disconnect().catch(() => undefined);
        await browser?.fetcher.disconnect().catch(() => undefined);
        browser = null;
        kafka = null;
        ctx.setState('stopped');
      },
      async publish(request) {
        await produce({ topic: request.topic, value: request.bytes });
      },
      async kafkaProduce(request) {
        return produce({
          topic: request.topic,
          value: request.bytes,
          ...(request.key !== undefined ? { key: request.key } : {}),
          headers: request.headers,
          ...(request.partition !== undefined ? { partition: request.partition } : {}),
        });
      },
      async kafkaCluster(request) {
        // Its own client, retrying briefly: a console waiting on a down broker says so in seconds,
        // not after the consumer's minutes of backoff.
        if (!browser) {
          const client = new Kafka({ ...kafkaConfig(options, ctx), retry: BROWSE_RETRY });
          browser = { admin: client.admin(), fetcher: createCluster(client) };
        }
        const b = browser;
        try {
          await b.admin.connect();
          await b.fetcher.connect();
          return await readCluster(b.admin, b.fetcher, ingest.frames, request, rates, ctx.now());
        } catch (error) {
          // A connection that failed is not kept: the next look connects afresh.
          browser = null;
          await b.admin.disconnect().catch(() => undefined);
          await b.fetcher.disconnect().catch(() => undefined);
          throw new Error(clusterErrorText(options.brokers, error), { cause: error });
        }
      },
      topics: (request) => ingest.tree.list(request.prefix, request.search, request.limit),
      topicDetail: (topic) => topicDetail(ingest.tree, ingest.frames, topic, ctx),
    };
  },
};
