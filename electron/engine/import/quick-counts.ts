// The first answers of an import, before its rows: lines counted by minute and severity in the
// pass that already reads every byte for the file's SHA-256 (scan.ts), at about the speed of that
// read. The "index first, parse later", as counts: a 1 GB syslog file's rows take a minute
// and more to store, its counts and time histogram seconds (bench: logs). They are saved in
// `capture_counts` (store/migrations.ts, version 7) as soon as the pass ends.
//
// Invariants:
// - Each line counts where the import will store its record: the minute of its time and its
//   severity, exactly as the format's decoder gives them. Lines of the common shape are read here
//   by index from their bytes (syslog: RFC 3164 as `fast.ts` reads it, the same shape and checks;
//   JSON Lines: a flat object, as the json decoder's flat path reads it); every other line is
//   given to the decoder itself, so none is guessed. A line the decoder refuses counts as
//   quarantined, an empty line not at all, a line over 1 MiB as quarantined (as on import).
//   test/unit/quick-counts.test.ts holds both counters to their decoders on generated lines.
// - Only the content is read (gunzipped); at most one chunk and one unfinished line (2 MiB: past
//   that the counter gives up and only numbers lines) are held.
import { isUtf8 } from 'node:buffer';
import { SEVERITIES, type Severity } from '../batch';
import { DEFAULT_FUTURE_TOLERANCE_MS, type Decoder, type DecodeOutput } from '../decode/decoder';
import { TIMESTAMP_FIELDS } from '../decode/formats';
import { syslogSeverity } from '../decode/logs/syslog';

/** Formats whose lines are counted in the first pass (others get their counts from their rows). */
export const QUICK_COUNT_FORMATS: readonly string[] = ['syslog', 'json'];

/** Counts of a file's lines: by minute (epoch minutes) and severity, and quarantined. */
export interface QuickCounts {
  /** Key `minute * 8 + severity index` (SEVERITIES' order) → lines. */
  byMinute: Map<number, number>;
  /** Lines the decoder refused (they go to quarantine on import). */
  quarantined: number;
  /** Lines counted, quarantined included. */
  lines: number;
  /** Lines read from their bytes, the rest by the decoder (the tests check the counter reads most). */
  quick: number;
}

const SEVERITY_INDEX = new Map<Severity, number>(SEVERITIES.map((s, i) => [s, i]));
const LF = 0x0a;
/** As import.ts: a longer line goes to quarantine, cut. */
const MAX_LINE_BYTES = 1 << 20;
const CR = 0x0d;
const YEAR_2000 = 946_684_800_000;
const DAY_MS = 86_400_000;
const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';

/** Severity by rank (a message's severity is the highest rank among its words): 0 none. */
const RANKED: readonly Severity[] = ['info', 'debug', 'notice', 'warning', 'error', 'critical'];
/**
 * guessSeverity's words (decode/decoder.ts) whole, as its patterns read them (`\b` both sides, any
 * case), found in a whole chunk at once with `test`: where one ends is all a match tells, and the
 * word's letters give its rank (WORD_RANKS). No match hides another: a word is a whole run of
 * letters, and matches do not overlap.
 */
const WHOLE_WORDS =
  /\b(?:crit(?:ical)?|fatal|emerg(?:ency)?|panic|alert|err(?:or)?|fail(?:ed|ure)?|exception|warn(?:ing)?|notice|debug|trace)\b/gi;
/**
 * Rank by a whole word's first and last letters (lower case) and length, which tell them apart
 * (first letter and length alone do not: emerg and error, emergency and exception).
 */
