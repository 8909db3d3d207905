// The text payload formats every source shares: a plain number, JSON, CSV lines, key=value pairs,
// and plain text as a record. Binary and protocol-specific formats live beside their sources.
import {
  decodeUtf8,
  escapeKey,
  guessSeverity,
  MAX_NESTING_DEPTH,
  MAX_VALUES_PER_FRAME,
  parseNumber,
  deviceTime,
  setField,
  type DecodeOutput,
  type DecodeResult,
  type Decoder,
  type Frame,
} from './decoder';
import type { Severity } from '../batch';
import {
  flatMembers,
  memberNamed,
  memberNumber,
  membersJson,
  memberValue,
  readFlatObject,
  type FlatMembers,
} from './flat-json';

export const TIMESTAMP_FIELDS = ['ts', 'timestamp', 'time', 'Time'];

function text(frame: Frame): string | null {
  return decodeUtf8(frame.bytes);
}

/** `23.5`, the way a DHT11 script publishes a reading. The channel is the key itself (empty path). */
export const numberDecoder: Decoder = {
  name: 'number',
  detect(bytes) {
    const t = decodeUtf8(bytes);
    return t !== null && parseNumber(t) !== null ? 1 : 0;
  },
  decode(frame, out) {
    const t = text(frame);
    if (t === null) return { ok: false, reason: 'not valid UTF-8' };
    const n = parseNumber(t);
    if (n === null) return { ok: false, reason: 'not a number' };
    out.sample('', n, frame.rx);
    return { ok: true };
  },
};

/**
 * Whether JSON text nests arrays and objects more than `limit` deep, in one pass over the text:
 * for what would recurse over a parsed value (JSON.parse itself does not).
 */
export function jsonNestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

interface Flattened {
  numbers: [string, number][];
  others: Record<string, unknown>;
  hasOthers: boolean;
  leaves: number;
  /** A container deeper than MAX_NESTING_DEPTH was met (and not entered). */
  tooDeep: boolean;
}

/**
 * Numeric leaves by path, other leaves as fields. `depth` is the level of `value` if it is an
 * array or object (the top level is 1): the recursion never goes past MAX_NESTING_DEPTH, so a
 * 6 KB array nested 3,000 deep is refused instead of overflowing the stack.
 */
function flatten(value: unknown, path: string, into: Flattened, depth: number): void {
  if (++into.leaves > MAX_VALUES_PER_FRAME || into.tooDeep) return;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) into.numbers.push([path, value]);
  } else if (value !== null && typeof value === 'object') {
    if (depth > MAX_NESTING_DEPTH) {
      into.tooDeep = true;
      return;
    }
    if (Array.isArray(value)) value.forEach((v, i) => flatten(v, `${path}[${i}]`, into, depth + 1));
    else
      for (const [k, v] of Object.entries(value))
        flatten(v, path ? `${path}.${escapeKey(k)}` : escapeKey(k), into, depth + 1);
  } else {
    setField(into.others, path || 'value', value);
    into.hasOthers = true;
  }
}

const line = flatMembers();
/** The numbers of the flat object being decoded, in member order (reused). */
const lineNumbers = new Float64Array(line.keyStart.length);
type FastOutput = DecodeOutput & Required<Pick<DecodeOutput, 'recordJson'>>;

/** The key of member k of the last objects read, by k: the same string again for the same key. */
const lastKeys: string[] = [];

/**
 * Member `k`'s key (unquoted), as the string the last object with that key at `k` gave: a line
 * like the last one makes no new string per key, and the channel lookup hashes nothing new.
 */
function memberKey(t: string, m: FlatMembers, k: number): string {
  const start = m.keyStart[k]! + 1;
  const length = m.keyEnd[k]! - start - 1;
  const last = lastKeys[k];
  if (last !== undefined && last.length === length && t.startsWith(last, start)) return last;
  return (lastKeys[k] = t.slice(start, start + length));
}

const TIMESTAMP_LENGTHS = new Set(TIMESTAMP_FIELDS.map((name) => name.length));

/**
 * The member named by the first of TIMESTAMP_FIELDS the object has, or -1: one pass over the keys,
 * comparing text only for keys of a timestamp name's length (a search per name was a hot line of
 * bench `kafka`).
 */
function timestampMember(t: string, m: FlatMembers): number {
  let found = -1;
  let rank = TIMESTAMP_FIELDS.length;
  for (let k = 0; k < m.n; k++) {
    const start = m.keyStart[k]! + 1;
    const length = m.keyEnd[k]! - start - 1;
    if (!TIMESTAMP_LENGTHS.has(length)) continue;
    for (let r = 0; r < rank; r++) {
      const name = TIMESTAMP_FIELDS[r]!;
      if (name.length === length && t.startsWith(name, start)) {
        found = k;
        rank = r;
        break;
      }
    }
  }
  return found;
}

