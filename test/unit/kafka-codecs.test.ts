// Kafka's compression codecs (codecs.ts) against the compressors of record: zlib, snappyjs (raw,
// and in snappy-java's "xerial" stream as Kafka's Java producer writes it), lz4js (LZ4 frames) and
// the reference `zstd` tool; each capped at its limit; hostile bytes end in an answer, never a throw.
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import lz4 from 'lz4js';
import snappy from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { decompress } from '../../electron/engine/sources/kafka/codecs';

const GZIP = 1;
const SNAPPY = 2;
const LZ4 = 3;
const ZSTD = 4;

/** About 100 KB of JSON lines, as a busy topic's batch holds. */
const plain = Buffer.from(
  Array.from(
    { length: 2000 },
    (_, i) => `{"seq":${i},"host":"web-${i % 16}","rule":"Write below etc"}\n`,
  ).join(''),
);

/** snappy-java's stream: magic, version 1, compatible version 1, then length-prefixed raw blocks. */
function xerial(data: Buffer, blockSize: number): Buffer {
  const parts = [Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])];
  for (let p = 0; p < data.length; p += blockSize) {
    const block = Buffer.from(snappy.compress(data.subarray(p, p + blockSize)));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

const zstd = (data: Buffer, ...args: string[]) =>
  execFileSync('zstd', ['-q', '-c', ...args], { input: data });

const compressed: [string, number, Buffer][] = [
  ['gzip', GZIP, gzipSync(plain)],
  ['snappy (raw, as librdkafka writes it)', SNAPPY, Buffer.from(snappy.compress(plain))],
  ['snappy (xerial blocks, as the Java producer writes it)', SNAPPY, xerial(plain, 32 * 1024)],
  ['lz4 (a frame)', LZ4, Buffer.from(lz4.compress(plain))],
  ['zstd (content size in the frame)', ZSTD, zstd(plain, '-19')],
  ['zstd (no content size)', ZSTD, zstd(plain, '--no-content-size')],
];

describe('Kafka codecs', () => {
  it.each(compressed)('%s: decompresses to the bytes compressed', (_, codec, bytes) => {
    const out = decompress(codec, bytes, 64 * 1024 * 1024);
    expect(Buffer.isBuffer(out)).toBe(true);
    expect((out as Buffer).equals(plain)).toBe(true);
  });

  it.each(compressed)(
    '%s: stops at the limit (a batch that inflates past it is too large)',
    (_, codec, bytes) => {
      expect(decompress(codec, bytes, plain.length - 1)).toEqual({ tooLarge: true });
      expect(Buffer.isBuffer(decompress(codec, bytes, plain.length))).toBe(true);
    },
  );

  it('says why bytes do not decompress, and never throws on any bytes', () => {
    for (const codec of [GZIP, SNAPPY, LZ4, ZSTD]) {
      const out = decompress(codec, Buffer.from('not compressed at all'), 1024);
      expect(out, `codec ${codec}`).toMatchObject({
        error: expect.stringMatching(/^(gzip|snappy|lz4|zstd): .+/),
      });
    }
    expect(decompress(6, plain, 1024)).toEqual({ error: 'unknown compression codec 6' });
    fc.assert(
      fc.property(
        fc.constantFrom(...compressed),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
        fc.integer({ min: 0, max: 200_000 }),
        ([, codec, bytes], flips, cut, limit) => {
          // The valid stream with bytes changed and cut short, decompressed under a limit.
          const changed = Buffer.from(bytes.subarray(0, Math.max(1, bytes.length - (cut % bytes.length))));
          for (const [at, value] of flips) changed[at % changed.length] = value;
          const out = decompress(codec, changed, limit);
          if (Buffer.isBuffer(out)) expect(out.length).toBeLessThanOrEqual(limit);
          else expect('tooLarge' in out || typeof out.error === 'string').toBe(true);
        },
      ),
      { numRuns: 600 },
    );
  });
});
