// Hex bytes as people type them (shared/hex.ts): the serial layout's sync bytes, payloads to
// publish or send, and the source console's hex chunks all go through parseHex.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHex, parseHex } from '../../../shared/hex';

const bytes = (b: Uint8Array | null) => (b === null ? null : [...b]);

describe('parseHex', () => {
  it('reads pairs in either case, with white space anywhere', () => {
    expect(bytes(parseHex('AA 55'))).toEqual([0xaa, 0x55]);
    expect(bytes(parseHex('aa55'))).toEqual([0xaa, 0x55]);
    expect(bytes(parseHex(' 01\t03\n00 ff '))).toEqual([1, 3, 0, 255]);
  });

  it('reads empty text (or only white space) as no bytes', () => {
    expect(bytes(parseHex(''))).toEqual([]);
    expect(bytes(parseHex('  \n'))).toEqual([]);
  });

  it('refuses an odd digit count, other letters and prefixes', () => {
    expect(parseHex('AA 5')).toBeNull();
    expect(parseHex('GG')).toBeNull();
    expect(parseHex('0x01')).toBeNull();
    expect(parseHex('01,02')).toBeNull();
  });

  it('reads back any bytes written as hex, however spaced', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom('', ' ', '  ', '\n'), (data, gap) => {
        const text = [...data].map((b) => formatHex(b, 1)).join(gap);
        expect(bytes(parseHex(text))).toEqual([...data]);
        expect(bytes(parseHex(text.toLowerCase()))).toEqual([...data]);
      }),
    );
  });
});

describe('formatHex', () => {
  it('pads to the byte count in upper case', () => {
    expect(formatHex(0x1a, 2)).toBe('001A');
    expect(formatHex(0, 1)).toBe('00');
    expect(formatHex(0xdeadbeef, 4)).toBe('DEADBEEF');
  });
});