const WORD_RANKS = new Map<number, number>();
const wordKey = (first: number, last: number, length: number) => (first << 16) | (last << 8) | length;
for (const [start, rank, endings] of [
  ['crit', 5, ['ical', '']],
  ['fatal', 5, ['']],
  ['emerg', 5, ['ency', '']],
  ['panic', 5, ['']],
  ['alert', 5, ['']],
  ['err', 4, ['or', '']],
  ['fail', 4, ['ed', 'ure', '']],
  ['exception', 4, ['']],
  ['warn', 3, ['ing', '']],
  ['notice', 2, ['']],
  ['debug', 1, ['']],
  ['trace', 1, ['']],
] as const) {
  for (const ending of endings) {
    const word = start + ending;
    WORD_RANKS.set(wordKey(word.charCodeAt(0), word.charCodeAt(word.length - 1), word.length), rank);
  }
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
/** `[!-~]`. */
const isPrintable = (c: number) => c > 0x20 && c < 0x7f;
/** Byte classes by table (a test per byte of every header). */
const HOST = 1; // [A-Za-z0-9._-]: a host as fast.ts's pattern reads it
const APP = 2; // [A-Za-z0-9_./-]: an app (tag) name
const WORD = 4; // [A-Za-z0-9_]: what `\b` takes for a word character
const HEX = 8; // [0-9A-Fa-f]
const ESCAPE = 16; // what may follow a backslash in JSON: ["\\/bfnrt]
const CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const alnum = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
  if (alnum || c === 0x5f) CLASS[c]! |= HOST | APP | WORD;
  if (c === 0x2e || c === 0x2d) CLASS[c]! |= HOST | APP;
  if (c === 0x2f) CLASS[c]! |= APP;
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)) CLASS[c]! |= HEX;
  if ('"\\/bfnrt'.includes(String.fromCharCode(c))) CLASS[c]! |= ESCAPE;
}

export interface QuickCountOptions {
  /** The file's modification time: the year of a 3164 time (as the import's `yearReference`). */
  yearReference: number;
  /** The import's receive time: a time further ahead than the tolerance is not believed. */
  rx: number;
  /** The format's decoder and the memo the import gives it (for every line not read by index). */
  decoder: Decoder;
  memo: Record<string, unknown>;
  /** The file (the frames' key). */
  key: string;
}

/**
 * Counts the lines of content chunks fed in order (`end()` after the last): the lines the
 * subclass reads by index, and every other one by the decoder.
 */
export abstract class QuickCounter {
  readonly counts: QuickCounts = { byMinute: new Map(), quarantined: 0, lines: 0, quick: 0 };
  private carry: Buffer | null = null;
  /** Not believed beyond this (receive time and the decoder's future tolerance). */
  protected readonly latest: number;
  /** The run of lines with the same key, added to the map when the key changes. */
  private runKey = -1;
  private runLines = 0;
  /** A line too long to count: the rest is only numbered (`linesRead`), and there are no counts. */
  private abandoned = false;
  private unended = false;
  /** The decoder's output for a line: the severity and time of each record it gave. */
  private readonly decoded: { severity: Severity; ts: number }[] = [];
  private readonly output: DecodeOutput;
  protected line = 0;

  constructor(protected readonly options: QuickCountOptions) {
    this.latest = options.rx + DEFAULT_FUTURE_TOLERANCE_MS;
    this.output = {
      sample: () => undefined,
      record: (severity, _message, _fields, ts) => this.decoded.push({ severity, ts }),
      recordJson: (severity, _message, _fields, ts) => this.decoded.push({ severity, ts }),
    };
  }

  /** Lines read so far, empty ones too (a last line without LF counts once `end()` is called). */
  get linesRead(): number {
    return this.line;
  }

  push(chunk: Buffer): void {
    if (this.abandoned) {
      for (let i = chunk.indexOf(LF); i >= 0; i = chunk.indexOf(LF, i + 1)) this.line++;
      if (chunk.length > 0) this.unended = chunk[chunk.length - 1] !== LF;
      return;
    }
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const last = buf.lastIndexOf(LF);
    if (last < 0) {
      // A line the import cuts into pieces (its 1 MiB reads): counted with its rows, not here.
      if (buf.length > 2 * MAX_LINE_BYTES) {
        this.abandoned = true;
        this.carry = null;
        this.unended = true;
      } else this.carry = Buffer.from(buf);
      return;
    }
    this.countLines(buf, last + 1);
    this.carry = last + 1 < buf.length ? Buffer.from(buf.subarray(last + 1)) : null;
  }

