// Sparkplug B: the protobuf payloads plant equipment publishes on `spBv1.0/<group>/<type>/<node>[/<device>]`.
// A metric is one channel, `spBv1.0/<group>/<node>[/<device>]/<metric>` (escaped like JSON keys),
// whichever message carried it: its birth gives the channel its unit (`engUnit`) and first value,
// and declares the datatype that data messages may leave out. Births, deaths and commands become
// records. NDATA/DDATA may name metrics by alias only, so a node's births and data share a memo
// holding what a host knows of the node (EdgeNode).
//
// Payloads are read here, straight from the protobuf wire format, rather than by Eclipse Tahu's
// `sparkplug-payload` (used only to encode, for tests and the demo): its decoder converts every
// template and property set twice per level, so a 300-byte payload of 25 nested templates took
// seconds and 40 took hours, and it recursed without a bound. This reader is linear in the
// payload, and refuses nesting deeper than MAX_NESTING_DEPTH.
import sparkplugPayload from 'sparkplug-payload';
import type { Severity } from '../batch';
import {
  decodeUtf8,
  escapeKey,
  MAX_NESTING_DEPTH,
  plausibleTimestamp,
  setField,
  type DecodeOutput,
  type DecodeResult,
  type Decoder,
  type Frame,
} from './decoder';

const codec = sparkplugPayload.get('spBv1.0')!;

const TOPIC =
  /^spBv1\.0\/([^/]+)\/(NBIRTH|NDEATH|DBIRTH|DDEATH|NDATA|DDATA|NCMD|DCMD|STATE)\/([^/]+)(?:\/([^/]+))?$/;

// ---- the protobuf wire format ------------------------------------------------------------------

/** The payload is not well-formed protobuf, or not Sparkplug B. */
class PayloadError extends Error {}

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** One field as it is on the wire: a varint or fixed value in lo/hi, or a byte range. */
interface Field {
  no: number;
  wire: number;
  /** Low and high 32 bits (unsigned) of a varint or fixed value. */
  lo: number;
  hi: number;
  /** Where a length-delimited or fixed value's bytes are. */
  from: number;
  to: number;
}

/** The fields of the message in `buf[from, to)`, in order. One pass, no recursion. */
function fieldsOf(buf: Uint8Array, from: number, to: number): Field[] {
  const fields: Field[] = [];
  let pos = from;
  let lo = 0;
  let hi = 0;
  const varint = (): void => {
    const start = pos;
    lo = 0;
    hi = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= to) throw new PayloadError(`varint cut short at byte ${start}`);
      const b = buf[pos++]!;
      const bits = b & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (shift - 32);
      if (b < 0x80) {
        lo >>>= 0;
        hi >>>= 0;
        return;
      }
    }
    throw new PayloadError(`varint longer than 10 bytes at byte ${start}`);
  };
  const u32 = (at: number) =>
    (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
  while (pos < to) {
    const tagAt = pos;
    varint();
    const no = lo >>> 3;
    const wire = lo & 7;
    if (no === 0 || hi !== 0) throw new PayloadError(`invalid field number at byte ${tagAt}`);
    switch (wire) {
      case VARINT:
        varint();
        fields.push({ no, wire, lo, hi, from: tagAt, to: pos });
        break;
      case FIXED64:
        if (to - pos < 8) throw new PayloadError(`field ${no} cut short at byte ${tagAt}`);
        fields.push({ no, wire, lo: u32(pos), hi: u32(pos + 4), from: pos, to: pos + 8 });
        pos += 8;
        break;
      case FIXED32:
        if (to - pos < 4) throw new PayloadError(`field ${no} cut short at byte ${tagAt}`);
        fields.push({ no, wire, lo: u32(pos), hi: 0, from: pos, to: pos + 4 });
        pos += 4;
        break;
      case LENGTH_DELIMITED: {
        varint();
        if (hi !== 0 || lo > to - pos)
          throw new PayloadError(`field ${no} at byte ${tagAt} is longer than what holds it`);
        fields.push({ no, wire, lo, hi, from: pos, to: pos + lo });
        pos += lo;
        break;
      }
      default:
        // 3 and 4 are groups, which Sparkplug B never uses; 6 and 7 do not exist.
        throw new PayloadError(`wire type ${wire} at byte ${tagAt} is not used by Sparkplug B`);
    }
  }
  return fields;
}

