// The numeric fields of a topic's last payload, found by decoding it again with the decoder the
// topic uses, so the console can offer each one to plot.
import type { TopicDetail } from '../../../../shared/api';
import { decoderByName, detectDecoder } from '../../decode/registry';
import type { SourceContext } from '../source';
import type { TopicTree } from './topic-tree';

export function topicDetail(
  tree: TopicTree,
  topic: string,
  ctx: SourceContext,
  timestampField?: string,
  clock: string | null = null,
): TopicDetail | null {
  const found = tree.detail(topic);
  if (!found) return null;
  const { payload, ...detail } = found;
  const fields: TopicDetail['fields'] = [];
  if (detail.truncated) return { ...detail, fields, clock };
  const numbers: { path: string; value: number }[] = [];
  let channelKey = topic;
  try {
    const decoder = detail.decoder ? decoderByName(detail.decoder) : detectDecoder(payload, topic);
    channelKey = decoder?.channelKey?.(topic) ?? topic;
    const result = decoder?.decode(
      { rx: detail.lastSeen ?? 0, key: topic, bytes: payload },
      { sample: (path, value) => numbers.push({ path, value }), record: () => undefined },
      timestampField ? { timestampField } : {},
    );
    // Fields only from a payload that decodes: a failed decode may have written part of one.
    if (!result?.ok) numbers.length = 0;
  } catch {
    // A decoder that throws on this payload sent it to quarantine on arrival: no fields to offer.
    numbers.length = 0;
  }
  for (const { path, value } of numbers) {
    const channel = path ? `${channelKey}/${path}` : channelKey;
    fields.push({ path, channel: `${ctx.sourceId}/${channel}`, channelId: ctx.channel(channel), value });
  }
  return { ...detail, fields, clock };
}
