// The decoder registry and the per-key decoding step every frame-based source uses:
// detect the format from a key's first frames, stick with it, fall back per frame when a frame does
// not fit, and quarantine what nothing can decode. Output goes into columnar batches.
import {
  fieldsJson,
  RecordBatchBuilder,
  SampleBatchBuilder,
  type RecordBatch,
  type SampleBatch,
  type Severity,
} from '../batch';
import { decodeUtf8, type ClockNote, type DecodeOutput, type Decoder, type Frame } from './decoder';
import { csvDecoder, jsonDecoder, keyValueDecoder, numberDecoder, textDecoder } from './formats';
import { accessLogDecoder } from './logs/access';
import { cefDecoder, leefDecoder } from './logs/cef';
import { falcoDecoder } from './logs/falco';
import { journaldDecoder } from './logs/journald';
import { suricataDecoder } from './logs/suricata';
import { syslogDecoder } from './logs/syslog';
import { timestampedDecoder } from './logs/timestamped';
import { zeekDecoder, zeekJsonDecoder } from './logs/zeek';
import { sparkplugDecoder } from './sparkplug';

export const decoders: readonly Decoder[] = [
  sparkplugDecoder,
  numberDecoder,
  jsonDecoder,
  csvDecoder,
  keyValueDecoder,
  textDecoder,
];

/**
 * Log formats (files, the syslog receiver), most specific first. Kept out of `decoders`, which
 * sources detect from on every key: a device's text line is not a log file's line.
 */
export const logDecoders: readonly Decoder[] = [
  suricataDecoder,
  falcoDecoder,
  journaldDecoder,
  zeekJsonDecoder,
  zeekDecoder,
  cefDecoder,
  leefDecoder,
  accessLogDecoder,
  syslogDecoder,
  timestampedDecoder,
];

/** What a log file may hold: the log formats, then the generic text formats, most specific first. */
export const fileDecoders: readonly Decoder[] = [
  ...logDecoders,
  jsonDecoder,
  csvDecoder,
  keyValueDecoder,
  textDecoder,
];

export function decoderByName(name: string): Decoder {
  const d = decoders.find((x) => x.name === name) ?? logDecoders.find((x) => x.name === name);
  if (!d)
    throw new Error(
      `unknown decoder "${name}" (known: ${[...decoders, ...logDecoders].map((x) => x.name).join(', ')})`,
    );
  return d;
}

/**
 * A decoder threw instead of answering: a bug in it, or input it did not foresee (a stack
 * overflow, say). The frame goes to quarantine with this as the reason; the source goes on.
 */
export class DecoderThrew extends Error {
  constructor(decoder: Decoder, thrown: unknown) {
    super(`${decoder.name}: threw ${describeThrown(thrown)}`);
  }
}

function describeThrown(thrown: unknown): string {
  try {
    return thrown instanceof Error ? thrown.message : String(thrown);
  } catch {
    return 'a value that cannot be shown';
  }
}

/** `d.detect`, with a throw turned into DecoderThrew. */
function confidenceOf(d: Decoder, bytes: Uint8Array, key: string | undefined): number {
  try {
    return d.detect(bytes, key);
  } catch (error) {
    throw new DecoderThrew(d, error);
  }
}

/**
 * The decoder most confident about `bytes` (arriving on `key`), or null when none claims them.
 * Throws DecoderThrew when a decoder's `detect` throws.
 */
export function detectDecoder(
  bytes: Uint8Array,
  key?: string,
  candidates: readonly Decoder[] = decoders,
): Decoder | null {
  let best: Decoder | null = null;
  let confidence = 0;
  for (const d of candidates) {
    const c = confidenceOf(d, bytes, key);
    if (c > confidence) {
      best = d;
      confidence = c;
    }
  }
  return best;
}

export interface FrameSink {
  /** Id of the channel at `path` (relative to the source), created on first use. */
  channel(path: string, unit: string): number;
  quarantine(raw: Uint8Array, reason: string, where: string): void;
  /** Something about a key's device clock the user should know; once per key and finding. */
  clockNotice?(key: string, message: string): void;
}

