// Decoders turn one frame (an MQTT payload, a serial line, a log line) into samples and records.
// They are pure functions of their input: no I/O, no clock (receive time comes in the frame), so
// they are easy to test and to fuzz.
//
// Invariants:
// - `decode` either reports success having written at least one sample or record, or reports a
//   reason and writes nothing: a frame is never half-decoded.
// - `detect` looks only at the bytes and answers a confidence in [0, 1]; 0 means "cannot be mine".
// - Neither throws, on any input, and both take time in proportion to the input (no recursion
//   past MAX_NESTING_DEPTH, no backtracking pattern): the fuzz tests hold every decoder to this.
//   Should one throw anyway, FrameDecoder quarantines the frame as `<name>: threw <message>`.
// - Channel paths are relative to the frame's key (topic, stream), or to `channelKey(key)` when the
//   decoder has one; the pipeline prefixes them.
import type { Severity } from '../batch';
import { zonedToEpoch } from '../../../shared/time-zones';

export interface Frame {
  /** Receive time, epoch ms. Used as event time when the payload carries none (or an implausible one). */
  rx: number;
  /** Where the frame came from: an MQTT topic, a serial port, a file. */
  key: string;
  bytes: Uint8Array;
  /**
   * JSON members (`"kafka":{…}`, no braces) the source adds to the fields of every record this
   * frame gives: what the transport knows about the message (Kafka's key, partition, offset).
   */
  fields?: string;
  /** The frame's line in its file, for sources that read files (kept with its records). */
  line?: number;
}

export interface DecodeOutput {
  /** `unit`: the channel's unit when the payload declares it (Sparkplug's `engUnit`); read when the channel is created. */
  sample(path: string, value: number, ts: number, unit?: string): void;
  record(severity: Severity, message: string, fields: Record<string, unknown> | null, ts: number): void;
  /**
   * A record whose fields the decoder already holds as JSON text of an object, exactly as
   * `JSON.stringify` would write it (the json decoder's flat-object fast path). Optional: a decoder
   * given an output without it builds the object and calls `record`. `framed`: the text already
   * begins with the frame's own members (`Frame.fields`), which are then not added again.
   */
  recordJson?(severity: Severity, message: string, fieldsJson: string, ts: number, framed?: boolean): void;
  /** A device time seen in this frame (see `deviceTime`). */
  clock?(note: ClockNote): void;
}

export type DecodeResult = { ok: true } | { ok: false; reason: string };

export interface Decoder {
  readonly name: string;
  /** `key` lets protocol decoders claim their own topics (Sparkplug's `spBv1.0/…`). */
  detect(bytes: Uint8Array, key?: string): number;
  /** `memo` is private to this decoder and this frame key (e.g. a CSV header seen earlier). */
  decode(frame: Frame, out: DecodeOutput, memo: Record<string, unknown>): DecodeResult;
  /**
   * Frames whose keys map to the same memo key share one memo (Sparkplug: a node's births and
   * data arrive on different topics but share metric aliases). Default: the frame key.
   */
  memoKey?(key: string): string;
  /**
   * The key the channels of a frame hang under, when it is not the frame's key: a Sparkplug metric
   * is one channel whichever message (birth, data) carried it, so the message type is left out.
   */
  channelKey?(key: string): string;
  /**
   * A one-line summary of a frame for the topic tree, for binary formats that cannot be shown as
   * text (Sparkplug: metric names from the node's births, with values and units). `memo` is the
   * key's own and must not be changed.
   */
  preview?(frame: Frame, memo: Readonly<Record<string, unknown>>): string | null;
  /** The unit of the channel a path feeds, when the format says (NMEA, a binary layout). */
  unit?(path: string): string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8: invalid sequences are an error, never replaced silently. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Nesting deeper than this (JSON brackets, Sparkplug templates and data sets) is refused: real
 * payloads nest a handful of levels, and a peer's message must not be able to exhaust the stack.
 */
export const MAX_NESTING_DEPTH = 64;

/**
 * More values than this in one frame are refused: every new name becomes a channel (a dictionary
 * row, a live ring buffer), and one 1 MB line of `1,1,1,…` must not create half a million.
 */
export const MAX_VALUES_PER_FRAME = 10_000;

/** A strict number: optional sign, digits, fraction, exponent; no hex, no empty string, finite. */
// Each quantifier has one way to match (no `\d+\.?\d*`, which backtracks quadratically on a long
// run of digits that ends in a non-digit).
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
export function parseNumber(text: string): number | null {
  const t = text.trim();
  if (!NUMBER.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

const YEAR_2000 = 946_684_800_000;

/**
 * How a source reads its devices' clocks (memo keys `timeZone`, `futureToleranceMs`, seeded from
 * the source's options): the zone of times written without one, and how far ahead of receive time
 * an event time may be and still be believed.
 */
export const DEFAULT_TIME_ZONE = 'UTC';
export const DEFAULT_FUTURE_TOLERANCE_MS = 300_000;

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * A payload timestamp as epoch ms, or null if it is not one. Numbers are told apart by magnitude
 * (seconds, ms, µs, ns); strings are ISO 8601 or a number. An ISO time without a zone (Tasmota's
 * `"Time":"2026-11-29T18:10:43"`) is wall-clock time in `timeZone`, never the engine host's zone.
 */
export function parseTimestamp(
  value: unknown,
  timeZone: string = DEFAULT_TIME_ZONE,
  near?: number,
): number | null {
  if (typeof value === 'number' || (typeof value === 'string' && parseNumber(value) !== null)) {
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isFinite(n) || n <= 0) return null;
    if (n < 1e11) return n * 1000;
    if (n < 1e14) return n;
    if (n < 1e17) return n / 1000;
    return n / 1e6;
  }
  if (typeof value !== 'string' || value.length > 64) return null;
  const m = ISO_DATE_TIME.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const wall = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, sec ? +sec : 0, frac ? Number(`0.${frac}`) * 1000 : 0);
  if (!Number.isFinite(wall) || +mo! < 1 || +mo! > 12 || +d! < 1 || +d! > 31 || +h! > 23 || +mi! > 59)
    return null;
  if (!zone) return zonedToEpoch(wall, timeZone, near);
  if (zone.toUpperCase() === 'Z') return wall;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return wall - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) * 60_000;
}

