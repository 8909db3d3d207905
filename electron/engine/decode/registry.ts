// The decoder registry and the per-key decoding step every frame-based source uses:
// detect the format from a key's first frames, stick with it, fall back per frame when a frame does
// not fit, and quarantine what nothing can decode. Output goes into columnar batches.
import { SampleBatchBuilder, type RecordRow, type Severity } from '../batch';
import type { DecodeOutput, Decoder, Frame } from './decoder';
import { csvDecoder, jsonDecoder, keyValueDecoder, numberDecoder, textDecoder } from './formats';

export const decoders: readonly Decoder[] = [
  numberDecoder,
  jsonDecoder,
  csvDecoder,
  keyValueDecoder,
  textDecoder,
];

export function decoderByName(name: string): Decoder {
  const d = decoders.find((x) => x.name === name);
  if (!d) throw new Error(`unknown decoder "${name}" (known: ${decoders.map((x) => x.name).join(', ')})`);
  return d;
}

/** The decoder most confident about `bytes`, or null when none claims them. */
export function detectDecoder(bytes: Uint8Array, candidates: readonly Decoder[] = decoders): Decoder | null {
  let best: Decoder | null = null;
  let confidence = 0;
  for (const d of candidates) {
    const c = d.detect(bytes);
    if (c > confidence) {
      best = d;
      confidence = c;
    }
  }
  return best;
}

export interface FrameSink {
  channel(path: string): number;
  quarantine(raw: Uint8Array, reason: string, where: string): void;
}

interface KeyState {
  decoder: Decoder | null;
  memo: Map<Decoder, Record<string, unknown>>;
}

/** Frames in, one SampleBatch and a list of records out per `take()`. */
export class FrameDecoder {
  private readonly keys = new Map<string, KeyState>();
  private readonly samples = new SampleBatchBuilder(1024);
  private records: RecordRow[] = [];

  constructor(
    private readonly source: string,
    private readonly sink: FrameSink,
    /** A decoder name forced for every key, or per-key overrides; absent means detect. */
    private readonly override: (key: string) => string | undefined = () => undefined,
  ) {}

  /** Returns the decoder that took the frame, or null if it went to quarantine. */
  push(frame: Frame): Decoder | null {
    let state = this.keys.get(frame.key);
    if (!state) this.keys.set(frame.key, (state = { decoder: null, memo: new Map() }));
    const forced = this.override(frame.key);
    const first = forced ? decoderByName(forced) : (state.decoder ?? detectDecoder(frame.bytes));
    const tried: string[] = [];
    const attempt = (d: Decoder): boolean => {
      let memo = state.memo.get(d);
      if (!memo) state.memo.set(d, (memo = {}));
      const sampleMark = this.samples.n;
      const recordMark = this.records.length;
      const result = d.decode(frame, this.output(frame), memo);
      if (result.ok) return true;
      // Decoders validate before they write, but a frame must never be half-decoded: roll back.
      this.samples.n = sampleMark;
      this.records.length = recordMark;
      tried.push(`${d.name}: ${result.reason}`);
      return false;
    };
    if (first && attempt(first)) {
      state.decoder ??= first;
      return first;
    }
    // A frame that looks like the expected format but fails it is malformed (truncated JSON, a
    // short CSV line): quarantine it rather than let plain text swallow it.
    if (!forced && !(first && first.detect(frame.bytes) > 0)) {
      // The key's usual format does not fit this frame: try the others, most confident first.
      const others = decoders
        .filter((d) => d !== first && d.detect(frame.bytes) > 0)
        .sort((a, b) => b.detect(frame.bytes) - a.detect(frame.bytes));
      for (const d of others) if (attempt(d)) return d;
    }
    this.sink.quarantine(
      frame.bytes,
      tried.length ? tried.join('; ') : 'no decoder recognises this payload',
      frame.key,
    );
    return null;
  }

  take(): { samples: ReturnType<SampleBatchBuilder['take']>; records: RecordRow[] } {
    const records = this.records;
    this.records = [];
    return { samples: this.samples.take(), records };
  }

  private output(frame: Frame): DecodeOutput {
    return {
      sample: (path, value, ts) =>
        this.samples.push(ts, this.sink.channel(path ? `${frame.key}/${path}` : frame.key), value),
      record: (severity: Severity, message, fields, ts) =>
        this.records.push({ ts, rx: frame.rx, source: this.source, severity, message, fields }),
    };
  }
}
