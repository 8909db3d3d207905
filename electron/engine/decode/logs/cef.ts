// ArcSight CEF (`CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|k=v k=v …`) and IBM QRadar
// LEEF (`LEEF:1.0|Vendor|Product|Version|EventID|k=v<TAB>k=v…`; LEEF 2.0 names its delimiter in a
// sixth header field), alone on a line or as the message of a syslog line (syslog.ts hands the
// body here). Read by index in one pass: header pipes (`\|` escaped), then the extension.
//
// Fields: the header as deviceVendor, deviceProduct, deviceVersion, signatureId (LEEF: eventId),
// then every extension key as written. The record's message is CEF's Name (LEEF: the event ID);
// severity from CEF's Severity or LEEF's `sev` (0–3 info, 4–6 warning, 7–8 error, 9–10 critical).
// Event time from CEF `rt` (or `end`, `start`) or LEEF `devTime` when present and plausible.
import type { Severity } from '../../batch';
import { decodeUtf8, judgeTime, MAX_VALUES_PER_FRAME, setField, type Decoder } from '../decoder';
import { timeValue } from './time';

/** What a CEF or LEEF body says, before it is placed in time. */
export interface SecurityEvent {
  severity: Severity;
  message: string;
  fields: Record<string, unknown>;
  /** The time field's value as written, when there is one. */
  timeText: string | null;
  /** The name of the field `timeText` came from. */
  timeField: string | null;
}

export type SecurityParse = { ok: true; event: SecurityEvent } | { ok: false; reason: string };

/** CEF's 0–10 (or Low/Medium/High/Very-High) and LEEF's 1–10, as ours. */
export function severityOfTen(raw: string): Severity {
  const n = Number(raw);
  if (raw.trim() !== '' && Number.isFinite(n)) {
    if (n >= 9) return 'critical';
    if (n >= 7) return 'error';
    if (n >= 4) return 'warning';
    return 'info';
  }
  switch (raw.trim().toLowerCase()) {
    case 'very-high':
      return 'critical';
    case 'high':
      return 'error';
    case 'medium':
      return 'warning';
    default:
      return 'info';
  }
}

/** Up to `count` header fields split at unescaped pipes from `from`; with the index after the last pipe. */
function headerFields(t: string, from: number, count: number): { parts: string[]; end: number } | null {
  const parts: string[] = [];
  let piece = '';
  let start = from;
  for (let i = from; i < t.length; i++) {
    const c = t[i];
    if (c === '\\' && (t[i + 1] === '|' || t[i + 1] === '\\')) {
      piece += t.slice(start, i);
      start = i + 1;
      i++;
    } else if (c === '|') {
      parts.push(piece + t.slice(start, i));
      piece = '';
      start = i + 1;
      if (parts.length === count) return { parts, end: i + 1 };
    }
  }
  return null;
}

const isCefKeyChar = (c: number) =>
  (c >= 0x30 && c <= 0x39) ||
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0x61 && c <= 0x7a) ||
  c === 0x5f ||
  c === 0x2e ||
  c === 0x2d ||
  c === 0x5b ||
  c === 0x5d;

function unescapeCefValue(v: string): string {
  if (!v.includes('\\')) return v;
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '\\' && i + 1 < v.length) {
      const n = v[++i];
      out += n === 'n' ? '\n' : n === 'r' ? '\r' : n;
    } else out += c;
  }
  return out;
}

/**
 * CEF's extension: `key=value` pairs where a value runs to the space before the next `key=`
 * (values hold spaces; `\=` is a literal `=`). Each `=` looks back only as far as the previous
 * one, so the scan is linear. Returns a reason when a pair limit is passed.
 */
function cefExtension(t: string, from: number, fields: Record<string, unknown>): string | null {
  let key: string | null = null;
  let valueStart = from;
  let count = 0;
  const put = (k: string, end: number) => {
    setField(fields, k, unescapeCefValue(t.slice(valueStart, end).trim()));
    count++;
  };
  for (let i = from; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 0x5c) {
      i++;
      continue;
    }
    if (c !== 0x3d) continue;
    let k = i;
    while (k > valueStart && isCefKeyChar(t.charCodeAt(k - 1))) k--;
    // A key starts the extension or follows a space; otherwise the `=` belongs to the value.
    if (k === i || (k > from && t.charCodeAt(k - 1) !== 0x20)) continue;
    if (key !== null) put(key, k);
    else if (t.slice(from, k).trim() !== '') setField(fields, 'extension', t.slice(from, k).trim());
    if (count >= MAX_VALUES_PER_FRAME) return `more than ${MAX_VALUES_PER_FRAME} CEF extension pairs`;
    key = t.slice(k, i);
    valueStart = i + 1;
  }
  if (key !== null) put(key, t.length);
  else if (t.slice(from).trim() !== '') setField(fields, 'extension', t.slice(from).trim());
  return null;
}

const CEF_TIME_FIELDS = ['rt', 'end', 'start'];

