// Plain text lines that begin with a timestamp in any common format (see time.ts: ISO 8601 /
// RFC 3339, `Jan  2 15:04:05`, `2026/11/29 18:10:43`, `[10/Oct/2000:13:55:36 -0700]`,
// `29-Nov-2026 18:10:43.123`, epoch seconds or ms): the time is the event time, the rest the
// message. A level word right after the time (`ERROR`, `[warn]`, `INFO:`) sets the severity;
// without one it is guessed from the words.
import type { Severity } from '../../batch';
import { decodeUtf8, guessSeverity, judgeTime, type Decoder } from '../decoder';
import { leadingTime } from './time';

const LEVELS: Record<string, Severity> = {
  trace: 'debug',
  debug: 'debug',
  dbg: 'debug',
  info: 'info',
  information: 'info',
  notice: 'notice',
  warn: 'warning',
  warning: 'warning',
  err: 'error',
  error: 'error',
  severe: 'error',
  crit: 'critical',
  critical: 'critical',
  fatal: 'critical',
  alert: 'critical',
  emerg: 'critical',
  panic: 'critical',
};

/** A level word at the start of `rest` (bare, `[bracketed]`, or followed by `:`), or null. */
export function levelAt(rest: string): { word: string; severity: Severity } | null {
  let i = rest[0] === '[' || rest[0] === '<' ? 1 : 0;
  const start = i;
  while (i < rest.length && i - start < 12) {
    const c = rest.charCodeAt(i) | 0x20;
    if (c < 0x61 || c > 0x7a) break;
    i++;
  }
  const word = rest.slice(start, i);
  const severity = LEVELS[word.toLowerCase()];
  if (!severity) return null;
  const after = rest[i];
  if (
    after !== undefined &&
    after !== ' ' &&
    after !== ']' &&
    after !== '>' &&
    after !== ':' &&
    after !== '\t'
  )
    return null;
  return { word, severity };
}

export const timestampedDecoder: Decoder = {
  name: 'timestamped',
  detect(bytes) {
    const t = decodeUtf8(bytes);
    if (t === null) return 0;
    const time = leadingTime(t, {}, 0);
    return time && t.slice(time.end).trim() !== '' ? 0.5 : 0;
  },
  decode(frame, out, memo) {
    const t = decodeUtf8(frame.bytes);
    if (t === null) return { ok: false, reason: 'not valid UTF-8' };
    const time = leadingTime(t, memo, frame.rx);
    if (!time) return { ok: false, reason: 'no timestamp at the start of the line' };
    const message = t.slice(time.end).trim();
    if (message === '') return { ok: false, reason: 'only a timestamp, no message' };
    const fields: Record<string, unknown> = {};
    const level = levelAt(message);
    if (level) fields['level'] = level.word;
    if (time.inferredYear !== null) fields['yearInferred'] = time.inferredYear;
    const judged = judgeTime(time.ms, frame.rx, memo, out);
    let ts = frame.rx;
    if (judged && !judged.implausible) ts = judged.ms;
    else fields['timestamp'] = t.slice(0, time.end);
    const hasFields = Object.keys(fields).length > 0;
    out.record(level?.severity ?? guessSeverity(message), message, hasFields ? fields : null, ts);
    return { ok: true };
  },
};
