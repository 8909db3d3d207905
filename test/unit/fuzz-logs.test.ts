// Property-based tests of the log format decoders (electron/engine/decode/logs): whatever bytes a
// file or a peer holds, each keeps the Decoder contract (a confidence in [0, 1]; records, or a
// reason and nothing written) and never throws; pathological long lines finish.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { fileDecoders } from '../../electron/engine/decode/registry';
import { anyBytes, completes, enc, keepsContract } from './fuzz-support';

/** Text shaped like log lines: pieces of every family's syntax, so the parsers go deep. */
const logText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '<13>',
        '<191>1 ',
        '<0>',
        '1 ',
        '- ',
        '[',
        ']',
        '"',
        '\\',
        '=',
        ' ',
        ':',
        '|',
        '\t',
        'Nov 29 18:10:43 ',
        'Jan  2 03:04:05 ',
        '2026-11-29T18:10:43.123Z ',
        '2026-11-29 18:10:43 ',
        '+01:00',
        'host ',
        'sshd[42]: ',
        'app: ',
        '[id@1 k="v"]',
        'CEF:0|',
        'LEEF:1.0|',
        'LEEF:2.0|',
        '#fields\t',
        '#separator \\x09',
        '{"event_type":"alert"',
        '{"__REALTIME_TIMESTAMP":"',
        '{"output":"',
        '(empty)',
        '10/Oct/2000:13:55:36 -0700',
        'GET / HTTP/1.1',
        '1764439843',
        '1764439843123',
      ),
      fc.string({ maxLength: 6 }),
      fc.integer().map(String),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

const memos = (): Record<string, unknown>[] => [
  {},
  { timeZone: 'Europe/Berlin', yearReference: Date.UTC(2027, 0, 2) },
  { year: 2019 },
];

describe('log decoders never throw and keep the contract', () => {
  it('on any bytes and log-shaped text', () => {
    fc.assert(
      fc.property(fc.oneof(anyBytes, logText.map(enc)), (bytes) => {
        for (const d of fileDecoders) for (const memo of memos()) keepsContract(d, bytes, 'file.log', memo);
      }),
      { numRuns: 1000 },
    );
  });

  it('on a stream of lines sharing one memo (headers learned from earlier lines)', () => {
    fc.assert(
      fc.property(fc.array(logText, { maxLength: 12 }), (lines) => {
        for (const d of fileDecoders) {
          const memo: Record<string, unknown> = {};
          for (const line of lines) keepsContract(d, enc(line), 'file.log', memo);
        }
      }),
      { numRuns: 300 },
    );
  });

  const MB = 1 << 20;
  const long: [string, string][] = [
    ['1 MB of "["', '['.repeat(MB)],
    ['structured data that never closes', `<14>1 - h a - - [x@1 ${'k="v" '.repeat(MB / 6)}`],
    ['a tag that never ends', `Nov 29 18:10:43 h ${'a'.repeat(MB)}`],
    ['a million pipes', `CEF:0|${'|'.repeat(MB)}`],
    ['a million escapes', `CEF:0|a|b|c|d|e|5|${'k=\\'.repeat(MB / 3)}`],
    ['a million tabs', '\t'.repeat(MB)],
    ['digits', '1'.repeat(MB)],
    ['quotes', '"'.repeat(MB)],
    ['JSON nested a million deep', `{"event_type":"alert","timestamp":"x","a":${'['.repeat(MB)}`],
    ['a request that never closes', `1.2.3.4 - - [29/Nov/2026:18:10:43 +0000] "${'\\"'.repeat(MB / 2)}`],
    ['Zeek separators', `#separator ${'\\x09'.repeat(MB / 5)}`],
    ['line ends', '\r\n'.repeat(MB / 2) + 'x'],
  ];
  for (const [name, text] of long)
    it(`finishes on ${name}`, () => {
      const bytes = enc(text);
      completes(() => {
        for (const d of fileDecoders) keepsContract(d, bytes, 'file.log', {});
      }, name);
    });
});