/** The last field `no` of the expected wire type (protobuf: the last one wins); others are ignored. */
function last(fields: Field[], no: number, wire: number): Field | undefined {
  let found: Field | undefined;
  for (const f of fields) if (f.no === no && f.wire === wire) found = f;
  return found;
}

const uint64 = (f: Field) => f.hi * 2 ** 32 + f.lo;
const int64 = (f: Field) => (f.hi | 0) * 2 ** 32 + f.lo;
const utf8 = new TextDecoder();

class Reader {
  private readonly view: DataView;
  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  float(f: Field): number {
    return this.view.getFloat32(f.from, true);
  }
  double(f: Field): number {
    return this.view.getFloat64(f.from, true);
  }
  string(f: Field): string {
    return utf8.decode(this.buf.subarray(f.from, f.to));
  }
  /** The fields of a nested message; `depth` counts messages from the payload (1). */
  nested(f: Field, depth: number): Field[] {
    if (depth > MAX_NESTING_DEPTH) throw new NestedTooDeep();
    return fieldsOf(this.buf, f.from, f.to);
  }
}

class NestedTooDeep extends Error {}

// ---- Sparkplug B messages ----------------------------------------------------------------------

const TYPE_NAMES = [
  'Unknown',
  'Int8',
  'Int16',
  'Int32',
  'Int64',
  'UInt8',
  'UInt16',
  'UInt32',
  'UInt64',
  'Float',
  'Double',
  'Boolean',
  'String',
  'DateTime',
  'Text',
  'UUID',
  'DataSet',
  'Bytes',
  'File',
  'Template',
  'PropertySet',
  'PropertySetList',
];
const typeName = (type: number) => TYPE_NAMES[type] ?? `type ${type}`;

/** Where each kind of value sits in a message that carries one (field numbers of sparkplug_b.proto). */
interface ValueFields {
  int: number;
  long: number;
  float: number;
  double: number;
  bool: number;
  string: number;
  bytes?: number;
  dataset?: number;
  template?: number;
  propertyset?: number;
  propertysets?: number;
}
const METRIC_VALUE: ValueFields = {
  int: 10,
  long: 11,
  float: 12,
  double: 13,
  bool: 14,
  string: 15,
  bytes: 16,
  dataset: 17,
  template: 18,
};
const PARAMETER_VALUE: ValueFields = { int: 3, long: 4, float: 5, double: 6, bool: 7, string: 8 };
const DATASET_VALUE: ValueFields = { int: 1, long: 2, float: 3, double: 4, bool: 5, string: 6 };
const PROPERTY_VALUE: ValueFields = {
  int: 3,
  long: 4,
  float: 5,
  double: 6,
  bool: 7,
  string: 8,
  propertyset: 9,
  propertysets: 10,
};

/**
 * The value of a Sparkplug datatype: a number, boolean or string for scalars, a plain object for
 * data sets, templates and property sets, base64 for bytes; undefined when the field is missing.
 */
