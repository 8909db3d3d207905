// What happens to every MQTT message, whether it came from a broker we subscribe to or from a
// device publishing to the built-in broker: size cap, exact recording, topic tree, and decoding
// through the source's ingest stage (ingest/stage.ts), which batches and hands on to the bus.
//
// Back-pressure: while the engine's pending work is at its bound, QoS 0 messages are shed and
// counted; QoS 1/2 messages are not taken (the client stops reading the socket, so the broker
// holds them back), and each is acknowledged only once the batch holding it is durable.
//
// A message that needs a channel beyond the source's limit goes to quarantine whole (the stage
// cuts what the decoder had already produced from it).
import type { DecoderName } from '../../../../shared/schemas';
import { FrameDecoder, type FrameSink } from '../../decode/registry';
import { ChannelRefused, type IngestStage } from '../../ingest/stage';
import { CHANNEL_REFUSED, type SourceContext } from '../source';
import { TopicTree } from './topic-tree';
import { topicMatches } from './topic-match';

export interface IngestOptions {
  decoders: { filter: string; decoder: DecoderName; timeZone?: string | undefined }[];
  timestampField?: string;
  timeZone: string;
  futureToleranceSeconds: number;
  maxPayloadBytes: number;
  record: boolean;
}

export interface IncomingMessage {
  topic: string;
  payload: Uint8Array;
  qos: number;
  retain: boolean;
  properties: Record<string, unknown> | null;
}

export class MqttIngest {
  readonly tree: TopicTree;
  readonly frames: FrameDecoder;
  readonly stage: IngestStage;

  constructor(
    private readonly ctx: SourceContext,
    private readonly options: IngestOptions,
  ) {
    this.tree = new TopicTree(ctx.now, (topic, payload, decoder) =>
      this.frames.preview({ rx: 0, key: topic, bytes: payload }, decoder),
    );
    this.frames = mqttFrameDecoder(
      ctx.sourceId,
      {
        channel: (path, unit) => {
          const id = ctx.channel(path, unit);
          if (id === CHANNEL_REFUSED)
            throw new ChannelRefused(
              `the source is at its channel limit (store.maxChannelsPerSource): no channel for "${path}"`,
            );
          return id;
        },
        quarantine: (raw, reason, where) => ctx.quarantine(raw, reason, where),
        clockNotice: (_topic, message) => ctx.notice('warn', `${ctx.sourceId}: ${message}`),
      },
      options,
    );
    // QoS 1/2 pause the peer (the client holds back reading); QoS 0 is shed at the bound.
    this.stage = ctx.ingest({ decoder: this.frames, policy: 'pause' });
  }

  /** Hands over everything accepted so far; resolves once all of it is stored or has failed. */
  stop(): Promise<void> {
    return this.stage.stop();
  }

  /** Takes one message in; false when it was shed (QoS 0 at the bound). */
  accept(message: IncomingMessage): boolean {
    const rx = this.ctx.now();
    this.ctx.received(1);
    if (!this.stage.admit(message.qos === 0 ? 'shed' : 'pause')) return false;
    this.tree.record(message.topic, message.payload, rx, message.retain, message.qos, message.properties);
    if (this.options.record || this.ctx.recordingNamed()) {
      this.stage.addRaw([
        {
          rx,
          key: message.topic,
          payload: message.payload,
          meta: {
            qos: message.qos,
            retain: message.retain,
            ...(message.properties ? { properties: message.properties } : {}),
          },
        },
      ]);
    }
    if (message.payload.length > this.options.maxPayloadBytes) {
      this.ctx.quarantine(
        message.payload,
        `payload of ${message.payload.length} bytes is over the ${this.options.maxPayloadBytes}-byte cap`,
        message.topic,
      );
      return true;
    }
    const decoder = this.stage.pushFrame({ rx, key: message.topic, bytes: message.payload });
    if (decoder) this.tree.setDecoder(message.topic, decoder.name);
    return true;
  }
}

/**
 * The decoding an MQTT source does: each topic's decoder as its filters choose (detection for the
 * rest), with its time options. Also how a recording of the source is decoded again as it was live.
 */
export function mqttFrameDecoder(
  sourceId: string,
  sink: FrameSink,
  options: Pick<IngestOptions, 'decoders' | 'timestampField' | 'timeZone' | 'futureToleranceSeconds'>,
): FrameDecoder {
  const choices = options.decoders.filter((d) => d.decoder !== 'auto');
  return new FrameDecoder(sourceId, sink, {
    choose: (topic) => choices.find((d) => topicMatches(d.filter, topic))?.decoder,
    memoDefaults: {
      ...(options.timestampField ? { timestampField: options.timestampField } : {}),
      timeZone: options.timeZone,
      futureToleranceMs: options.futureToleranceSeconds * 1000,
    },
    memoFor: (topic) => {
      const zone = options.decoders.find((d) => d.timeZone && topicMatches(d.filter, topic))?.timeZone;
      return zone ? { timeZone: zone } : undefined;
    },
  });
}
