// The parts of the pure-JavaScript decompressors codecs.ts uses (neither ships its own typings).
declare module 'lz4js' {
  /** The most bytes an LZ4 frame can decompress to: its content size, else its blocks' maximum sizes. */
  export function decompressBound(src: Uint8Array): number;
  /** Decompresses an LZ4 frame into at most `maxSize` bytes. */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
  /** An LZ4 frame of `src` (the tests compress with it). */
  export function compress(src: Uint8Array): Uint8Array;
  const lz4: {
    decompressBound: typeof decompressBound;
    decompress: typeof decompress;
    compress: typeof compress;
  };
  export default lz4;
}
declare module 'snappyjs' {
  /** Raw snappy; throws when the declared length exceeds `maxLength`. */
  export function uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
  /** Raw snappy of `uncompressed` (the tests compress with it). */
  export function compress(uncompressed: Uint8Array): Uint8Array;
  const snappy: { uncompress: typeof uncompress; compress: typeof compress };
  export default snappy;
}
