// The first pass over an imported file, before any row: its SHA-256 (evidence handling, and
// whether it was imported before), how its lines end (whether DuckDB's reader may number them:
// files.ts LineEndScan) and, for the formats quick-counts.ts reads, its lines counted by minute and
// severity — the first answers, in about the time reading the file takes.
//
// A large uncompressed file is read by worker threads (scan-worker.ts): first one a core, each
// counting a range of whole lines — their figures add up to the one-pass figures exactly (ranges
// start after an LF, so no line or character straddles two) — then one hashing it, while the
// caller stores the counts. A small or compressed file, or a run without the built worker (the
// tests run the sources), is read in this thread, once.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { fileDecoders } from '../decode/registry';
import { contentFrom, LineEndScan, type Compression, type LineEnds } from './files';
import { JsonQuickCounter, SyslogQuickCounter, type QuickCounter, type QuickCounts } from './quick-counts';

/** What the quick counter needs to count a file's lines as its import will store them. */
export interface CountSpec {
  /** A format of QUICK_COUNT_FORMATS. */
  format: string;
  yearReference: number;
  rx: number;
  /** The memo the import's decoder starts with (its `memoDefaults`). */
  memo: Record<string, unknown>;
  /** The frames' key: the file's path. */
  key: string;
}

export interface ScanResult {
  /**
   * The SHA-256, hex. With workers it is computed after the counts, so the counting ranges have
   * every core and the first answers come sooner; the caller stores the counts meanwhile.
   */
  sha256: Promise<string>;
  /** Null for zstd (only DuckDB reads it). */
  lineEnds: LineEnds | null;
  /** Null when not asked for, or for zstd. */
  counts: QuickCounts | null;
  /** Worker threads that read it (0: this thread). */
  workers: number;
}

/** What a range worker answers: its line ends and counts (the map as two arrays). */
export interface RangeResult {
  lineEnds: LineEnds;
  counts: { keys: number[]; lines: number[]; quarantined: number; total: number; quick: number } | null;
}

/** A request to scan-worker.ts. */
export type ScanWork =
  | { kind: 'hash'; path: string }
  | { kind: 'range'; path: string; start: number; end: number; count: CountSpec | null };

/** Below this a file is read in one thread: starting workers costs more than it saves. */
const PARALLEL_BYTES = 32 * 1024 * 1024;
const READ_CHUNK = 1 << 20;

function counterFor(spec: CountSpec): QuickCounter {
  const decoder = fileDecoders.find((d) => d.name === spec.format);
  const options = { ...spec, decoder: decoder!, memo: { ...spec.memo } };
  if (decoder && spec.format === 'syslog') return new SyslogQuickCounter(options);
  if (decoder && spec.format === 'json') return new JsonQuickCounter(options);
  throw new Error(`no quick count for format ${spec.format}`);
}

/** The built worker (out/main/scan-worker.js, beside the entry or a chunk), or null. */
function workerScript(): URL | null {
  for (const candidate of ['./scan-worker.js', '../scan-worker.js']) {
    const url = new URL(candidate, import.meta.url);
    if (fs.existsSync(url)) return url;
  }
  return null;
}

/** The first pass: SHA-256, line ends and (with `count`) quick counts. Rejects when aborted. */
export async function scanFile(
  file: string,
  compression: Compression,
  signal: AbortSignal,
  count: CountSpec | null,
): Promise<ScanResult> {
  if (compression === 'zstd')
    return {
      sha256: Promise.resolve(await sha256Of(file, signal)),
      lineEnds: null,
      counts: null,
      workers: 0,
    };
  const size = fs.statSync(file).size;
  const script = compression === null && size >= PARALLEL_BYTES ? workerScript() : null;
  if (script)
    try {
      return await scanInWorkers(script, file, size, signal, count);
    } catch (error) {
      if (signal.aborted) throw error;
      // Workers that cannot start (a packaged app's archive, a thread limit) or failed: this
      // thread reads it, and says so itself if the file is the trouble.
    }
  const counter = count ? counterFor(count) : null;
  const scan = new LineEndScan(counter === null);
  if (compression === null) {
    const hash = createHash('sha256');
    for await (const chunk of fs.createReadStream(file, { highWaterMark: READ_CHUNK, signal })) {
      hash.update(chunk as Buffer);
      scan.push(chunk as Buffer);
      counter?.push(chunk as Buffer);
    }
    return { sha256: Promise.resolve(hash.digest('hex')), ...ended(scan, counter), workers: 0 };
  }
  const [sha256] = await Promise.all([
    sha256Of(file, signal),
    (async () => {
      for await (const chunk of contentFrom(file, compression, 0, signal, () => undefined)) {
        scan.push(chunk);
        counter?.push(chunk);
      }
    })(),
  ]);
  return { sha256: Promise.resolve(sha256), ...ended(scan, counter), workers: 0 };
}