/** A CEF body (`CEF:…`, anywhere a syslog header left it). */
export function parseCef(t: string): SecurityParse {
  if (!t.startsWith('CEF:')) return { ok: false, reason: 'does not start with "CEF:"' };
  const header = headerFields(t, 4, 7);
  if (!header) return { ok: false, reason: 'CEF header has fewer than 7 "|" separated fields' };
  const [version, vendor, product, deviceVersion, signatureId, name, severity] = header.parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const fields: Record<string, unknown> = {
    cefVersion: version,
    deviceVendor: vendor,
    deviceProduct: product,
    deviceVersion,
    signatureId,
    severity,
  };
  const problem = cefExtension(t, header.end, fields);
  if (problem) return { ok: false, reason: problem };
  let timeField: string | null = null;
  for (const f of CEF_TIME_FIELDS)
    if (typeof fields[f] === 'string') {
      timeField = f;
      break;
    }
  return {
    ok: true,
    event: {
      severity: severityOfTen(severity),
      message: name,
      fields,
      timeText: timeField ? (fields[timeField] as string) : null,
      timeField,
    },
  };
}

/** LEEF 2.0's delimiter field: one character, or its code as `x09`/`0x09`; null when it is not one. */
function leefDelimiter(field: string): string | null {
  if (field.length === 1) return field;
  const hex = field.startsWith('0x') ? field.slice(2) : field.startsWith('x') ? field.slice(1) : '';
  if (hex.length >= 1 && hex.length <= 4 && /^[0-9a-fA-F]+$/.test(hex))
    return String.fromCharCode(parseInt(hex, 16));
  return null;
}

/** A LEEF 1.0 or 2.0 body. */
export function parseLeef(t: string): SecurityParse {
  if (!t.startsWith('LEEF:')) return { ok: false, reason: 'does not start with "LEEF:"' };
  const header = headerFields(t, 5, 5);
  if (!header) return { ok: false, reason: 'LEEF header has fewer than 5 "|" separated fields' };
  const [version, vendor, product, deviceVersion, eventId] = header.parts as [
    string,
    string,
    string,
    string,
    string,
  ];
  let from = header.end;
  let delimiter = '\t';
  if (version.startsWith('2')) {
    const bar = t.indexOf('|', from);
    const candidate = bar >= 0 ? leefDelimiter(t.slice(from, bar)) : null;
    if (candidate !== null) {
      delimiter = candidate;
      from = bar + 1;
    }
  }
  const fields: Record<string, unknown> = {
    leefVersion: version,
    deviceVendor: vendor,
    deviceProduct: product,
    deviceVersion,
    eventId,
  };
  const unparsed: string[] = [];
  let count = 0;
  let start = from;
  for (let i = from; i <= t.length; i++) {
    if (i < t.length && t[i] !== delimiter) continue;
    const piece = t.slice(start, i);
    start = i + 1;
    if (piece.trim() === '') continue;
    const eq = piece.indexOf('=');
    if (eq <= 0) unparsed.push(piece);
    else setField(fields, piece.slice(0, eq), piece.slice(eq + 1));
    if (++count > MAX_VALUES_PER_FRAME)
      return { ok: false, reason: `more than ${MAX_VALUES_PER_FRAME} LEEF attributes` };
  }
  if (unparsed.length) fields['unparsed'] = unparsed.join(delimiter);
  const sev = typeof fields['sev'] === 'string' ? fields['sev'] : '';
  const devTime = typeof fields['devTime'] === 'string' ? fields['devTime'] : null;
  return {
    ok: true,
    event: {
      severity: severityOfTen(sev),
      message: eventId,
      fields,
      timeText: devTime,
      timeField: devTime === null ? null : 'devTime',
    },
  };
}

/** The CEF or LEEF event a syslog message (or a line) holds, or null when it holds neither. */
export function parseSecurityEvent(t: string): SecurityParse | null {
  if (t.startsWith('CEF:')) return parseCef(t);
  if (t.startsWith('LEEF:')) return parseLeef(t);
  return null;
}

/**
 * The event time of a CEF/LEEF event when its time field is there and believed; null otherwise
 * (the caller's time stands: the syslog header's, or receive time).
 */
export function securityEventTime(
  event: SecurityEvent,
  rx: number,
  memo: Record<string, unknown>,
  out: Parameters<Decoder['decode']>[1],
): number | null {
  if (event.timeText === null) return null;
  const time = timeValue(event.timeText, memo, rx);
  if (!time) return null;
  const judged = judgeTime(time.ms, rx, memo, out);
  return judged && !judged.implausible ? judged.ms : null;
}

function securityDecoder(name: 'cef' | 'leef', prefix: string, parse: (t: string) => SecurityParse): Decoder {
  return {
    name,
    detect(bytes) {
      // The prefix is ASCII: compare bytes before decoding anything.
      for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix.charCodeAt(i)) return 0;
      const t = decodeUtf8(bytes);
      return t !== null && parse(t).ok ? 0.95 : 0.3;
    },
    decode(frame, out, memo) {
      const t = decodeUtf8(frame.bytes);
      if (t === null) return { ok: false, reason: 'not valid UTF-8' };
      const parsed = parse(t.trimEnd());
      if (!parsed.ok) return parsed;
      const { event } = parsed;
      const ts = securityEventTime(event, frame.rx, memo, out) ?? frame.rx;
      out.record(event.severity, event.message, event.fields, ts);
      return { ok: true };
    },
  };
}

export const cefDecoder = securityDecoder('cef', 'CEF:', parseCef);
export const leefDecoder = securityDecoder('leef', 'LEEF:', parseLeef);
