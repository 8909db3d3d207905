// Fetch requests whose records are read by OpsDeck's own record-set reader (records.ts) instead of
// kafkajs's: the request goes out through kafkajs's broker (its connection, TLS, SASL, version
// negotiation, error types), only the response's decoding is ours. kafkajs decodes every message
// into an object with Buffers, decimal strings and `Long`s, and its consumer filters them by
// `Long` again: bench `kafka` found a quarter of the engine's time there; this reader leaves each
// record as offsets into the response's bytes.
//
// Both modes use it: the inspect reader calls `fetchRecords` itself; in group mode kafkajs's
// consumer still runs the group (join, heartbeats, rebalances, commits) and its brokers' `fetch`
// is this one (`withOwnFetch`), each partition's records handed over inside one marker message.
import { requests } from 'kafkajs/src/protocol/requests/index.js';
import { readRecordSet, type AbortedTransaction, type PartitionRecords } from './records';

/** Fetch is API key 1; record batches (magic 2) came with its version 4 (Kafka 0.11). */
const FETCH_API_KEY = 1;
const FIRST_RECORD_BATCH_VERSION = 4;

export interface FetchRequest {
  isolationLevel: number;
  maxWaitTime: number;
  minBytes: number;
  maxBytes: number;
  topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  rackId?: string;
  replicaId?: number;
}

/** One partition of a fetch response, in kafkajs's shape, its records read by records.ts. */
export interface FetchedPartition {
  partition: number;
  errorCode: number;
  highWatermark: string;
  lastStableOffset: string;
  lastStartOffset: string;
  abortedTransactions: AbortedTransaction[];
  preferredReadReplica: number;
  /** Null when the broker sent no record bytes for it. */
  records: PartitionRecords | null;
  /** What kafkajs's consumer reads (group mode): a marker message carrying `records`, or none. */
  messages: RecordsMarker[];
}

export interface FetchResponse {
  throttleTime: number;
  clientSideThrottleTime: number;
  errorCode: number;
  responses: { topicName: string; partitions: FetchedPartition[] }[];
}

/**
 * What kafkajs's consumer sees of a partition's records: one message whose offset is the last
 * one read (so it resolves the partition's next fetch there) and which carries them all.
 * `isControlRecord` makes kafkajs step past a fetch that held nothing for us (control records,
 * aborted transactions) without calling the source.
 */
export interface RecordsMarker {
  offset: string;
  isControlRecord: boolean;
  records: PartitionRecords;
}

/** A malformed response: the request fails, the source reconnects and says why. */
class FetchResponseError extends Error {}

/** A cursor over the response: Kafka's big-endian fields, bounds-checked. */
class Reader {
  p = 0;
  constructor(readonly b: Buffer) {}
  private need(n: number): void {
    if (this.p + n > this.b.length)
      throw new FetchResponseError(
        `Kafka fetch response ends at byte ${this.b.length}, inside a field at ${this.p}`,
      );
  }
  int16(): number {
    this.need(2);
    const v = this.b.readInt16BE(this.p);
    this.p += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.b.readInt32BE(this.p);
    this.p += 4;
    return v;
  }
  /** An int64 as a Number: exact below 2^53, which every offset and time here is. */
  int64(): number {
    this.need(8);
    const v = this.b.readInt32BE(this.p) * 4_294_967_296 + this.b.readUInt32BE(this.p + 4);
    this.p += 8;
    return v;
  }
  /** An int64 as decimal text, exact at any size (producer ids). */
  int64Text(): string {
    this.need(8);
    const v = this.b.readBigInt64BE(this.p).toString();
    this.p += 8;
    return v;
  }
  string(): string {
    const length = this.int16();
    if (length < 0) return '';
    this.need(length);
    const v = this.b.toString('utf8', this.p, this.p + length);
    this.p += length;
    return v;
  }
  count(): number {
    const n = this.int32();
    if (n > this.b.length - this.p)
      throw new FetchResponseError(
        `Kafka fetch response claims ${n} entries at byte ${this.p - 4}, more than it holds`,
      );
    return Math.max(n, 0);
  }
}

/**
 * Reads a Fetch response (versions 4–11) from `raw`, each partition's record bytes by
 * `readRecordSet` from the offset the request asked for (`fetchOffsets`, by `topic:partition`).
 */