function valueOf(r: Reader, type: number, fields: Field[], at: ValueFields, depth: number): unknown {
  const get = (no: number | undefined, wire: number) =>
    no === undefined ? undefined : last(fields, no, wire);
  switch (type) {
    case 1: // Int8, Int16, Int32: sign-extended into a uint32
    case 2:
    case 3: {
      const f = get(at.int, VARINT);
      return f ? f.lo | 0 : undefined;
    }
    case 5: // UInt8, UInt16
    case 6: {
      const f = get(at.int, VARINT);
      return f ? f.lo : undefined;
    }
    case 7: {
      // UInt32: Tahu's JavaScript library writes it as a long, the specification as an int.
      const f = get(at.long, VARINT) ?? get(at.int, VARINT);
      return f ? (f.no === at.long ? uint64(f) : f.lo) : undefined;
    }
    case 4: {
      const f = get(at.long, VARINT);
      return f ? int64(f) : undefined;
    }
    case 8: // UInt64, DateTime
    case 13: {
      const f = get(at.long, VARINT);
      return f ? uint64(f) : undefined;
    }
    case 9: {
      const f = get(at.float, FIXED32);
      return f ? r.float(f) : undefined;
    }
    case 10: {
      const f = get(at.double, FIXED64);
      return f ? r.double(f) : undefined;
    }
    case 11: {
      const f = get(at.bool, VARINT);
      return f ? f.lo !== 0 || f.hi !== 0 : undefined;
    }
    case 12: // String, Text, UUID
    case 14:
    case 15: {
      const f = get(at.string, LENGTH_DELIMITED);
      return f ? r.string(f) : undefined;
    }
    case 16: {
      const f = get(at.dataset, LENGTH_DELIMITED);
      return f ? dataSet(r, f, depth + 1) : undefined;
    }
    case 17: // Bytes, File
    case 18: {
      const f = get(at.bytes, LENGTH_DELIMITED);
      return f
        ? Buffer.from(r.buf.buffer, r.buf.byteOffset + f.from, f.to - f.from).toString('base64')
        : undefined;
    }
    case 19: {
      const f = get(at.template, LENGTH_DELIMITED);
      return f ? template(r, f, depth + 1) : undefined;
    }
    case 20: {
      const f = get(at.propertyset, LENGTH_DELIMITED);
      return f ? propertySet(r, f, depth + 1) : undefined;
    }
    case 21: {
      const f = get(at.propertysets, LENGTH_DELIMITED);
      return f ? propertySetList(r, f, depth + 1) : undefined;
    }
    default:
      return undefined;
  }
}

interface Metric {
  name: string | null;
  alias: number | null;
  timestamp: number | null;
  datatype: number;
  isNull: boolean;
  value: unknown;
  /** The metric's `engUnit` property, when it has one (births carry it). */
  unit: string | null;
}

/**
 * The datatype a birth declared for a metric that carries none: data messages may leave it out
 * (the specification asks only births for it), so the birth's datatype reads their values.
 */
type BirthType = (name: string | null, alias: number | null) => number | undefined;

function metric(r: Reader, f: Field, depth: number, birthType?: BirthType): Metric {
  const fields = r.nested(f, depth);
  // One pass for the metric's own fields (the last of each wins, as in protobuf); the value's below.
  let nameField: Field | undefined;
  let aliasField: Field | undefined;
  let timestamp: Field | undefined;
  let datatypeField: Field | undefined;
  let isNull: Field | undefined;
  let properties: Field | undefined;
  for (const x of fields) {
    if (x.wire === VARINT) {
      if (x.no === 2) aliasField = x;
      else if (x.no === 3) timestamp = x;
      else if (x.no === 4) datatypeField = x;
      else if (x.no === 7) isNull = x;
    } else if (x.wire === LENGTH_DELIMITED) {
      if (x.no === 1) nameField = x;
      else if (x.no === 9) properties = x;
    }
  }
  const name = nameField ? r.string(nameField) : null;
  const alias = aliasField ? uint64(aliasField) : null;
  const datatype = datatypeField?.lo || birthType?.(name, alias) || 0;
  return {
    name,
    alias,
    timestamp: timestamp ? uint64(timestamp) : null,
    datatype,
    isNull: isNull ? isNull.lo !== 0 || isNull.hi !== 0 : false,
    // Metadata is not read: nothing here uses it.
    value: valueOf(r, datatype, fields, METRIC_VALUE, depth),
    unit: properties ? engUnit(r, properties, depth + 1) : null,
  };
}

/** Longer units are cut: a unit is a label on a plot axis, and a peer chooses its length. */
const MAX_UNIT_CHARS = 32;

/** The `engUnit` string of a metric's property set (Tahu's and Ignition's name), read at its top level only. */
function engUnit(r: Reader, f: Field, depth: number): string | null {
  const fields = r.nested(f, depth);
  const keys = fields.filter((k) => k.no === 1 && k.wire === LENGTH_DELIMITED);
  const at = keys.findIndex((k) => {
    const key = r.string(k);
    return key === 'engUnit' || key === 'engUnits';
  });
  if (at < 0) return null;
  const v = fields.filter((x) => x.no === 2 && x.wire === LENGTH_DELIMITED)[at];
  if (!v) return null;
  const value = r.nested(v, depth + 1);
  const type = last(value, 1, VARINT)?.lo ?? 0;
  const text = type === 12 || type === 14 ? last(value, PROPERTY_VALUE.string, LENGTH_DELIMITED) : undefined;
  return text ? r.string(text).slice(0, MAX_UNIT_CHARS) : null;
}

