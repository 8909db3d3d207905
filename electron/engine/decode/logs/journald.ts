// `journalctl -o json`: one entry per line. `__REALTIME_TIMESTAMP` (µs since the epoch, as a
// string) is the event time, `PRIORITY` (syslog's 0–7) the severity, `MESSAGE` the message: a
// string, or an array of bytes when the journal held non-UTF-8 (decoded as UTF-8, else Latin-1),
// or null. Every other member is kept as a field.
import type { Decoder } from '../decoder';
import { decodeUtf8 } from '../decoder';
import { isString, jsonConfidence, jsonObject, jsonRecord, without, type JsonObject } from './json-event';
import { syslogSeverity } from './syslog';

const fitsJournal = (o: JsonObject) =>
  isString(o['__REALTIME_TIMESTAMP']) && ('MESSAGE' in o || '__CURSOR' in o);

const latin1 = new TextDecoder('latin1');

/** MESSAGE as text: a string, or the bytes of an array of numbers. */
function messageOf(m: unknown): string | null {
  if (isString(m)) return m;
  if (!Array.isArray(m) || !m.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return null;
  const bytes = Uint8Array.from(m as number[]);
  return decodeUtf8(bytes) ?? latin1.decode(bytes);
}

export const journaldDecoder: Decoder = {
  name: 'journald',
  detect: (bytes) => jsonConfidence(bytes, fitsJournal),
  decode(frame, out, memo) {
    const parsed = jsonObject(frame.bytes);
    if (!parsed.ok) return parsed;
    const o = parsed.value;
    if (!fitsJournal(o))
      return { ok: false, reason: 'not a journal entry (needs __REALTIME_TIMESTAMP and MESSAGE)' };
    const message = messageOf(o['MESSAGE']);
    const priority = Number(o['PRIORITY']);
    const severity =
      Number.isInteger(priority) && priority >= 0 && priority <= 7 ? syslogSeverity(priority) : 'info';
    const fields = without(o, ['MESSAGE', '__REALTIME_TIMESTAMP']);
    if (message === null && o['MESSAGE'] !== undefined && o['MESSAGE'] !== null)
      fields['MESSAGE'] = o['MESSAGE'];
    const name = isString(o['SYSLOG_IDENTIFIER'])
      ? o['SYSLOG_IDENTIFIER']
      : isString(o['_COMM'])
        ? o['_COMM']
        : '';
    jsonRecord(
      frame,
      out,
      memo,
      severity,
      message ?? name,
      fields,
      '__REALTIME_TIMESTAMP',
      o['__REALTIME_TIMESTAMP'],
    );
    return { ok: true };
  },
};