  /** The counts, or null when the file has a line too long to count here (then only lines are counted). */
  end(): QuickCounts | null {
    if (this.abandoned) {
      if (this.unended) this.line++;
      return null;
    }
    if (this.carry) {
      const tail = Buffer.concat([this.carry, Buffer.from([LF])]);
      this.carry = null;
      this.countLines(tail, tail.length);
    }
    this.flushRun();
    return this.counts;
  }

  /** A line longer than the import takes whole goes to quarantine, as the import sends it (true). */
  protected tooLong(start: number, end: number): boolean {
    if (end - start <= MAX_LINE_BYTES) return false;
    this.counts.quarantined++;
    this.counts.lines++;
    return true;
  }

  /** The lines of `buf` up to `end`, each ended by LF (a CR before it is no part of the line). */
  protected abstract countLines(buf: Buffer, end: number): void;

  /** A line not read by index: the decoder's records, counted as the import will store them. */
  protected decodeLine(bytes: Uint8Array): void {
    this.decoded.length = 0;
    let ok: boolean;
    try {
      ok = this.options.decoder.decode(
        { rx: this.options.rx, key: this.options.key, bytes, line: this.line },
        this.output,
        this.options.memo,
      ).ok;
    } catch {
      ok = false; // FrameDecoder quarantines a frame its decoder throws on
    }
    if (!ok) {
      this.counts.quarantined++;
      this.counts.lines++;
      return;
    }
    for (const r of this.decoded) this.add(Math.floor(r.ts / 60_000), r.severity);
  }

  protected add(minute: number, severity: Severity): void {
    const key = minute * 8 + SEVERITY_INDEX.get(severity)!;
    this.counts.lines++;
    if (key === this.runKey) {
      this.runLines++;
      return;
    }
    this.flushRun();
    this.runKey = key;
    this.runLines = 1;
  }

  private flushRun(): void {
    if (this.runLines === 0) return;
    const m = this.counts.byMinute;
    m.set(this.runKey, (m.get(this.runKey) ?? 0) + this.runLines);
    this.runLines = 0;
  }
}

/** Counts lines of RFC 3164 syslog: the shape fast.ts reads, by index. */
export class SyslogQuickCounter extends QuickCounter {
  /**
   * Days placed: at `3 * (month * 32 + day)` the day's start (epoch ms) in the reference year −1, 0
   * and +1; 0 not placed yet, NaN a day the month lacks in one of them.
   */
  private readonly days = new Float64Array(3 * 13 * 32);
  private readonly referenceYear: number;
  /** What `readLine` read of its line (not returned, to allocate nothing per line). */
  private minute = 0;
  private priSeverity: Severity | null = null;
  /** guessSeverity's words in the chunk being counted (`wordsOf`), reused. */
  private hits = { at: new Int32Array(1 << 16), rank: new Uint8Array(1 << 16), n: 0 };

  constructor(options: QuickCountOptions) {
    super(options);
    this.referenceYear = new Date(options.yearReference).getUTCFullYear();
  }