/** A record's fields (JSON text of an object, or null) with the transport's members put first. */
function withFields(json: string | null, members: string): string {
  if (json === null || json === '{}') return `{${members}}`;
  return `{${members},${json.slice(1)}`;
}

/** Per key: a decoder name to force, 'raw' to keep frames undecoded, or undefined to detect. */
export type DecoderChoice = (key: string) => string | undefined;

export interface FrameDecoderOptions {
  /** The decoders these frames may use, most specific first (default: the registry's). */
  candidates?: readonly Decoder[];
  choose?: DecoderChoice;
  /** Seeds every memo: e.g. `{ timestampField: 'when' }` for the JSON decoder. */
  memoDefaults?: Record<string, unknown>;
  /** Seeds the memos of one key on top of `memoDefaults` (e.g. a per-topic time zone). */
  memoFor?: (key: string) => Record<string, unknown> | undefined;
  /** The channel path for a decoder's `path` on frames of `key` (default `key/path`, or `key`). */
  channelPath?: (key: string, path: string) => string;
  /** Records keep their frame's key as `origin` and its line (imports: the file and line). */
  provenance?: boolean;
}

interface KeyState {
  decoder: Decoder | null;
  /** Decoder path → channel id for this key, so the hot path builds no strings. */
  channels: Map<string, number>;
  /** Each decoder's memo for this key (shared with other keys when the decoder says so). */
  memos: Map<Decoder, Record<string, unknown>>;
  /** What the key's device clock looks like, once a frame carried a time. */
  clock?: ClockWatch;
}

const OFFSET_WINDOW = 8;
const HALF_HOUR = 1_800_000;
const OFFSET_SLACK = 120_000;

/** The last few clock offsets of one key, and what was already told about it. */
class ClockWatch {
  private readonly offsets = new Float64Array(OFFSET_WINDOW);
  private n = 0;
  implausible = 0;
  warning: string | null = null;
  private readonly told = new Set<string>();

  /** A finding to tell (once), or null. */
  note(key: string, note: ClockNote): string | null {
    this.offsets[this.n++ % OFFSET_WINDOW] = note.offsetMs;
    const zoneLike = this.zoneOffset();
    if (zoneLike !== null && !this.told.has(`offset ${zoneLike}`)) {
      this.told.add(`offset ${zoneLike}`);
      const size = `${Math.abs(zoneLike) / 2} h`;
      this.warning = `timestamps on ${key} run ${size} ${zoneLike > 0 ? 'ahead of' : 'behind'} receive time: set the source's time zone (timeZone)`;
      return this.warning;
    }
    if (note.implausible) {
      this.implausible++;
      if (!this.told.has('implausible')) {
        this.told.add('implausible');
        const off = note.offsetMs;
        const how =
          off > 0 ? `${formatSpan(off)} ahead of receive time` : `${formatSpan(-off)} behind it, before 2000`;
        this.warning ??= `device times on ${key} are not believed (${how})`;
        return `device times on ${key} are not believed (${how}): its data is stored at receive time, with the device's time kept in the record, and counted`;
      }
    }
    return null;
  }

  /**
   * Half hours between event and receive time when the last few frames all sit within two minutes
   * of the same non-zero multiple of 30 minutes: a zone, not a drifting clock. Null otherwise.
   */
  private zoneOffset(): number | null {
    if (this.n < OFFSET_WINDOW) return null;
    const halves = Math.round(this.offsets[0]! / HALF_HOUR);
    if (halves === 0 || Math.abs(halves) > 28) return null;
    for (const offset of this.offsets) if (Math.abs(offset - halves * HALF_HOUR) > OFFSET_SLACK) return null;
    return halves;
  }
}

