// Syslog lines: RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`), RFC 3164
// (`<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`), and the forms rsyslog and `logger` actually send or
// write: without `<PRI>` (files), without a host (`logger` to the local socket), with an RFC 3339
// time and a 3164 tag (rsyslog's file format), and 5424 fields without `<PRI>` and version (as
// some appliances write files). Read by index, left to right, in one pass.
//
// Fields: facility, host, app, procid, msgid, structured data as `<sd-id>.<param>`. Severity is
// the PRI's, mapped to ours; without a PRI it is guessed from the words. A 3164 time has no year
// and no zone: the zone is the memo's `timeZone`, the year is chosen by `yearFor` (memo `year`, or
// the year of memo `yearReference`/receive time, a year back when that would put the line in the
// future), and the record says so in its `yearInferred` field. A message that is CEF or LEEF is
// read by cef.ts, its fields joining the header's.
import type { Severity } from '../../batch';
import {
  decodeUtf8,
  guessSeverity,
  judgeTime,
  MAX_VALUES_PER_FRAME,
  setField,
  type DecodeOutput,
  type Decoder,
} from '../decoder';
import { parseSecurityEvent, securityEventTime } from './cef';
import { bsdAt, isoAt, placeTime, type LeadingTime } from './time';

export const FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'security',
  'console',
  'solaris-cron',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
];

/** Syslog severities 0–7 (emerg … debug) as ours. */
const SEVERITIES: readonly Severity[] = [
  'critical', // emerg
  'critical', // alert
  'critical', // crit
  'error',
  'warning',
  'notice',
  'info',
  'debug',
];

export function syslogSeverity(code: number): Severity {
  return SEVERITIES[code & 7]!;
}

export interface SyslogMessage {
  /** `5424`, `3164`, or `rsyslog` (an RFC 3339 time with a 3164 host and tag). */
  form: '5424' | '3164' | 'rsyslog';
  pri: number | null;
  /** Null for 5424's nil time (`-`). */
  time: LeadingTime | null;
  /** The time as written, kept in the record when it is not believed. */
  timeText: string;
  host: string | null;
  app: string | null;
  procid: string | null;
  msgid: string | null;
  /** Structured data params, `<sd-id>.<param>` → value. */
  sd: [string, string][];
  message: string;
}

export type SyslogParse = { ok: true; msg: SyslogMessage } | { ok: false; reason: string };

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
/** A header token: printable ASCII, no space (RFC 5424 PRINTUSASCII). */
const isTokenChar = (c: number) => c > 0x20 && c < 0x7f;

/** The token at `i` (up to a space or the end), or null when it is empty or has a non-printable. */
function tokenAt(t: string, i: number): { text: string; end: number } | null {
  let p = i;
  while (p < t.length && t.charCodeAt(p) !== 0x20) {
    if (!isTokenChar(t.charCodeAt(p))) return null;
    p++;
  }
  return p === i ? null : { text: t.slice(i, p), end: p };
}

const nil = (s: string) => (s === '-' ? null : s);

/** Structured data at `i`: `-`, or `[id k="v" …]…`. Appends params to `into`; returns the end or a reason. */
function structuredDataAt(t: string, i: number, into: [string, string][]): number | string {
  if (t[i] === '-') return i + 1;
  let p = i;
  if (t[p] !== '[') return `structured data at column ${i + 1} is neither "-" nor "["`;
  while (t[p] === '[') {
    p++;
    const idStart = p;
    while (p < t.length && t[p] !== ' ' && t[p] !== ']') p++;
    const id = t.slice(idStart, p);
    if (!id) return `structured data at column ${idStart + 1} has an empty SD-ID`;
    while (t[p] === ' ') {
      p++;
      const nameStart = p;
      while (p < t.length && t[p] !== '=' && t[p] !== ' ' && t[p] !== ']') p++;
      const name = t.slice(nameStart, p);
      if (!name || t[p] !== '=' || t[p + 1] !== '"')
        return `structured data param at column ${nameStart + 1} is not name="value"`;
      p += 2;
      let value = '';
      let from = p;
      for (;;) {
        if (p >= t.length) return `structured data value at column ${from + 1} does not close`;
        const c = t[p];
        if (c === '\\' && (t[p + 1] === '"' || t[p + 1] === '\\' || t[p + 1] === ']')) {
          value += t.slice(from, p);
          from = p + 1;
          p += 2;
        } else if (c === '"') break;
        else p++;
      }
      value += t.slice(from, p);
      p++;
      if (into.length >= MAX_VALUES_PER_FRAME)
        return `more than ${MAX_VALUES_PER_FRAME} structured data params in one message`;
      into.push([`${id}.${name}`, value]);
    }
    if (t[p] !== ']') return `structured data element at column ${idStart} does not close with "]"`;
    p++;
  }
  return p;
}

/** After a space at `i`, the rest of the line as the message (a UTF-8 BOM dropped). */
function messageAt(t: string, i: number): string {
  let p = i;
  if (t[p] === ' ') p++;
  if (t[p] === '\ufeff') p++;
  return t.slice(p).trim();
}