  protected countLines(buf: Buffer, end: number): void {
    const hits = this.wordsOf(buf, end);
    // A line that is not UTF-8 is the decoder's (it refuses it); in a chunk that is, every one is.
    const utf8 = isUtf8(buf.subarray(0, end));
    let hit = 0;
    let start = 0;
    while (start < end) {
      const lf = buf.indexOf(LF, start);
      const lineEnd = lf > start && buf[lf - 1] === CR ? lf - 1 : lf;
      this.line++;
      if (lineEnd > start && !this.tooLong(start, lineEnd)) {
        const messageStart =
          utf8 || isUtf8(buf.subarray(start, lineEnd)) ? this.readLine(buf, start, lineEnd) : -1;
        if (messageStart < 0) this.decodeLine(buf.subarray(start, lineEnd));
        else {
          // Words before this line's message are not its own.
          while (hit < hits.n && hits.at[hit]! < messageStart) hit++;
          let rank = 0;
          while (hit < hits.n && hits.at[hit]! < lineEnd) rank = Math.max(rank, hits.rank[hit++]!);
          this.add(this.minute, this.priSeverity ?? RANKED[rank]!);
          this.counts.quick++;
        }
      }
      start = lf + 1;
    }
  }

  /** Where guessSeverity's words are in `buf` up to `end`, in order, with their ranks. */
  private wordsOf(buf: Buffer, end: number): { at: Int32Array; rank: Uint8Array; n: number } {
    const hits = this.hits;
    hits.n = 0;
    const text = buf.toString('latin1', 0, end);
    // `test` and not `exec`: no match array nor string per word (six million in 1 GB of syslog).
    WHOLE_WORDS.lastIndex = 0;
    while (WHOLE_WORDS.test(text)) {
      const after = WHOLE_WORDS.lastIndex;
      let at = after - 1;
      while (at > 0 && (CLASS[buf[at - 1]!]! & WORD) !== 0) at--;
      const rank = WORD_RANKS.get(wordKey(buf[at]! | 0x20, buf[after - 1]! | 0x20, after - at))!;
      if (hits.n === hits.at.length) {
        const at2 = new Int32Array(hits.at.length * 2);
        at2.set(hits.at);
        const rank2 = new Uint8Array(hits.at.length * 2);
        rank2.set(hits.rank);
        hits.at = at2;
        hits.rank = rank2;
      }
      hits.at[hits.n] = at;
      hits.rank[hits.n++] = rank;
    }
    return hits;
  }

  /**
   * A line of the header fast.ts reads (its SYSLOG_3164 pattern and checks; the message may hold
   * any UTF-8 between printable ends, as the decoder reads it the same): where its message starts,
   * with `minute` and `priSeverity` set; -1 for any other line.
   */
  private readLine(b: Buffer, s: number, e: number): number {
    let p = s;
    let pri = -1;
    if (b[p] === 0x3c) {
      p++;
      const from = p;
      pri = 0;
      while (p < e && isDigit(b[p]!) && p - from < 3) pri = pri * 10 + b[p++]! - 0x30;
      if (p === from || b[p] !== 0x3e || pri > 191) return -1;
      p++;
    }
    if (p + 16 > e) return -1;
    const month = monthAt(b, p);
    if (month === 0 || b[p + 3] !== 0x20) return -1;
    p += 4;
    if (b[p] === 0x20) p++;
    if (!isDigit(b[p]!)) return -1;
    let day = b[p++]! - 0x30;
    if (isDigit(b[p]!)) day = day * 10 + b[p++]! - 0x30;
    if (b[p] !== 0x20) return -1;
    p++;
    if (p + 9 > e || b[p + 2] !== 0x3a || b[p + 5] !== 0x3a || b[p + 8] !== 0x20) return -1;
    const h1 = b[p]! - 0x30;
    const h2 = b[p + 1]! - 0x30;
    const m1 = b[p + 3]! - 0x30;
    const m2 = b[p + 4]! - 0x30;
    const s1 = b[p + 6]! - 0x30;
    const s2 = b[p + 7]! - 0x30;
    if (!(h1 >= 0 && h1 <= 2 && h2 >= 0 && h2 <= 9 && (h1 < 2 || h2 <= 3))) return -1;
    if (!(m1 >= 0 && m1 <= 5 && m2 >= 0 && m2 <= 9 && s1 >= 0 && s1 <= 5 && s2 >= 0 && s2 <= 9)) return -1;
    const seconds = (h1 * 10 + h2) * 3600 + (m1 * 10 + m2) * 60 + s1 * 10 + s2;
    p += 9;
    const hostStart = p;
    while (p < e && (CLASS[b[p]!]! & HOST) !== 0) p++;
    if (p === hostStart || b[p] !== 0x20) return -1;
    p++;
    const appStart = p;
    while (p < e && (CLASS[b[p]!]! & APP) !== 0) p++;
    if (p === appStart || p - appStart > 64) return -1;
    if (b[p] === 0x5b) {
      p++;
      const pidStart = p;
      while (p < e && isDigit(b[p]!)) p++;
      if (p === pidStart || p - pidStart > 32 || b[p] !== 0x5d) return -1;
      p++;
    }
    if (b[p] !== 0x3a) return -1;
    p++;
    let messageStart = e;
    if (p < e) {
      // ` MSG` with printable ASCII at both ends: the decoder's trim leaves it as it is.
      if (b[p] !== 0x20 || p + 1 >= e) return -1;
      messageStart = p + 1;
      if (!isPrintable(b[messageStart]!) || !isPrintable(b[e - 1]!)) return -1;
      // CEF and LEEF are read by the decoder (their own severity and time).
      if (startsWith(b, messageStart, e, 'CEF:') || startsWith(b, messageStart, e, 'LEEF:')) return -1;
    }
    const ms = this.timeOf(month, day, seconds);
    if (ms === null || ms < YEAR_2000 || ms > this.latest) return -1;
    this.minute = Math.floor(ms / 60_000);
    this.priSeverity = pri >= 0 ? syslogSeverity(pri % 8) : null;
    return messageStart;
  }

