// The cluster browser: what a Kafka source's cluster holds — brokers, topics with partitions,
// earliest/latest offsets, counts and rates; consumer groups with members and lag per partition;
// a topic's most recent messages, read with a Fetch of our own (fetch.ts), so no group is joined.
import type { Admin } from 'kafkajs';
import type { KafkaClusterRequest, KafkaClusterResult, KafkaRecentMessage } from '../../../../shared/api';
import { decodeUtf8 } from '../../decode/decoder';
import type { FrameDecoder } from '../../decode/registry';
import { fetchRecords } from './fetch';
import type { Cluster } from './inspect';
import { recordHeaders, recordKey, recordValue, type PartitionRecords } from './records';

const SHOWN_VALUE_BYTES = 4096;
const READ_COMMITTED = 1;

/** Each topic's total latest offset when last looked at, for its rate. */
export type RateMemory = Map<string, { at: number; total: number }>;

export async function readCluster(
  admin: Admin,
  fetcher: Cluster,
  frames: FrameDecoder,
  request: KafkaClusterRequest,
  rates: RateMemory,
  now: number,
): Promise<KafkaClusterResult> {
  const described = await admin.describeCluster();
  const names = (await admin.listTopics()).filter((t) => !t.startsWith('__')).sort();
  const metadata = names.length ? (await admin.fetchTopicMetadata({ topics: names })).topics : [];
  const latest = new Map<string, number>();
  const topics: KafkaClusterResult['topics'] = [];
  for (const t of metadata) {
    const offsets = await admin.fetchTopicOffsets(t.name);
    const partitions = t.partitions
      .map((p) => {
        const o = offsets.find((x) => x.partition === p.partitionId);
        const earliest = Number(o?.low ?? 0);
        const last = Number(o?.high ?? 0);
        latest.set(`${t.name}:${p.partitionId}`, last);
        return {
          partition: p.partitionId,
          leader: p.leader,
          earliest,
          latest: last,
          messages: last - earliest,
        };
      })
      .sort((a, b) => a.partition - b.partition);
    const total = partitions.reduce((sum, p) => sum + p.latest, 0);
    const before = rates.get(t.name);
    rates.set(t.name, { at: now, total });
    const rate = before && now > before.at ? ((total - before.total) * 1000) / (now - before.at) : null;
    topics.push({ name: t.name, partitions, messages: partitions.reduce((s, p) => s + p.messages, 0), rate });
  }

  const listed = (await admin.listGroups()).groups.map((g) => g.groupId).sort();
  const groups: KafkaClusterResult['groups'] = [];
  if (listed.length) {
    const { groups: descriptions } = await admin.describeGroups(listed);
    for (const d of descriptions) {
      const committed = await admin.fetchOffsets({ groupId: d.groupId });
      const lag = committed.flatMap(({ topic, partitions }) =>
        partitions
          .filter((p) => Number(p.offset) >= 0)
          .map((p) => {
            const end = latest.get(`${topic}:${p.partition}`) ?? Number(p.offset);
            return {
              topic,
              partition: p.partition,
              committed: Number(p.offset),
              lag: Math.max(0, end - Number(p.offset)),
            };
          }),
      );
      groups.push({
        groupId: d.groupId,
        state: d.state,
        members: d.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost })),
        lag,
      });
    }
  }

  const recentTopic = request.recentTopic;
  const recent = recentTopic
    ? await recentMessages(
        fetcher,
        frames,
        recentTopic,
        topics.find((t) => t.name === recentTopic),
        request.recentPerPartition,
      )
    : [];
  return {
    brokers: described.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
    topics,
    groups,
    recent,
  };
}

/** The last `perPartition` messages of each partition, newest last, by a Fetch of our own. */
async function recentMessages(
  fetcher: Cluster,
  frames: FrameDecoder,
  topic: string,
  info: KafkaClusterResult['topics'][number] | undefined,
  perPartition: number,
): Promise<KafkaRecentMessage[]> {
  if (!info) throw new Error(`the cluster has no topic "${topic}"`);
  await fetcher.addMultipleTargetTopics([topic]);
  const out: KafkaRecentMessage[] = [];
  for (const p of info.partitions) {
    if (p.latest <= p.earliest) continue;
    const from = Math.max(p.earliest, p.latest - perPartition);
    const leaders = fetcher.findLeaderForPartitions(topic, [p.partition]);
    const nodeId = Object.keys(leaders)[0];
    if (nodeId === undefined) continue;
    const broker = await fetcher.findBroker({ nodeId });
    const { responses } = await fetchRecords(broker, {
      isolationLevel: READ_COMMITTED,
      maxWaitTime: 100,
      minBytes: 1,
      maxBytes: 4 * 1024 ** 2,
      topics: [
        {
          topic,
          partitions: [{ partition: p.partition, fetchOffset: String(from), maxBytes: 4 * 1024 ** 2 }],
        },
      ],
    });
    for (const r of responses)
      for (const data of r.partitions) {
        const records = data.records;
        if (!records) continue;
        const shown: number[] = [];
        for (let i = 0; i < records.n; i++) if (records.offset[i]! < p.latest) shown.push(i);
        for (const i of shown.slice(-perPartition))
          out.push(describe(frames, topic, p.partition, records, i));
      }
  }
  return out.sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset);
}

function describe(
  frames: FrameDecoder,
  topic: string,
  partition: number,
  records: PartitionRecords,
  i: number,
): KafkaRecentMessage {
  const value = recordValue(records, i);
  const shown = value.subarray(0, SHOWN_VALUE_BYTES);
  const shownText = decodeUtf8(shown);
  // A header named twice shows its values joined, as one line. A Map: a peer's header may be
  // named `constructor` or `__proto__`.
  const headers = new Map<string, string | null>();
  for (const [name, v] of recordHeaders(records, i)) {
    const before = headers.get(name);
    headers.set(name, before !== undefined && before !== null && v !== null ? `${before}, ${v}` : v);
  }
  const timestamp = records.timestamp[i]!;
  let decoded: KafkaRecentMessage['decoded'];
  try {
    const numbers = frames.peek({ rx: timestamp, key: topic, bytes: value }, frames.decoderOf(topic));
    decoded = numbers
      ? Object.fromEntries(numbers.map((n) => [n.path, n.value]))
      : { error: 'no decoder recognises this message' };
  } catch (error) {
    decoded = { error: (error as Error).message };
  }
  return {
    partition,
    offset: records.offset[i]!,
    timestamp,
    key: recordKey(records, i),
    headers: Object.fromEntries(headers),
    value: shownText ?? shown.toString('hex'),
    valueEncoding: shownText === null ? 'hex' : 'utf8',
    decoded,
  };
}

/**
 * Why the cluster could not be read, in words a person acts on: no broker answering, credentials
 * refused, a certificate not trusted — then what the library said.
 */
export function clusterErrorText(brokers: readonly string[], error: unknown): string {
  const said = error instanceof Error ? error.message : String(error);
  const where = brokers.join(', ');
  if (/SASL|authenticat/i.test(said)) return `the cluster at ${where} refused the credentials: ${said}`;
  if (/certificate|self.signed|issuer|SSL|TLS/i.test(said))
    return `the TLS connection to ${where} failed: ${said}`;
  if (
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|Connection (error|timeout)|closed|not connected/i.test(
      said,
    )
  )
    return `no broker answers at ${where} (down or unreachable): ${said}`;
  return `reading the cluster at ${where} failed: ${said}`;
}