function template(r: Reader, f: Field, depth: number): Record<string, unknown> {
  const fields = r.nested(f, depth);
  const version = last(fields, 1, LENGTH_DELIMITED);
  const ref = last(fields, 4, LENGTH_DELIMITED);
  const isDefinition = last(fields, 5, VARINT);
  return {
    ...(version ? { version: r.string(version) } : {}),
    ...(ref ? { templateRef: r.string(ref) } : {}),
    ...(isDefinition ? { isDefinition: isDefinition.lo !== 0 } : {}),
    metrics: fields
      .filter((m) => m.no === 2 && m.wire === LENGTH_DELIMITED)
      .map((m) => {
        const { name, datatype, isNull, value } = metric(r, m, depth + 1);
        return { name, type: typeName(datatype), value: isNull ? null : value };
      }),
    parameters: fields
      .filter((p) => p.no === 3 && p.wire === LENGTH_DELIMITED)
      .map((p) => {
        const parameter = r.nested(p, depth + 1);
        const name = last(parameter, 1, LENGTH_DELIMITED);
        const type = last(parameter, 2, VARINT)?.lo ?? 0;
        return {
          name: name ? r.string(name) : null,
          type: typeName(type),
          value: valueOf(r, type, parameter, PARAMETER_VALUE, depth + 1),
        };
      }),
  };
}

function dataSet(r: Reader, f: Field, depth: number): Record<string, unknown> {
  const fields = r.nested(f, depth);
  const types: number[] = [];
  for (const t of fields) {
    if (t.no !== 3) continue;
    if (t.wire === VARINT) types.push(t.lo);
    else if (t.wire === LENGTH_DELIMITED)
      for (const packed of packedVarints(r.buf, t.from, t.to)) types.push(packed);
  }
  return {
    columns: fields.filter((c) => c.no === 2 && c.wire === LENGTH_DELIMITED).map((c) => r.string(c)),
    types: types.map(typeName),
    rows: fields
      .filter((row) => row.no === 4 && row.wire === LENGTH_DELIMITED)
      .map((row) =>
        r
          .nested(row, depth + 1)
          .filter((e) => e.no === 1 && e.wire === LENGTH_DELIMITED)
          .map((e, i) => valueOf(r, types[i] ?? 0, r.nested(e, depth + 2), DATASET_VALUE, depth + 2) ?? null),
      ),
  };
}

/** A packed repeated uint32: varints back to back. */
function packedVarints(buf: Uint8Array, from: number, to: number): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (let pos = from; pos < to; pos++) {
    const b = buf[pos]!;
    if (shift < 32) value |= (b & 0x7f) << shift;
    shift += 7;
    if (b < 0x80) {
      values.push(value >>> 0);
      value = 0;
      shift = 0;
    } else if (shift >= 70) throw new PayloadError(`varint longer than 10 bytes at byte ${pos}`);
  }
  if (shift !== 0) throw new PayloadError(`packed varints cut short at byte ${to}`);
  return values;
}

function propertySet(r: Reader, f: Field, depth: number): Record<string, unknown> {
  const fields = r.nested(f, depth);
  const keys = fields.filter((k) => k.no === 1 && k.wire === LENGTH_DELIMITED).map((k) => r.string(k));
  const values = fields.filter((v) => v.no === 2 && v.wire === LENGTH_DELIMITED);
  return Object.fromEntries(
    keys.map((key, i) => {
      const v = values[i];
      if (!v) return [key, null];
      const value = r.nested(v, depth + 1);
      const isNull = last(value, 2, VARINT);
      if (isNull && isNull.lo !== 0) return [key, null];
      const type = last(value, 1, VARINT)?.lo ?? 0;
      return [key, valueOf(r, type, value, PROPERTY_VALUE, depth + 1) ?? null];
    }),
  );
}

