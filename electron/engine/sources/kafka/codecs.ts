// The compression codecs of Kafka's record batches: gzip by Node's zlib; snappy, lz4 and zstd by
// small pure-JavaScript decoders (snappyjs, lz4js, fzstd: no native build, nothing downloaded at
// install). Every one decompresses to at most `limit` bytes, so a batch crafted to inflate (a
// "zip bomb") costs a quarantine entry, not the engine's memory.
import { gunzipSync } from 'node:zlib';
import { Decompress as ZstdStream } from 'fzstd';
import lz4 from 'lz4js';
import snappy from 'snappyjs';

export const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** Decompressed bytes; `tooLarge` past `limit`; else why the bytes could not be decompressed. */
export type Decompressed = Buffer | { tooLarge: true } | { error: string };

const TOO_LARGE = { tooLarge: true } as const;

class OverLimit extends Error {}

/**
 * snappy-java's stream format ("xerial"), which Kafka's Java producer writes: a magic header, two
 * version words, then blocks of a 32-bit length and raw snappy. librdkafka writes raw snappy.
 */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = 16;

function unsnappy(compressed: Buffer, limit: number): Decompressed {
  const blocks: Buffer[] = [];
  let total = 0;
  const block = (bytes: Uint8Array) => {
    const out = snappy.uncompress(bytes, limit - total) as Uint8Array;
    total += out.length;
    blocks.push(Buffer.from(out.buffer, out.byteOffset, out.length));
  };
  try {
    if (compressed.length >= XERIAL_HEADER && compressed.subarray(0, 8).equals(XERIAL_MAGIC)) {
      for (let p = XERIAL_HEADER; p < compressed.length;) {
        if (p + 4 > compressed.length) return { error: 'snappy stream ends inside a block length' };
        const length = compressed.readInt32BE(p);
        p += 4;
        if (length < 0 || p + length > compressed.length)
          return { error: `snappy block of ${length} bytes runs past the batch's end` };
        block(compressed.subarray(p, p + length));
        p += length;
      }
    } else block(compressed);
  } catch (error) {
    if (/too big/.test((error as Error).message)) return TOO_LARGE;
    return { error: `snappy: ${(error as Error).message}` };
  }
  return blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks, total);
}

function unlz4(compressed: Buffer, limit: number): Decompressed {
  try {
    // The frame's bound (its content size, else its blocks' maximum sizes) or one byte past the
    // limit, whichever is less: lz4js drops what does not fit, so a full buffer means too large.
    const bound = lz4.decompressBound(compressed);
    if (!Number.isFinite(bound) || bound < 0) return { error: 'lz4: a frame with no readable size' };
    const room = Math.min(bound, limit + 1);
    const out = lz4.decompress(compressed, room);
    if (out.length > limit) return TOO_LARGE;
    return Buffer.from(out.buffer, out.byteOffset, out.length);
  } catch (error) {
    return { error: `lz4: ${(error as Error).message}` };
  }
}

function unzstd(compressed: Buffer, limit: number): Decompressed {
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    // Streamed, so a frame that inflates past the limit is stopped there rather than allocated whole.
    const stream = new ZstdStream((chunk) => {
      total += chunk.length;
      if (total > limit) throw new OverLimit();
      chunks.push(chunk);
    });
    stream.push(compressed, true);
  } catch (error) {
    if (error instanceof OverLimit) return TOO_LARGE;
    return { error: `zstd: ${(error as Error).message}` };
  }
  const out = Buffer.allocUnsafe(total);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

function gunzip(compressed: Buffer, limit: number): Decompressed {
  try {
    return gunzipSync(compressed, { maxOutputLength: limit });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return TOO_LARGE;
    return { error: `gzip: ${(error as Error).message}` };
  }
}

/** A batch's records decompressed by its codec (1 gzip, 2 snappy, 3 lz4, 4 zstd), at most `limit` bytes. */
export function decompress(codec: number, compressed: Buffer, limit: number): Decompressed {
  switch (codec) {
    case 1:
      return gunzip(compressed, limit);
    case 2:
      return unsnappy(compressed, limit);
    case 3:
      return unlz4(compressed, limit);
    case 4:
      return unzstd(compressed, limit);
    default:
      return { error: `unknown compression codec ${codec}` };
  }
}
