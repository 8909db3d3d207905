// What happens to every Kafka message, in group and inspect mode alike: size cap, topic tree, and
// decoding through the source's ingest stage with the message's partition, offset, key, headers
// and timestamp as record fields, and the position after it saved in the same transaction.
//
// Positions: one key (`offsets`) holds the next offset of every partition read so far, as JSON
// `{"topic:partition": next}`. A partition's batch of messages is taken in as one input of the
// stage (`pushFrames`: no flush falls inside it) with the position after its last message, so
// whichever batch ends a stored flush, the saved position says exactly where its rows end. A
// restart seeks there, and a message below it is skipped, so nothing is stored twice whatever
// Kafka's committed offsets say. (One position per batch, not per message: bench `kafka` spent a
// fifth of its time building per-message position strings and collecting them.)
import type { KafkaOptions } from '../../../../shared/schemas';
import type { Frame } from '../../decode/decoder';
import { FrameDecoder } from '../../decode/registry';
import { ChannelRefused, type IngestStage } from '../../ingest/stage';
import { CHANNEL_REFUSED, type SourceContext } from '../source';
import { TopicTree } from '../mqtt/topic-tree';

export const POSITION_KEY = 'offsets';

/** One message as both readers hand it over (kafkajs's shape). */
export interface KafkaMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

const tp = (topic: string, partition: number) => `${topic}:${partition}`;
const EMPTY = Buffer.alloc(0);

/** Before 2000-01-01 a Kafka timestamp is not believed (as device times are not). */
const EARLIEST_PLAUSIBLE_MS = 946_684_800_000;

function headerText(v: Buffer | string | undefined): string | null {
  if (v === undefined) return null;
  return typeof v === 'string' ? v : v.toString('utf8');
}

export class KafkaIngest {
  readonly tree: TopicTree;
  readonly frames: FrameDecoder;
  readonly stage: IngestStage;
  /** Next offset to read, by `topic:partition`: what the workspace holds once the rows are durable. */
  readonly next = new Map<string, number>();
  /** Where the message being decoded sits, for its quarantine entry (made into words only then). */
  private at = { topic: '', partition: 0, offset: 0 };
  /** The frame every message is decoded as (reused), and the decoder the last one took. */
  private readonly frame: Frame = { rx: 0, key: '', bytes: EMPTY, fields: '' };
  private decoderName: string | null = null;
  private readonly futureToleranceMs: number;