  /** The time `yearFor` (decode/logs/time.ts) gives a 3164 wall time in UTC; null on a day the month lacks. */
  private timeOf(month: number, day: number, seconds: number): number | null {
    if (day < 1 || day > 31) return null;
    const at = 3 * (month * 32 + day);
    const days = this.days;
    if (days[at] === 0) {
      const y = this.referenceYear;
      for (let k = 0; k < 3; k++)
        days[at + k] = day <= daysIn(y - 1 + k, month) ? Date.UTC(y - 1 + k, month - 1, day) : NaN;
      if (days.subarray(at, at + 3).some(Number.isNaN)) days.fill(NaN, at, at + 3);
    }
    if (Number.isNaN(days[at])) return null;
    const reference = this.options.yearReference;
    const same = days[at + 1]! + seconds * 1000;
    if (same > reference + DAY_MS) return days[at]! + seconds * 1000;
    if (same > reference - 330 * DAY_MS) return same;
    const next = days[at + 2]! + seconds * 1000;
    return next <= reference + DAY_MS ? next : same;
  }
}

/**
 * Counts JSON Lines as the generic json decoder reads them. A flat object (strings, numbers,
 * literals; no nesting, no escaped key, no key twice, at most MAX_MEMBERS members) is read by
 * index, in one pass over its bytes: whether it makes a record (a member other than the time that
 * is not a number, or a time not believed) and its minute (its time member, `ts`, `timestamp`,
 * `time` or `Time` in that order, as an ISO 8601 string or epoch number, else receive time). Every
 * other line goes to the decoder. The json decoder's records are all 'info'; a line of numbers
 * only makes samples and no record, so it is not counted.
 */
export class JsonQuickCounter extends QuickCounter {
  private readonly rxMinute: number;
  private readonly keyStart = new Int32Array(MAX_MEMBERS);
  private readonly keyEnd = new Int32Array(MAX_MEMBERS);
  /** The last minute prefix read (`YYYY-MM-DDTHH:MM`, bytes) and its start: lines come in order. */
  private readonly lastPrefix = Buffer.alloc(16);
  private lastMinuteStart = NaN;
  private readonly minuteStarts = new Map<string, number>();

