// What a source is. A source owns its connection (socket, port, file, timer) and nothing else: it
// turns what arrives into samples and records through its context, and reports its state.
//
// Invariants:
// - `start()` resolves once the source is running or retrying on its own; it never rejects for a
//   peer that is down (that is state `reconnecting` with `lastError`), only for unusable options.
// - `stop()` releases everything; after it resolves, nothing more is emitted.
// - Everything a source takes in goes through its ingest stage (`ingest()`, ingest/stage.ts): it
//   frames, decodes, batches and hands on, and tells the source when rows are durable (`onDurable`)
//   and when the pending work is at its bound. A source that can pause its peer (files, Kafka,
//   serial, MQTT QoS 1/2) stops reading it then; one that cannot (QoS 0 MQTT, UDP syslog) sheds and
//   counts. `emitSamples`/`emitRecords` feed ready-made batches through the same stage; a returned
//   promise is back-pressure.
// - A source that can resume where it stopped gives its position with the input it ends
//   (`pushBytes`, `pushFrame`, `emit` on its stage) and reads it back with `positions()` at start:
//   the position is committed in the same transaction as the rows of that input.
// - Undecodable input goes to `quarantine` with its bytes and a reason; the source keeps running.
// - `channel()` answers CHANNEL_REFUSED once the source has `store.maxChannelsPerSource` channels;
//   a source quarantines the message that needed the channel (samples on it are shed otherwise).
import type { z } from 'zod';
import type { TopicsRequest as TopicsRequestSchema } from '../../../shared/api';
import type { PublishRequest, SourceState, TopicDetail, TopicsResult } from '../../../shared/api';
import type { SourceConsoleResult, SparkplugNodesResult } from '../../../shared/api';
import type { KafkaClusterRequest, KafkaClusterResult, KafkaProduceRequest } from '../../../shared/api';
import type { RecordBatch, SampleBatch } from '../batch';
import type { IngestStage, StageSetup } from '../ingest/stage';

/** One message kept byte for byte for exact replay: what arrived, where, and how. */
export interface RawMessage {
  rx: number;
  key: string;
  payload: Uint8Array;
  meta: Record<string, unknown>;
}

/** What `channel()` answers when the source may create no more channels. No channel has this id. */
export const CHANNEL_REFUSED = 0;

export interface SourceContext {
  readonly sourceId: string;
  /**
   * Global id of this source's channel `path` (the full name is `sourceId/path`); created on first
   * use, or CHANNEL_REFUSED when the source is at its channel limit.
   */
  channel(path: string, unit?: string): number;
  /** The source's ingest stage, set up for its decoder, framer and policy (one per source instance). */
  ingest(setup: StageSetup): IngestStage;
  /** The positions this source saved with its rows, by key, as last committed. */
  positions(): Promise<Map<string, string>>;
  emitSamples(batch: SampleBatch): void | Promise<void>;
  emitRecords(records: RecordBatch): void | Promise<void>;
  quarantine(raw: Uint8Array, reason: string, where?: string): void;
  shed(count: number): void;
  /** Counts messages as the peer sent them (MQTT messages, serial lines or frames), for the rate shown. */
  received(count: number): void;
  /** `detail`: what the library said, when `error` puts it in plain words (shown behind "details"). */
  setState(state: SourceState, error?: string, detail?: string): void;
  /** Where the source connects and what the user must be warned about, for the status. */
  describe(endpoint: string, warnings?: string[]): void;
  /** A secret by name (broker password, key passphrase), or undefined when none is set. */
  secret(name: string): string | undefined;
  /** Keeps raw messages for exact replay (sources with `record: true`). */
  recordRaw(messages: RawMessage[]): void;
  /**
   * Whether a named recording the user started includes this source now: it keeps its raw
   * messages then as if `record` were on (asked per message; a lookup in memory).
   */
  recordingNamed(): boolean;
  /** Milliseconds since the epoch; sources ask here so tests can steer time. */
  now(): number;
  /** Something the user should know about this source's data (a device clock in another zone). */
  notice(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface Source {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Sources that can send (MQTT): publish a message, resolving once the peer has it (QoS 1/2) or it is written (QoS 0). */
  publish?(request: PublishRequest & { bytes: Uint8Array }): Promise<void>;
  /** Sources with topics: browse them one level at a time, or search. */
  topics?(request: z.output<typeof TopicsRequestSchema>): TopicsResult;
  topicDetail?(topic: string): TopicDetail | null;
  /** Sources that read Sparkplug B (MQTT): its edge nodes and devices as a host application sees them. */
  sparkplugNodes?(): SparkplugNodesResult;
  /** Asks an edge node for its births again (NCMD); rejects unless the source may publish to the broker. */
  sparkplugRebirth?(group: string, node: string): Promise<void>;
  /** Kafka sources: the cluster's topics, offsets, groups and lag, and a topic's recent messages (no group joined). */
  kafkaCluster?(request: KafkaClusterRequest): Promise<KafkaClusterResult>;
  /** Kafka sources: sends one message with key and headers; where the cluster put it. */
  kafkaProduce?(
    request: KafkaProduceRequest & { bytes: Uint8Array },
  ): Promise<{ partition: number; offset: number }>;
  /** Sources with a console (serial): their recent raw traffic, chunks after seq `after`. */
  console?(after: number | undefined, limit: number): SourceConsoleResult;
  /** Sources that can write to their device (serial): resolves once the bytes are written out. */
  send?(bytes: Uint8Array): Promise<void>;
  /** Applies new options without a restart when it can (true); false asks for a restart. */
  reconfigure?(options: unknown): Promise<boolean>;
}

export interface SourceFactory<O> {
  kind: string;
  options: z.ZodType<O>;
  create(options: O, ctx: SourceContext): Source;
}
