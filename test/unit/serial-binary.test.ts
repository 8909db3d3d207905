// Binary serial frames: the checks against their catalogue check values, SLIP, layouts, and the
// framers' resync after garbage, torn frames and bad checks.
import { describe, expect, it } from 'vitest';
import {
  checks,
  CompiledLayout,
  layoutDecoder,
  slipEncode,
  slipUnescape,
} from '../../electron/engine/decode/binary';
import { FixedFramer, SlipFramer } from '../../electron/engine/ingest/framers/binary';
import type { FrameSinks } from '../../electron/engine/ingest/framers/framer';
import type { DecodeOutput } from '../../electron/engine/decode/decoder';
import { BinaryLayout } from '../../shared/schemas';

const ascii = (s: string) => new TextEncoder().encode(s);
const bytes = (...b: number[]) => Uint8Array.from(b);

describe('checks', () => {
  it('give the catalogue check value of "123456789"', () => {
    const check = Object.fromEntries(
      Object.entries(checks).map(([kind, c]) => [kind, c.compute(ascii('123456789'))]),
    );
    expect(check).toEqual({
      xor: 0x31,
      crc8: 0xf4, // CRC-8/SMBUS
      'crc8-maxim': 0xa1, // CRC-8/MAXIM-DOW
      'crc16-modbus': 0x4b37,
      'crc16-ccitt-false': 0x29b1, // CRC-16/IBM-3740
      crc32: 0xcbf43926, // CRC-32/ISO-HDLC
    });
  });

  it('cover a range of a buffer', () => {
    const framed = ascii('xx123456789yy');
    expect(checks['crc16-modbus'].compute(framed, 2, 11)).toBe(0x4b37);
    // A MODBUS RTU request from the spec's examples: read holding registers, CRC sent low byte first.
    expect(checks['crc16-modbus'].compute(bytes(0x01, 0x03, 0x00, 0x00, 0x00, 0x0a))).toBe(0xcdc5);
  });
});

describe('SLIP', () => {
  it('escapes END and ESC and reads them back', () => {
    const frame = bytes(1, 0xc0, 2, 0xdb, 3);
    const wire = slipEncode(frame);
    expect([...wire]).toEqual([0xc0, 1, 0xdb, 0xdc, 2, 0xdb, 0xdd, 3, 0xc0]);
    expect(slipUnescape(wire.subarray(1, -1))).toEqual(frame);
  });
  it('says what is wrong with a broken escape', () => {
    expect(slipUnescape(bytes(1, 0xdb, 0x05))).toBe('bad SLIP escape DB 05 at byte 1');
    expect(slipUnescape(bytes(1, 0xdb))).toBe('SLIP escape at the end of the frame');
  });
});

const layout = (o: unknown) => new CompiledLayout(BinaryLayout.parse(o));

/** A frame of the fixed test layout: AA 55, int16 temp (÷100), uint16 hum (÷10), CRC-16/MODBUS. */
function fixedFrame(temp: number, hum: number): Uint8Array {
  const f = new Uint8Array(8);
  const v = new DataView(f.buffer);
  f.set([0xaa, 0x55]);
  v.setInt16(2, Math.round(temp * 100), true);
  v.setUint16(4, Math.round(hum * 10), true);
  v.setUint16(6, checks['crc16-modbus'].compute(f, 0, 6), true);
  return f;
}
const FIXED = {
  framing: 'fixed',
  sync: 'AA 55',
  fields: [
    { name: 'temp', type: 'int16', scale: 0.01, unit: '°C' },
    { name: 'hum', type: 'uint16', scale: 0.1 },
  ],
  check: { kind: 'crc16-modbus' },
};

function collect() {
  const frames: Uint8Array[] = [];
  const bad: [number[], string][] = [];
  const sinks: FrameSinks = {
    frame: (b) => frames.push(b),
    bad: (b, reason) => bad.push([[...b], reason]),
  };
  return { frames, bad, sinks };
}

function decodeAll(l: CompiledLayout, frames: Uint8Array[], rx = 1_800_000_000_000) {
  const samples: [string, number, number][] = [];
  const out: DecodeOutput = { sample: (p, v, ts) => samples.push([p, v, ts]), record: () => undefined };
  for (const f of frames)
    expect(layoutDecoder(l).decode({ rx, key: 'p', bytes: f }, out, {})).toEqual({ ok: true });
  return samples;
}