/**
 * `HOST APP PROCID MSGID SD MSG` at `i` (just after the time and its space) into `msg`; a reason
 * when it does not fit.
 */
function rfc5424Rest(t: string, i: number, msg: SyslogMessage): string | null {
  const parts: string[] = [];
  let p = i;
  for (let k = 0; k < 4; k++) {
    const token = tokenAt(t, p);
    if (!token)
      return `RFC 5424 header field ${['HOSTNAME', 'APP-NAME', 'PROCID', 'MSGID'][k]} missing at column ${p + 1}`;
    parts.push(token.text);
    p = token.end;
    if (t[p] !== ' ') return `RFC 5424 header ends early at column ${p + 1}`;
    p++;
  }
  const end = structuredDataAt(t, p, msg.sd);
  if (typeof end === 'string') return end;
  if (end < t.length && t[end] !== ' ') return `no space after the structured data at column ${end + 1}`;
  msg.host = nil(parts[0]!);
  msg.app = nil(parts[1]!);
  msg.procid = nil(parts[2]!);
  msg.msgid = nil(parts[3]!);
  msg.message = messageAt(t, end);
  return null;
}

/** Whether the four tokens after `i` are followed by structured data: 5424 fields without PRI/version. */
function looksLike5424(t: string, i: number): boolean {
  let p = i;
  for (let k = 0; k < 4; k++) {
    const token = tokenAt(t, p);
    if (!token || t[token.end] !== ' ') return false;
    p = token.end + 1;
  }
  return t[p] === '[' || (t[p] === '-' && (p + 1 === t.length || t[p + 1] === ' '));
}

/** A 3164 tag at `i`: `name[pid]:` or `name:`; null when the token is not one. */
function tagAt(t: string, i: number): { app: string; procid: string | null; end: number } | null {
  let p = i;
  while (p < t.length && p - i < 64) {
    const c = t.charCodeAt(p);
    if (c === 0x5b || c === 0x3a || c === 0x20 || !isTokenChar(c)) break;
    p++;
  }
  if (p === i) return null;
  const app = t.slice(i, p);
  let procid: string | null = null;
  if (t[p] === '[') {
    const from = p + 1;
    p = from;
    while (p < t.length && p - from < 32 && t[p] !== ']' && t[p] !== ' ') p++;
    if (t[p] !== ']') return null;
    procid = t.slice(from, p);
    p++;
  }
  if (t[p] !== ':') return null;
  return { app, procid, end: p + 1 };
}

/** `HOST TAG: MSG`, `TAG: MSG` (no host) or `HOST MSG` at `i` into `msg`. */
function rfc3164Rest(t: string, i: number, msg: SyslogMessage): void {
  const first = tagAt(t, i);
  if (first && (first.end === t.length || t[first.end] === ' ')) {
    msg.app = first.app;
    msg.procid = first.procid;
    msg.message = messageAt(t, first.end);
    return;
  }
  const host = tokenAt(t, i);
  if (!host || t[host.end] !== ' ') {
    msg.message = messageAt(t, i);
    return;
  }
  msg.host = host.text;
  const tag = tagAt(t, host.end + 1);
  if (tag && (tag.end === t.length || t[tag.end] === ' ')) {
    msg.app = tag.app;
    msg.procid = tag.procid;
    msg.message = messageAt(t, tag.end);
  } else msg.message = messageAt(t, host.end);
}

/** One syslog line read into its parts, or why it is not one. */
export function parseSyslog(t: string, memo: Record<string, unknown>, rx: number): SyslogParse {
  const msg: SyslogMessage = {
    form: '3164',
    pri: null,
    time: null,
    timeText: '',
    host: null,
    app: null,
    procid: null,
    msgid: null,
    sd: [],
    message: '',
  };
  let p = 0;
  if (t[0] === '<') {
    let pri = 0;
    p = 1;
    while (p < t.length && p < 4 && isDigit(t.charCodeAt(p))) pri = pri * 10 + t.charCodeAt(p++) - 0x30;
    if (p === 1 || t[p] !== '>' || pri > 191) return { ok: false, reason: 'PRI is not <0> to <191>' };
    msg.pri = pri;
    p++;
  }
  // RFC 5424's VERSION: digits and a space, right after a PRI.
  let version = false;
  if (msg.pri !== null && isDigit(t.charCodeAt(p))) {
    let q = p;
    while (q < t.length && q - p < 2 && isDigit(t.charCodeAt(q))) q++;
    if (t[q] === ' ' && t.charCodeAt(p) !== 0x30) {
      version = true;
      p = q + 1;
    }
  }
  if (version) {
    msg.form = '5424';
    const timeStart = p;
    if (t[p] === '-' && t[p + 1] === ' ') p += 2;
    else {
      const w = isoAt(t, p);
      if (!w || t[w.end] !== ' ')
        return { ok: false, reason: `RFC 5424 time at column ${p + 1} is not RFC 3339` };
      msg.time = placeTime(w, memo, rx);
      msg.timeText = t.slice(timeStart, w.end);
      p = w.end + 1;
    }
    const problem = rfc5424Rest(t, p, msg);
    return problem ? { ok: false, reason: problem } : { ok: true, msg };
  }
  const iso = isoAt(t, p);
  if (iso) {
    if (t[iso.end] !== ' ') return { ok: false, reason: `no space after the time at column ${iso.end + 1}` };
    msg.time = placeTime(iso, memo, rx);
    msg.timeText = t.slice(p, iso.end);
    p = iso.end + 1;
    if (looksLike5424(t, p)) {
      msg.form = '5424';
      const problem = rfc5424Rest(t, p, msg);
      return problem ? { ok: false, reason: problem } : { ok: true, msg };
    }
    msg.form = 'rsyslog';
    rfc3164Rest(t, p, msg);
    return { ok: true, msg };
  }
  const bsd = bsdAt(t, p);
  if (!bsd) return { ok: false, reason: `no syslog time (RFC 3339 or "Mmm dd hh:mm:ss") at column ${p + 1}` };
  if (bsd.end < t.length && t[bsd.end] !== ' ')
    return { ok: false, reason: `no space after the time at column ${bsd.end + 1}` };
  msg.time = placeTime(bsd, memo, rx);
  msg.timeText = t.slice(p, bsd.end);
  rfc3164Rest(t, bsd.end + 1, msg);
  return { ok: true, msg };
}