export function readFetchResponse(
  version: number,
  raw: Buffer,
  fetchOffsets: ReadonlyMap<string, number>,
): FetchResponse {
  const r = new Reader(raw);
  const clientSideThrottleTime = r.int32();
  let errorCode = 0;
  if (version >= 7) {
    errorCode = r.int16();
    r.int32(); // the fetch session's id: no sessions are used
  }
  const responses: FetchResponse['responses'] = [];
  for (let t = r.count(); t > 0; t--) {
    const topicName = r.string();
    const partitions: FetchedPartition[] = [];
    for (let n = r.count(); n > 0; n--) {
      const partition = r.int32();
      const partitionError = r.int16();
      const highWatermark = String(r.int64());
      const lastStableOffset = String(r.int64());
      const lastStartOffset = version >= 5 ? String(r.int64()) : '-1';
      const abortedTransactions: AbortedTransaction[] = [];
      for (let a = r.count(); a > 0; a--)
        abortedTransactions.push({ producerId: r.int64Text(), firstOffset: String(r.int64()) });
      const preferredReadReplica = version >= 11 ? r.int32() : -1;
      const size = r.int32();
      let records: PartitionRecords | null = null;
      if (size > 0) {
        if (r.p + size > raw.length)
          throw new FetchResponseError(
            `Kafka fetch response: ${topicName} partition ${partition} claims ${size} bytes of records, past the response's end`,
          );
        const from = fetchOffsets.get(`${topicName}:${partition}`) ?? 0;
        records = readRecordSet(raw, r.p, r.p + size, from, abortedTransactions);
        r.p += size;
      }
      partitions.push({
        partition,
        errorCode: partitionError,
        highWatermark,
        lastStableOffset,
        lastStartOffset,
        abortedTransactions,
        preferredReadReplica,
        records,
        messages: [],
      });
    }
    responses.push({ topicName, partitions });
  }
  // kafkajs reports no throttle of its own: a client-side throttle is the connection's to keep.
  return { throttleTime: 0, clientSideThrottleTime, errorCode, responses };
}

/** What kafkajs's broker offers (not in its typings). */
interface ProtocolRequest {
  request: { apiVersion: number };
  response: { decode(raw: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> };
  requestTimeout?: number;
}
export interface KafkajsBroker {
  lookupRequest(apiKey: number, definition: unknown): (request: object) => ProtocolRequest;
  fetch(request: FetchRequest): Promise<unknown>;
}

/** The broker's private request sender, found by its symbol's description (kafkajs 2.2.x). */
function sender(broker: KafkajsBroker): (request: ProtocolRequest) => Promise<unknown> {
  const prototype = Object.getPrototypeOf(broker) as object;
  const symbol = Object.getOwnPropertySymbols(prototype).find(
    (s) => s.description === 'private:Broker:sendRequest',
  );
  const send = symbol ? (broker as unknown as Record<symbol, unknown>)[symbol] : undefined;
  if (typeof send !== 'function') throw new Error('kafkajs: no request sender (a kafkajs other than 2.2.x?)');
  return (send as (request: ProtocolRequest) => Promise<unknown>).bind(broker);
}

/** A Fetch through `broker`, its records read by records.ts; kafkajs's errors as its own fetch throws them. */
export async function fetchRecords(broker: KafkajsBroker, request: FetchRequest): Promise<FetchResponse> {
  const protocolRequest = broker.lookupRequest(FETCH_API_KEY, requests.Fetch)({ replicaId: -1, ...request });
  const version = protocolRequest.request.apiVersion;
  if (version < FIRST_RECORD_BATCH_VERSION)
    throw new Error(
      `this Kafka broker offers Fetch version ${version} at most: OpsDeck needs Kafka 0.11 or later`,
    );
  const fetchOffsets = new Map<string, number>();
  for (const { topic, partitions } of request.topics)
    for (const p of partitions) fetchOffsets.set(`${topic}:${p.partition}`, Number(p.fetchOffset));
  const { parse } = protocolRequest.response;
  protocolRequest.response = {
    decode: (raw) => Promise.resolve(readFetchResponse(version, raw, fetchOffsets)),
    parse,
  };
  return (await sender(broker)(protocolRequest)) as FetchResponse;
}

/**
 * The fetch that follows `request` once `response` is read: every partition from the offset after
 * its records. Null when no partition moved (nothing is flowing, so nothing is worth asking ahead).
 */
export function followingRequest(request: FetchRequest, response: FetchResponse): FetchRequest | null {
  const next = new Map<string, number>();
  for (const { topicName, partitions } of response.responses)
    for (const p of partitions) if (p.records) next.set(`${topicName}:${p.partition}`, p.records.next);
  let moved = false;
  const topics = request.topics.map(({ topic, partitions }) => ({
    topic,
    partitions: partitions.map((p) => {
      const after = next.get(`${topic}:${p.partition}`);
      if (after === undefined || after <= Number(p.fetchOffset)) return p;
      moved = true;
      return { ...p, fetchOffset: String(after) };
    }),
  }));
  return moved ? { ...request, topics } : null;
}

/** Two requests ask the same when this is equal. */
function requestKey(request: FetchRequest): string {
  return JSON.stringify([
    request.isolationLevel,
    request.maxWaitTime,
    request.minBytes,
    request.maxBytes,
    request.rackId ?? null,
    request.topics,
  ]);
}

/**
 * Fetches through one broker with the next fetch already asked: as soon as a response that moved
 * some partition arrives, the request that follows it (`followingRequest`) goes out, so the broker
 * reads and sends it while this one's records are decoded and stored. The next `fetch` takes it
 * when it asks exactly that (the same partitions from the same offsets); otherwise (a pause, a
 * seek, a rebalance) it is dropped, unread. A Fetch changes nothing on the cluster, so a dropped
 * one costs only its bytes; at most one is ahead, so memory stays within one response. bench
 * kafka: a fifth of an inspect run went in waiting for the next response, the broker's work and
 * the engine's taking turns (kafkajs's consumer, too, fetches only once its batches are handled).
 */
export class ReadAhead {
  private ahead: { key: string; response: Promise<FetchResponse> } | null = null;

