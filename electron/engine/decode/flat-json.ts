// A one-pass reader for the commonest JSON log line: one flat object of strings (and booleans and
// nulls), `{"host":"web-1","msg":"GET /"}`. For such a line the json decoder's record fields are
// the object itself, so their JSON text is the line's own text (less the timestamp member): no
// JSON.parse, no object, no JSON.stringify per line. Measured (bench `records`, 200-byte lines of
// 5 string fields, `records.engine` against `records.store_path`, medians of 6 runs on the shared
// machine): decoding took 4.1 µs a line with parse + flatten + stringify, 1.7 µs with this reader
// (UTF-8 decoding and the FrameDecoder's own work included); `records.ratio` went 0.46 → 0.77.
//
// It answers only when the text is exactly what `JSON.stringify` would write of the object the
// slow path builds, and otherwise says no, so the slow path keeps every other case:
// - strings carry only the escapes JSON.stringify writes (`\"`, `\\`, `\b\f\n\r\t`, `\u00xx`
//   lowercase below 0x20); `\/`, `\u0041` or a surrogate pair written as escapes say no;
// - keys have no escape, none of the characters a channel path escapes (`.`, `/`, `[`, `]`), no
//   leading digit (JSON.parse puts array-index keys first), and no key appears twice (the last
//   would win, at the first one's place);
// - values are strings, numbers, `true`, `false` or `null`; the caller makes the numbers samples
//   (and takes the timestamp out), and the record's fields are the other members' text;
// - whitespace between tokens is allowed: the caller then rebuilds the text from the members.

/** Member offsets of the last object read (reused: no allocation per line). */
export interface FlatMembers {
  /** Members read. */
  n: number;
  /** The key's opening quote, the character after its closing quote. */
  keyStart: Int32Array;
  keyEnd: Int32Array;
  /** The value's first character, the character after its last. */
  valueStart: Int32Array;
  valueEnd: Int32Array;
  /** The value is a JSON number. */
  numeric: Uint8Array;
  /** The value is a string holding an escape. */
  escaped: Uint8Array;
  /** The object's `{` and the character after its `}`. */
  objectStart: number;
  objectEnd: number;
  /** Whitespace between the object's tokens: its text is not compact. */
  spaced: boolean;
}

/** Above this many members the slow path answers (and enforces MAX_VALUES_PER_FRAME). */
const MAX_MEMBERS = 256;
/** Up to this many members, duplicate keys are found by comparing pairs; above, with a Set. */
const PAIRWISE_MAX = 16;

export function flatMembers(): FlatMembers {
  return {
    n: 0,
    keyStart: new Int32Array(MAX_MEMBERS),
    keyEnd: new Int32Array(MAX_MEMBERS),
    valueStart: new Int32Array(MAX_MEMBERS),
    valueEnd: new Int32Array(MAX_MEMBERS),
    numeric: new Uint8Array(MAX_MEMBERS),
    escaped: new Uint8Array(MAX_MEMBERS),
    objectStart: 0,
    objectEnd: 0,
    spaced: false,
  };
}

const isJsonSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isLowerHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66);

/**
 * The end (after the closing quote) of the string opening at `p`, when every escape in it is one
 * JSON.stringify writes; -1 otherwise (or when it is not valid JSON). Sets `hasEscape`.
 */
function stringEnd(t: string, p: number, key: boolean, flags: { hasEscape: boolean }): number {
  flags.hasEscape = false;
  for (let i = p + 1; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -1; // invalid JSON: the slow path says so
    if (c === 0x5c) {
      if (key) return -1;
      flags.hasEscape = true;
      const e = t.charCodeAt(i + 1);
      if (e === 0x22 || e === 0x5c || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i++;
        continue;
      }
      // JSON.stringify writes \u00xx only for control characters it has no short escape for.
      if (
        e === 0x75 &&
        t.charCodeAt(i + 2) === 0x30 &&
        t.charCodeAt(i + 3) === 0x30 &&
        (t.charCodeAt(i + 4) === 0x30 || t.charCodeAt(i + 4) === 0x31) &&
        isLowerHex(t.charCodeAt(i + 5))
      ) {
        const code = parseInt(t.slice(i + 4, i + 6), 16);
        if (code !== 0x08 && code !== 0x09 && code !== 0x0a && code !== 0x0c && code !== 0x0d) {
          i += 5;
          continue;
        }
      }
      return -1;
    }
    if (key && (c === 0x2e || c === 0x2f || c === 0x5b || c === 0x5d)) return -1;
  }
  return -1;
}

