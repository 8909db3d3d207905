// The numeric fields of a topic's last payload, found by decoding it again as the source does —
// with its decoder and a copy of its memo (Sparkplug aliases, a CSV header, the time zone) — so the
// console can offer each one to plot.
import type { TopicDetail } from '../../../../shared/api';
import type { FrameDecoder } from '../../decode/registry';
import type { SourceContext } from '../source';
import type { TopicTree } from './topic-tree';

export function topicDetail(
  tree: TopicTree,
  frames: FrameDecoder,
  topic: string,
  ctx: SourceContext,
): TopicDetail | null {
  const found = tree.detail(topic);
  if (!found) return null;
  const { payload, ...detail } = found;
  const clock = frames.clockWarning(topic);
  if (detail.truncated) return { ...detail, fields: [], clock };
  const numbers = frames.peek({ rx: detail.lastSeen ?? 0, key: topic, bytes: payload }, detail.decoder) ?? [];
  const fields = numbers.map(({ path, channel, value }) => ({
    path,
    channel: `${ctx.sourceId}/${channel}`,
    channelId: ctx.channel(channel),
    value,
  }));
  return { ...detail, fields, clock };
}