  constructor(private readonly broker: KafkajsBroker) {}

  async fetch(request: FetchRequest): Promise<FetchResponse> {
    const key = requestKey(request);
    const ahead = this.ahead;
    this.ahead = null;
    const response = await (ahead?.key === key ? ahead.response : fetchRecords(this.broker, request));
    const following = followingRequest(request, response);
    if (following) {
      const next = fetchRecords(this.broker, following);
      // Failing unasked is no error: the same fetch asked again fails where it is awaited.
      next.catch(() => undefined);
      this.ahead = { key: requestKey(following), response: next };
    }
    return response;
  }
}

/**
 * Gives every broker the cluster hands out (kafkajs's consumer's) `fetchRecords` as its `fetch`,
 * each partition's records as one marker message (see RecordsMarker).
 */
export function withOwnFetch<C extends { findBroker(query: { nodeId: string }): Promise<unknown> }>(
  cluster: C,
): C {
  const find = cluster.findBroker.bind(cluster);
  const patched = new WeakSet<object>();
  cluster.findBroker = async (query) => {
    const broker = (await find(query)) as KafkajsBroker;
    if (!patched.has(broker)) {
      patched.add(broker);
      const reader = new ReadAhead(broker);
      broker.fetch = async (request) => {
        const response = await reader.fetch(request);
        for (const { topicName, partitions } of response.responses)
          for (const p of partitions) {
            const records = p.records;
            const asked = request.topics
              .find((t) => t.topic === topicName)
              ?.partitions.find((q) => q.partition === p.partition);
            // records.ts left aborted transactions out already; kafkajs would filter the marker by them.
            p.abortedTransactions = [];
            // No batch read whole past the offset asked: no marker, or kafkajs would take the
            // marker's offset for one it has read and move past a record never delivered.
            if (!records || !asked || records.next <= Number(asked.fetchOffset)) continue;
            p.messages = [
              {
                offset: String(records.next - 1),
                isControlRecord: records.n === 0 && records.bad.length === 0,
                records,
              },
            ];
          }
        return response;
      };
    }
    return broker;
  };
  return cluster;
}

/** The records a kafkajs consumer batch carries when its brokers fetch with `withOwnFetch`. */
export function markerRecords(batch: { messages: readonly unknown[] }): PartitionRecords | null {
  const marker = batch.messages[0] as RecordsMarker | undefined;
  return marker?.records ?? null;
}
