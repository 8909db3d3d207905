// What happens to every MQTT message, whether it came from a broker we subscribe to or from a
// device publishing to the built-in broker: size cap, exact recording, topic tree, decoding into
// columnar batches, and a flush to the bus about every 20 ms.
//
// Back-pressure: MQTT cannot be slowed per message, so while the bus holds a flush back, messages
// keep decoding into the pending batch up to MAX_PENDING_SAMPLES; beyond that QoS 0 messages are
// shed and counted (QoS 1/2 are kept: the broker holds back on its in-flight window).
//
// Stopping hands everything accepted to the bus: a QoS 1 message is acknowledged to the broker as
// soon as it is accepted here, so dropping it at a stop would lose it for good.
//
// A message that needs a channel beyond the source's limit goes to quarantine whole: what the
// decoder had already produced from it is cut out of the pending batch at the next flush.
import type { DecoderName } from '../../../../shared/schemas';
import { removeRecords, type RecordBatch, type SampleBatch } from '../../batch';
import { FrameDecoder } from '../../decode/registry';
import { CHANNEL_REFUSED, type RawMessage, type SourceContext } from '../source';
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

/** Thrown inside the decoder to abandon a message that needs a refused channel. */
class ChannelRefused extends Error {}

/** Rows [from, to) of the pending samples and records that came from a quarantined message. */
interface Cut {
  samples: [number, number];
  records: [number, number];
}

export class MqttIngest {
  readonly tree: TopicTree;
  readonly frames: FrameDecoder;
  private raw: RawMessage[] = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> | null = null;
  private cuts: Cut[] = [];

  constructor(
    private readonly ctx: SourceContext,
    private readonly options: IngestOptions,
  ) {
    this.tree = new TopicTree(ctx.now, (topic, payload, decoder) =>
      this.frames.preview({ rx: 0, key: topic, bytes: payload }, decoder),
    );
    const choices = options.decoders.filter((d) => d.decoder !== 'auto');
    this.frames = new FrameDecoder(
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
  }

  /** Stops the timers and hands over everything accepted so far, after any flush in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.flushing) await this.flushing;
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
    const samplesBefore = this.frames.pendingSamples;
    const recordsBefore = this.frames.pending - samplesBefore;
    let decoder;
    try {
      decoder = this.frames.push({ rx, key: message.topic, bytes: message.payload });
    } catch (error) {
      if (!(error instanceof ChannelRefused)) throw error;
      const samplesAfter = this.frames.pendingSamples;
      this.cuts.push({
        samples: [samplesBefore, samplesAfter],
        records: [recordsBefore, this.frames.pending - samplesAfter],
      });
      this.ctx.quarantine(new Uint8Array(message.payload), error.message, message.topic);
      return;
    }
    if (decoder) this.tree.setDecoder(message.topic, decoder.name);
    if (this.frames.pendingSamples >= FLUSH_SAMPLES && !this.flushing) void this.flush();
  }

  /** Hands what was decoded to the bus; resolves when the bus has taken it. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const { samples, records } = this.frames.take();
    if (this.cuts.length) {
      applyCuts(samples, records, this.cuts);
      this.cuts = [];
    }
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

/** Removes the rows of quarantined messages from a batch and its records, in place. */
function applyCuts(samples: SampleBatch, records: RecordBatch, cuts: readonly Cut[]): void {
  let kept = 0;
  let next = 0;
  for (const {
    samples: [from, to],
  } of cuts) {
    for (let i = next; i < from; i++, kept++) {
      samples.ts[kept] = samples.ts[i]!;
      samples.channel[kept] = samples.channel[i]!;
      samples.value[kept] = samples.value[i]!;
    }
    next = to;
  }
  for (let i = next; i < samples.n; i++, kept++) {
    samples.ts[kept] = samples.ts[i]!;
    samples.channel[kept] = samples.channel[i]!;
    samples.value[kept] = samples.value[i]!;
  }
  samples.n = kept;
  for (let c = cuts.length - 1; c >= 0; c--) {
    const [from, to] = cuts[c]!.records;
    removeRecords(records, from, to);
  }
}
