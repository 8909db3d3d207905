// Serial text: line framing, the Arduino plotter format, format detection over a stream of lines,
// and the console ring.
import { describe, expect, it } from 'vitest';
import type { FrameSinks } from '../../electron/engine/ingest/framers/framer';
import { ConsoleRing } from '../../electron/engine/sources/serial/console';
import { pipelineFor, streamDecoder } from '../../electron/engine/sources/serial';
import { LineFramer } from '../../electron/engine/ingest/framers/lines';
import { parsePlotterLine } from '../../electron/engine/sources/serial/plotter';
import { SerialOptions } from '../../shared/schemas';
import { recordRows } from '../../electron/engine/batch';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function lines(maxBytes = 4096) {
  const framer = new LineFramer(maxBytes);
  const got: string[] = [];
  const bad: [string, string][] = [];
  const sinks: FrameSinks = { frame: (b) => got.push(dec(b)), bad: (b, r) => bad.push([dec(b), r]) };
  return { framer, got, bad, push: (s: string) => framer.push(enc(s), sinks), sinks };
}

describe('line framing', () => {
  it('ends lines at CR, LF or CRLF, across chunks, skipping empty ones', () => {
    const l = lines();
    for (const chunk of ['a,1\r', '\nb,', '2\n\nc,3\rd', ',4\r\n']) l.push(chunk);
    expect(l.got).toEqual(['a,1', 'b,2', 'c,3', 'd,4']);
    expect(l.bad).toEqual([]);
  });

  it('quarantines an endless line in bounded pieces and goes on at the next line end', () => {
    const l = lines(16);
    l.push('x'.repeat(40));
    l.push('yy\nok 1\n');
    expect(l.bad).toEqual([
      ['x'.repeat(16), 'no line end within 16 bytes'],
      ['x'.repeat(16), 'no line end within 16 bytes'],
      ['xxxxxxxxyy', 'end of a line longer than 16 bytes'],
    ]);
    expect(l.got).toEqual(['ok 1']);
  });

  it('keeps the first line apart when the port opened in the middle of it, and the rest of a line at close', () => {
    const l = lines();
    l.framer.firstMayBeCut = true;
    l.push('.5,40.1\r\n21.6,40.2\r\n21.7');
    l.framer.end(l.sinks, 'the port closed');
    expect(l.got).toEqual(['21.6,40.2']);
    expect(l.bad).toEqual([
      ['.5,40.1', 'partial line: the port opened in the middle of it'],
      ['21.7', 'incomplete line (the port closed)'],
    ]);
  });
});

describe('Arduino plotter lines', () => {
  const values = (line: string) => {
    const p = parsePlotterLine(line);
    return p.ok ? p.values : p.reason;
  };
  it('name bare values "value 1", "value 2"… as the IDE 2 plotter does, whatever the separator', () => {
    for (const line of ['1 2.5', '1\t2.5', '1,2.5', '1, 2.5,', ' 1  2.5 '])
      expect(values(line)).toEqual([
        ['value 1', 1],
        ['value 2', 2.5],
      ]);
  });
  it('read label:value pairs', () => {
    expect(values('temp:21.5,hum:40\ttarget:-3e2')).toEqual([
      ['temp', 21.5],
      ['hum', 40],
      ['target', -300],
    ]);
    expect(values('a.b:1')).toEqual([['a\\.b', 1]]);
  });
  it('skip nan and inf readings, and refuse lines that are not the format', () => {
    expect(values('temp:nan hum:40')).toEqual([['hum', 40]]);
    expect(values('nan,inf')).toBe('plotter: no readings (every value is nan/inf)');
    expect(values('temp:21 5')).toBe('plotter: "5" is not label:value');
    expect(values('12abc')).toBe('plotter: "12abc" is not a number');
  });
});

function decoderFor(options: Record<string, unknown>) {
  const pipeline = pipelineFor(SerialOptions.parse({ path: '/dev/x', ...options }));
  const channels: string[] = [];
  const quarantined: [string, string][] = [];
  const d = streamDecoder(pipeline, 'rig', {
    channel: (path, unit) => channels.push(`${path}${unit ? ` (${unit})` : ''}`) - 1,
    quarantine: (raw, reason) => quarantined.push([dec(raw), reason]),
  });
  const feed = (...input: string[]) => {
    for (const line of input) d.push({ rx: 1_800_000_000_000, key: '/dev/x', bytes: enc(line) });
    const { samples, records } = d.take();
    return {
      samples: Array.from({ length: samples.n }, (_, i) => [channels[samples.channel[i]!], samples.value[i]]),
      records: recordRows(records).map((r) => [r.message, r.fields]),
    };
  };
  return { d, feed, quarantined, channels };
}