function propertySetList(r: Reader, f: Field, depth: number): Record<string, unknown>[] {
  return r
    .nested(f, depth)
    .filter((s) => s.no === 1 && s.wire === LENGTH_DELIMITED)
    .map((s) => propertySet(r, s, depth + 1));
}

interface Payload {
  timestamp: number | null;
  seq: number | null;
  metrics: Metric[];
}

/** A Sparkplug B payload, or why not. Exported for tests. */
export function decodeSparkplugPayload(
  bytes: Uint8Array,
  birthType?: BirthType,
): { ok: true; payload: Payload } | { ok: false; reason: string } {
  const r = new Reader(bytes);
  try {
    const fields = fieldsOf(bytes, 0, bytes.length);
    const timestamp = last(fields, 1, VARINT);
    const seq = last(fields, 3, VARINT);
    return {
      ok: true,
      payload: {
        timestamp: timestamp ? uint64(timestamp) : null,
        seq: seq ? uint64(seq) : null,
        metrics: fields
          .filter((m) => m.no === 2 && m.wire === LENGTH_DELIMITED)
          .map((m) => metric(r, m, 2, birthType)),
      },
    };
  } catch (error) {
    if (error instanceof NestedTooDeep)
      return { ok: false, reason: `Sparkplug B payload nested deeper than ${MAX_NESTING_DEPTH} levels` };
    if (error instanceof PayloadError)
      return { ok: false, reason: `invalid Sparkplug B payload: ${error.message}` };
    throw error;
  }
}

// ---- the decoder -------------------------------------------------------------------------------

/** What a birth declared of one metric: its datatype reads data that omits one, its unit names the channel's. */
interface MetricBirth {
  datatype: number;
  unit: string;
}

/** Online state of an edge node's device, from its DBIRTH and DDEATH (and the node's NDEATH). */
export interface DeviceState {
  /** null until a birth or death was seen. */
  online: boolean | null;
  /** Event times, epoch ms. */
  lastBirth: number | null;
  lastDeath: number | null;
}

/**
 * What a host application knows of one edge node and its devices, kept in the decoder's memo for
 * the node (every topic of a node shares it). Plain data, so a copy is a structuredClone.
 */
export interface EdgeNode {
  group: string;
  node: string;
  /** Alias → metric name, from the births of the node and its devices (aliases are unique per node). */
  aliases: Map<number, string>;
  /** `device \0 metric` (device '' for the node's own) → what its birth declared. */
  metrics: Map<string, MetricBirth>;
  /** From NBIRTH and NDEATH; null until either was seen since the source started. */
  online: boolean | null;
  /** The session's birth/death sequence number (the `bdSeq` metric of its NBIRTH). */
  bdSeq: number | null;
  /** The `seq` the node's next message should carry (0–255, wrapping); null before one is known. */
  nextSeq: number | null;
  /** Messages whose `seq` was not the expected one. */
  seqGaps: number;
  lastBirth: number | null;
  lastDeath: number | null;
  devices: Map<string, DeviceState>;
  /**
   * Why the node should publish its births again (a `seq` gap, an alias no birth named, data
   * before any birth), until its next NBIRTH; the source decides whether it may ask (NCMD).
   */
  rebirth: string | null;
}

const metricKey = (device: string | undefined, name: string) => `${device ?? ''}\u0000${name}`;

/**
 * The channel path, under a node's or device's own key, of its online state: 1 from its birth, 0
 * from its death. Brackets cannot come from a metric name (they are escaped there), so no metric
 * shares it; a threshold rule below 0.5 on it alerts when the node or device goes offline.
 */
export const ONLINE_CHANNEL = '[online]';

/** The datatypes the node's births declared, for data messages that name none. */
function birthTypeOf(state: EdgeNode, device: string | undefined): BirthType {
  return (name, alias) => {
    const named = name ?? (alias === null ? undefined : state.aliases.get(alias));
    return named === undefined ? undefined : state.metrics.get(metricKey(device, named))?.datatype;
  };
}