/**
 * The json decoder's answer for a flat object of numbers, strings, booleans and nulls with an
 * optional timestamp (see flat-json.ts): its numbers as samples, the rest as the record's fields
 * cut from the line's own text; null when the line is not one, and the general path decides.
 * Writes what the general path would, byte for byte.
 */
function decodeFlatObject(
  t: string,
  frame: Frame,
  out: FastOutput,
  memo: Record<string, unknown>,
): DecodeResult | null {
  if (!readFlatObject(t, line)) return null;
  const tsMember =
    typeof memo['timestampField'] === 'string'
      ? memberNamed(t, line, memo['timestampField'])
      : timestampMember(t, line);
  // The timestamp alone is no value: the general path says so.
  if (line.n === (tsMember < 0 ? 0 : 1)) return null;
  let numbers = 0;
  for (let k = 0; k < line.n; k++) {
    if (!line.numeric[k] || k === tsMember) continue;
    const value = memberNumber(t, line, k);
    // 1e400: the general path drops it; rare enough to leave to it.
    if (!Number.isFinite(value)) return null;
    lineNumbers[numbers++] = value;
  }
  let ts = frame.rx;
  let extra = '';
  if (tsMember >= 0) {
    const raw = memberValue(t, line, tsMember);
    const time = deviceTime(raw, frame.rx, memo, out);
    if (time && !time.implausible) ts = time.ms;
    // Implausible: the data gets receive time and the device's time stays in the record, last.
    else if (time)
      extra = `,${t.slice(line.keyStart[tsMember], line.keyEnd[tsMember])}:${JSON.stringify(raw)}`;
  }
  // Keys hold nothing a channel path escapes (readFlatObject says no to those): the key is the path.
  for (let k = 0, i = 0; k < line.n; k++)
    if (line.numeric[k] && k !== tsMember) out.sample(memberKey(t, line, k), lineNumbers[i++]!, ts);
  const others = line.n - numbers - (tsMember < 0 ? 0 : 1);
  // The frame's own members (Kafka's) go in first as the text is built: added after, the text was
  // cut and joined again (bench kafka: 9% of every byte allocated in the run, kafkajs's included).
  const lead = frame.fields ?? '';
  if (others > 0 || extra !== '')
    out.recordJson('info', frame.key, membersJson(t, line, tsMember, extra, numbers > 0, lead), ts, true);
  return { ok: true };
}

/**
 * JSON objects and arrays: every numeric leaf becomes a channel (`a.b`, `list[0]`), strings,
 * booleans and nulls become fields of one record. A top-level timestamp field (`ts`, `timestamp`,
 * `time`, `Time`, or the one named in `memo.timestampField`) is the event time when plausible.
 */
export const jsonDecoder: Decoder = {
  name: 'json',
  detect(bytes) {
    const t = decodeUtf8(bytes)?.trim();
    if (!t || !(t.startsWith('{') || t.startsWith('['))) return 0;
    try {
      JSON.parse(t);
      return 0.95;
    } catch {
      return 0.3; // looks like JSON but is not (yet): a truncated message, say
    }
  },
  decode(frame, out, memo) {
    const t = text(frame);
    if (t === null) return { ok: false, reason: 'not valid UTF-8' };
    if (out.recordJson) {
      const fast = decodeFlatObject(t, frame, out as FastOutput, memo);
      if (fast) return fast;
    }
    let value: unknown;
    try {
      value = JSON.parse(t);
    } catch (error) {
      return { ok: false, reason: `invalid JSON: ${(error as Error).message}` };
    }
    if (value === null || typeof value !== 'object')
      return { ok: false, reason: 'JSON is not an object or array' };
    let ts = frame.rx;
    let tsField: string | undefined;
    let implausibleTime: unknown;
    if (!Array.isArray(value)) {
      const names = typeof memo['timestampField'] === 'string' ? [memo['timestampField']] : TIMESTAMP_FIELDS;
      for (const name of names) {
        if (Object.hasOwn(value, name)) {
          const raw = (value as Record<string, unknown>)[name];
          const t = deviceTime(raw, frame.rx, memo, out);
          tsField = name;
          if (t && !t.implausible) ts = t.ms;
          // Implausible: the data gets receive time and the device's time stays in the record.
          else if (t) implausibleTime = raw;
          break;
        }
      }
    }
    const flat: Flattened = { numbers: [], others: {}, hasOthers: false, leaves: 0, tooDeep: false };
    if (Array.isArray(value)) flatten(value, '', flat, 1);
    else for (const [k, v] of Object.entries(value)) if (k !== tsField) flatten(v, escapeKey(k), flat, 2);
    if (flat.tooDeep) return { ok: false, reason: `JSON nested deeper than ${MAX_NESTING_DEPTH} levels` };
    if (flat.leaves > MAX_VALUES_PER_FRAME)
      return { ok: false, reason: `more than ${MAX_VALUES_PER_FRAME} JSON values in one message` };
    if (flat.numbers.length === 0 && !flat.hasOthers) return { ok: false, reason: 'JSON holds no values' };
    if (implausibleTime !== undefined) {
      setField(flat.others, tsField!, implausibleTime);
      flat.hasOthers = true;
    }
    for (const [path, n] of flat.numbers) out.sample(path, n, ts);
    if (flat.hasOthers) out.record('info', frame.key, flat.others, ts);
    return { ok: true };
  },
};

