// The cluster browser's pure parts (renderer/src/panels/kafka-cluster/cluster-view.ts) and the
// engine's words for a cluster it cannot read (electron/engine/sources/kafka/cluster.ts).
import { describe, expect, it } from 'vitest';
import type { KafkaRecentMessage } from '../../../shared/api';
import { clusterErrorText } from '../../../electron/engine/sources/kafka/cluster';
import {
  decodedFields,
  groupLagTotal,
  recentValuePreview,
  sortedLag,
} from '../../../renderer/src/panels/kafka-cluster/cluster-view';

const group = {
  groupId: 'g',
  state: 'Stable',
  members: [],
  lag: [
    { topic: 'b', partition: 1, committed: 5, lag: 3 },
    { topic: 'a', partition: 2, committed: 9, lag: 0 },
    { topic: 'a', partition: 0, committed: 1, lag: 7 },
  ],
};

const message = (over: Partial<KafkaRecentMessage>): KafkaRecentMessage => ({
  partition: 0,
  offset: 0,
  timestamp: 0,
  key: null,
  headers: {},
  value: '',
  valueEncoding: 'utf8',
  decoded: {},
  ...over,
});

describe('the Kafka cluster view', () => {
  it('totals a group’s lag and lists its partitions by topic, then number', () => {
    expect(groupLagTotal(group)).toBe(10);
    expect(sortedLag(group).map((l) => `${l.topic}:${l.partition}`)).toEqual(['a:0', 'a:2', 'b:1']);
  });

  it('shows text as it came and bytes as spaced hex', () => {
    expect(recentValuePreview(message({ value: '{"a":1}' }))).toBe('{"a":1}');
    expect(recentValuePreview(message({ value: '00ff10', valueEncoding: 'hex' }))).toBe('00 ff 10');
  });

  it('tells a decoder’s refusal from a payload whose own field is called "error"', () => {
    expect(decodedFields(message({ decoded: { error: 'not JSON' } }))).toEqual({ error: 'not JSON' });
    expect(decodedFields(message({ decoded: { error: 3, seq: 1 } }))).toEqual({
      fields: [
        ['error', 3],
        ['seq', 1],
      ],
    });
  });

  it('names what failed when the cluster cannot be read', () => {
    const brokers = ['127.0.0.1:9092'];
    expect(
      clusterErrorText(brokers, new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092')),
    ).toBe(
      'no broker answers at 127.0.0.1:9092 (down or unreachable): Connection error: connect ECONNREFUSED 127.0.0.1:9092',
    );
    expect(clusterErrorText(brokers, new Error('SASL SCRAM SHA256 authentication failed: bad'))).toMatch(
      /^the cluster at 127.0.0.1:9092 refused the credentials: /,
    );
    expect(clusterErrorText(brokers, new Error('self-signed certificate in certificate chain'))).toMatch(
      /^the TLS connection to 127.0.0.1:9092 failed: /,
    );
    expect(clusterErrorText(brokers, 'odd')).toBe('reading the cluster at 127.0.0.1:9092 failed: odd');
  });
});
