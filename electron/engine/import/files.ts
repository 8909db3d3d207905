// The files of an import: paths and folders expanded (recursively, in name order), how a file's
// lines end (LineEndScan, fed by scan.ts's first pass), its first bytes for format detection, and
// its bytes as a stream, gunzipped when compressed and started at a saved offset. Nothing here
// decodes a line.
import { isUtf8 } from 'node:buffer';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';

export interface FoundFile {
  path: string;
  size: number;
  modified: number;
}

/** What a path named for import turned into: its files, and what could not be read. */
export function expandPaths(paths: readonly string[]): { files: FoundFile[]; problems: string[] } {
  const files: FoundFile[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const visit = (p: string, named: boolean) => {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch (error) {
      problems.push(
        `${p}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (error as Error).message}`,
      );
      return;
    }
    let real: string;
    try {
      real = fs.realpathSync(p);
    } catch {
      real = p;
    }
    if (seen.has(real)) return; // a link back up the tree, or a path named twice
    seen.add(real);
    if (stat.isDirectory()) {
      let names: string[];
      try {
        names = fs.readdirSync(p).sort();
      } catch (error) {
        problems.push(`${p}: cannot list it: ${(error as Error).message}`);
        return;
      }
      for (const name of names) if (!name.startsWith('.')) visit(path.join(p, name), false);
    } else if (stat.isFile()) {
      files.push({ path: p, size: stat.size, modified: stat.mtimeMs });
    } else if (named) {
      problems.push(`${p}: not a file or folder`);
    }
  };
  for (const p of paths) visit(path.resolve(p), true);
  return { files, problems };
}

export type Compression = 'gzip' | 'zstd' | null;

/** From the file's first bytes (its magic number), not its name. */
export function compressionOf(file: string): Compression {
  const head = Buffer.alloc(4);
  const fd = fs.openSync(file, 'r');
  try {
    const n = fs.readSync(fd, head, 0, 4, 0);
    if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    if (n === 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * What DuckDB's CSV reader needs known of a file before it may number its lines: how they end
 * (whether any CR stands before an LF, whether any stands alone), whether all of it is UTF-8 (a
 * line that is not is dropped by the reader), and how many lines it has.
 */
export interface LineEnds {
  crlf: boolean;
  loneCr: boolean;
  utf8: boolean;
  lines: number;
  /** A line is longer than LONG_LINE_BYTES: the import quarantines it cut, DuckDB's reader would not. */
  longLine: boolean;
}

/** As import.ts's longest line taken whole. */
export const LONG_LINE_BYTES = 1 << 20;

/**
 * Reads content chunks fed in order for `LineEnds` (`end()` after the last). `countLines` false
 * leaves `lines` 0 for a caller that counts them anyway (scan.ts with a quick counter).
 */
export class LineEndScan {
  readonly ends: LineEnds = { crlf: false, loneCr: false, utf8: true, lines: 0, longLine: false };
  /** Bytes of the line not yet ended by an LF. */
  private unfinished = 0;
  private crAtEnd = false;
  /** The bytes after the last LF, kept so a character cut by a chunk's end is judged whole. */
  private tail: Buffer = Buffer.alloc(0);

  constructor(private readonly countLines = true) {}

  push(chunk: Buffer): void {
    const e = this.ends;
    if (chunk.length === 0) return;
    if (this.crAtEnd) {
      if (chunk[0] === 0x0a) e.crlf = true;
      else e.loneCr = true;
    }
    this.crAtEnd = chunk[chunk.length - 1] === 0x0d;
    if (!e.loneCr) {
      for (let i = chunk.indexOf(0x0d); i >= 0 && i + 1 < chunk.length; i = chunk.indexOf(0x0d, i + 1)) {
        if (chunk[i + 1] !== 0x0a) {
          e.loneCr = true;
          break;
        }
        e.crlf = true;
      }
    }
    const lastLf = chunk.lastIndexOf(0x0a);
    if (lastLf < 0) this.unfinished += chunk.length;
    else {
      const firstLf = chunk.indexOf(0x0a);
      if (this.unfinished + firstLf > LONG_LINE_BYTES) e.longLine = true;
      // A line wholly inside a chunk is no longer than the chunk (1 MiB reads): look only in a bigger one.
      if (chunk.length > LONG_LINE_BYTES && !e.longLine)
        for (
          let from = firstLf + 1, lf = chunk.indexOf(0x0a, from);
          lf >= 0;
          from = lf + 1, lf = chunk.indexOf(0x0a, from)
        )
          if (lf - from > LONG_LINE_BYTES) e.longLine = true;
      this.unfinished = chunk.length - lastLf - 1;
    }
    if (lastLf < 0) {
      this.tail = Buffer.concat([this.tail, chunk]);
      if (this.tail.length > 1 << 22) this.tail = this.judge(this.tail, this.tail.length - 4);
      return;
    }
    if (this.countLines) for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) e.lines++;
    if (e.utf8) {
      if (this.tail.length > 0 && !isUtf8(Buffer.concat([this.tail, chunk.subarray(0, lastLf + 1)])))
        e.utf8 = false;
      else if (this.tail.length === 0 && !isUtf8(chunk.subarray(0, lastLf + 1))) e.utf8 = false;
    }
    this.tail = Buffer.from(chunk.subarray(lastLf + 1));
  }

  /** A long run without LF: judged up to `cut` (a character may straddle it: then not UTF-8 — rare). */
  private judge(bytes: Buffer, cut: number): Buffer {
    if (this.ends.utf8 && !isUtf8(bytes.subarray(0, cut))) this.ends.utf8 = false;
    return Buffer.from(bytes.subarray(cut));
  }

  end(): LineEnds {
    if (this.crAtEnd) this.ends.loneCr = true;
    if (this.unfinished > LONG_LINE_BYTES) this.ends.longLine = true;
    if (this.tail.length > 0) {
      if (this.countLines) this.ends.lines++;
      if (this.ends.utf8 && !isUtf8(this.tail)) this.ends.utf8 = false;
    }
    return this.ends;
  }
}

/**
 * The file's content from `offset` (in uncompressed bytes), in chunks; `onDiskBytes` hears of the
 * bytes read from disk (compressed, for the progress bar).
 */
export async function* contentFrom(
  file: string,
  compression: Compression,
  offset: number,
  signal: AbortSignal,
  onDiskBytes: (n: number) => void,
): AsyncGenerator<Buffer> {
  if (compression === null) {
    const stream = fs.createReadStream(file, { start: offset, highWaterMark: 1 << 20, signal });
    for await (const chunk of stream) {
      onDiskBytes((chunk as Buffer).length);
      yield chunk as Buffer;
    }
    return;
  }
  if (compression === 'zstd') throw new Error('zstd is not supported yet: decompress it first (zstd -d)');
  const raw = fs.createReadStream(file, { highWaterMark: 1 << 20, signal });
  raw.on('data', (chunk) => onDiskBytes((chunk as Buffer).length));
  const gunzip = raw.pipe(zlib.createGunzip({ chunkSize: 1 << 20 }));
  raw.on('error', (error) => gunzip.destroy(error));
  let skip = offset;
  try {
    for await (const chunk of gunzip as Readable) {
      let c = chunk as Buffer;
      if (skip > 0) {
        if (c.length <= skip) {
          skip -= c.length;
          continue;
        }
        c = c.subarray(skip);
        skip = 0;
      }
      yield c;
    }
  } finally {
    raw.destroy();
    gunzip.destroy();
  }
}

/** The first `max` bytes of the file's content (uncompressed). */
export async function headOf(file: string, compression: Compression, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  const abort = new AbortController();
  try {
    for await (const chunk of contentFrom(file, compression, 0, abort.signal, () => undefined)) {
      parts.push(chunk);
      n += chunk.length;
      if (n >= max) break;
    }
  } catch (error) {
    if (n === 0) throw error; // else a damaged tail: the head is what we wanted
  }
  abort.abort();
  return Buffer.concat(parts).subarray(0, max);
}
