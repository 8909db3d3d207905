// What happens to every MQTT message, whether it came from a broker we subscribe to or from a
// device publishing to the built-in broker: size cap, exact recording, topic tree, decoding into
// columnar batches, and a flush to the bus about every 20 ms.
//
// Back-pressure: MQTT cannot be slowed per message, so while the bus holds a flush back, messages
// keep decoding into the pending batch up to MAX_PENDING_SAMPLES; beyond that QoS 0 messages are
// shed and counted (QoS 1/2 are kept: the broker holds back on its in-flight window).
import type { DecoderName } from '../../../../shared/schemas';
import { FrameDecoder } from '../../decode/registry';
import type { RawMessage, SourceContext } from '../source';
import { TopicTree } from './topic-tree';
import { topicMatches } from './topic-match';

const FLUSH_MS = 20;
const FLUSH_SAMPLES = 16_384;
const MAX_PENDING_SAMPLES = 1_000_000;

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
  readonly tree = new TopicTree((topic, payload, decoder) =>
    this.frames.preview({ rx: 0, key: topic, bytes: payload }, decoder),
  );
  readonly frames: FrameDecoder;
  private raw: RawMessage[] = [];
  private timer?: NodeJS.Timeout;
  private rateTimer?: NodeJS.Timeout;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly ctx: SourceContext,
    private readonly options: IngestOptions,
  ) {
    const choices = options.decoders.filter((d) => d.decoder !== 'auto');
    this.frames = new FrameDecoder(
      ctx.sourceId,
      {
        channel: (path, unit) => ctx.channel(path, unit),
        quarantine: (raw, reason, where) => ctx.quarantine(raw, reason, where),
        clockNotice: (_topic, message) => ctx.notice('warn', `${ctx.sourceId}: ${message}`),
      },
      {
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
      },
    );
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.rateTimer = setInterval(() => this.tree.tick(this.ctx.now()), 1_000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.rateTimer);
    await this.flush();
  }

  accept(message: IncomingMessage): void {
    const rx = this.ctx.now();
    this.ctx.received(1);
    if (message.qos === 0 && this.flushing && this.frames.pendingSamples > MAX_PENDING_SAMPLES) {
      this.ctx.shed(1);
      return;
    }
    this.tree.record(message.topic, message.payload, rx, message.retain, message.qos, message.properties);
    if (this.options.record) {
      this.raw.push({
        rx,
        key: message.topic,
        payload: message.payload,
        meta: {
          qos: message.qos,
          retain: message.retain,
          ...(message.properties ? { properties: message.properties } : {}),
        },
      });
    }
    if (message.payload.length > this.options.maxPayloadBytes) {
      this.ctx.quarantine(
        message.payload,
        `payload of ${message.payload.length} bytes is over the ${this.options.maxPayloadBytes}-byte cap`,
        message.topic,
      );
      return;
    }
    const decoder = this.frames.push({ rx, key: message.topic, bytes: message.payload });
    if (decoder) this.tree.setDecoder(message.topic, decoder.name);
    if (this.frames.pendingSamples >= FLUSH_SAMPLES && !this.flushing) void this.flush();
  }

  /** Hands what was decoded to the bus; resolves when the bus has taken it. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const { samples, records } = this.frames.take();
    const raw = this.raw;
    this.raw = [];
    if (raw.length) this.ctx.recordRaw(raw);
    const waits = [this.ctx.emitSamples(samples), this.ctx.emitRecords(records)].filter(
      (w): w is Promise<void> => w instanceof Promise,
    );
    if (waits.length === 0) return Promise.resolve();
    this.flushing = Promise.all(waits).then(() => {
      this.flushing = null;
    });
    return this.flushing;
  }
}
