// The text payload formats every source shares: a plain number, JSON, CSV lines, key=value pairs,
// and plain text as a record. Binary and protocol-specific formats live beside their sources.
import {
  decodeUtf8,
  escapeKey,
  guessSeverity,
  parseNumber,
  plausibleTimestamp,
  type Decoder,
  type Frame,
} from './decoder';

const MAX_JSON_LEAVES = 10_000;
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

interface Flattened {
  numbers: [string, number][];
  others: Record<string, unknown>;
  leaves: number;
}

function flatten(value: unknown, path: string, into: Flattened): void {
  if (++into.leaves > MAX_JSON_LEAVES) return;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) into.numbers.push([path, value]);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(v, `${path}[${i}]`, into));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value))
      flatten(v, path ? `${path}.${escapeKey(k)}` : escapeKey(k), into);
  } else {
    into.others[path || 'value'] = value;
  }
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
    if (!Array.isArray(value)) {
      const names = typeof memo['timestampField'] === 'string' ? [memo['timestampField']] : TIMESTAMP_FIELDS;
      for (const name of names) {
        if (name in value) {
          tsField = name;
          ts = plausibleTimestamp((value as Record<string, unknown>)[name], frame.rx) ?? frame.rx;
          break;
        }
      }
    }
    const flat: Flattened = { numbers: [], others: {}, leaves: 0 };
    if (Array.isArray(value)) flatten(value, '', flat);
    else for (const [k, v] of Object.entries(value)) if (k !== tsField) flatten(v, escapeKey(k), flat);
    if (flat.leaves > MAX_JSON_LEAVES)
      return { ok: false, reason: `more than ${MAX_JSON_LEAVES} JSON values in one message` };
    if (flat.numbers.length === 0 && Object.keys(flat.others).length === 0)
      return { ok: false, reason: 'JSON holds no values' };
    for (const [path, n] of flat.numbers) out.sample(path, n, ts);
    if (Object.keys(flat.others).length > 0) out.record('info', frame.key, flat.others, ts);
    return { ok: true };
  },
};

const KV_PAIR = /([A-Za-z_][\w.\-/]*)\s*[=:]\s*("(?:[^"\\]|\\.)*"|[^\s,;]+)/g;

/**
 * `key=value` (and the Arduino plotter's `label:value`) pairs separated by spaces, commas or
 * semicolons. Numbers become channels; other values become fields of one record.
 */
export const keyValueDecoder: Decoder = {
  name: 'kv',
  detect(bytes) {
    const t = decodeUtf8(bytes)?.trim();
    if (!t) return 0;
    const pairs = [...t.matchAll(KV_PAIR)];
    if (pairs.length === 0) return 0;
    const covered = pairs.reduce((n, m) => n + m[0].length, 0);
    // Claim only lines that are mostly pairs: "pump: ERROR overcurrent" is a log line, not kv.
    return covered / t.replace(/[\s,;]/g, '').length >= 0.8 ? 0.8 : 0;
  },
  decode(frame, out) {
    const t = text(frame);
    if (t === null) return { ok: false, reason: 'not valid UTF-8' };
    const pairs = [...t.trim().matchAll(KV_PAIR)];
    if (pairs.length === 0) return { ok: false, reason: 'no key=value pairs' };
    let ts = frame.rx;
    const numbers: [string, number][] = [];
    const others: Record<string, unknown> = {};
    for (const [, key, raw] of pairs) {
      const value = raw!.startsWith('"') ? raw!.slice(1, -1).replace(/\\(.)/g, '$1') : raw!;
      if (TIMESTAMP_FIELDS.includes(key!)) {
        ts = plausibleTimestamp(value, frame.rx) ?? frame.rx;
        continue;
      }
      const n = raw!.startsWith('"') ? null : parseNumber(value);
      if (n !== null) numbers.push([escapeKey(key!), n]);
      else others[key!] = value;
    }
    for (const [path, n] of numbers) out.sample(path, n, ts);
    if (Object.keys(others).length > 0) out.record('info', frame.key, others, ts);
    return { ok: true };
  },
};

/**
 * CSV lines of numbers. A first line that is not all numbers is taken as the header (kept in
 * `memo`), and later lines name their channels by it; without one, columns are `col0`, `col1`, ….
 */
export const csvDecoder: Decoder = {
  name: 'csv',
  detect(bytes) {
    const t = decodeUtf8(bytes)?.trim();
    if (!t || t.includes('\n')) return 0;
    const cells = t.split(',');
    if (cells.length < 2) return 0;
    const numeric = cells.filter((c) => parseNumber(c) !== null).length;
    return numeric === cells.length
      ? 0.9
      : numeric === 0 && cells.every((c) => /^\s*[\w .\-/()%°]+\s*$/.test(c))
        ? 0.5
        : 0;
  },
  decode(frame, out, memo) {
    const t = text(frame);
    if (t === null) return { ok: false, reason: 'not valid UTF-8' };
    const cells = t
      .trim()
      .split(',')
      .map((c) => c.trim());
    const values = cells.map(parseNumber);
    if (values.every((v) => v === null)) {
      if (cells.some((c) => c === '')) return { ok: false, reason: 'CSV header has an empty column name' };
      memo['header'] = cells;
      return { ok: true };
    }
    const header = memo['header'] as string[] | undefined;
    if (header && header.length !== cells.length)
      return { ok: false, reason: `CSV line has ${cells.length} columns, the header ${header.length}` };
    values.forEach((v, i) => {
      if (v !== null) out.sample(escapeKey(header?.[i] ?? `col${i}`), v, frame.rx);
    });
    const others = Object.fromEntries(
      cells.flatMap((c, i) => (values[i] === null && c !== '' ? [[header?.[i] ?? `col${i}`, c]] : [])),
    );
    if (Object.keys(others).length > 0) out.record('info', frame.key, others, frame.rx);
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
    const message = t.replace(/\s+$/, '');
    if (message === '') return { ok: false, reason: 'empty message' };
    out.record(guessSeverity(message), message, null, frame.rx);
    return { ok: true };
  },
};
