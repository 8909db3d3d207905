// Frames (lines, NMEA sentences, binary frames) of one serial stream into columnar batches: the
// same rules as the MQTT decoding step (decode/registry.ts FrameDecoder) over this source's own set
// of decoders — the first line that a decoder claims settles the format; a line that looks like
// that format but fails it is quarantined rather than taken by another; a line the settled format
// does not recognise is tried against the others (a status line in a CSV stream); what nothing
// decodes is quarantined with every decoder's reason.
import { SampleBatchBuilder, type RecordRow, type SampleBatch, type Severity } from '../../batch';
import type { DecodeOutput, Decoder } from '../../decode/decoder';

export interface SerialSink {
  channel(path: string, unit: string): number;
  quarantine(raw: Uint8Array, reason: string, where: string): void;
}

/** A decoder that may name the unit of the channels it writes. */
export type UnitDecoder = Decoder & { unit?(path: string): string };

export class SerialDecoder {
  private settled: UnitDecoder | null = null;
  private readonly memos = new Map<UnitDecoder, Record<string, unknown>>();
  private readonly channels = new Map<string, number>();
  private readonly samples = new SampleBatchBuilder(1024);
  private records: RecordRow[] = [];
  private rx = 0;
  private current: UnitDecoder | null = null;
  private readonly output: DecodeOutput = {
    sample: (path, value, ts) => {
      let id = this.channels.get(path);
      if (id === undefined) {
        id = this.sink.channel(path, this.current?.unit?.(path) ?? '');
        this.channels.set(path, id);
      }
      this.samples.push(ts, id, value);
    },
    record: (severity: Severity, message, fields, ts) =>
      this.records.push({ ts, rx: this.rx, source: this.sourceId, severity, message, fields }),
  };

  /**
   * `candidates` are the decoders this stream may use, most specific first; with `forced` the
   * first is the only one.
   */
  constructor(
    private readonly sourceId: string,
    private readonly sink: SerialSink,
    private readonly candidates: readonly UnitDecoder[],
    private readonly forced: boolean,
  ) {}

  get pendingSamples(): number {
    return this.samples.n;
  }

  /** Samples and records waiting for `take()`. */
  get pending(): number {
    return this.samples.n + this.records.length;
  }

  /** The format this stream settled on, if any. */
  get format(): string | null {
    return this.forced ? this.candidates[0]!.name : (this.settled?.name ?? null);
  }

  /** `key` names the stream in records and quarantine (the port's path). */
  push(bytes: Uint8Array, rx: number, key: string): boolean {
    const frame = { rx, key, bytes };
    this.rx = rx;
    const tried: string[] = [];
    const attempt = (d: UnitDecoder): boolean => {
      let memo = this.memos.get(d);
      if (!memo) this.memos.set(d, (memo = {}));
      const sampleMark = this.samples.n;
      const recordMark = this.records.length;
      this.current = d;
      const result = d.decode(frame, this.output, memo);
      this.current = null;
      if (result.ok) return true;
      this.samples.n = sampleMark;
      this.records.length = recordMark;
      const named = result.reason.toLowerCase().startsWith(d.name);
      tried.push(named ? result.reason : `${d.name}: ${result.reason}`);
      return false;
    };
    const first = this.forced ? this.candidates[0]! : (this.settled ?? this.best(bytes));
    if (first && attempt(first)) {
      if (!this.forced) this.settled ??= first;
      return true;
    }
    if (!this.forced && !(first && first.detect(bytes) > 0)) {
      tried.length = 0; // the settled format does not claim this line: its complaint says nothing
      const others = this.candidates
        .map((d) => [d, d.detect(bytes)] as const)
        .filter(([d, c]) => d !== first && c > 0)
        .sort((a, b) => b[1] - a[1]);
      for (const [d] of others) if (attempt(d)) return true;
    }
    this.sink.quarantine(
      new Uint8Array(bytes),
      tried.length
        ? tried.join('; ')
        : `no ${this.candidates.map((d) => d.name).join('/')} decoder recognises this`,
      key,
    );
    return false;
  }

  private best(bytes: Uint8Array): UnitDecoder | null {
    let best: UnitDecoder | null = null;
    let confidence = 0;
    for (const d of this.candidates) {
      const c = d.detect(bytes);
      if (c > confidence) [best, confidence] = [d, c];
    }
    return best;
  }

  take(): { samples: SampleBatch; records: RecordRow[] } {
    const records = this.records;
    this.records = [];
    return { samples: this.samples.take(), records };
  }
}
