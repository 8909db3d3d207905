// What the JSON log formats share (Suricata eve.json, Falco, journald, Zeek JSON): one object per
// line, refused before parsing when it nests too deep, recognised by the members its format always
// writes, and placed in time by the rules of `deviceTime`.
import type { Severity } from '../../batch';
import {
  decodeUtf8,
  deviceTime,
  MAX_NESTING_DEPTH,
  setField,
  type DecodeOutput,
  type Frame,
} from '../decoder';
import { jsonNestedDeeperThan } from '../formats';

export type JsonObject = Record<string, unknown>;

/** The line as a JSON object, or why not. */
export function jsonObject(
  bytes: Uint8Array,
): { ok: true; value: JsonObject } | { ok: false; reason: string } {
  const t = decodeUtf8(bytes);
  if (t === null) return { ok: false, reason: 'not valid UTF-8' };
  const s = t.trim();
  if (s[0] !== '{') return { ok: false, reason: 'not a JSON object' };
  if (jsonNestedDeeperThan(s, MAX_NESTING_DEPTH))
    return { ok: false, reason: `JSON nested deeper than ${MAX_NESTING_DEPTH} levels` };
  try {
    const value: unknown = JSON.parse(s);
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return { ok: false, reason: 'not a JSON object' };
    return { ok: true, value: value as JsonObject };
  } catch (error) {
    return { ok: false, reason: `invalid JSON: ${(error as Error).message}` };
  }
}

/**
 * A confidence for `bytes` being a JSON object of one format, tested by `fits`: high enough to
 * win over the generic json decoder (0.95) when it fits.
 */
export function jsonConfidence(bytes: Uint8Array, fits: (o: JsonObject) => boolean): number {
  // Skip leading blanks without decoding: a line that does not start with `{` costs nothing.
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09)) i++;
  if (bytes[i] !== 0x7b) return 0;
  const parsed = jsonObject(bytes);
  return parsed.ok && fits(parsed.value) ? 0.97 : 0;
}

/**
 * Writes one record of a JSON event: event time from `rawTime` when believed, else receive time,
 * with the time kept in the fields under `timeField`.
 */
export function jsonRecord(
  frame: Frame,
  out: DecodeOutput,
  memo: Record<string, unknown>,
  severity: Severity,
  message: string,
  fields: Record<string, unknown>,
  timeField: string,
  rawTime: unknown,
): void {
  const time = rawTime === undefined ? null : deviceTime(rawTime, frame.rx, memo, out);
  let ts = frame.rx;
  if (time && !time.implausible) ts = time.ms;
  else if (rawTime !== undefined) setField(fields, timeField, rawTime);
  out.record(severity, message, fields, ts);
}

/** The members of `o` but the named ones. */
export function without(o: JsonObject, names: readonly string[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!names.includes(k)) setField(fields, k, v);
  return fields;
}

export const isString = (v: unknown): v is string => typeof v === 'string';