/** What JavaScript's `\s` matches. */
function isSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x20 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}
const isLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
const isKeyCharacter = (c: number) =>
  isLetter(c) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x2f;
const isLineTerminator = (c: number) => c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;

interface KeyValuePair {
  key: string;
  /** The value as written: a quoted string with its quotes, or a bare token. */
  raw: string;
  quoted: boolean;
  /** Characters the pair covers, from the key to the end of the value. */
  length: number;
}

/**
 * The pairs the pattern `([A-Za-z_][\w.\-/]*)\s*[=:]\s*("(?:[^"\\]|\\.)*"|[^\s,;]+)` finds, left to
 * right, in one pass. As a regular expression it retried every position of a run of key
 * characters and rescanned the run each time: quadratic on a long word with no `=`. A key always
 * runs to the end of its run of key characters, so when one start fails every later start in the
 * run fails too, and the scan moves past the run.
 */
/** Whether `pairs` cover at least 80 % of `t` (separators aside): a line of pairs, not prose with a colon. */
export function mostlyPairs(t: string, pairs: readonly KeyValuePair[]): boolean {
  if (pairs.length === 0) return false;
  const covered = pairs.reduce((n, pair) => n + pair.length, 0);
  return covered / t.replace(/[\s,;]/g, '').length >= 0.8;
}

export function keyValuePairs(t: string): KeyValuePair[] {
  const pairs: KeyValuePair[] = [];
  const n = t.length;
  let p = 0;
  while (p < n) {
    let start = p;
    while (start < n && !isLetter(t.charCodeAt(start))) start++;
    if (start >= n) break;
    let keyEnd = start + 1;
    while (keyEnd < n && isKeyCharacter(t.charCodeAt(keyEnd))) keyEnd++;
    p = keyEnd; // where the scan goes on when this is not a pair
    let q = keyEnd;
    while (q < n && isSpace(t.charCodeAt(q))) q++;
    if (q >= n || (t[q] !== '=' && t[q] !== ':')) continue;
    q++;
    while (q < n && isSpace(t.charCodeAt(q))) q++;
    let end = -1;
    let quoted = false;
    if (t[q] === '"') {
      for (let i = q + 1; i < n; i++) {
        const c = t.charCodeAt(i);
        if (c === 0x22) {
          end = i + 1;
          quoted = true;
          break;
        }
        if (c === 0x5c) {
          if (i + 1 >= n || isLineTerminator(t.charCodeAt(i + 1))) break;
          i++;
        }
      }
    }
    if (end < 0) {
      // Unquoted, or a quote that does not close: a bare token up to a space, comma or semicolon.
      end = q;
      while (end < n && !isSpace(t.charCodeAt(end)) && t[end] !== ',' && t[end] !== ';') end++;
      if (end === q) continue;
    }
    pairs.push({ key: t.slice(start, keyEnd), raw: t.slice(q, end), quoted, length: end - start });
    p = end;
  }
  return pairs;
}

/**
 * `key=value` (and the Arduino plotter's `label:value`) pairs separated by spaces, commas or
 * semicolons. Numbers become channels; other values become fields of one record.
 */
