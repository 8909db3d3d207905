// What a source is. A source owns its connection (socket, port, file, timer) and nothing else: it
// turns what arrives into samples and records through its context, and reports its state.
//
// Invariants:
// - `start()` resolves once the source is running or retrying on its own; it never rejects for a
//   peer that is down (that is state `reconnecting` with `lastError`), only for unusable options.
// - `stop()` releases everything; after it resolves, nothing more is emitted.
// - A returned promise from `emitSamples`/`emitRecords` is back-pressure: a source that can pause
//   its peer (files, Kafka, serial) awaits it; one that cannot (QoS 0 MQTT, UDP syslog) counts what
//   it sheds with `shed(n)` instead of buffering without bound.
// - Undecodable input goes to `quarantine` with its bytes and a reason; the source keeps running.
import type { z } from 'zod';
import type { SourceState } from '../../../shared/api';
import type { RecordRow, SampleBatch } from '../batch';

export interface SourceContext {
  readonly sourceId: string;
  /** Global id of this source's channel `path` (the full name is `sourceId/path`); created on first use. */
  channel(path: string, unit?: string): number;
  emitSamples(batch: SampleBatch): void | Promise<void>;
  emitRecords(records: RecordRow[]): void | Promise<void>;
  quarantine(raw: Uint8Array, reason: string, where?: string): void;
  shed(count: number): void;
  setState(state: SourceState, error?: string): void;
  /** Milliseconds since the epoch; sources ask here so tests can steer time. */
  now(): number;
}

export interface Source {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface SourceFactory<O> {
  kind: string;
  options: z.ZodType<O>;
  create(options: O, ctx: SourceContext): Source;
}
