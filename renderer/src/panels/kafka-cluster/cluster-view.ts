// What the cluster browser works out from the engine's answer: a group's total lag, its partitions
// in order, a recent message's value and decoded fields as shown. Pure, so tested under Node.
import type { KafkaClusterResult, KafkaRecentMessage } from '../../../../shared/api';

type Group = KafkaClusterResult['groups'][number];

/** Messages the group has not consumed yet, over every partition it committed. */
export function groupLagTotal(group: Group): number {
  return group.lag.reduce((sum, l) => sum + l.lag, 0);
}

/** Its partitions by topic, then partition number. */
export function sortedLag(group: Group): Group['lag'] {
  return [...group.lag].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

/** The value as it came when it is text; bytes that are not text as spaced hex. */
export function recentValuePreview(m: KafkaRecentMessage): string {
  return m.valueEncoding === 'hex' ? (m.value.match(/../g) ?? []).join(' ') : m.value;
}

/** The decoder's numbers by path, or why it found none (a payload's own "error" field is a number). */
export function decodedFields(
  m: KafkaRecentMessage,
): { error: string } | { fields: readonly (readonly [string, number])[] } {
  const d = m.decoded as Record<string, unknown>;
  if (typeof d.error === 'string') return { error: d.error };
  return { fields: Object.entries(d).filter((e): e is [string, number] => typeof e[1] === 'number') };
}
