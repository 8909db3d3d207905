// Inspect mode: partitions read without a consumer group, so nothing is committed and the cluster
// keeps no trace (no group, no member, no offsets). kafkajs's consumer only reads as a group
// member (no manual assignment: its issue #373), so this reader sends Fetch requests itself
// through kafkajs's own cluster and broker objects — the same connections, TLS, SASL and metadata
// its consumer uses — one request per leader for all of its partitions, the records read by
// fetch.ts as group mode reads them, the next fetch asked while these are delivered (ReadAhead).
import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs';
import { ReadAhead, withOwnFetch, type KafkajsBroker } from './fetch';
import type { PartitionRecords } from './records';

/** What kafkajs's cluster offers (not in its typings). */
export interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(request: { nodeId: string }): Promise<KafkajsBroker>;
}

/** kafkajs keeps the cluster factory behind a symbol; found by its description, checked at once. */
function clusterFactory(kafka: Kafka): { symbol: symbol; create: (options: object) => Cluster } {
  const symbol = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const create = symbol ? (kafka as unknown as Record<symbol, unknown>)[symbol] : undefined;
  if (!symbol || typeof create !== 'function')
    throw new Error('kafkajs: no cluster factory (a kafkajs other than 2.2.x?)');
  return { symbol, create: create as (options: object) => Cluster };
}

export function createCluster(kafka: Kafka): Cluster {
  return clusterFactory(kafka).create({
    allowAutoTopicCreation: false,
    isolationLevel: READ_COMMITTED,
  });
}

/** kafkajs's consumer, its fetches' records read by fetch.ts (see `withOwnFetch`). */
export function ownFetchConsumer(kafka: Kafka, config: ConsumerConfig): Consumer {
  const { symbol, create } = clusterFactory(kafka);
  const slot = kafka as unknown as Record<symbol, unknown>;
  slot[symbol] = (options: object) => withOwnFetch(create(options));
  try {
    return kafka.consumer(config);
  } finally {
    slot[symbol] = create;
  }
}

const READ_COMMITTED = 1;

export interface PartitionBatch {
  topic: string;
  partition: number;
  records: PartitionRecords;
  highWatermark: number;
  /** The next offset to fetch after this batch (past compacted or control records too). */
  next: number;
}

export interface InspectReaderOptions {
  maxBytesPerPartition: number;
  /** How long the broker may hold a fetch open waiting for data. */
  maxWaitMs: number;
}

/**
 * Reads the partitions it is given from their offsets, leader by leader, until stopped. `deliver`
 * is called for each non-empty partition batch; its promise is back-pressure (no fetch while it
 * is pending). A failed fetch rejects `run` with the error (the source reconnects).
 */
export class InspectReader {
  private running = false;
  /** Each leader's fetches, the next one asked while this one's records are delivered. */
  private readonly readers = new WeakMap<KafkajsBroker, ReadAhead>();
  readonly offsets = new Map<string, { topic: string; partition: number; offset: number }>();

  constructor(
    private readonly cluster: Cluster,
    private readonly options: InspectReaderOptions,
  ) {}

  seek(topic: string, partition: number, offset: number): void {
    this.offsets.set(`${topic}:${partition}`, { topic, partition, offset });
  }

  stop(): void {
    this.running = false;
  }

  async run(deliver: (batch: PartitionBatch) => void | Promise<void>): Promise<void> {
    this.running = true;
    await this.cluster.refreshMetadata();
    while (this.running) {
      const byLeader = new Map<
        string,
        Map<string, { partition: number; fetchOffset: string; maxBytes: number }[]>
      >();
      for (const { topic, partition, offset } of this.offsets.values()) {
        const leaders = this.cluster.findLeaderForPartitions(topic, [partition]);
        for (const nodeId of Object.keys(leaders)) {
          const topics = byLeader.get(nodeId) ?? new Map();
          byLeader.set(nodeId, topics);
          const list = topics.get(topic) ?? [];
          topics.set(topic, list);
          list.push({ partition, fetchOffset: String(offset), maxBytes: this.options.maxBytesPerPartition });
        }
      }
      if (byLeader.size === 0) {
        await new Promise((r) => setTimeout(r, this.options.maxWaitMs));
        continue;
      }
      // One fetch per leader, all at once; their batches are delivered in the order they come.
      await Promise.all(
        [...byLeader].map(async ([nodeId, topics]) => {
          const broker = await this.cluster.findBroker({ nodeId });
          let reader = this.readers.get(broker);
          if (!reader) this.readers.set(broker, (reader = new ReadAhead(broker)));
          const requested = [...topics].map(([topic, partitions]) => ({ topic, partitions }));
          const { responses } = await reader.fetch({
            isolationLevel: READ_COMMITTED,
            maxWaitTime: this.options.maxWaitMs,
            minBytes: 1,
            maxBytes: this.options.maxBytesPerPartition * 4,
            topics: requested,
          });
          for (const { topicName, partitions } of responses) {
            for (const data of partitions) {
              if (!this.running) return;
              const key = `${topicName}:${data.partition}`;
              const at = this.offsets.get(key);
              if (!at) continue;
              const records = data.records;
              // Nothing read whole past the offset: nothing new yet, stay.
              if (!records || records.next <= at.offset) continue;
              at.offset = records.next;
              // Control, aborted or compacted records only: moved past them, nothing to hand over.
              if (records.n === 0 && records.bad.length === 0) continue;
              await deliver({
                topic: topicName,
                partition: data.partition,
                records,
                highWatermark: Number(data.highWatermark),
                next: at.offset,
              });
            }
          }
        }),
      );
    }
  }
}
