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
): TopicDetail | null {
  const found = tree.detail(topic);
  if (!found) return null;
  const { payload, ...detail } = found;
  const decoder = detail.decoder ? decoderByName(detail.decoder) : detectDecoder(payload, topic);
  const fields: TopicDetail['fields'] = [];
  if (decoder && !detail.truncated) {
    decoder.decode(
      { rx: detail.lastSeen ?? 0, key: topic, bytes: payload },
      {
        sample: (path, value) => {
          const channel = `${ctx.sourceId}/${path ? `${topic}/${path}` : topic}`;
          fields.push({ path, channel, channelId: ctx.channel(path ? `${topic}/${path}` : topic), value });
        },
        record: () => undefined,
      },
      timestampField ? { timestampField } : {},
    );
  }
  return { ...detail, fields };
}