/** What a decoder saw of a device's clock in one frame, for the source to count and tell. */
export interface ClockNote {
  /** Event time minus receive time. */
  offsetMs: number;
  /** Not believed (before 2000, or further ahead than the tolerance): stored at receive time. */
  implausible: boolean;
}

/**
 * A device's time value read in the source's zone (memo `timeZone`) and judged: implausible before
 * 2000 or further ahead of receive time than memo `futureToleranceMs` (a board without a clock
 * that says 1970 must not bury its data in the past, nor one running ahead put it in the future).
 * Every readable time is reported through `out.clock`, so the source can count implausible ones
 * and notice a zone offset. Null when the value is not a time at all.
 */
export function deviceTime(
  value: unknown,
  rx: number,
  memo: Record<string, unknown>,
  out: DecodeOutput | null,
): { ms: number; implausible: boolean } | null {
  const ms = parseTimestamp(value, memoTimeZone(memo), rx);
  if (ms === null) return null;
  return judgeTime(ms, rx, memo, out);
}

/** The zone of times written without one (memo `timeZone`, seeded from the source's options). */
export function memoTimeZone(memo: Record<string, unknown>): string {
  return typeof memo['timeZone'] === 'string' ? memo['timeZone'] : DEFAULT_TIME_ZONE;
}

/**
 * An event time a decoder read itself (a log line's own time format) judged by `deviceTime`'s
 * rules, and reported through `out.clock` the same way. Null when `ms` is not a number.
 */
export function judgeTime(
  ms: number,
  rx: number,
  memo: Record<string, unknown>,
  out: DecodeOutput | null,
): { ms: number; implausible: boolean } | null {
  if (!Number.isFinite(ms)) return null;
  const tolerance =
    typeof memo['futureToleranceMs'] === 'number' ? memo['futureToleranceMs'] : DEFAULT_FUTURE_TOLERANCE_MS;
  const implausible = ms < YEAR_2000 || ms > rx + tolerance;
  out?.clock?.({ offsetMs: ms - rx, implausible });
  return { ms, implausible };
}

/** The event time a device's time value gives, or null when it is not a time or not plausible. */
export function plausibleTimestamp(
  value: unknown,
  rx: number,
  memo: Record<string, unknown> = {},
  out: DecodeOutput | null = null,
): number | null {
  const t = deviceTime(value, rx, memo, out);
  return t && !t.implausible ? t.ms : null;
}

/**
 * Sets a field of a record from a peer's key: `__proto__` becomes a field like any other rather
 * than the object's prototype (`o[key] = v` would drop it, or replace the prototype).
 */
export function setField(fields: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(fields, key, { value, enumerable: true, writable: true, configurable: true });
  else fields[key] = value;
}

/** Escapes the characters that structure a channel path, so `{"a.b":1}` and `{"a":{"b":1}}` differ. */
const PATH_CHARACTERS = /[\\./[\]]/;
export function escapeKey(key: string): string {
  // Most keys have nothing to escape: test before building a new string.
  if (!PATH_CHARACTERS.test(key)) return key;
  return key.replace(/[\\./[\]]/g, (c) => `\\${c}`);
}

const SEVERITY_WORDS: [RegExp, Severity][] = [
  [/\b(crit(ical)?|fatal|emerg(ency)?|panic|alert)\b/i, 'critical'],
  [/\b(err(or)?|fail(ed|ure)?|exception)\b/i, 'error'],
  [/\b(warn(ing)?)\b/i, 'warning'],
  [/\b(notice)\b/i, 'notice'],
  [/\b(debug|trace)\b/i, 'debug'],
];

export function guessSeverity(text: string): Severity {
  for (const [re, severity] of SEVERITY_WORDS) if (re.test(text)) return severity;
  return 'info';
}
