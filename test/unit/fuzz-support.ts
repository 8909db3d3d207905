// What the fuzz tests share: arbitraries for hostile bytes, a way to cut a stream into chunks, a
// decoder output that records what was written, and a hang detector.
import vm from 'node:vm';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Decoder, DecodeOutput } from '../../electron/engine/decode/decoder';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * Runs `fn` and returns what it returns, or throws when it has not finished within a generous
 * bound. A hang detector, not a speed test: the inputs it guards take milliseconds, and what it
 * catches (a regular expression that backtracks quadratically on a 1 MB line, an exponential
 * decode) takes minutes to forever. Unlike a test timeout it interrupts synchronous code, so a
 * regression fails the test instead of stalling the run.
 */
export function completes<T>(fn: () => T, what: string): T {
  const box: { fn: () => T; result?: T } = { fn };
  try {
    vm.runInNewContext('box.result = box.fn()', { box }, { timeout: HANG_MS });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT')
      throw new Error(`${what}: still running after ${HANG_MS / 1000} s — it hangs`, { cause: error });
    throw error;
  }
  return box.result as T;
}
const HANG_MS = 30_000;

/** Characters that structure the formats (brackets, quotes, separators, line ends, signs, escapes). */
const STRUCTURE = [...'{}[]":=,;\\ \t\r\n$*!.-+eE0123456789aAzZ_/'];

/** Text built from format-structuring characters and words: more likely to reach deep code paths than noise. */
export const structuredText = fc
  .array(
    fc.oneof(
      fc.constantFrom(...STRUCTURE),
      fc.constantFrom(
        'nan',
        'inf',
        'ovf',
        'true',
        'null',
        'ts',
        'time',
        '__proto__',
        'constructor',
        'temp',
        '$GPGGA',
        '$GPRMC',
        '*',
        '\u00a0',
        '\u2028',
        '°',
        '\uffff',
        '\ud800',
      ),
      fc.double().map(String),
      fc.integer().map(String),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''));

/** Any bytes: noise, UTF-8 text, structured text, or structured text with a few bytes flipped. */
export const anyBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 80 }).map(enc),
  structuredText.map(enc),
  fc
    .tuple(
      structuredText.map(enc),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    )
    .map(([bytes, flips]) => {
      for (const [at, b] of flips) if (bytes.length) bytes[at % bytes.length] = b;
      return bytes;
    }),
);

/** `bytes` cut at the given positions (sorted, deduplicated, each inside the array). */
export function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => (bytes.length ? c % (bytes.length + 1) : 0)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    if (c > from) chunks.push(bytes.slice(from, c));
    from = Math.max(from, c);
  }
  return chunks;
}
export const cuts = fc.array(fc.nat(), { maxLength: 30 });

/** Every single byte a chunk: the most broken-up way to deliver a stream. */
export const byteByByte = (bytes: Uint8Array): Uint8Array[] => [...bytes].map((b) => Uint8Array.of(b));

export interface Written {
  samples: [string, number, number][];
  records: { severity: string; message: string; fields: Record<string, unknown> | null; ts: number }[];
}

/** A DecodeOutput that keeps what a decoder wrote. */
export function recorder(): Written & { out: DecodeOutput } {
  const written: Written = { samples: [], records: [] };
  return {
    ...written,
    out: {
      sample: (path, value, ts) => written.samples.push([path, value, ts]),
      record: (severity, message, fields, ts) => written.records.push({ severity, message, fields, ts }),
    },
  };
}

const RX = Date.UTC(2026, 10, 25, 12, 0, 0);

/**
 * The Decoder contract on one frame: a confidence in [0, 1]; then either success having written
 * at least one sample or record (a CSV or Zeek header writes none: it is learned), or a non-empty reason
 * and nothing written. Values and times are finite, record fields serialise.
 */
export function keepsContract(
  d: Decoder,
  bytes: Uint8Array,
  key: string,
  memo: Record<string, unknown> = {},
) {
  const confidence = d.detect(bytes, key);
  expect(confidence >= 0 && confidence <= 1, `${d.name}.detect → ${confidence}`).toBe(true);
  const w = recorder();
  const headerBefore = memo['header'];
  const result = d.decode({ rx: RX, key, bytes }, w.out, memo);
  if (result.ok) {
    // Header lines write nothing: they are learned (a CSV header; Zeek's `#fields`, `#close`, …).
    const learnedHeader =
      (d.name === 'csv' && memo['header'] !== headerBefore) || (d.name === 'zeek' && bytes[0] === 0x23);
    expect(w.samples.length + w.records.length > 0 || learnedHeader, `${d.name} ok but wrote nothing`).toBe(
      true,
    );
  } else {
    expect(result.reason.trim(), `${d.name} gave an empty reason`).not.toBe('');
    expect(w.samples, `${d.name} failed (${result.reason}) but wrote samples`).toEqual([]);
    expect(w.records, `${d.name} failed (${result.reason}) but wrote records`).toEqual([]);
  }
  for (const [path, value, ts] of w.samples) {
    expect(typeof path).toBe('string');
    expect(Number.isFinite(value), `${d.name} wrote ${value} on ${path}`).toBe(true);
    expect(Number.isFinite(ts)).toBe(true);
  }
  for (const r of w.records) {
    expect(typeof r.message).toBe('string');
    expect(Number.isFinite(r.ts)).toBe(true);
    expect(() => JSON.stringify(r.fields)).not.toThrow();
  }
  return { result, ...w };
}
