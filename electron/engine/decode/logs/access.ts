// Apache and nginx access logs: common (`%h %l %u %t "%r" %>s %b`), combined (+ `"%{Referer}i"
// "%{User-agent}i"`), nginx's main (+ `"$http_x_forwarded_for"`), vhost_combined (a leading
// `vhost:port`), and an X-Forwarded-For chain in the client field (`10.0.0.2, 10.0.0.1 - - […]`).
// Read by index in one pass.
//
// Fields: client, vhost, ident, user (when not `-`), method, path, protocol (or request, when the
// request line does not split in three), status and bytes as numbers, referrer, userAgent, and
// further quoted values as extra1, extra2, …. Severity from the status: 5xx error, 4xx warning.
import type { Severity } from '../../batch';
import { decodeUtf8, judgeTime, setField, type Decoder } from '../decoder';
import { apacheAt, placeTime } from './time';

export interface AccessParse {
  ok: true;
  fields: Record<string, unknown>;
  severity: Severity;
  message: string;
  /** Epoch ms (the line gives its zone). */
  ms: number;
  timeText: string;
}

/** A quoted value at `i` (`"…"`, with `\"` and `\\` escapes), or null when it does not close. */
function quotedAt(t: string, i: number): { value: string; end: number } | null {
  if (t[i] !== '"') return null;
  let value = '';
  let from = i + 1;
  for (let p = i + 1; p < t.length; p++) {
    const c = t[p];
    if (c === '\\' && (t[p + 1] === '"' || t[p + 1] === '\\')) {
      value += t.slice(from, p);
      from = p + 1;
      p++;
    } else if (c === '"') return { value: value + t.slice(from, p), end: p + 1 };
  }
  return null;
}

const MAX_PREFIX = 512;

export function parseAccessLine(
  t: string,
  memo: Record<string, unknown>,
  rx: number,
): AccessParse | { ok: false; reason: string } {
  const bracket = t.indexOf(' [');
  if (bracket < 0 || bracket > MAX_PREFIX) return { ok: false, reason: 'no "[time]" after the client' };
  const w = apacheAt(t, bracket + 2);
  if (!w || t[w.end] !== ']')
    return { ok: false, reason: `time at column ${bracket + 3} is not dd/Mon/yyyy:hh:mm:ss` };
  const prefix = t.slice(0, bracket).split(' ').filter(Boolean);
  if (prefix.length < 3) return { ok: false, reason: 'fewer than client, ident and user before the time' };
  const fields: Record<string, unknown> = {};
  const ident = prefix[prefix.length - 2]!;
  const user = prefix[prefix.length - 1]!;
  const client = prefix.slice(0, -2);
  if (client.length === 2 && !client[0]!.endsWith(',')) {
    fields['vhost'] = client[0];
    fields['client'] = client[1];
  } else fields['client'] = client.join(' ');
  if (ident !== '-') fields['ident'] = ident;
  if (user !== '-') fields['user'] = user;
  let p = w.end + 1;
  if (t[p] !== ' ') return { ok: false, reason: `no space after the time at column ${p + 1}` };
  const request = quotedAt(t, p + 1);
  if (!request) return { ok: false, reason: `request at column ${p + 2} is not a closed quoted string` };
  const parts = request.value.split(' ');
  if (parts.length === 3) {
    fields['method'] = parts[0];
    fields['path'] = parts[1];
    fields['protocol'] = parts[2];
  } else if (request.value !== '-') fields['request'] = request.value;
  p = request.end;
  const status = /^ (\d{3}) (\d+|-)(?= |$)/.exec(t.slice(p, p + 32));
  if (!status) return { ok: false, reason: `no status and size after the request at column ${p + 1}` };
  const code = Number(status[1]);
  fields['status'] = code;
  if (status[2] !== '-') fields['bytes'] = Number(status[2]);
  p += status[0].length;
  const names = ['referrer', 'userAgent'];
  let extra = 0;
  while (t[p] === ' ' && t[p + 1] === '"') {
    const q = quotedAt(t, p + 1);
    if (!q) return { ok: false, reason: `quoted value at column ${p + 2} does not close` };
    const name = names.shift() ?? `extra${++extra}`;
    if (q.value !== '-') setField(fields, name, q.value);
    p = q.end;
  }
  const rest = t.slice(p).trim();
  if (rest) fields['rest'] = rest;
  const placed = placeTime(w, memo, rx);
  return {
    ok: true,
    fields,
    severity: code >= 500 ? 'error' : code >= 400 ? 'warning' : 'info',
    message: `${request.value} ${code}`,
    ms: placed.ms,
    timeText: t.slice(bracket + 2, w.end),
  };
}

export const accessLogDecoder: Decoder = {
  name: 'access',
  detect(bytes) {
    const t = decodeUtf8(bytes);
    return t !== null && parseAccessLine(t, {}, 0).ok ? 0.9 : 0;
  },
  decode(frame, out, memo) {
    const t = decodeUtf8(frame.bytes);
    if (t === null) return { ok: false, reason: 'not valid UTF-8' };
    const parsed = parseAccessLine(t.trimEnd(), memo, frame.rx);
    if (!parsed.ok) return parsed;
    const judged = judgeTime(parsed.ms, frame.rx, memo, out);
    let ts = frame.rx;
    if (judged && !judged.implausible) ts = judged.ms;
    else parsed.fields['timestamp'] = parsed.timeText;
    out.record(parsed.severity, parsed.message, parsed.fields, ts);
    return { ok: true };
  },
};