  constructor(
    private readonly ctx: SourceContext,
    private readonly options: KafkaOptions,
    flow: { pause(): void; resume(): void },
  ) {
    this.futureToleranceMs = options.futureToleranceSeconds * 1000;
    this.tree = new TopicTree(ctx.now, (topic, payload, decoder) =>
      this.frames.preview({ rx: 0, key: topic, bytes: payload }, decoder),
    );
    const match = (pattern: string, topic: string) =>
      pattern.endsWith('*') ? topic.startsWith(pattern.slice(0, -1)) : pattern === topic;
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
        quarantine: (raw, reason) => ctx.quarantine(raw, reason, this.where()),
        clockNotice: (_topic, message) => ctx.notice('warn', `${ctx.sourceId}: ${message}`),
      },
      {
        choose: (topic) => choices.find((d) => match(d.topic, topic))?.decoder,
        memoDefaults: {
          ...(options.timestampField ? { timestampField: options.timestampField } : {}),
          timeZone: options.timeZone,
          futureToleranceMs: this.futureToleranceMs,
        },
        memoFor: (topic) => {
          const zone = options.decoders.find((d) => d.timeZone && match(d.topic, topic))?.timeZone;
          return zone ? { timeZone: zone } : undefined;
        },
      },
    );
    this.stage = ctx.ingest({
      decoder: this.frames,
      policy: 'pause',
      pause: flow.pause,
      resume: flow.resume,
    });
  }

  /** The positions saved with the rows, as `topic:partition` → next offset. */
  async restore(): Promise<Map<string, number>> {
    const saved = (await this.ctx.positions()).get(POSITION_KEY);
    if (saved === undefined) return new Map();
    const parsed = JSON.parse(saved) as Record<string, number>;
    for (const [key, offset] of Object.entries(parsed)) this.next.set(key, offset);
    return new Map(this.next);
  }

  /** The workspace's next offset for a partition, if it has one. */
  position(topic: string, partition: number): number | undefined {
    return this.next.get(tp(topic, partition));
  }

  private where(): string {
    return `${this.at.topic} partition ${this.at.partition} offset ${this.at.offset}`;
  }

  /** The positions of every partition as saved: `{"topic:partition": next, …}`. */
  private positionJson(): string {
    let json = '';
    for (const [k, v] of this.next) json += `${json ? ',' : ''}${JSON.stringify(k)}:${v}`;
    return `{${json}}`;
  }

  /**
   * Takes one partition's messages in, in offset order; messages below the saved position (read
   * again after a crash) are skipped. Returns the next offset to read, or null when none was taken.
   */
  accept(topic: string, partition: number, messages: readonly KafkaMessage[]): number | null {
    const key = tp(topic, partition);
    const from = this.next.get(key) ?? -1;
    const now = this.ctx.now();
    // What every message's fields begin with, made once per batch.
    const prefix = `"kafka":{"topic":${JSON.stringify(topic)},"partition":${partition},"offset":`;
    let taken: number | null = null;
    let count = 0;
    let last: KafkaMessage | null = null;
    let lastRx = now;
    this.frame.key = topic;
    this.decoderName = null;
    this.stage.pushFrames(() => {
      for (const m of messages) {
        const offset = Number(m.offset);
        if (offset < from) continue;
        taken = offset + 1;
        count++;
        last = m;
        lastRx = this.take(topic, partition, offset, m, now, prefix);
      }
      if (taken === null) return undefined;
      this.next.set(key, taken);
      return { key: POSITION_KEY, value: this.positionJson() };
    });
    // The topic tree hears of the batch once (its count, its last message): per message it was a
    // walk to the root and an object each (bench kafka).
    if (last !== null) {
      this.tree.record(topic, (last as KafkaMessage).value ?? EMPTY, lastRx, false, 0, null, count);
      if (this.decoderName !== null) this.tree.setDecoder(topic, this.decoderName);
    }
    if (taken !== null) this.ctx.received(messages.length);
    return taken;
  }

  /** Decodes one message into the stage; its receive time (the Kafka timestamp when plausible). */
  private take(
    topic: string,
    partition: number,
    offset: number,
    m: KafkaMessage,
    now: number,
    prefix: string,
  ): number {
    const payload = m.value ?? EMPTY;
    const stamp = Number(m.timestamp);
    // The record's own time is its event time when plausible; else the time it arrived here.
    const rx = stamp >= EARLIEST_PLAUSIBLE_MS && stamp <= now + this.futureToleranceMs ? stamp : now;
    this.at.topic = topic;
    this.at.partition = partition;
    this.at.offset = offset;
    if (payload.length > this.options.maxPayloadBytes) {
      this.stage.addQuarantine(
        new Uint8Array(payload),
        `message of ${payload.length} bytes is over the ${this.options.maxPayloadBytes}-byte cap`,
        this.where(),
      );
      return rx;
    }
    // kafkajs gives offset and timestamp as decimal text already: written as they came.
    let fields = `${prefix}${m.offset},"timestamp":${m.timestamp}`;
    if (m.key) fields += `,"key":${JSON.stringify(m.key.toString('utf8'))}`;
    if (m.headers) {
      let headers = '';
      for (const name in m.headers) {
        const v = m.headers[name];
        const text = Array.isArray(v) ? v.map(headerText) : headerText(v);
        headers += `${headers ? ',' : ''}${JSON.stringify(name)}:${JSON.stringify(text)}`;
      }
      if (headers) fields += `,"headers":{${headers}}`;
    }
    fields += '}';
    // One frame object for every message: the stage and decoder keep nothing of it.
    const frame = this.frame;
    frame.rx = rx;
    frame.bytes = payload;
    frame.fields = fields;
    const decoder = this.stage.pushFrame(frame);
    if (decoder) this.decoderName = decoder.name;
    return rx;
  }

  stop(): Promise<void> {
    return this.stage.stop();
  }
}