/** Line ends and counts once the last chunk is in: the counter counted the lines, if there is one. */
function ended(
  scan: LineEndScan,
  counter: QuickCounter | null,
): { lineEnds: LineEnds; counts: QuickCounts | null } {
  const lineEnds = scan.end();
  const counts = counter?.end() ?? null;
  if (counter) lineEnds.lines = counter.linesRead;
  return { lineEnds, counts };
}

/** SHA-256 of the file's bytes as stored, in hex. */
export async function sha256Of(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: READ_CHUNK, signal }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** One range of whole lines (`start` just after an LF, or 0): its line ends and counts. */
export async function scanRange(
  file: string,
  start: number,
  end: number,
  count: CountSpec | null,
): Promise<RangeResult> {
  const counter = count ? counterFor(count) : null;
  const scan = new LineEndScan(counter === null);
  if (end > start)
    for await (const chunk of fs.createReadStream(file, { start, end: end - 1, highWaterMark: READ_CHUNK })) {
      scan.push(chunk as Buffer);
      counter?.push(chunk as Buffer);
    }
  const { lineEnds, counts } = ended(scan, counter);
  return {
    lineEnds,
    counts: counts && {
      keys: [...counts.byMinute.keys()],
      lines: [...counts.byMinute.values()],
      quarantined: counts.quarantined,
      total: counts.lines,
      quick: counts.quick,
    },
  };
}

/** Where each range starts: just after the first LF at or past an even split, in order. */
function rangeStarts(file: string, size: number, ranges: number): number[] {
  const starts = [0];
  const fd = fs.openSync(file, 'r');
  const probe = Buffer.alloc(1 << 16);
  try {
    for (let k = 1; k < ranges; k++) {
      let at = Math.max(starts[starts.length - 1]!, Math.floor((size * k) / ranges));
      for (;;) {
        const n = fs.readSync(fd, probe, 0, probe.length, at);
        if (n === 0) return starts; // no LF to the end: the last range takes the rest
        const lf = probe.subarray(0, n).indexOf(0x0a);
        if (lf >= 0) {
          if (at + lf + 1 < size) starts.push(at + lf + 1);
          break;
        }
        at += n;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return starts;
}

function runWorker<T>(script: URL, work: ScanWork, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(script, { workerData: work });
    const abort = () => void worker.terminate();
    signal.addEventListener('abort', abort);
    let settled = false;
    worker.once('message', (value: T) => {
      settled = true;
      resolve(value);
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      signal.removeEventListener('abort', abort);
      if (!settled)
        reject(signal.aborted ? signal.reason : new Error(`the scan worker stopped (exit code ${code})`));
    });
  });
}

async function scanInWorkers(
  script: URL,
  file: string,
  size: number,
  signal: AbortSignal,
  count: CountSpec | null,
): Promise<ScanResult> {
  const ranges = Math.max(1, Math.min(4, os.availableParallelism()));
  const starts = rangeStarts(file, size, ranges);
  // One worker failing (the file gone, unreadable) stops the others too.
  const all = new AbortController();
  const stop = () => all.abort(signal.reason);
  signal.addEventListener('abort', stop);
  let parts: RangeResult[];
  try {
    parts = await Promise.all(
      starts.map((start, i) =>
        runWorker<RangeResult>(
          script,
          { kind: 'range', path: file, start, end: starts[i + 1] ?? size, count },
          all.signal,
        ),
      ),
    );
  } catch (error) {
    all.abort(error);
    throw signal.aborted ? signal.reason : error;
  } finally {
    signal.removeEventListener('abort', stop);
  }
  const lineEnds: LineEnds = { crlf: false, loneCr: false, utf8: true, lines: 0, longLine: false };
  let counts: QuickCounts | null = count ? { byMinute: new Map(), quarantined: 0, lines: 0, quick: 0 } : null;
  for (const part of parts) {
    lineEnds.crlf ||= part.lineEnds.crlf;
    lineEnds.loneCr ||= part.lineEnds.loneCr;
    lineEnds.utf8 &&= part.lineEnds.utf8;
    lineEnds.lines += part.lineEnds.lines;
    lineEnds.longLine ||= part.lineEnds.longLine;
    if (counts && part.counts) {
      const m = counts.byMinute;
      part.counts.keys.forEach((key, i) => m.set(key, (m.get(key) ?? 0) + part.counts!.lines[i]!));
      counts.quarantined += part.counts.quarantined;
      counts.lines += part.counts.total;
      counts.quick += part.counts.quick;
    } else counts = null;
  }
  // Then the hash, off this thread: the caller has the counts stored meanwhile.
  const sha256 = runWorker<{ sha256: string }>(script, { kind: 'hash', path: file }, signal).then(
    (h) => h.sha256,
    // A worker that could not hash it: this thread does (and says what is wrong with the file).
    (error: unknown) => (signal.aborted ? Promise.reject(error) : sha256Of(file, signal)),
  );
  void sha256.catch(() => undefined); // awaited by the caller after it stores the counts
  return { sha256, lineEnds, counts, workers: starts.length + 1 };
}
