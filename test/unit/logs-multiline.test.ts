// The multi-line framer (continuations joined to their first line, first line numbers kept,
// records bounded) and format detection over a file's first lines.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectLogFormat } from '../../electron/engine/decode/logs/detect';
import { wallToEpoch } from '../../electron/engine/decode/logs/time';
import { zonedToEpoch } from '../../shared/time-zones';
import { MultilineFramer } from '../../electron/engine/ingest/framers/multiline';
import { byteByByte, chunk, cuts, enc } from './fuzz-support';
import { readFileSync } from 'node:fs';

function frame(text: string | Uint8Array, max = 1 << 20, pieces?: (b: Uint8Array) => Uint8Array[]) {
  const framer = new MultilineFramer(max);
  const records: { text: string; line: number | undefined }[] = [];
  const sizes: number[] = [];
  const bad: string[] = [];
  const sinks = {
    frame: (bytes: Uint8Array, line?: number) => {
      sizes.push(bytes.length);
      records.push({ text: Buffer.from(bytes).toString('utf8'), line });
    },
    bad: (_bytes: Uint8Array, reason: string) => bad.push(reason),
  };
  const bytes = typeof text === 'string' ? enc(text) : text;
  for (const piece of pieces ? pieces(bytes) : [bytes]) framer.push(piece, sinks);
  framer.end(sinks);
  return { records, bad, framer, sizes };
}

const JAVA = [
  '2026-11-29 18:10:43,123 ERROR [main] Request failed',
  'java.lang.IllegalStateException: boom',
  '\tat com.acme.Service.run(Service.java:42)',
  '\tat java.base/java.lang.Thread.run(Thread.java:840)',
  'Caused by: java.io.IOException: disk full',
  '\t... 12 more',
  '2026-11-29 18:10:44,000 INFO [main] recovered',
  '',
  'Nov 29 18:10:45 host app[1]: next',
].join('\n');