describe('layouts', () => {
  it('work out positions, the default length and where the check is', () => {
    const l = layout(FIXED);
    expect(l.length).toBe(8);
    expect(l.fields.map((f) => [f.name, f.pos])).toEqual([
      ['temp', 2],
      ['hum', 4],
    ]);
    expect(l.problem(fixedFrame(21.5, 40))).toBeNull();
    const bad = fixedFrame(21.5, 40);
    bad[3]! ^= 0x01;
    expect(l.problem(bad)).toMatch(
      /^crc16-modbus check failed: computed [0-9A-F]{4}, frame says [0-9A-F]{4}$/,
    );
  });

  it('refuse fields past the frame, naming the field', () => {
    expect(() => layout({ ...FIXED, length: 5 })).toThrow(
      /binary.fields.1 \(hum\): bytes 4–5 are past the 5-byte frame/,
    );
    expect(() => BinaryLayout.parse({ ...FIXED, framing: 'slip' })).toThrow(
      /sync bytes find fixed-length frames/,
    );
  });

  it('read every type in either byte order, with scale and offset', () => {
    const l = layout({
      framing: 'slip',
      fields: [
        { name: 'a', type: 'int8' },
        { name: 'b', type: 'uint32', endian: 'big' },
        { name: 'c', type: 'float32', scale: 2, offset: 1 },
        { name: 'd', type: 'int64' },
        { name: 'e', type: 'float64', endian: 'big' },
      ],
    });
    const f = new Uint8Array(25);
    const v = new DataView(f.buffer);
    v.setInt8(0, -5);
    v.setUint32(1, 0xdeadbeef, false);
    v.setFloat32(5, 1.5, true);
    v.setBigInt64(9, -123456789012n, true);
    v.setFloat64(17, Math.PI, false);
    expect(decodeAll(l, [f]).map(([p, value]) => [p, value])).toEqual([
      ['a', -5],
      ['b', 0xdeadbeef],
      ['c', 4],
      ['d', -123456789012],
      ['e', Math.PI],
    ]);
  });

  it('use an epoch timestamp field as event time when plausible, never a since-boot one', () => {
    const rx = Date.UTC(2027, 0, 1);
    const l = layout({
      framing: 'slip',
      fields: [
        { name: 'clock', type: 'uint32', timestamp: 'epoch-s' },
        { name: 'uptime', type: 'uint32', timestamp: 'boot-ms' },
        { name: 'v', type: 'uint8' },
      ],
    });
    const frame = (clock: number) => {
      const f = new Uint8Array(9);
      const v = new DataView(f.buffer);
      v.setUint32(0, clock, true);
      v.setUint32(4, 5000, true);
      f[8] = 7;
      return f;
    };
    expect(decodeAll(l, [frame(Date.UTC(2026, 11, 31) / 1000)], rx)).toEqual([
      ['uptime', 5000, Date.UTC(2026, 11, 31)],
      ['v', 7, Date.UTC(2026, 11, 31)],
    ]);
    expect(decodeAll(l, [frame(12)], rx).map((s) => s[2])).toEqual([rx, rx]); // a clock that says 1970
  });
});