/** A parsed syslog line's record fields (facility, host, app, procid, msgid, structured data). */
export function syslogFields(msg: SyslogMessage): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (msg.pri !== null) fields['facility'] = FACILITIES[msg.pri >> 3] ?? String(msg.pri >> 3);
  if (msg.host !== null) fields['host'] = msg.host;
  if (msg.app !== null) fields['app'] = msg.app;
  if (msg.procid !== null) fields['procid'] = msg.procid;
  if (msg.msgid !== null) fields['msgid'] = msg.msgid;
  for (const [name, value] of msg.sd) setField(fields, name, value);
  if (msg.time?.inferredYear != null) fields['yearInferred'] = msg.time.inferredYear;
  return fields;
}

/**
 * The event time of a parsed line: its own when believed, else receive time with the time as
 * written kept in `fields.timestamp` (the rules of `deviceTime`).
 */
export function syslogTime(
  msg: SyslogMessage,
  rx: number,
  memo: Record<string, unknown>,
  out: DecodeOutput,
  fields: Record<string, unknown>,
): number {
  if (!msg.time) return rx;
  const judged = judgeTime(msg.time.ms, rx, memo, out);
  if (judged && !judged.implausible) return judged.ms;
  setField(fields, 'timestamp', msg.timeText);
  return rx;
}

/** The line without the NULs and line ends some senders put after a datagram's message. */
function withoutTrailer(t: string): string {
  let end = t.length;
  for (;;) {
    const c = t.charCodeAt(end - 1);
    if (end > 0 && (c === 0 || c === 0x0a || c === 0x0d)) end--;
    else return end === t.length ? t : t.slice(0, end);
  }
}

export const syslogDecoder: Decoder = {
  name: 'syslog',
  detect(bytes) {
    const t = decodeUtf8(bytes);
    if (t === null) return 0;
    const parsed = parseSyslog(withoutTrailer(t), {}, 0);
    if (!parsed.ok) return 0;
    const m = parsed.msg;
    if (m.pri !== null || m.form === '5424') return 0.9;
    // Without a PRI, a tag (`sshd[42]:`) is what tells syslog from any line with a leading time.
    return m.app !== null ? 0.75 : 0;
  },
  decode(frame, out, memo) {
    const t = decodeUtf8(frame.bytes);
    if (t === null) return { ok: false, reason: 'not valid UTF-8' };
    const parsed = parseSyslog(withoutTrailer(t), memo, frame.rx);
    if (!parsed.ok) return parsed;
    const msg = parsed.msg;
    const fields = syslogFields(msg);
    // CEF or LEEF inside: its fields join the header's, its name, severity and time win.
    const embedded = parseSecurityEvent(msg.message);
    if (embedded && !embedded.ok)
      return {
        ok: false,
        reason: `${msg.message.startsWith('CEF') ? 'CEF' : 'LEEF'} in syslog: ${embedded.reason}`,
      };
    if (embedded) {
      const { event } = embedded;
      for (const [k, v] of Object.entries(event.fields)) setField(fields, k, v);
      const ts =
        securityEventTime(event, frame.rx, memo, out) ?? syslogTime(msg, frame.rx, memo, out, fields);
      out.record(event.severity, event.message, fields, ts);
      return { ok: true };
    }
    const ts = syslogTime(msg, frame.rx, memo, out, fields);
    const severity = msg.pri !== null ? syslogSeverity(msg.pri) : guessSeverity(msg.message);
    out.record(severity, msg.message, fields, ts);
    return { ok: true };
  },
};
