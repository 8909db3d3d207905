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
import { recordHeaders, recordKey, recordValue, type PartitionRecords } from './records';

export const POSITION_KEY = 'offsets';

const tp = (topic: string, partition: number) => `${topic}:${partition}`;
const EMPTY = Buffer.alloc(0);

/** What waits for the rows read up to the high watermark: nothing but the commit it asks for. */
const caughtUp = () => undefined;

/** Before 2000-01-01 a Kafka timestamp is not believed (as device times are not). */
const EARLIEST_PLAUSIBLE_MS = 946_684_800_000;

/** A record's headers as JSON members (`"name":"value"`), a name given twice as an array, as kafkajs gave them. */
function headersJson(records: PartitionRecords, i: number): string {
  const values = new Map<string, (string | null)[]>();
  for (const [name, value] of recordHeaders(records, i)) {
    const list = values.get(name);
    if (list) list.push(value);
    else values.set(name, [value]);
  }
  let json = '';
  for (const [name, list] of values)
    json += `${json ? ',' : ''}${JSON.stringify(name)}:${JSON.stringify(list.length === 1 ? list[0] : list)}`;
  return json;
}

export class KafkaIngest {
  readonly tree: TopicTree;
  readonly frames: FrameDecoder;
  readonly stage: IngestStage;
  /** Next offset to read, by `topic:partition`: what the workspace holds once the rows are durable. */
  readonly next = new Map<string, number>();
  /** Partitions whose last batch ended below their high watermark, by `topic:partition`. */
  private readonly behind = new Set<string>();
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
    const chosen = new Map<string, string | undefined>();
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
        // Asked for every message: each topic's answer kept (the options do not change while running).
        choose: (topic) => {
          if (chosen.has(topic)) return chosen.get(topic);
          const decoder = choices.find((d) => match(d.topic, topic))?.decoder;
          chosen.set(topic, decoder);
          return decoder;
        },
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

  /** The partitions read are given out anew (a rebalance): none is behind until it is read again. */
  reassigned(): void {
    this.behind.clear();
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
   * Takes one partition's fetched records in, in offset order; records below the saved position
   * (read again after a crash) are skipped, batches that could not be read are quarantined.
   * Returns the next offset to read, or null when nothing was taken. Once every partition read
   * has reached its high watermark the rows are committed at once: the store gathers a fast
   * stream's rows to a row group (store.ts, flushDue), and a backlog read to its end has nothing
   * more coming to gather.
   */
  accept(topic: string, partition: number, records: PartitionRecords, highWatermark: number): number | null {
    const key = tp(topic, partition);
    if (records.next >= highWatermark) this.behind.delete(key);
    else this.behind.add(key);
    const from = this.next.get(key) ?? -1;
    const now = this.ctx.now();
    // What every record's fields begin with, made once per batch.
    const prefix = `"kafka":{"topic":${JSON.stringify(topic)},"partition":${partition},"offset":`;
    let taken: number | null = null;
    let count = 0;
    let last = -1;
    let lastRx = now;
    this.frame.key = topic;
    this.decoderName = null;
    this.stage.pushFrames(() => {
      for (const bad of records.bad) {
        if (bad.offset < from) continue;
        this.stage.addQuarantine(
          new Uint8Array(bad.bytes),
          bad.reason,
          `${topic} partition ${partition} offset ${bad.offset}`,
        );
      }
      for (let i = 0; i < records.n; i++) {
        const offset = records.offset[i]!;
        if (offset < from) continue;
        count++;
        last = i;
        lastRx = this.take(topic, partition, offset, records, i, now, prefix);
      }
      // Past the last batch read (records dropped as aborted or control included), not only the last record.
      if (records.next > from && (count > 0 || records.bad.length > 0)) taken = records.next;
      if (taken === null) return undefined;
      this.next.set(key, taken);
      return { key: POSITION_KEY, value: this.positionJson() };
    });
    // The topic tree hears of the batch once (its count, its last message): per message it was a
    // walk to the root and an object each (bench kafka).
    if (last >= 0) {
      this.tree.record(topic, recordValue(records, last), lastRx, false, 0, null, count);
      if (this.decoderName !== null) this.tree.setDecoder(topic, this.decoderName);
    }
    if (count > 0) {
      this.ctx.received(count);
      if (this.behind.size === 0) this.stage.onDurable(caughtUp);
    }
    return taken;
  }

  /** Decodes one record into the stage; its receive time (the Kafka timestamp when plausible). */
  private take(
    topic: string,
    partition: number,
    offset: number,
    records: PartitionRecords,
    i: number,
    now: number,
    prefix: string,
  ): number {
    const payload = recordValue(records, i);
    const stamp = records.timestamp[i]!;
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
    let fields = `${prefix}${offset},"timestamp":${stamp}`;
    const key = recordKey(records, i);
    if (key !== null) fields += `,"key":${JSON.stringify(key)}`;
    if (records.headerTo[i]! > records.headerFrom[i]!) fields += `,"headers":{${headersJson(records, i)}}`;
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