/** The end of the JSON number starting at `p`, or -1 when there is none. */
function numberEnd(t: string, p: number): number {
  let i = p;
  if (t.charCodeAt(i) === 0x2d) i++;
  if (t.charCodeAt(i) === 0x30) i++;
  else if (isDigit(t.charCodeAt(i)) && t.charCodeAt(i) !== 0x30) while (isDigit(t.charCodeAt(i))) i++;
  else return -1;
  if (t.charCodeAt(i) === 0x2e) {
    if (!isDigit(t.charCodeAt(++i))) return -1;
    while (isDigit(t.charCodeAt(i))) i++;
  }
  if (t.charCodeAt(i) === 0x65 || t.charCodeAt(i) === 0x45) {
    i++;
    if (t.charCodeAt(i) === 0x2b || t.charCodeAt(i) === 0x2d) i++;
    if (!isDigit(t.charCodeAt(i))) return -1;
    while (isDigit(t.charCodeAt(i))) i++;
  }
  return i;
}

function literalEnd(t: string, p: number): number {
  for (const word of ['true', 'false', 'null']) if (t.startsWith(word, p)) return p + word.length;
  return -1;
}

const flags = { hasEscape: false };

/** Whether keys `a` and `b` (offsets into `t`, quotes included) are the same text. */
function sameKey(t: string, m: FlatMembers, a: number, b: number): boolean {
  const length = m.keyEnd[a]! - m.keyStart[a]!;
  if (length !== m.keyEnd[b]! - m.keyStart[b]!) return false;
  const pa = m.keyStart[a]!;
  const pb = m.keyStart[b]!;
  for (let i = 1; i < length - 1; i++) if (t.charCodeAt(pa + i) !== t.charCodeAt(pb + i)) return false;
  return true;
}

function hasDuplicateKey(t: string, m: FlatMembers): boolean {
  if (m.n <= PAIRWISE_MAX) {
    for (let a = 1; a < m.n; a++) for (let b = 0; b < a; b++) if (sameKey(t, m, a, b)) return true;
    return false;
  }
  const seen = new Set<string>();
  for (let a = 0; a < m.n; a++) seen.add(t.slice(m.keyStart[a]!, m.keyEnd[a]!));
  return seen.size !== m.n;
}

/**
 * Reads `t` as one flat object into `m` (see the rules above), or answers false and the caller
 * takes the slow path. At least one member; leading and trailing whitespace allowed.
 */
export function readFlatObject(t: string, m: FlatMembers): boolean {
  let p = 0;
  const n = t.length;
  while (p < n && isJsonSpace(t.charCodeAt(p))) p++;
  if (t.charCodeAt(p) !== 0x7b) return false;
  m.objectStart = p++;
  m.n = 0;
  m.spaced = false;
  for (;;) {
    if (isJsonSpace(t.charCodeAt(p))) {
      m.spaced = true;
      while (isJsonSpace(t.charCodeAt(p))) p++;
    }
    if (t.charCodeAt(p) !== 0x22 || m.n === MAX_MEMBERS) return false;
    const first = t.charCodeAt(p + 1);
    // A possible array index (JSON.parse orders those first), or "" (the slow path names it `value`).
    if (isDigit(first) || first === 0x22) return false;
    const keyEnd = stringEnd(t, p, true, flags);
    if (keyEnd < 0) return false;
    const k = m.n;
    m.keyStart[k] = p;
    m.keyEnd[k] = keyEnd;
    p = keyEnd;
    if (isJsonSpace(t.charCodeAt(p))) {
      m.spaced = true;
      while (isJsonSpace(t.charCodeAt(p))) p++;
    }
    if (t.charCodeAt(p++) !== 0x3a) return false;
    if (isJsonSpace(t.charCodeAt(p))) {
      m.spaced = true;
      while (isJsonSpace(t.charCodeAt(p))) p++;
    }
    const c = t.charCodeAt(p);
    let end: number;
    m.numeric[k] = 0;
    m.escaped[k] = 0;
    if (c === 0x22) {
      end = stringEnd(t, p, false, flags);
      m.escaped[k] = flags.hasEscape ? 1 : 0;
    } else if (c === 0x2d || isDigit(c)) {
      end = numberEnd(t, p);
      m.numeric[k] = 1;
    } else end = literalEnd(t, p);
    if (end < 0) return false;
    m.valueStart[k] = p;
    m.valueEnd[k] = end;
    m.n = k + 1;
    p = end;
    if (isJsonSpace(t.charCodeAt(p))) {
      m.spaced = true;
      while (isJsonSpace(t.charCodeAt(p))) p++;
    }
    const next = t.charCodeAt(p++);
    if (next === 0x7d) break;
    if (next !== 0x2c) return false;
  }
  m.objectEnd = p;
  while (p < n && isJsonSpace(t.charCodeAt(p))) p++;
  return p === n && !hasDuplicateKey(t, m);
}