describe('MultilineFramer', () => {
  it('joins a Java stack trace to its first line and keeps first line numbers', () => {
    const { records } = frame(JAVA);
    expect(records.map((r) => r.line)).toEqual([1, 7, 9]);
    expect(records[0]!.text.split('\n')).toHaveLength(6);
    expect(records[0]!.text).toMatch(
      /^2026-11-29 18:10:43,123 ERROR .*\n.*\n\tat .*\n\tat .*\nCaused by: .*\n\t\.\.\. 12 more$/,
    );
    expect(records[1]!.text).toBe('2026-11-29 18:10:44,000 INFO [main] recovered');
  });

  it('joins Python traceback lines that lack the first line’s timestamp; untimed lines stay apart', () => {
    const py =
      '2026-11-29T18:10:43Z oops\nTraceback (most recent call last):\n  File "x.py", line 1\nValueError: x\n';
    expect(frame(py).records.map((r) => r.line)).toEqual([1]);
    expect(frame('plain one\nplain two\n  indented\n').records.map((r) => [r.line, r.text])).toEqual([
      [1, 'plain one'],
      [2, 'plain two\n  indented'],
    ]);
  });

  it('counts CR, LF and CRLF line ends alike, and blank lines', () => {
    expect(frame('a\r\nb\rc\n\n\nd').records.map((r) => [r.line, r.text])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
      [6, 'd'],
    ]);
  });

  it('cuts a record at the bound and counts what it dropped', () => {
    const { records, framer } = frame(
      `2026-11-29T00:00:00Z first\n${'  more\n'.repeat(100)}2026-11-29T00:00:01Z next`,
      64,
    );
    expect(records[0]!.text.length).toBeLessThanOrEqual(64);
    expect(records[1]!.text).toBe('2026-11-29T00:00:01Z next');
    expect(framer.cutRecords).toBe(1);
    expect(framer.cutBytes).toBe(26 + 700 - 64);
    const long = frame(`${'x'.repeat(1000)}\nshort`, 100);
    expect(long.records.map((r) => r.text.length)).toEqual([100, 5]);
    expect(long.framer.cutBytes).toBe(900);
  });

  it('holds a 4 MB line with no end to the bound, in 64 KiB chunks', () => {
    const { sizes, framer } = frame(new Uint8Array(4 << 20).fill(0x61), 1 << 20, (b) =>
      chunk(
        b,
        [...Array(64).keys()].map((k) => k << 16),
      ),
    );
    expect(sizes).toEqual([1 << 20]);
    expect(framer.cutBytes).toBe(3 << 20);
    expect(framer.cutRecords).toBe(1);
  });

  it('gives the same records however the stream is cut into chunks', () => {
    const whole = frame(JAVA, 80).records;
    fc.assert(
      fc.property(cuts, (at) => {
        expect(frame(JAVA, 80, (b) => chunk(b, at)).records).toEqual(whole);
      }),
    );
    expect(frame(JAVA, 80, byteByByte).records).toEqual(whole);
  });

  it('never holds more than the bound, on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 50 }), (bytes, max) => {
        for (const size of frame(bytes, max).sizes) expect(size).toBeLessThanOrEqual(max);
      }),
    );
  });
});

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/logs/${name}`, import.meta.url), 'utf8').split('\n');

describe('detectLogFormat', () => {
  const expected: [string, string][] = [
    ['syslog-3164-auth.log', 'syslog'],
    ['syslog-5424-rsyslog.log', 'syslog'],
    ['syslog-5424-nopri.log', 'syslog'],
    ['cef-forcepoint.log', 'cef'],
    ['leef-tenzir.log', 'leef'],
    ['access-apache.log', 'access'],
    ['access-nginx-xff.log', 'access'],
    ['zeek-conn.log', 'zeek'],
    ['suricata-eve.json', 'suricata'],
    ['falco.json', 'falco'],
    ['journald.json', 'journald'],
  ];
  for (const [file, format] of expected)
    it(`finds ${format} in ${file}, with the runners-up`, () => {
      const guess = detectLogFormat(fixture(file));
      expect(guess.format).toBe(format);
      expect(guess.confidence).toBeGreaterThan(0.5);
      expect(guess.confidence).toBeLessThanOrEqual(1);
      expect(guess.candidates[0]!.format).toBe(format);
      expect(guess.candidates.length).toBeGreaterThan(1); // text at least: something to overrule with
    });

  it('ranks generic JSON below the specialised formats, and picks it for other JSON', () => {
    const eve = detectLogFormat(fixture('suricata-eve.json'));
    expect(eve.candidates.map((c) => c.format)).toContain('json');
    expect(detectLogFormat(['{"a":"x","level":"info"}', '{"a":"y","level":"warn"}']).format).toBe('json');
  });

  it('finds timestamped text and counts continuation lines', () => {
    const guess = detectLogFormat(JAVA.split('\n'));
    expect(guess.format).toBe('timestamped');
    expect(guess.continuations).toBe(4);
  });

  it('answers null for nothing', () => {
    expect(detectLogFormat([]).format).toBeNull();
    expect(detectLogFormat(['', '  ']).confidence).toBe(0);
  });
});

describe('wallToEpoch (zonedToEpoch with the last hour kept)', () => {
  it('answers as zonedToEpoch does, in order and out of order, across DST changes', () => {
    const transitions = [Date.UTC(2026, 2, 29, 1), Date.UTC(2026, 9, 25, 1), Date.UTC(2026, 3, 5, 16)];
    fc.assert(
      fc.property(
        fc.constantFrom('Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata'),
        fc.constantFrom(...transitions),
        fc.array(fc.integer({ min: -6 * 3_600_000, max: 6 * 3_600_000 }), { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        (zone, around, offsets, sorted) => {
          const walls = offsets.map((o) => around + o);
          if (sorted) walls.sort((a, b) => a - b);
          for (const wall of walls)
            expect(wallToEpoch(wall, zone, wall)).toBe(zonedToEpoch(wall, zone, wall));
        },
      ),
      { numRuns: 200 },
    );
  });
});
