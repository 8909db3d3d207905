// Falco's JSON output (`json_output: true`): `time`, `rule`, `priority`, `output`, with
// `output_fields`, `tags`, `hostname`, `source`. The message is Falco's own output line; severity
// from its priority.
import type { Severity } from '../../batch';
import type { Decoder } from '../decoder';
import { isString, jsonConfidence, jsonObject, jsonRecord, without, type JsonObject } from './json-event';

const fitsFalco = (o: JsonObject) => isString(o['output']) && isString(o['priority']) && isString(o['rule']);

const PRIORITIES: Record<string, Severity> = {
  emergency: 'critical',
  alert: 'critical',
  critical: 'critical',
  error: 'error',
  warning: 'warning',
  notice: 'notice',
  informational: 'info',
  info: 'info',
  debug: 'debug',
};

export const falcoDecoder: Decoder = {
  name: 'falco',
  detect: (bytes) => jsonConfidence(bytes, fitsFalco),
  decode(frame, out, memo) {
    const parsed = jsonObject(frame.bytes);
    if (!parsed.ok) return parsed;
    const o = parsed.value;
    if (!fitsFalco(o)) return { ok: false, reason: 'not a Falco event (needs output, priority and rule)' };
    const severity = PRIORITIES[(o['priority'] as string).toLowerCase()] ?? 'info';
    jsonRecord(
      frame,
      out,
      memo,
      severity,
      o['output'] as string,
      without(o, ['time', 'output']),
      'time',
      o['time'],
    );
    return { ok: true };
  },
};
