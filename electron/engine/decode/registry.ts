// The decoder registry and the per-key decoding step every frame-based source uses:
// detect the format from a key's first frames, stick with it, fall back per frame when a frame does
// not fit, and quarantine what nothing can decode. Output goes into columnar batches.
import { SampleBatchBuilder, type RecordRow, type SampleBatch, type Severity } from '../batch';
import { decodeUtf8, type DecodeOutput, type Decoder, type Frame } from './decoder';
import { csvDecoder, jsonDecoder, keyValueDecoder, numberDecoder, textDecoder } from './formats';
import { sparkplugDecoder } from './sparkplug';

export const decoders: readonly Decoder[] = [
  sparkplugDecoder,
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

/** The decoder most confident about `bytes` (arriving on `key`), or null when none claims them. */
export function detectDecoder(
  bytes: Uint8Array,
  key?: string,
  candidates: readonly Decoder[] = decoders,
): Decoder | null {
  let best: Decoder | null = null;
  let confidence = 0;
  for (const d of candidates) {
    const c = d.detect(bytes, key);
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

/** Per key: a decoder name to force, 'raw' to keep frames undecoded, or undefined to detect. */
export type DecoderChoice = (key: string) => string | undefined;

interface KeyState {
  decoder: Decoder | null;
  /** Full channel name → id for this key's paths, so the hot path builds no strings. */
  channels: Map<string, number>;
}

/** Frames in, one SampleBatch and a list of records out per `take()`. */
export class FrameDecoder {
  private readonly keys = new Map<string, KeyState>();
  private readonly memos = new Map<string, Record<string, unknown>>();
  private readonly samples = new SampleBatchBuilder(1024);
  private records: RecordRow[] = [];
  private current: { frame: Frame; state: KeyState } | null = null;
  private readonly output: DecodeOutput = {
    sample: (path, value, ts) => {
      const { frame, state } = this.current!;
      let id = state.channels.get(path);
      if (id === undefined) {
        id = this.sink.channel(path ? `${frame.key}/${path}` : frame.key);
        state.channels.set(path, id);
      }
      this.samples.push(ts, id, value);
    },
    record: (severity: Severity, message, fields, ts) =>
      this.records.push({ ts, rx: this.current!.frame.rx, source: this.source, severity, message, fields }),
  };

  constructor(
    private readonly source: string,
    private readonly sink: FrameSink,
    private readonly choose: DecoderChoice = () => undefined,
    /** Seeds every memo: e.g. `{ timestampField: 'when' }` for the JSON decoder. */
    private readonly memoDefaults: Record<string, unknown> = {},
  ) {}

  /** Samples waiting for `take()`. */
  get pendingSamples(): number {
    return this.samples.n;
  }

  /** The decoder a key settled on, if any. */
  decoderOf(key: string): string | null {
    return this.keys.get(key)?.decoder?.name ?? null;
  }

  /** Returns the decoder that took the frame, or null if it went to quarantine or stays raw. */
  push(frame: Frame): Decoder | null {
    const forced = this.choose(frame.key);
    if (forced === 'raw') return null;
    let state = this.keys.get(frame.key);
    if (!state) this.keys.set(frame.key, (state = { decoder: null, channels: new Map() }));
    const first = forced ? decoderByName(forced) : (state.decoder ?? detectDecoder(frame.bytes, frame.key));
    const tried: string[] = [];
    this.current = { frame, state };
    const attempt = (d: Decoder): boolean => {
      const memoKey = `${d.name}\u0000${d.memoKey ? d.memoKey(frame.key) : frame.key}`;
      let memo = this.memos.get(memoKey);
      if (!memo) this.memos.set(memoKey, (memo = { ...this.memoDefaults }));
      const sampleMark = this.samples.n;
      const recordMark = this.records.length;
      const result = d.decode(frame, this.output, memo);
      if (result.ok) return true;
      // Decoders validate before they write, but a frame must never be half-decoded: roll back.
      this.samples.n = sampleMark;
      this.records.length = recordMark;
      tried.push(`${d.name}: ${result.reason}`);
      return false;
    };
    try {
      if (first && attempt(first)) {
        state.decoder ??= first;
        return first;
      }
      // A frame that looks like the expected format but fails it is malformed (truncated JSON, a
      // short CSV line): quarantine it rather than let plain text swallow it.
      if (!forced && !(first && first.detect(frame.bytes, frame.key) > 0)) {
        // The key's usual format does not fit this frame: try the others, most confident first.
        const others = decoders
          .map((d) => [d, d.detect(frame.bytes, frame.key)] as const)
          .filter(([d, c]) => d !== first && c > 0)
          .sort((a, b) => b[1] - a[1]);
        for (const [d] of others) if (attempt(d)) return d;
      }
    } finally {
      this.current = null;
    }
    const why = tried.length
      ? tried.join('; ')
      : decodeUtf8(frame.bytes) === null
        ? 'binary payload: not valid UTF-8, and no binary decoder is chosen for this key'
        : 'no decoder recognises this payload';
    this.sink.quarantine(frame.bytes, why, frame.key);
    return null;
  }

  take(): { samples: SampleBatch; records: RecordRow[] } {
    const records = this.records;
    this.records = [];
    return { samples: this.samples.take(), records };
  }
}
