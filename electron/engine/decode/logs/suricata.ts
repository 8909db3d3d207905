// Suricata's eve.json: one event per line, `timestamp` and `event_type` always there. Fields are
// the event's members as they are (nested objects stay objects); the message says what happened
// (an alert's signature, a DNS query, a flow's endpoints); severity from an alert's severity
// (1 critical, 2 error, 3 and lower warning), anomalies warning, the rest info.
import type { Severity } from '../../batch';
import type { Decoder } from '../decoder';
import { isString, jsonConfidence, jsonObject, jsonRecord, without, type JsonObject } from './json-event';

const fitsEve = (o: JsonObject) => isString(o['event_type']) && isString(o['timestamp']);

const member = (o: unknown, name: string): unknown =>
  o !== null && typeof o === 'object' && !Array.isArray(o) ? (o as JsonObject)[name] : undefined;

function endpoints(o: JsonObject): string {
  if (!isString(o['src_ip'])) return '';
  const port = (p: unknown) => (typeof p === 'number' ? `:${p}` : '');
  const proto = isString(o['proto']) ? ` ${o['proto']}` : '';
  return ` ${o['src_ip']}${port(o['src_port'])} → ${String(o['dest_ip'] ?? '?')}${port(o['dest_port'])}${proto}`;
}

function describe(o: JsonObject, type: string): { severity: Severity; message: string } {
  if (type === 'alert') {
    const alert = o['alert'];
    const signature = member(alert, 'signature');
    const level = member(alert, 'severity');
    const severity: Severity = level === 1 ? 'critical' : level === 2 ? 'error' : 'warning';
    return { severity, message: `alert: ${isString(signature) ? signature : 'alert'}${endpoints(o)}` };
  }
  const detail =
    type === 'dns'
      ? member(o['dns'], 'rrname')
      : type === 'http'
        ? member(o['http'], 'url')
        : type === 'tls'
          ? member(o['tls'], 'sni')
          : type === 'fileinfo'
            ? member(o['fileinfo'], 'filename')
            : undefined;
  const what = isString(detail) ? ` ${detail}` : '';
  return { severity: type === 'anomaly' ? 'warning' : 'info', message: `${type}${what}${endpoints(o)}` };
}

export const suricataDecoder: Decoder = {
  name: 'suricata',
  detect: (bytes) => jsonConfidence(bytes, fitsEve),
  decode(frame, out, memo) {
    const parsed = jsonObject(frame.bytes);
    if (!parsed.ok) return parsed;
    const o = parsed.value;
    if (!fitsEve(o)) return { ok: false, reason: 'not an eve.json event (needs timestamp and event_type)' };
    const { severity, message } = describe(o, o['event_type'] as string);
    jsonRecord(frame, out, memo, severity, message, without(o, ['timestamp']), 'timestamp', o['timestamp']);
    return { ok: true };
  },
};