  constructor(options: QuickCountOptions) {
    super(options);
    this.rxMinute = Math.floor(options.rx / 60_000);
  }

  protected countLines(buf: Buffer, end: number): void {
    // A line that is not UTF-8 is the decoder's (it refuses it); in a chunk that is, every one is.
    const utf8 = isUtf8(buf.subarray(0, end));
    for (let start = 0; start < end;) {
      const lf = buf.indexOf(LF, start);
      const lineEnd = lf > start && buf[lf - 1] === CR ? lf - 1 : lf;
      this.line++;
      if (lineEnd > start && !this.tooLong(start, lineEnd)) {
        const read = utf8 || isUtf8(buf.subarray(start, lineEnd)) ? this.readLine(buf, start, lineEnd) : -1;
        if (read < 0) this.decodeLine(buf.subarray(start, lineEnd));
        else if (read > 0) this.add(read - 1, 'info');
        if (read >= 0) this.counts.quick++;
      }
      start = lf + 1;
    }
  }

  /** 1 + the minute of the line's record, 0 when it makes none, -1 when the decoder must read it. */
  private readLine(b: Buffer, s: number, e: number): number {
    let p = skipSpace(b, s, e);
    if (b[p] !== 0x7b) return -1;
    p = skipSpace(b, p + 1, e);
    let n = 0;
    let others = 0;
    let tsRank = TIME_KEYS.length;
    let tsMember = -1;
    let tsStart = 0;
    let tsEnd = 0;
    let tsKind = 0;
    for (;;) {
      if (b[p] !== 0x22 || n === MAX_MEMBERS) return -1;
      const keyStart = p + 1;
      p = keyStart;
      while (p < e && b[p] !== 0x22) {
        if (b[p] === 0x5c || b[p]! < 0x20) return -1;
        p++;
      }
      if (p >= e) return -1;
      const keyEnd = p;
      // A key twice: JSON.parse keeps the last value (in the first one's place); the decoder's.
      for (let k = 0; k < n; k++)
        if (
          this.keyEnd[k]! - this.keyStart[k]! === keyEnd - keyStart &&
          sameBytes(b, this.keyStart[k]!, this.keyEnd[k]!, b, keyStart)
        )
          return -1;
      this.keyStart[n] = keyStart;
      this.keyEnd[n] = keyEnd;
      p = skipSpace(b, p + 1, e);
      if (b[p] !== 0x3a) return -1;
      p = skipSpace(b, p + 1, e);
      const valueStart = p;
      const c = b[p]!;
      let kind: number;
      if (c === 0x22) {
        kind = STRING;
        p++;
        while (p < e && b[p] !== 0x22) {
          const d = b[p]!;
          if (d < 0x20) return -1;
          if (d !== 0x5c) {
            p++;
            continue;
          }
          // A backslash: an escape JSON allows (the line's end stops one that runs past it), or the decoder's.
          const x = b[p + 1]!;
          if (x === 0x75) {
            for (let h = 2; h < 6; h++) if ((CLASS[b[p + h]!]! & HEX) === 0) return -1;
            p += 6;
          } else {
            if ((CLASS[x]! & ESCAPE) === 0) return -1;
            p += 2;
          }
          kind = ESCAPED;
        }
        if (p >= e) return -1;
        p++;
      } else if (c === 0x2d || isDigit(c)) {
        kind = NUMBER;
        p = numberEnd(b, p, e);
        if (p < 0) return -1;
      } else if (matches(b, p, e, 'true') || matches(b, p, e, 'null')) {
        kind = LITERAL;
        p += 4;
      } else if (matches(b, p, e, 'false')) {
        kind = LITERAL;
        p += 5;
      } else return -1; // nested, or not JSON
      const rank = timeKeyRank(b, keyStart, keyEnd);
      if (rank < tsRank) {
        tsRank = rank;
        tsMember = n;
        tsStart = valueStart;
        tsEnd = p;
        tsKind = kind;
      }
      if (kind !== NUMBER) others++;
      n++;
      p = skipSpace(b, p, e);
      if (b[p] === 0x2c) {
        p = skipSpace(b, p + 1, e);
        continue;
      }
      if (b[p] !== 0x7d) return -1;
      break;
    }
    if (skipSpace(b, p + 1, e) !== e) return -1;
    // The time alone: the decoder's general path says what it makes of it.
    if (n === (tsMember < 0 ? 0 : 1)) return -1;
    if (tsMember < 0) return others > 0 ? this.rxMinute + 1 : 0;
    if (tsKind !== NUMBER) others--;
    let ms: number | null = null;
    if (tsKind === STRING) {
      ms = this.isoTime(b, tsStart + 1, tsEnd - 1);
      if (ms === null) return -1;
    } else if (tsKind === NUMBER) {
      ms = epochMs(Number(b.toString('latin1', tsStart, tsEnd)));
    } else if (tsKind === ESCAPED) return -1;
    // Not a time (null, a literal, a number ≤ 0): receive time, nothing kept.
    if (ms === null) return others > 0 ? this.rxMinute + 1 : 0;
    // Believed or not, with a margin for the fraction of a second an ISO `ms` leaves out.
    if (ms >= YEAR_2000 && ms + 1000 <= this.latest) return others > 0 ? Math.floor(ms / 60_000) + 1 : 0;
    if (ms + 1000 < YEAR_2000 || ms > this.latest) return this.rxMinute + 1; // kept in the record
    return -1;
  }