/** A metric's value in a topic-tree preview. */
function previewValue(metric: Metric): string {
  const value = metric.value;
  if (metric.isNull) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 39)}…` : value);
  return value === undefined ? '?' : typeName(metric.datatype);
}

/** Metrics shown in a preview at most: the tree cuts it to one line anyway. */
const PREVIEW_METRICS = 8;

/** The edge node a memo tracks, created (named `group`/`node`) on first use. */
export function edgeNodeOf(memo: Record<string, unknown>, group = '', node = ''): EdgeNode {
  let state = memo['edgeNode'] as EdgeNode | undefined;
  if (!state)
    memo['edgeNode'] = state = {
      group,
      node,
      aliases: new Map(),
      metrics: new Map(),
      online: null,
      bdSeq: null,
      nextSeq: null,
      seqGaps: 0,
      lastBirth: null,
      lastDeath: null,
      devices: new Map(),
      rebirth: null,
    };
  return state;
}

/** The value of the `bdSeq` metric, if the payload has one that is a number. */
function bdSeqOf(metrics: Metric[]): number | null {
  const value = metrics.find((m) => m.name === 'bdSeq')?.value;
  return typeof value === 'number' ? value : null;
}

/** Sparkplug 3.0's host state topic, `spBv1.0/STATE/<host id>` (JSON `{"online":…,"timestamp":…}`). */
const STATE_TOPIC = /^spBv1\.0\/STATE\/([^/]+)$/;

function hostState(frame: Frame, host: string, out: DecodeOutput): DecodeResult {
  const text = decodeUtf8(frame.bytes);
  if (text === null) return { ok: false, reason: 'a host STATE message that is not UTF-8' };
  let online: unknown = /^\s*ONLINE\s*$/i.test(text)
    ? true
    : /^\s*OFFLINE\s*$/i.test(text)
      ? false
      : undefined;
  let timestamp: unknown;
  if (online === undefined) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === 'object') ({ online, timestamp } = parsed as Record<string, unknown>);
    } catch {
      // not JSON: said below
    }
  }
  if (typeof online !== 'boolean')
    return { ok: false, reason: 'a host STATE message without "online" (true or false)' };
  out.record(
    online ? 'notice' : 'warning',
    `host ${host} ${online ? 'online' : 'offline'}`,
    { host, online, ...(typeof timestamp === 'number' ? { timestamp } : {}) },
    frame.rx,
  );
  return { ok: true };
}

export const sparkplugDecoder: Decoder = {
  name: 'sparkplug',
  detect(_bytes, key) {
    return key !== undefined && (TOPIC.test(key) || STATE_TOPIC.test(key)) ? 1 : 0;
  },
  memoKey(key) {
    const m = TOPIC.exec(key);
    return m ? `spBv1.0/${m[1]}/${m[3]}` : key;
  },
  channelKey(key) {
    const m = TOPIC.exec(key);
    return m ? `spBv1.0/${m[1]}/${m[3]}${m[4] === undefined ? '' : `/${m[4]}`}` : key;
  },
  preview(frame, memo) {
    const topic = TOPIC.exec(frame.key);
    if (!topic || topic[2] === 'STATE') return null;
    const device = topic[4];
    const state = memo['edgeNode'] as EdgeNode | undefined;
    const decoded = decodeSparkplugPayload(frame.bytes, state && birthTypeOf(state, device));
    if (!decoded.ok) return null;
    const { metrics } = decoded.payload;
    const shown = metrics.slice(0, PREVIEW_METRICS).map((m) => {
      const name =
        m.name ??
        (m.alias === null ? undefined : state?.aliases.get(m.alias)) ??
        `alias ${m.alias} (unknown)`;
      const unit = m.unit ?? state?.metrics.get(metricKey(device, name))?.unit;
      return `${name} ${previewValue(m)}${unit ? ` ${unit}` : ''}`;
    });
    if (metrics.length > PREVIEW_METRICS) shown.push(`… ${metrics.length - PREVIEW_METRICS} more`);
    return shown.length ? shown.join(', ') : '(no metrics)';
  },
  decode(frame, out, memo) {
    const host = STATE_TOPIC.exec(frame.key);
    if (host) return hostState(frame, host[1]!, out);
    const topic = TOPIC.exec(frame.key);
    if (!topic) return { ok: false, reason: 'not a Sparkplug B topic (spBv1.0/group/type/node[/device])' };
    const [, group, type, node, device] = topic as unknown as [string, string, string, string, string?];
    if (type === 'STATE') {
      out.record('notice', `${group} host state`, { state: new TextDecoder().decode(frame.bytes) }, frame.rx);
      return { ok: true };
    }
    // A command is a request to the edge node, not a reading: its metrics are fields of its record.
    const isCommand = type === 'NCMD' || type === 'DCMD';
    // A command (ours, or another host's) to a node never seen does not make the node known.
    const state =
      isCommand && !memo['edgeNode'] ? edgeNodeOf({}, group, node) : edgeNodeOf(memo, group, node);
    const isBirth = type === 'NBIRTH' || type === 'DBIRTH';
    const isDeath = type === 'NDEATH' || type === 'DDEATH';
    const decoded = decodeSparkplugPayload(frame.bytes, birthTypeOf(state, device));
    if (!decoded.ok) return decoded;
    const payload = decoded.payload;
    const payloadTs = plausibleTimestamp(payload.timestamp, frame.rx, memo, out) ?? frame.rx;
    const who = `${group}/${node}${device ? `/${device}` : ''}`;
    const where = { group, node, ...(device ? { device } : {}), seq: payload.seq };

    // The host's view of the node, kept even when the metrics below fail: the message arrived.
    // Its records are written only if the frame decodes (a frame is never half-decoded).
    const hostRecords: [Severity, string, Record<string, unknown>, number][] = [];
    const wantRebirth = (why: string) => {
      state.rebirth ??= why;
    };
    // Every message of the node's session but its NDEATH (the will, set at connect) counts on `seq`.
    if (type === 'NBIRTH') state.nextSeq = payload.seq === null ? null : (payload.seq + 1) % 256;
    else if (type !== 'NDEATH' && !isCommand && payload.seq !== null) {
      const expected = state.nextSeq;
      if (expected !== null && payload.seq !== expected) {
        state.seqGaps++;
        wantRebirth(`seq gap: expected ${expected}, got ${payload.seq}`);
        hostRecords.push([
          'warning',
          `seq gap on ${group}/${node}: expected ${expected}, got ${payload.seq}`,
          { ...where, type, expected },
          payloadTs,
        ]);
      }
      state.nextSeq = (payload.seq + 1) % 256;
    }
    if (type === 'NDATA' || type === 'DDATA') {
      if (state.online !== true) wantRebirth(`${type} before the node's birth`);
      else if (device !== undefined && state.devices.get(device)?.online !== true)
        wantRebirth(`DDATA before the birth of device ${device}`);
    }

    // Validate every metric before anything is learned or written: a frame is never half-decoded.
    const births = new Map<number, string>();
    for (const metric of payload.metrics)
      if (metric.name && metric.alias !== null) births.set(metric.alias, metric.name);
    const known = (alias: number) =>
      births.get(alias) ?? (type === 'NBIRTH' ? undefined : state.aliases.get(alias));
    const fields: Record<string, unknown> = {};
    let strings = 0;
    const samples: [string, number, number, string | undefined][] = [];
    const declared: [string, MetricBirth][] = [];
    const structured: [string, Metric][] = [];
    for (const metric of payload.metrics) {
      const alias = metric.alias;
      const name = metric.name || (alias !== null ? known(alias) : undefined);
      if (!name) {
        if (alias !== null) wantRebirth(`metric alias ${alias} was never named in a birth certificate`);
        return {
          ok: false,
          reason:
            alias === null
              ? 'a metric with neither a name nor an alias'
              : `metric alias ${alias} was never named in a birth certificate`,
        };
      }
      // The unit matters only where a channel is made, which is at the metric's birth: data
      // messages look nothing up (no string key per metric and message).
      if (isBirth)
        declared.push([metricKey(device, name), { datatype: metric.datatype, unit: metric.unit ?? '' }]);
      if (metric.isNull) continue;
      const ts = plausibleTimestamp(metric.timestamp, frame.rx, memo) ?? payloadTs;
      const value = metric.value;
      const unit = (isBirth && metric.unit) || undefined;
      if (isCommand) {
        if (value !== undefined)
          setField(fields, name, typeof value === 'object' ? JSON.stringify(value) : value);
      } else if (typeof value === 'boolean') samples.push([escapeKey(name), value ? 1 : 0, ts, unit]);
      else if (typeof value === 'number') {
        if (Number.isFinite(value)) samples.push([escapeKey(name), value, ts, unit]);
      } else if (value !== undefined && value !== null && typeof value === 'object') {
        // A data set, template or property set: a record of its own, whole.
        structured.push([name, metric]);
      } else if (value !== undefined && value !== null) {
        setField(fields, name, value);
        strings++;
      }
    }
    if (!isBirth && !isDeath && !isCommand && samples.length + strings + structured.length === 0)
      return { ok: false, reason: 'Sparkplug payload with no metrics' };

    // Births and deaths: the online state, and what a birth declares.
    const deathTs = type === 'NDEATH' ? frame.rx : payloadTs; // the will's timestamp is from its connect
    const online: [string, number, number][] = [];
    if (type === 'NBIRTH') {
      state.aliases.clear(); // a node's birth starts its session afresh: aliases are declared again
      state.metrics.clear();
      state.online = true;
      state.bdSeq = bdSeqOf(payload.metrics);
      state.lastBirth = payloadTs;
      state.rebirth = null;
      online.push([ONLINE_CHANNEL, 1, payloadTs]);
    } else if (type === 'NDEATH') {
      const bdSeq = bdSeqOf(payload.metrics);
      if (state.bdSeq !== null && bdSeq !== null && bdSeq !== state.bdSeq) {
        // The will of an earlier session, delivered late: the node is still alive in its new one.
        out.record(
          'info',
          `NDEATH ${who} of an earlier session ignored`,
          { ...where, bdSeq, currentBdSeq: state.bdSeq },
          frame.rx,
        );
        return { ok: true };
      }
      state.online = false;
      state.lastDeath = deathTs;
      state.nextSeq = null;
      online.push([ONLINE_CHANNEL, 0, deathTs]);
      // A node's death takes its devices with it.
      for (const [name, d] of state.devices)
        if (d.online !== false) {
          d.online = false;
          d.lastDeath = deathTs;
          online.push([`${name}/${ONLINE_CHANNEL}`, 0, deathTs]);
        }
    } else if ((type === 'DBIRTH' || type === 'DDEATH') && device !== undefined) {
      let d = state.devices.get(device);
      if (!d) state.devices.set(device, (d = { online: null, lastBirth: null, lastDeath: null }));
      d.online = type === 'DBIRTH';
      if (d.online) d.lastBirth = payloadTs;
      else d.lastDeath = payloadTs;
      online.push([ONLINE_CHANNEL, d.online ? 1 : 0, payloadTs]);
    }
    for (const [alias, name] of births) state.aliases.set(alias, name);
    for (const [key, birth] of declared) state.metrics.set(key, birth);

    for (const [path, value, ts, unit] of samples) out.sample(path, value, ts, unit);
    for (const [path, value, ts] of online) out.sample(path, value, ts);
    for (const [severity, message, f, ts] of hostRecords) out.record(severity, message, f, ts);
    const bdSeq = type === 'NBIRTH' || type === 'NDEATH' ? bdSeqOf(payload.metrics) : null;
    if (isBirth || isDeath) {
      out.record(
        isDeath ? 'warning' : 'notice',
        `${type} ${who}`,
        { ...where, ...(bdSeq === null ? {} : { bdSeq }), ...fields, metrics: payload.metrics.length },
        isDeath ? deathTs : payloadTs,
      );
    } else if (isCommand || strings > 0) {
      out.record('info', isCommand ? `${type} ${who}` : frame.key, { ...where, ...fields }, payloadTs);
    }
    for (const [name, metric] of structured)
      out.record(
        'info',
        `${type} ${who}: ${typeName(metric.datatype)} ${name}`,
        { ...where, metric: name, datatype: typeName(metric.datatype), value: metric.value },
        plausibleTimestamp(metric.timestamp, frame.rx, memo) ?? payloadTs,
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