describe('fixed-length framer', () => {
  it('finds frames split anywhere, and resyncs after garbage and a torn frame', () => {
    const l = layout(FIXED);
    const framer = new FixedFramer(l, 4096);
    const c = collect();
    const torn = fixedFrame(99, 99).subarray(0, 5);
    const stream = Buffer.concat([
      fixedFrame(21.5, 40),
      bytes(0x00, 0xaa, 0x13), // garbage, with a lone sync byte in it
      fixedFrame(21.6, 41),
      torn,
      fixedFrame(21.7, 42),
      fixedFrame(21.8, 43),
    ]);
    for (let i = 0; i < stream.length; i += 3) framer.push(stream.subarray(i, i + 3), c.sinks);
    expect(decodeAll(l, c.frames).map((s) => [s[0], Number(s[1].toFixed(2))])).toEqual([
      ['temp', 21.5],
      ['hum', 40],
      ['temp', 21.6],
      ['hum', 41],
      ['temp', 21.7],
      ['hum', 42],
      ['temp', 21.8],
      ['hum', 43],
    ]);
    expect(c.bad).toEqual([
      [[0x00, 0xaa, 0x13], 'bytes before a sync'],
      [[...torn], expect.stringMatching(/^crc16-modbus check failed: .*; resynced$/)],
    ]);
  });

  it('without sync bytes, slides byte by byte until the check holds again', () => {
    const l = layout({ ...FIXED, sync: undefined });
    const frame = (t: number) => fixedFrame(t, 1).subarray(2).slice(); // drop the sync bytes
    const fix = (f: Uint8Array) => {
      new DataView(f.buffer).setUint16(4, checks['crc16-modbus'].compute(f, 0, 4), true);
      return f;
    };
    const framer = new FixedFramer(l, 4096);
    const c = collect();
    framer.push(Buffer.concat([fix(frame(1)), bytes(0xff), fix(frame(2)), fix(frame(3))]), c.sinks);
    expect(
      decodeAll(l, c.frames)
        .filter((s) => s[0] === 'temp')
        .map((s) => s[1]),
    ).toEqual([1, 2, 3]);
    expect(c.bad).toEqual([[[0xff], expect.stringMatching(/check failed.*resynced/)]]);
  });

  it('hands out a frame cut short when the port closes', () => {
    const framer = new FixedFramer(layout(FIXED), 4096);
    const c = collect();
    framer.push(fixedFrame(1, 1).subarray(0, 6), c.sinks);
    framer.end(c.sinks, 'the port closed');
    expect(c.bad).toEqual([[[...fixedFrame(1, 1).subarray(0, 6)], 'incomplete frame (the port closed)']]);
  });
});

describe('SLIP framer', () => {
  const SLIP = {
    framing: 'slip',
    fields: [
      { name: 'seq', type: 'uint16' },
      { name: 'v', type: 'float32' },
    ],
    check: { kind: 'crc32' },
  };
  const frame = (seq: number, value: number) => {
    const f = new Uint8Array(10);
    const v = new DataView(f.buffer);
    v.setUint16(0, seq, true);
    v.setFloat32(2, value, true);
    v.setUint32(6, checks.crc32.compute(f, 0, 6), true);
    return f;
  };

  it('unescapes, checks, and quarantines torn frames and bad checks with their bytes', () => {
    const l = layout(SLIP);
    const framer = new SlipFramer(l, 64);
    const c = collect();
    const good = (seq: number) => slipEncode(frame(seq, seq / 2));
    const corrupt = slipEncode(frame(7, 1));
    corrupt[3]! ^= 0x40;
    const stream = Buffer.concat([
      good(0xc0db), // sequence bytes that need escaping
      good(1).subarray(0, 5), // torn: the device reset mid-frame
      good(2),
      corrupt,
      good(3),
    ]);
    framer.push(stream, c.sinks);
    expect(
      decodeAll(l, c.frames)
        .filter((s) => s[0] === 'seq')
        .map((s) => s[1]),
    ).toEqual([0xc0db, 2, 3]);
    expect(c.bad.map(([b, reason]) => [b.length, reason])).toEqual([
      [4, 'torn frame: 4 bytes, the layout needs at least 10'],
      [10, expect.stringMatching(/^crc32 check failed/)],
    ]);
  });

  it('drops a frame that may have been cut when the port opened, and bounds an endless one', () => {
    const framer = new SlipFramer(layout(SLIP), 16);
    framer.firstMayBeCut = true;
    const c = collect();
    framer.push(Buffer.concat([bytes(9, 9, 9, 0xc0), slipEncode(frame(5, 1))]), c.sinks);
    expect(c.frames).toHaveLength(1);
    expect(c.bad).toEqual([[[9, 9, 9], 'partial frame: the port opened in the middle of it']]);
    framer.push(new Uint8Array(40).fill(1), c.sinks);
    framer.push(bytes(0xc0), c.sinks);
    expect(c.bad.slice(1).map(([b, reason]) => [b.length, reason])).toEqual([
      [17, 'no SLIP END within 16 bytes'],
      [17, 'no SLIP END within 16 bytes'],
      [6, 'end of a frame longer than 16 bytes'],
    ]);
  });
});