  /**
   * The bytes from `s` to `e` as `YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z]` (UTC, as parseTimestamp reads
   * them with no zone set): epoch ms to the second, the fraction left out; null for anything else.
   */
  private isoTime(b: Buffer, s: number, e: number): number | null {
    if (e - s < 16 || e - s > 40) return null;
    const last = b[e - 1];
    if (last === 0x5a || last === 0x7a) e--; // Z
    // The minute as the line before had it (lines come in order): read and checked already.
    const sameMinute = !Number.isNaN(this.lastMinuteStart) && sameBytes(this.lastPrefix, 0, 16, b, s);
    if (!sameMinute) {
      for (let i = 0; i < DIGIT_AT.length; i++) if (!isDigit(b[s + DIGIT_AT[i]!]!)) return null;
      const sep = b[s + 10];
      if (b[s + 4] !== 0x2d || b[s + 7] !== 0x2d || b[s + 13] !== 0x3a) return null;
      if (sep !== 0x54 && sep !== 0x74 && sep !== 0x20) return null;
    }
    let seconds = 0;
    let p = s + 16;
    if (p < e) {
      if (b[p] !== 0x3a || !isDigit(b[p + 1]!) || !isDigit(b[p + 2]!)) return null;
      seconds = (b[p + 1]! - 0x30) * 10 + b[p + 2]! - 0x30;
      p += 3;
      if (p < e) {
        const dot = b[p];
        if ((dot !== 0x2e && dot !== 0x2c) || e - p - 1 < 1 || e - p - 1 > 9) return null;
        for (let i = p + 1; i < e; i++) if (!isDigit(b[i]!)) return null;
      }
    }
    let minuteStart = this.lastMinuteStart;
    if (!sameMinute) {
      const prefix = b.toString('latin1', s, s + 16);
      minuteStart = this.minuteStarts.get(prefix) ?? minuteOf(prefix);
      this.minuteStarts.set(prefix, minuteStart);
      b.copy(this.lastPrefix, 0, s, s + 16);
      this.lastMinuteStart = minuteStart;
    }
    return Number.isNaN(minuteStart) ? null : minuteStart + seconds * 1000;
  }
}