/** 10^0 … 10^22: every one exact as a double. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * The numeric member `k`'s value, as `Number` reads its text. Without an exponent and with at most
 * 15 digits, the digits make an exact integer and one division by an exact power of ten rounds
 * once, as `Number` does (Clinger's fast path): no string per number. Otherwise `Number` itself.
 * (bench `kafka`: `Number(t.slice(…))` was the decoder's hottest line.)
 */
export function memberNumber(t: string, m: FlatMembers, k: number): number {
  const start = m.valueStart[k]!;
  const end = m.valueEnd[k]!;
  let i = start;
  const negative = t.charCodeAt(i) === 0x2d;
  if (negative) i++;
  let digits = 0;
  let mantissa = 0;
  let scale = 0;
  let fraction = false;
  for (; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c === 0x2e) {
      fraction = true;
      continue;
    }
    if (c < 0x30 || c > 0x39 || ++digits > 15) return Number(t.slice(start, end));
    mantissa = mantissa * 10 + (c - 0x30);
    if (fraction) scale++;
  }
  const value = mantissa / POWERS_OF_TEN[scale]!;
  return negative ? -value : value;
}

/** Index of the member whose key is `name`, or -1. */
export function memberNamed(t: string, m: FlatMembers, name: string): number {
  for (let k = 0; k < m.n; k++)
    if (m.keyEnd[k]! - m.keyStart[k]! === name.length + 2 && t.startsWith(name, m.keyStart[k]! + 1)) return k;
  return -1;
}

/** The value of member `k` (a string, number, boolean or null), as JSON.parse gives it. */
export function memberValue(t: string, m: FlatMembers, k: number): unknown {
  const start = m.valueStart[k]!;
  const end = m.valueEnd[k]!;
  if (t.charCodeAt(start) === 0x22 && !m.escaped[k]) return t.slice(start + 1, end - 1);
  return JSON.parse(t.slice(start, end)) as unknown;
}

/**
 * The JSON text of the object without member `skip` (-1: none) and, with `withoutNumbers`, without
 * its numeric members, as JSON.stringify writes it, followed by `extra` (`,"key":value`, or '')
 * before the closing brace; `lead` (members, no braces, or '') comes first.
 */
export function membersJson(
  t: string,
  m: FlatMembers,
  skip: number,
  extra: string,
  withoutNumbers = false,
  lead = '',
): string {
  const plain = lead === '' && extra === '';
  if (!m.spaced && !withoutNumbers && skip < 0 && plain) return t.slice(m.objectStart, m.objectEnd);
  if (!m.spaced && !withoutNumbers && plain) {
    // Cut the member and one comma out of the compact text.
    if (skip < m.n - 1)
      return t.slice(m.objectStart, m.keyStart[skip]) + t.slice(m.keyStart[skip + 1], m.objectEnd);
    return t.slice(m.objectStart, m.valueEnd[skip - 1]) + '}';
  }
  let out = `{${lead}`;
  if (!m.spaced) {
    // Compact text: each run of members kept is one slice of it (no string per key and value).
    for (let k = 0; k < m.n;) {
      if (k === skip || (withoutNumbers && m.numeric[k])) {
        k++;
        continue;
      }
      let last = k;
      while (last + 1 < m.n && last + 1 !== skip && !(withoutNumbers && m.numeric[last + 1])) last++;
      if (out.length > 1) out += ',';
      out += t.slice(m.keyStart[k], m.valueEnd[last]);
      k = last + 1;
    }
  } else
    for (let k = 0; k < m.n; k++) {
      if (k === skip || (withoutNumbers && m.numeric[k])) continue;
      if (out.length > 1) out += ',';
      out += t.slice(m.keyStart[k], m.keyEnd[k]) + ':' + t.slice(m.valueStart[k], m.valueEnd[k]);
    }
  // `extra` begins with its comma: none when it is the only member left (numbers taken out).
  if (extra !== '') out += out.length > 1 ? extra : extra.slice(1);
  return `${out}}`;
}
