// The write-ahead log beside the database, read only as far as telling whether it is whole.
//
// What DuckDB 1.5.5 does with a damaged `data.duckdb.wal` when it opens the database (measured,
// see test/integration/store-durability.test.ts):
// - cut short in the middle of an entry: replays the whole transactions before the cut, says
//   nothing, and truncates the log — the rest is gone;
// - a header that is not a write-ahead log header (overwritten bytes): replays nothing, says
//   nothing, and writes its new log over the old one;
// - an entry whose checksum does not match: refuses to open ("Corrupt WAL file: entry at byte
//   position N …").
// So the engine checks the log itself before opening, and keeps a damaged one beside the database.
//
// Layout (WAL version 2): an 8-byte header (field 100 = 98 "WAL_VERSION", field 101 = version, end
// marker 0xFFFF), then entries of [u64 payload size][u64 checksum][payload], little-endian.
import fs from 'node:fs';

export interface WalCheck {
  /** Size of the log file. */
  bytes: number;
  /** Why DuckDB would not replay all of it, or null when it is whole. */
  problem: string | null;
}

const HEADER = [0x64, 0x00, 0x62, 0x65, 0x00];
const ENTRY_HEADER_BYTES = 16;

/** Checks the framing of the log at `file`; null when there is no log (or an empty one). */
export function checkWal(file: string): WalCheck | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const bytes = fs.fstatSync(fd).size;
    if (bytes === 0) return null;
    const head = Buffer.alloc(8);
    const got = fs.readSync(fd, head, 0, 8, 0);
    const headerOk =
      got === 8 && HEADER.every((b, i) => head[i] === b) && head[6] === 0xff && head[7] === 0xff;
    if (!headerOk) {
      // Version 1 logs (no checksums) predate this DuckDB; a newer version is not ours to judge.
      if (got >= 6 && HEADER.every((b, i) => head[i] === b) && head[5] !== 2 && head[5]! < 0x80)
        return { bytes, problem: null };
      return { bytes, problem: 'it does not start with a write-ahead log header' };
    }
    const entry = Buffer.alloc(ENTRY_HEADER_BYTES);
    for (let at = 8; at < bytes;) {
      if (fs.readSync(fd, entry, 0, ENTRY_HEADER_BYTES, at) < ENTRY_HEADER_BYTES)
        return { bytes, problem: `it ends inside the entry at byte ${at} (cut short)` };
      const size = entry.readUInt32LE(0) + entry.readUInt32LE(4) * 2 ** 32;
      const end = at + ENTRY_HEADER_BYTES + size;
      if (size === 0 || end > bytes)
        return {
          bytes,
          problem: `the entry at byte ${at} declares ${size} bytes but the file ends ${bytes - at - ENTRY_HEADER_BYTES} bytes into it (cut short)`,
        };
      at = end;
    }
    return { bytes, problem: null };
  } finally {
    fs.closeSync(fd);
  }
}

/** `data.duckdb.wal.corrupt-20260102T030405Z`: where a damaged log is kept. */
export function keptWalName(wal: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  let name = `${wal}.corrupt-${stamp}`;
  for (let n = 2; fs.existsSync(name); n++) name = `${wal}.corrupt-${stamp}-${n}`;
  return name;
}

/**
 * Where to cut a log DuckDB refused for a bad checksum so that it replays the entries before the
 * bad one: the start of the entry holding the byte DuckDB names (the start of that entry's
 * payload), or null when the message names none.
 */
export function wholeEntriesBefore(file: string, message: string): number | null {
  const m = /Corrupt WAL file: entry at byte position (\d+)/.exec(message);
  if (!m) return null;
  const position = Number(m[1]);
  const fd = fs.openSync(file, 'r');
  try {
    const bytes = fs.fstatSync(fd).size;
    const entry = Buffer.alloc(ENTRY_HEADER_BYTES);
    let at = 8;
    while (at < position && fs.readSync(fd, entry, 0, ENTRY_HEADER_BYTES, at) === ENTRY_HEADER_BYTES) {
      const end = at + ENTRY_HEADER_BYTES + entry.readUInt32LE(0) + entry.readUInt32LE(4) * 2 ** 32;
      if (end > position || end > bytes) break;
      at = end;
    }
    return Math.min(at, bytes);
  } finally {
    fs.closeSync(fd);
  }
}