/** Members of a line read by index; more are the decoder's. */
const MAX_MEMBERS = 64;
/** Kinds of a member's value. */
const STRING = 1;
const ESCAPED = 2;
const NUMBER = 3;
const LITERAL = 4;
/** TIMESTAMP_FIELDS (decode/formats.ts) in their order: the first the object has is its time. */
const TIME_KEYS = TIMESTAMP_FIELDS.map((name) => Buffer.from(name, 'latin1'));

function timeKeyRank(b: Buffer, s: number, e: number): number {
  const length = e - s;
  if (length !== 2 && length !== 4 && length !== 9) return TIME_KEYS.length;
  for (let r = 0; r < TIME_KEYS.length; r++) {
    const key = TIME_KEYS[r]!;
    if (key.length === length && sameBytes(key, 0, length, b, s)) return r;
  }
  return TIME_KEYS.length;
}

function skipSpace(b: Buffer, p: number, e: number): number {
  while (p < e) {
    const c = b[p];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    p++;
  }
  return p;
}

/** Whether `a` from `as` to `ae` holds the bytes `b` holds from `bs` (a JavaScript loop: Buffer.compare's call costs more on keys this short). */
function sameBytes(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number): boolean {
  for (let i = 0; i < ae - as; i++) if (a[as + i] !== b[bs + i]) return false;
  return true;
}

function matches(b: Buffer, p: number, e: number, word: string): boolean {
  if (p + word.length > e) return false;
  for (let i = 0; i < word.length; i++) if (b[p + i] !== word.charCodeAt(i)) return false;
  return true;
}

/**
 * The end of the JSON number at `p`, or -1 when it is not one, or has an exponent or more than 15
 * digits (the decoder judges those: a number may not be finite, or not one a double holds).
 */
function numberEnd(b: Buffer, p: number, e: number): number {
  let i = p;
  if (b[i] === 0x2d) i++;
  const first = i;
  if (b[i] === 0x30) i++;
  else if (i < e && isDigit(b[i]!)) while (i < e && isDigit(b[i]!)) i++;
  else return -1;
  let digits = i - first;
  if (b[i] === 0x2e) {
    const from = ++i;
    while (i < e && isDigit(b[i]!)) i++;
    if (i === from) return -1;
    digits += i - from;
  }
  if (b[i] === 0x65 || b[i] === 0x45 || digits > 15) return -1;
  return i;
}

/** parseTimestamp's reading of a number: seconds, ms, µs or ns by magnitude; null when ≤ 0. */
function epochMs(n: number): number | null {
  if (!Number.isFinite(n) || n <= 0) return null;
  if (n < 1e11) return n * 1000;
  if (n < 1e14) return n;
  if (n < 1e17) return n / 1000;
  return n / 1e6;
}

/** `YYYY-MM-DDTHH:MM` → that minute's start (epoch ms), NaN when a field is out of range (as parseTimestamp). */
function minuteOf(prefix: string): number {
  const field = (i: number, n: number) => Number(prefix.slice(i, i + n));
  const [y, mo, d, h, mi] = [field(0, 4), field(5, 2), field(8, 2), field(11, 2), field(14, 2)];
  return mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ? NaN : Date.UTC(y, mo - 1, d, h, mi);
}

/** Where `YYYY-MM-DDTHH:MM` has its digits. */
const DIGIT_AT = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15];

/** A month's three letters as one number → 1–12. */
const MONTH_OF = new Map<number, number>(
  Array.from({ length: 12 }, (_, m) => [
    (MONTHS.charCodeAt(m * 3) << 16) | (MONTHS.charCodeAt(m * 3 + 1) << 8) | MONTHS.charCodeAt(m * 3 + 2),
    m + 1,
  ]),
);

function monthAt(b: Buffer, p: number): number {
  return MONTH_OF.get((b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!) ?? 0;
}

function startsWith(b: Buffer, p: number, e: number, prefix: string): boolean {
  if (e - p < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[p + i] !== prefix.charCodeAt(i)) return false;
  return true;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return 30 + ((month + Math.floor(month / 8)) % 2);
}
