// Sparkplug B: the protobuf payloads plant equipment publishes on `spBv1.0/<group>/<type>/<node>[/<device>]`.
// Metrics become channels (named by metric, escaped like JSON keys), births and deaths become
// records. NDATA/DDATA may name metrics by alias only, so a node's births and data share a memo
// holding the alias → name map. Decoding uses the Eclipse Tahu `sparkplug-payload` package.
import sparkplugPayload from 'sparkplug-payload';
import { escapeKey, plausibleTimestamp, type Decoder } from './decoder';

const codec = sparkplugPayload.get('spBv1.0')!;

const TOPIC =
  /^spBv1\.0\/([^/]+)\/(NBIRTH|NDEATH|DBIRTH|DDEATH|NDATA|DDATA|NCMD|DCMD|STATE)\/([^/]+)(?:\/([^/]+))?$/;

interface LongLike {
  toNumber(): number;
}
interface Metric {
  name?: string | null;
  alias?: number | LongLike | null;
  timestamp?: number | LongLike | null;
  type?: string;
  value?: unknown;
  isNull?: boolean;
}

const toNumber = (v: unknown): number | null =>
  typeof v === 'number'
    ? v
    : v && typeof (v as LongLike).toNumber === 'function'
      ? (v as LongLike).toNumber()
      : null;

export const sparkplugDecoder: Decoder = {
  name: 'sparkplug',
  detect(_bytes, key) {
    return key !== undefined && TOPIC.test(key) ? 1 : 0;
  },
  memoKey(key) {
    const m = TOPIC.exec(key);
    return m ? `spBv1.0/${m[1]}/${m[3]}` : key;
  },
  decode(frame, out, memo) {
    const topic = TOPIC.exec(frame.key);
    if (!topic) return { ok: false, reason: 'not a Sparkplug B topic (spBv1.0/group/type/node[/device])' };
    const [, group, type, node, device] = topic;
    if (type === 'STATE') {
      out.record('notice', `${group} host state`, { state: new TextDecoder().decode(frame.bytes) }, frame.rx);
      return { ok: true };
    }
    let payload: { timestamp?: unknown; metrics?: Metric[]; seq?: unknown };
    try {
      payload = codec.decodePayload(frame.bytes) as typeof payload;
    } catch (error) {
      return { ok: false, reason: `invalid Sparkplug B payload: ${(error as Error).message}` };
    }
    const aliases = (memo['aliases'] ??= new Map<number, string>()) as Map<number, string>;
    const payloadTs = plausibleTimestamp(toNumber(payload.timestamp), frame.rx) ?? frame.rx;
    const strings: Record<string, unknown> = {};
    const samples: [string, number, number][] = [];
    for (const metric of payload.metrics ?? []) {
      const alias = toNumber(metric.alias);
      if (metric.name && alias !== null) aliases.set(alias, metric.name);
      const name = metric.name ?? (alias !== null ? aliases.get(alias) : undefined);
      if (!name) return { ok: false, reason: `metric alias ${alias} was never named in a birth certificate` };
      if (metric.isNull) continue;
      const ts = plausibleTimestamp(toNumber(metric.timestamp), frame.rx) ?? payloadTs;
      const value = typeof metric.value === 'boolean' ? (metric.value ? 1 : 0) : toNumber(metric.value);
      if (value !== null && Number.isFinite(value)) samples.push([escapeKey(name), value, ts]);
      else if (metric.value !== undefined && metric.value !== null)
        strings[name] = typeof metric.value === 'object' ? JSON.stringify(metric.value) : metric.value;
    }
    for (const [path, value, ts] of samples) out.sample(path, value, ts);
    const where = { group, node, ...(device ? { device } : {}), seq: toNumber(payload.seq) };
    if (type!.endsWith('BIRTH') || type!.endsWith('DEATH')) {
      out.record(
        type!.endsWith('DEATH') ? 'warning' : 'notice',
        `${type} ${group}/${node}${device ? `/${device}` : ''}`,
        { ...where, ...strings, metrics: (payload.metrics ?? []).length },
        payloadTs,
      );
    } else if (Object.keys(strings).length > 0) {
      out.record('info', frame.key, { ...where, ...strings }, payloadTs);
    } else if (samples.length === 0 && type !== 'NCMD' && type !== 'DCMD') {
      return { ok: false, reason: 'Sparkplug payload with no metrics' };
    }
    if (type === 'NCMD' || type === 'DCMD')
      out.record(
        'info',
        `${type} ${group}/${node}${device ? `/${device}` : ''}`,
        { ...where, ...strings },
        payloadTs,
      );
    return { ok: true };
  },
};

/** Encodes a payload (tests and the demo publisher use it). */
export function encodeSparkplug(payload: {
  timestamp?: number;
  seq?: number;
  metrics: { name?: string; alias?: number; type: string; value: unknown; timestamp?: number }[];
}): Uint8Array {
  return codec.encodePayload(payload as never);
}
