// Zeek logs. TSV: header lines (`#separator \x09`, `#set_separator`, `#empty_field`,
// `#unset_field`, `#path`, `#fields`, `#types`, `#open`, `#close`) are learned into the key's memo
// and write nothing; data lines are read by them: unset (`-`) values left out, `(empty)` an empty
// string or set, `time` columns (epoch seconds) the event time, counts, ports, intervals and
// doubles numbers, bools booleans, sets and vectors arrays. JSON (`LogAscii::use_json`, or
// json-streaming-logs with `_path`): one object per line, `ts` epoch seconds or ISO 8601.
import type { Severity } from '../../batch';
import {
  decodeUtf8,
  deviceTime,
  MAX_VALUES_PER_FRAME,
  parseNumber,
  setField,
  type Decoder,
} from '../decoder';
import { isString, jsonConfidence, jsonObject, jsonRecord, without, type JsonObject } from './json-event';

/** `\x09` and the like in a header's value, as the characters they name. */
function unescapeHex(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
      out += String.fromCharCode(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else out += s[i];
  }
  return out;
}

const HEADERS = [
  '#separator',
  '#set_separator',
  '#empty_field',
  '#unset_field',
  '#path',
  '#open',
  '#close',
  '#fields',
  '#types',
];

/** The header name a line starts with (followed by a space or tab), or null. */
function headerOf(t: string): string | null {
  if (t[0] !== '#') return null;
  for (const h of HEADERS) if (t.startsWith(h) && (t[h.length] === ' ' || t[h.length] === '\t')) return h;
  return null;
}

const separatorOf = (memo: Record<string, unknown>) =>
  isString(memo['zeekSeparator']) ? memo['zeekSeparator'] : '\t';

/** A header line into the memo; a reason when it is not one Zeek writes. */
function learnHeader(t: string, header: string, memo: Record<string, unknown>): string | null {
  if (header === '#separator') {
    const value = unescapeHex(t.slice(header.length + 1));
    if (value === '') return '#separator is empty';
    memo['zeekSeparator'] = value;
    return null;
  }
  const sep = separatorOf(memo);
  const value = t.slice(header.length + sep.length);
  if (header === '#fields' || header === '#types') {
    const names = value.split(sep);
    if (names.length > MAX_VALUES_PER_FRAME)
      return `${header} names more than ${MAX_VALUES_PER_FRAME} columns`;
    memo[header === '#fields' ? 'zeekFields' : 'zeekTypes'] = names;
  } else if (header === '#set_separator') memo['zeekSetSeparator'] = unescapeHex(value);
  else if (header === '#empty_field') memo['zeekEmpty'] = value;
  else if (header === '#unset_field') memo['zeekUnset'] = value;
  else if (header === '#path') memo['zeekPath'] = value;
  return null;
}

const NUMERIC = new Set(['count', 'int', 'double', 'port', 'interval']);

function typed(value: string, type: string, memo: Record<string, unknown>): unknown {
  if (type.startsWith('set[') || type.startsWith('vector[')) {
    const set = isString(memo['zeekSetSeparator']) ? memo['zeekSetSeparator'] : ',';
    const inner = type.slice(type.indexOf('[') + 1, -1);
    return value === (memo['zeekEmpty'] ?? '(empty)')
      ? []
      : value.split(set).map((v) => typed(v, inner, memo));
  }
  if (NUMERIC.has(type)) return parseNumber(value) ?? value;
  if (type === 'bool') return value === 'T' ? true : value === 'F' ? false : value;
  return value;
}

/** `conn 192.168.2.76:52025 → 208.85.42.28:80 tcp`, or the path alone. */
function summary(path: string, f: Record<string, unknown>): string {
  const oh = f['id.orig_h'];
  const rh = f['id.resp_h'];
  if (oh === undefined || rh === undefined) return path;
  const proto = f['proto'] !== undefined ? ` ${String(f['proto'])}` : '';
  return `${path} ${String(oh)}:${String(f['id.orig_p'] ?? '')} → ${String(rh)}:${String(f['id.resp_p'] ?? '')}${proto}`;
}