export const keyValueDecoder: Decoder = {
  name: 'kv',
  detect(bytes) {
    const t = decodeUtf8(bytes)?.trim();
    if (!t) return 0;
    // Claim only lines that are mostly pairs: "pump: ERROR overcurrent" is a log line, not kv.
    return mostlyPairs(t, keyValuePairs(t)) ? 0.8 : 0;
  },
  decode(frame, out, memo) {
    const t = text(frame);
    if (t === null) return { ok: false, reason: 'not valid UTF-8' };
    const pairs = keyValuePairs(t.trim());
    if (pairs.length === 0) return { ok: false, reason: 'no key=value pairs' };
    if (pairs.length > MAX_VALUES_PER_FRAME)
      return { ok: false, reason: `more than ${MAX_VALUES_PER_FRAME} key=value pairs in one line` };
    let ts = frame.rx;
    const numbers: [string, number][] = [];
    const others: Record<string, unknown> = {};
    let hasOthers = false;
    for (const { key, raw, quoted } of pairs) {
      const value = quoted ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
      if (TIMESTAMP_FIELDS.includes(key)) {
        const time = deviceTime(value, frame.rx, memo, out);
        if (time && !time.implausible) ts = time.ms;
        // Implausible: the data gets receive time and the device's time stays in the record.
        if (time?.implausible) {
          setField(others, key, value);
          hasOthers = true;
        }
        continue;
      }
      const n = quoted ? null : parseNumber(value);
      if (n !== null) numbers.push([escapeKey(key), n]);
      else {
        setField(others, key, value);
        hasOthers = true;
      }
    }
    if (numbers.length === 0 && !hasOthers) return { ok: false, reason: 'only a timestamp, no values' };
    for (const [path, n] of numbers) out.sample(path, n, ts);
    if (hasOthers) out.record('info', frame.key, others, ts);
    return { ok: true };
  },
};

interface Cell {
  text: string;
  quoted: boolean;
}

/**
 * One CSV/TSV line's cells, split at `delimiter` outside double quotes (`""` is a quote inside
 * them), in one pass; unquoted cells trimmed. A reason when a quote does not close.
 */
export function splitCells(t: string, delimiter: string): Cell[] | string {
  const cells: Cell[] = [];
  let i = 0;
  for (;;) {
    let p = i;
    while (p < t.length && t[p] === ' ') p++;
    if (t[p] === '"') {
      let text = '';
      let from = p + 1;
      let q = from;
      for (;;) {
        if (q >= t.length) return `quote at column ${p + 1} does not close`;
        if (t[q] === '"') {
          if (t[q + 1] === '"') {
            text += t.slice(from, q + 1);
            from = q += 2;
            continue;
          }
          break;
        }
        q++;
      }
      text += t.slice(from, q);
      let after = q + 1;
      while (after < t.length && t[after] === ' ') after++;
      if (after < t.length && t[after] !== delimiter)
        return `text after the closing quote at column ${q + 1}`;
      cells.push({ text, quoted: true });
      if (after >= t.length) return cells;
      i = after + 1;
    } else {
      const next = t.indexOf(delimiter, i);
      const end = next < 0 ? t.length : next;
      cells.push({ text: t.slice(i, end).trim(), quoted: false });
      if (next < 0) return cells;
      i = next + 1;
    }
    if (cells.length > MAX_VALUES_PER_FRAME) return cells;
  }
}

/** The memo's delimiter (learned with the header), else a tab when the line has tabs and no commas. */
function delimiterOf(t: string, memo: Record<string, unknown>): string {
  if (typeof memo['delimiter'] === 'string' && memo['delimiter'].length === 1) return memo['delimiter'];
  return t.includes('\t') && !t.includes(',') ? '\t' : ',';
}

const NAME_LIKE = /^[\w .\-/()%°@]+$/;

/** Header columns a log CSV names its time, message and level by (any case). */
const CSV_TIME_COLUMNS = new Set([
  ...TIMESTAMP_FIELDS.map((f) => f.toLowerCase()),
  'date',
  'datetime',
  '@timestamp',
]);
const CSV_MESSAGE_COLUMNS = new Set(['message', 'msg']);
const CSV_LEVEL_COLUMNS = new Set(['level', 'severity', 'loglevel']);
const CSV_LEVELS: Record<string, Severity> = {
  trace: 'debug',
  debug: 'debug',
  info: 'info',
  notice: 'notice',
  warn: 'warning',
  warning: 'warning',
  err: 'error',
  error: 'error',
  crit: 'critical',
  critical: 'critical',
  fatal: 'critical',
};

/**
 * CSV and TSV lines. A line whose cells are all names (no numbers, no times) is the header, kept
 * in `memo` with its delimiter; later lines name their columns by it; without one, columns are
 * `col0`, `col1`, …. Once a data line has followed the header, a line of text with as many columns
 * is data too (a log's rows are often all text); one with another count is a new header.
 * Numbers become channels; text becomes one record's fields, except the columns a log names its
 * time (`ts`, `timestamp`, `time`, `date`, `datetime`, `@timestamp`: written as a time, not a
 * number), message (`message`, `msg`) and level (`level`, `severity`) by, which become the
 * record's event time (when plausible), message and severity.
 */