describe('format detection over a stream of lines', () => {
  it('takes a CSV header and names later rows by it', () => {
    const s = decoderFor({});
    expect(s.feed('temp,hum', '21.5,40', '21.6,41').samples).toEqual([
      ['temp', 21.5],
      ['hum', 40],
      ['temp', 21.6],
      ['hum', 41],
    ]);
    expect(s.d.decoderOf('/dev/x')).toBe('csv');
  });

  it('reads comma-separated numbers without a header as the plotter does, or as CSV columns when told', () => {
    expect(decoderFor({}).feed('1,2').samples).toEqual([
      ['value 1', 1],
      ['value 2', 2],
    ]);
    expect(decoderFor({ lineDecoder: 'csv' }).feed('1,2').samples).toEqual([
      ['col0', 1],
      ['col1', 2],
    ]);
  });

  it('reads JSON, key=value and NMEA, with units, and quarantines what none of them reads', () => {
    const s = decoderFor({});
    const out = s.feed(
      '{"temp":21.5,"state":"ok"}',
      'pump=1 pressure=2.5',
      '$GPGGA,030719.000,3747.0873,S,17518.8938,E,1,08,1.1,59.9,M,23.7,M,,0000*7D',
      'Booting sensor board v2',
      '$GPGGA,030719.000,3747.0873,S,17518.8938,E,1,08,1.1,59.9,M,23.7,M,,0000*7E',
      '{"temp": 22.',
    );
    expect(out.samples.map((x) => x[0])).toEqual([
      'temp',
      'pump',
      'pressure',
      'fixQuality',
      'satellites',
      'hdop',
      'lat (°)',
      'lon (°)',
      'altitude (m)',
    ]);
    expect(out.records).toEqual([['/dev/x', { state: 'ok' }]]);
    expect(s.quarantined).toEqual([
      ['Booting sensor board v2', 'no nmea/json/plotter/csv/kv decoder recognises this'],
      [expect.stringContaining('*7E'), 'NMEA checksum mismatch: computed 7D, the sentence says 7E'],
      ['{"temp": 22.', expect.stringMatching(/^json: invalid JSON/)],
    ]);
  });

  it('with NMEA framing, takes NMEA only', () => {
    const s = decoderFor({ framing: 'nmea' });
    expect(s.feed('temp:1').samples).toEqual([]);
    expect(s.quarantined).toEqual([['temp:1', 'nmea: not an NMEA sentence (no leading $)']]);
  });
});

describe('console ring', () => {
  it('keeps the last bytes within its budget, in order, text or hex, and reads on from a seq', () => {
    const ring = new ConsoleRing(10);
    ring.add('rx', enc('hello\n'), 1);
    ring.add('tx', enc('AT\r\n'), 2);
    expect(ring.read(undefined, 100)).toEqual({
      chunks: [
        { seq: 1, ts: 1, dir: 'rx', bytes: 6, text: 'hello\n', hex: null },
        { seq: 2, ts: 2, dir: 'tx', bytes: 4, text: 'AT\r\n', hex: null },
      ],
      next: 2,
      truncated: false,
    });
    ring.add('rx', Uint8Array.of(0xc0, 0x01, 0xff), 3);
    const after = ring.read(2, 100);
    expect(after.chunks).toEqual([{ seq: 3, ts: 3, dir: 'rx', bytes: 3, text: null, hex: 'c001ff' }]);
    expect(after.truncated).toBe(false);
    // 13 bytes over a 10-byte budget: the oldest chunk is gone, and a reader that missed it is told.
    expect(ring.read(0, 100)).toMatchObject({ chunks: [{ seq: 2 }, { seq: 3 }], truncated: true });
    expect(ring.read(3, 100)).toEqual({ chunks: [], next: 3, truncated: false });
    expect(ring.read(2, 1)).toMatchObject({ chunks: [{ seq: 3 }], next: 3, truncated: false });
    expect(ring.read(99, 100)).toMatchObject({ chunks: [{ seq: 2 }, { seq: 3 }], truncated: true });
  });
});