/** notice.log and weird.log say something is off; the rest are records of traffic. */
const severityOfPath = (path: string): Severity =>
  path === 'notice' ? 'notice' : path === 'weird' ? 'warning' : 'info';

export const zeekDecoder: Decoder = {
  name: 'zeek',
  detect(bytes) {
    if (bytes[0] !== 0x23) return 0; // '#': data lines cannot be told without the header
    const t = decodeUtf8(bytes);
    const header = t === null ? null : headerOf(t);
    return header === '#separator' ? 0.98 : header ? 0.9 : 0;
  },
  decode(frame, out, memo) {
    const t = decodeUtf8(frame.bytes);
    if (t === null) return { ok: false, reason: 'not valid UTF-8' };
    let end = t.length;
    while (end > 0 && (t[end - 1] === '\n' || t[end - 1] === '\r')) end--;
    const line = t.slice(0, end);
    const header = headerOf(line);
    if (header) {
      const problem = learnHeader(line, header, memo);
      return problem ? { ok: false, reason: problem } : { ok: true };
    }
    const names = memo['zeekFields'];
    if (!Array.isArray(names)) return { ok: false, reason: 'Zeek data line before a #fields header' };
    const values = line.split(separatorOf(memo));
    if (values.length !== names.length)
      return { ok: false, reason: `Zeek line has ${values.length} columns, #fields ${names.length}` };
    const types = Array.isArray(memo['zeekTypes']) ? (memo['zeekTypes'] as string[]) : [];
    const unset = isString(memo['zeekUnset']) ? memo['zeekUnset'] : '-';
    const empty = isString(memo['zeekEmpty']) ? memo['zeekEmpty'] : '(empty)';
    const fields: Record<string, unknown> = {};
    let time: { ms: number; implausible: boolean } | null = null;
    let timeName = '';
    for (let i = 0; i < values.length; i++) {
      const name = String(names[i]);
      const value = values[i]!;
      const type = types[i] ?? (name === 'ts' ? 'time' : 'string');
      if (value === unset) continue;
      if (type === 'time' && time === null && (name === 'ts' || timeName === '')) {
        const n = parseNumber(value);
        time = n === null ? null : deviceTime(n, frame.rx, memo, out);
        if (time && !time.implausible) {
          timeName = name;
          continue;
        }
      }
      setField(fields, name, value === empty && !type.includes('[') ? '' : typed(value, type, memo));
    }
    const path = isString(memo['zeekPath']) ? memo['zeekPath'] : 'zeek';
    fields['path'] = path;
    const ts = time && !time.implausible ? time.ms : frame.rx;
    out.record(severityOfPath(path), summary(path, fields), fields, ts);
    return { ok: true };
  },
};

const fitsZeekJson = (o: JsonObject) =>
  o['ts'] !== undefined && (isString(o['uid']) || isString(o['_path']) || o['id.orig_h'] !== undefined);

export const zeekJsonDecoder: Decoder = {
  name: 'zeek-json',
  detect: (bytes) => jsonConfidence(bytes, fitsZeekJson),
  decode(frame, out, memo) {
    const parsed = jsonObject(frame.bytes);
    if (!parsed.ok) return parsed;
    const o = parsed.value;
    if (!fitsZeekJson(o))
      return { ok: false, reason: 'not a Zeek JSON line (needs ts and uid, _path or id.orig_h)' };
    const path = isString(o['_path']) ? o['_path'] : isString(memo['zeekPath']) ? memo['zeekPath'] : 'zeek';
    const fields = without(o, ['ts']);
    jsonRecord(frame, out, memo, severityOfPath(path), summary(path, fields), fields, 'ts', o['ts']);
    return { ok: true };
  },
};