export const csvDecoder: Decoder = {
  name: 'csv',
  detect(bytes) {
    const t = decodeUtf8(bytes)?.trim();
    if (!t || t.includes('\n')) return 0;
    const cells = splitCells(t, delimiterOf(t, {}));
    if (typeof cells === 'string' || cells.length < 2) return 0;
    const numeric = cells.filter((c) => !c.quoted && parseNumber(c.text) !== null).length;
    return numeric === cells.length
      ? 0.9
      : numeric === 0 && cells.every((c) => NAME_LIKE.test(c.text.trim()))
        ? 0.5
        : 0;
  },
  decode(frame, out, memo) {
    const t = text(frame);
    if (t === null) return { ok: false, reason: 'not valid UTF-8' };
    const line = t.trim();
    const delimiter = delimiterOf(line, memo);
    const cells = splitCells(line, delimiter);
    if (typeof cells === 'string') return { ok: false, reason: cells };
    if (cells.length > MAX_VALUES_PER_FRAME)
      return { ok: false, reason: `CSV line of ${cells.length} columns: more than ${MAX_VALUES_PER_FRAME}` };
    const values = cells.map((c) => (c.quoted ? null : parseNumber(c.text)));
    const header = memo['header'] as string[] | undefined;
    const followed = memo['headerFollowed'] === true;
    if (values.every((v) => v === null)) {
      const names = cells.map((c) => c.text);
      const sameAsHeader = header !== undefined && names.join('\u0000') === header.join('\u0000');
      const dataLike =
        followed && header?.length === names.length
          ? true
          : names.some((n) => deviceTime(n, frame.rx, memo, null) !== null);
      // A repeated header (CSV files joined end to end) is learned again: a new section starts.
      if (sameAsHeader || !dataLike) {
        if (names.some((c) => c === '')) return { ok: false, reason: 'CSV header has an empty column name' };
        memo['header'] = names;
        memo['delimiter'] = delimiter;
        memo['headerFollowed'] = false;
        return { ok: true };
      }
    }
    if (header && header.length !== cells.length)
      return { ok: false, reason: `CSV line has ${cells.length} columns, the header ${header.length}` };
    let ts = frame.rx;
    let message: string = frame.key;
    let severity: Severity = 'info';
    const others: Record<string, unknown> = {};
    let hasOthers = false;
    const numbers: [string, number][] = [];
    cells.forEach((c, i) => {
      const name = header?.[i] ?? `col${i}`;
      const v = values[i];
      if (v !== null && v !== undefined) {
        numbers.push([escapeKey(name), v]);
        return;
      }
      if (c.text === '') return;
      const column = name.toLowerCase();
      if (header && CSV_TIME_COLUMNS.has(column)) {
        const time = deviceTime(c.text, frame.rx, memo, out);
        if (time && !time.implausible) {
          ts = time.ms;
          return;
        }
      } else if (header && CSV_MESSAGE_COLUMNS.has(column)) {
        message = c.text;
        return;
      } else if (header && CSV_LEVEL_COLUMNS.has(column))
        severity = CSV_LEVELS[c.text.toLowerCase()] ?? severity;
      setField(others, name, c.text);
      hasOthers = true;
    });
    if (header) memo['headerFollowed'] = true;
    for (const [path, n] of numbers) out.sample(path, n, ts);
    if (hasOthers || message !== frame.key) out.record(severity, message, others, ts);
    else if (numbers.length === 0) return { ok: false, reason: 'CSV line holds no values' };
    return { ok: true };
  },
};

function hasControlCharacters(t: string): boolean {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return true;
  }
  return false;
}

/** Any valid UTF-8 text: one record, severity guessed from words like "error" or "warning". */
export const textDecoder: Decoder = {
  name: 'text',
  detect(bytes) {
    const t = decodeUtf8(bytes);
    // Control characters other than tab/newline suggest binary that happens to be valid UTF-8.
    return t !== null && t.trim() !== '' && !hasControlCharacters(t) ? 0.1 : 0;
  },
  decode(frame, out) {
    const t = text(frame);
    if (t === null) return { ok: false, reason: 'not valid UTF-8' };
    const message = t.trimEnd(); // not /\s+$/: quadratic on a long run of spaces before a character
    if (message === '') return { ok: false, reason: 'empty message' };
    out.record(guessSeverity(message), message, null, frame.rx);
    return { ok: true };
  },
};