function formatSpan(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 172_800_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} days`;
}

/**
 * Frames in, one SampleBatch and one RecordBatch out per `take()`. Every frame source (MQTT
 * topics, serial lines and frames) decodes through this, with the same rules: a key's first frame
 * that a decoder claims settles its format; a frame that looks like that format but fails it is
 * quarantined rather than taken by another; a frame the settled format does not claim is tried
 * against the others; what nothing decodes is quarantined with every decoder's reason. A decoder
 * that throws (in `detect` or `decode`) sends the frame to quarantine with what it threw; whatever
 * the frame had written is rolled back, and that decoder's memo for the key is reset, since it may
 * be half-written. (Channels a throwing decoder created stay, empty.)
 */
export class FrameDecoder {
  private readonly keys = new Map<string, KeyState>();
  private readonly memos = new Map<string, Record<string, unknown>>();
  private readonly samples = new SampleBatchBuilder(1024);
  private readonly records = new RecordBatchBuilder(256);
  /**
   * The frame being decoded, its key and decoder (the output's callbacks read them); one object
   * reused for every frame, `frame` null between frames: nothing allocated per frame.
   */
  private readonly current: { frame: Frame | null; state: KeyState; decoder: Decoder } = {
    frame: null,
    state: { decoder: null, channels: new Map(), memos: new Map() },
    decoder: textDecoder,
  };
  /** Decoders by name, as `byName` found them (asked per frame when a key's decoder is forced). */
  private readonly byNameCache = new Map<string, Decoder>();
  /** Why the decoders tried refused the frame being decoded (reused; read only for quarantine). */
  private readonly tried: string[] = [];
  private readonly candidates: readonly Decoder[];
  private readonly choose: DecoderChoice;
  private readonly memoDefaults: Record<string, unknown>;
  private readonly memoFor: (key: string) => Record<string, unknown> | undefined;
  private readonly channelPath: (key: string, path: string) => string;
  private readonly output: DecodeOutput = {
    sample: (path, value, ts, unit) => {
      const { frame, state, decoder } = this.current;
      let id = state.channels.get(path);
      if (id === undefined) {
        id = this.sink.channel(
          this.channelPath(decoder.channelKey?.(frame!.key) ?? frame!.key, path),
          unit ?? decoder.unit?.(path) ?? '',
        );
        state.channels.set(path, id);
      }
      this.samples.push(ts, id, value);
    },
    // Fields become JSON text here, once per record: the store appends them as they are.
    record: (severity: Severity, message, fields, ts) =>
      this.pushRecord(severity, message, fieldsJson(fields), ts),
    recordJson: (severity: Severity, message, fields, ts, framed) =>
      this.pushRecord(severity, message, fields, ts, framed),
    clock: (note) => {
      this.clockNote = note;
    },
  };
  /** The device time the frame being decoded carried; counted only if the frame decodes. */
  private clockNote: ClockNote | null = null;
  /** Frames whose device time was not believed, over all keys. */
  implausibleTimes = 0;
  private readonly provenance: boolean;

  constructor(
    private readonly source: string,
    private readonly sink: FrameSink,
    options: FrameDecoderOptions = {},
  ) {
    this.candidates = options.candidates ?? decoders;
    this.choose = options.choose ?? (() => undefined);
    this.memoDefaults = options.memoDefaults ?? {};
    this.memoFor = options.memoFor ?? (() => undefined);
    this.channelPath = options.channelPath ?? ((key, path) => (path ? `${key}/${path}` : key));
    this.provenance = options.provenance ?? false;
  }

  private pushRecord(
    severity: Severity,
    message: string,
    json: string | null,
    ts: number,
    framed = false,
  ): void {
    const frame = this.current.frame!;
    const fields = frame.fields && !framed ? withFields(json, frame.fields) : json;
    if (this.provenance)
      this.records.push(ts, frame.rx, this.source, severity, message, fields, frame.key, frame.line ?? NaN);
    else this.records.push(ts, frame.rx, this.source, severity, message, fields);
  }

  /** Samples waiting for `take()`. */
  get pendingSamples(): number {
    return this.samples.n;
  }

  /** Samples and records waiting for `take()`. */
  get pending(): number {
    return this.samples.n + this.records.n;
  }

  /** What is wrong with a key's device clock, if anything (shown on the topic). */
  clockWarning(key: string): string | null {
    return this.keys.get(key)?.clock?.warning ?? null;
  }

  private noteClock(key: string, state: KeyState, note: ClockNote): void {
    const watch = (state.clock ??= new ClockWatch());
    if (note.implausible) this.implausibleTimes++;
    const told = watch.note(key, note);
    if (told) this.sink.clockNotice?.(key, told);
  }

  /** The decoder a key settled on, if any. */
  decoderOf(key: string): string | null {
    return this.keys.get(key)?.decoder?.name ?? null;
  }

  private byName(name: string): Decoder {
    let d = this.byNameCache.get(name);
    if (d) return d;
    d = this.candidates.find((x) => x.name === name);
    if (!d)
      throw new Error(`unknown decoder "${name}" (known: ${this.candidates.map((x) => x.name).join(', ')})`);
    this.byNameCache.set(name, d);
    return d;
  }

  private detect(bytes: Uint8Array, key: string): Decoder | null {
    return detectDecoder(bytes, key, this.candidates);
  }

  /** Returns the decoder that took the frame, or null if it went to quarantine or stays raw. */
  push(frame: Frame): Decoder | null {
    const forced = this.choose(frame.key);
    if (forced === 'raw') return null;
    let state = this.keys.get(frame.key);
    if (!state) this.keys.set(frame.key, (state = { decoder: null, channels: new Map(), memos: new Map() }));
    const tried = this.tried;
    // Only when not empty: setting an array's length is a call into the runtime, 1% of bench
    // kafka's main thread when made for every message.
    if (tried.length > 0) tried.length = 0;
    const sampleMark = this.samples.n;
    const recordMark = this.records.n;
    try {
      const decoder = this.decodeFrame(frame, state, forced, tried);
      if (decoder) return decoder;
    } catch (error) {
      if (!(error instanceof DecoderThrew)) throw error;
      this.current.frame = null;
      // A frame is never half-decoded: drop what it wrote before the throw.
      this.samples.n = sampleMark;
      this.records.n = recordMark;
      tried.push(error.message);
    }
    const names = this.candidates.map((d) => d.name).join('/');
    const why = tried.length
      ? tried.join('; ')
      : decodeUtf8(frame.bytes) === null
        ? `binary payload: not valid UTF-8, and no ${names} decoder recognises this`
        : `no ${names} decoder recognises this`;
    // A copy: framers reuse their buffers.
    this.sink.quarantine(new Uint8Array(frame.bytes), why, frame.key);
    return null;
  }

  /** The decoder that took the frame, or null with the reasons in `tried`; DecoderThrew when one threw. */
  private decodeFrame(
    frame: Frame,
    state: KeyState,
    forced: string | undefined,
    tried: string[],
  ): Decoder | null {
    const first = forced ? this.byName(forced) : (state.decoder ?? this.detect(frame.bytes, frame.key));
    if (first && this.attempt(first, frame, state, tried)) {
      state.decoder ??= first;
      return first;
    }
    // A frame that looks like the expected format but fails it is malformed (truncated JSON, a
    // short CSV line): quarantine it rather than let another format swallow it.
    if (!forced && !(first && confidenceOf(first, frame.bytes, frame.key) > 0)) {
      tried.length = 0; // the settled format does not claim this frame: its complaint says nothing
      const others = this.candidates
        .map((d) => [d, confidenceOf(d, frame.bytes, frame.key)] as const)
        .filter(([d, c]) => d !== first && c > 0)
        .sort((a, b) => b[1] - a[1]);
      for (const [d] of others) if (this.attempt(d, frame, state, tried)) return d;
    }
    return null;
  }

  /** Decodes `frame` with `d`: true when it took it; false (its reason in `tried`) with nothing written. */
  private attempt(d: Decoder, frame: Frame, state: KeyState, tried: string[]): boolean {
    let memo = state.memos.get(d);
    if (!memo) {
      let memoKey: string;
      try {
        memoKey = `${d.name}\u0000${d.memoKey ? d.memoKey(frame.key) : frame.key}`;
      } catch (error) {
        throw new DecoderThrew(d, error);
      }
      memo = this.memos.get(memoKey);
      if (!memo) this.memos.set(memoKey, (memo = { ...this.memoDefaults, ...this.memoFor(frame.key) }));
      state.memos.set(d, memo);
    }
    const sampleMark = this.samples.n;
    const recordMark = this.records.n;
    const current = this.current;
    current.frame = frame;
    current.state = state;
    current.decoder = d;
    this.clockNote = null;
    let result;
    try {
      result = d.decode(frame, this.output, memo);
    } catch (error) {
      for (const key of Object.keys(memo)) delete memo[key];
      Object.assign(memo, this.memoDefaults, this.memoFor(frame.key));
      throw new DecoderThrew(d, error);
    } finally {
      current.frame = null;
    }
    if (result.ok) {
      if (this.clockNote) this.noteClock(frame.key, state, this.clockNote);
      return true;
    }
    // Decoders validate before they write, but a frame must never be half-decoded: roll back.
    this.samples.n = sampleMark;
    this.records.n = recordMark;
    tried.push(
      result.reason.toLowerCase().startsWith(d.name) ? result.reason : `${d.name}: ${result.reason}`,
    );
    return false;
  }

  /**
   * The numbers `push` would make of `frame`, decoded with a copy of its key's memo (the source's
   * own Sparkplug aliases, CSV header, time zone), so nothing is written, learned or counted: what
   * the topic detail offers to plot. `decoder` names the one the key uses (default: the one it
   * settled on, or detection). Null when the frame does not decode, or the decoder throws.
   */
  peek(frame: Frame, decoder?: string | null): { path: string; channel: string; value: number }[] | null {
    try {
      const d = decoder
        ? this.byName(decoder)
        : (this.keys.get(frame.key)?.decoder ?? this.detect(frame.bytes, frame.key));
      if (!d) return null;
      const shared = this.memos.get(`${d.name}\u0000${d.memoKey ? d.memoKey(frame.key) : frame.key}`);
      const memo = shared ? structuredClone(shared) : { ...this.memoDefaults, ...this.memoFor(frame.key) };
      const channelKey = d.channelKey?.(frame.key) ?? frame.key;
      const numbers: { path: string; channel: string; value: number }[] = [];
      const result = d.decode(
        frame,
        {
          sample: (path, value) => numbers.push({ path, channel: this.channelPath(channelKey, path), value }),
          record: () => undefined,
        },
        memo,
      );
      return result.ok ? numbers : null;
    } catch {
      return null; // a decoder that throws on this frame sent it to quarantine on arrival
    }
  }

  /** The memo `decoder` keeps for `key` (shared with other keys when it says so), if it has one yet. */
  memoOf(decoder: string, key: string): Record<string, unknown> | undefined {
    const d = this.candidates.find((x) => x.name === decoder);
    return d && this.memos.get(`${d.name}\u0000${d.memoKey ? d.memoKey(key) : key}`);
  }

  /** Every memo `decoder` keeps (one per memo key). */
  *memosOf(decoder: string): IterableIterator<Record<string, unknown>> {
    const prefix = `${decoder}\u0000`;
    for (const [key, memo] of this.memos) if (key.startsWith(prefix)) yield memo;
  }

  /** The decoder's one-line summary of a frame (Decoder.preview), from its key's memo; null when it has none. */
  preview(frame: Frame, decoder: string | null): string | null {
    try {
      const d = decoder ? this.byName(decoder) : null;
      if (!d?.preview) return null;
      const memo = this.memos.get(`${d.name}\u0000${d.memoKey ? d.memoKey(frame.key) : frame.key}`) ?? {};
      return d.preview(frame, memo);
    } catch {
      return null;
    }
  }

  take(): { samples: SampleBatch; records: RecordBatch } {
    return { samples: this.samples.take(), records: this.records.take() };
  }
}
