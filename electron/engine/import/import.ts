// Import as a job: files and folders read like a source reads a file, through the ingest stage
// with the pause policy (nothing is read while the pending work is at its bound), each line a
// frame that keeps its file and line (records.origin, records.line); what does not decode goes to
// quarantine with `where` = file:line. Every file's SHA-256 and size go into `captures`. A file
// whose first lines hold continuations (stack traces) is framed by framers/multiline.ts: a record
// keeps its first line's number; a record is not carried across a 1 MiB read (its position).
//
// Invariants:
// - A file's position (uncompressed bytes and lines done, rows and quarantined so far) is saved
//   with the rows of the chunk it ends (IngestStage.pushFrames), so a cancel, a restart or a kill
//   resumes after the last committed line: every line is stored exactly once.
// - A file already imported (same SHA-256, import finished) is skipped unless `again`; one whose
//   import stopped part way continues from its position. `again` starts a new generation of it
//   (its own position key `sha256#n`).
import { isUtf8 } from 'node:buffer';
import path from 'node:path';
import type { ImportedFile, ImportRequest } from '../../../shared/jobs';
import type { Decoder, Frame } from '../decode/decoder';
import { detectLogFormat } from '../decode/logs/detect';
import { fileDecoders, FrameDecoder } from '../decode/registry';
import { MultilineFramer } from '../ingest/framers/multiline';
import type { IngestStage, Position } from '../ingest/stage';
import { SEVERITIES } from '../batch';
import type { JobHandle, JobRunner } from '../jobs/board';
import type { MaskingOptions } from '../../../shared/masking';
import type { SourceContext } from '../sources/source';
import type { Store } from '../store/store';
import {
  FAST_FORMATS,
  fastPathRefusal,
  importFast,
  zstdHead,
  type FastPosition,
  type MadePosition,
} from './fast';
import { compressionOf, contentFrom, expandPaths, headOf, type FoundFile } from './files';
import { QUICK_COUNT_FORMATS, type QuickCounts } from './quick-counts';
import { scanFile, type CountSpec } from './scan';

/** The source every import's rows are stored under; `origin` says which file. */
export const IMPORT_SOURCE = 'import';
/** The formats an import detects among: the log formats, then the generic text ones. */
const IMPORT_DECODERS: readonly Decoder[] = fileDecoders;
/** Detection looks at this much of the start of a file, and at most this many lines of it. */
const HEAD_BYTES = 64 * 1024;
const HEAD_LINES = 50;
/** A line longer than this goes to quarantine in pieces: memory stays bounded on a binary file. */
const MAX_LINE_BYTES = 1 << 20;
const LF = 0x0a;
const CR = 0x0d;
/** Files listed in a job's info (a folder may hold thousands). */
const LISTED_FILES = 500;

export interface ImportHost {
  store: Store;
  ingestContext(id: string, kind: string, masking?: MaskingOptions): SourceContext;
  now(): number;
}

/** Where a file's import is, saved with its rows. */
interface FilePosition {
  offset: number;
  line: number;
  rows: number;
  quarantined: number;
  /** `offset` is inside line `line`, a line too long to hold, pushed in pieces (absent: false). */
  cut?: boolean;
}

/** The first lines of a file's head (the last, maybe cut, left out), as text. */
export function headLines(head: Buffer, latin1: boolean): string[] {
  const text = head.toString(latin1 ? 'latin1' : 'utf8');
  const lines = text.split('\n');
  if (lines.length > 1) lines.pop();
  return lines.slice(0, HEAD_LINES).map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

export function importRunner(host: ImportHost): JobRunner<ImportRequest> {
  return (request, job) => new Import(host, request, job).run();
}

class Import {
  private readonly ctx: SourceContext;
  private stage!: IngestStage;

  constructor(
    private readonly host: ImportHost,
    private readonly request: ImportRequest,
    private readonly job: JobHandle,
  ) {
    this.ctx = host.ingestContext(IMPORT_SOURCE, 'import', request.masking);
  }

  async run(): Promise<void> {
    const { info } = this.job;
    const { files, problems } = expandPaths(this.request.paths);
    for (const p of problems) this.job.note(p);
    info.bytesTotal = files.reduce((sum, f) => sum + f.size, 0);
    info.files = files.slice(0, LISTED_FILES).map((f) => fileInfo(f));
    if (files.length > LISTED_FILES)
      this.job.note(`${files.length} files: the first ${LISTED_FILES} are listed`);
    this.job.changed();
    const done = { rows: 0, quarantined: 0, bytes: 0 };
    try {
      for (let i = 0; i < files.length; i++) {
        if (this.job.signal.aborted) break;
        const file = files[i]!;
        const listed = info.files[i] ?? fileInfo(file);
        info.detail = `${i + 1}/${files.length}: ${file.path}`;
        try {
          await this.importFile(file, listed, done);
        } catch (error) {
          if (this.job.signal.aborted) {
            listed.state = 'cancelled';
            break;
          }
          listed.state = 'failed';
          listed.note = (error as Error).message;
          this.job.note(`${file.path}: ${(error as Error).message}`);
        }
        done.rows += listed.rows;
        done.quarantined += listed.quarantined;
        done.bytes += file.size;
        info.bytesDone = done.bytes;
        this.job.changed();
      }
    } finally {
      await this.stage?.stop();
    }
    const imported = info.files.filter((f) => f.state === 'done').length;
    const skipped = info.files.filter((f) => f.state === 'skipped').length;
    this.job.note(
      `${imported} of ${files.length} files imported${skipped ? `, ${skipped} skipped` : ''}: ` +
        `${info.rows} rows, ${info.quarantined} lines quarantined`,
    );
  }

  /**
   * One line through the stage; answers 1 if it made rows, as a line counts in the job's rows, and
   * 0 if not (a CSV header, a Zeek `#fields` line, one quarantined).
   */
  private pushLine(frame: Frame): number {
    const before = this.stage.rowsDecoded;
    this.stage.pushFrame(frame);
    return this.stage.rowsDecoded > before ? 1 : 0;
  }

  /**
   * The capture a file's SHA-256 makes it: the one it stopped part way (resumed, with or without
   * --again), a new one, or null when it was imported before (skipped, said in the job).
   */
  private async captureKey(file: FoundFile, listed: ImportedFile, sha256: string): Promise<string | null> {
    const store = this.host.store;
    listed.sha256 = sha256;
    const previous = await store.read(
      `SELECT "key", state, path FROM captures WHERE sha256 = $1 ORDER BY started_at`,
      [sha256],
    );
    const finished = previous.find((r) => r[1] === 'done');
    const unfinished = previous.filter((r) => r[1] !== 'done').pop();
    if (unfinished) {
      // Stopped part way (cancelled, interrupted): go on from its position, with or without --again.
      const key = unfinished[0] as string;
      await store.write(`UPDATE captures SET state = 'importing', job = $2, path = $3 WHERE "key" = $1`, [
        key,
        this.job.id,
        file.path,
      ]);
      return key;
    }
    if (finished && !this.request.again) {
      listed.state = 'skipped';
      listed.note = `already imported (same SHA-256) from ${String(finished[2])}; --again imports it again`;
      this.job.note(`${file.path}: ${listed.note}`);
      return null;
    }
    const key = previous.length ? `${sha256}#${previous.length + 1}` : sha256;
    await store.write(
      `INSERT INTO captures (sha256, size, path, "key", job, state, started_at)
       VALUES ($1, $2, $3, $4, $5, 'importing', now()::TIMESTAMP)`,
      [sha256, file.size, file.path, key, this.job.id],
    );
    return key;
  }

  private async importFile(
    file: FoundFile,
    listed: ImportedFile,
    before: { rows: number; quarantined: number; bytes: number },
  ): Promise<void> {
    const { info, signal } = this.job;
    const store = this.host.store;
    listed.state = 'importing';
    info.detail = `reading ${file.path}: first counts and SHA-256`;
    this.job.changed();
    const compression = compressionOf(file.path);
    const head =
      compression === 'zstd'
        ? await zstdHead(file.path, HEAD_BYTES, HEAD_LINES)
        : await headOf(file.path, compression, HEAD_BYTES);
    const notes: string[] = [];
    if (compression) notes.push(`${compression}-compressed`);
    // The head up to its last whole line: a cut multi-byte character at its end is no evidence.
    const lastLf = head.lastIndexOf(LF);
    const latin1 = !isUtf8(lastLf >= 0 ? head.subarray(0, lastLf + 1) : head);
    if (latin1) notes.push('not UTF-8: read as Latin-1 (ISO 8859-1)');
    const guess = this.request.format
      ? null
      : detectLogFormat(headLines(head, latin1), IMPORT_DECODERS, this.host.now());
    const format = this.request.format ?? guess?.format ?? 'text';
    if (!IMPORT_DECODERS.some((d) => d.name === format))
      throw new Error(
        `--format ${format}: no such format (known: ${IMPORT_DECODERS.map((d) => d.name).join(', ')})`,
      );
    listed.format = format;
    listed.confidence = guess ? Math.round(guess.confidence * 100) / 100 : 1;
    const runnersUp = (guess?.candidates ?? [])
      .slice(1, 3)
      .map((c) => `${c.format} ${Math.round(c.confidence * 100) / 100}`);
    notes.push(
      !guess
        ? `format ${format} (chosen)`
        : `format ${format} (detected, confidence ${listed.confidence}${runnersUp.length ? `; next: ${runnersUp.join(', ')}` : ''})`,
    );
    // Stack traces and indented continuations: joined to their first line (framers/multiline.ts),
    // when the format reads the head better so. Not merely because some line continues: a Zeek
    // log's `#close` trailer follows a timestamped row and was joined to it, quarantining the
    // file's last row.
    const multiline = guess?.multiline ? new MultilineFramer(MAX_LINE_BYTES) : null;
    if (multiline)
      notes.push(
        `multi-line records (${guess!.continuations} continuation lines in its first lines): joined`,
      );
    // The first pass: SHA-256, line ends, and the first answers (quick-counts.ts) when the format
    // has them. Counted as the decoder will read the lines: the same year reference and receive time.
    const rx = this.host.now();
    const memo = { yearReference: file.modified };
    const notCounted = !QUICK_COUNT_FORMATS.includes(format)
      ? `format ${format} is counted with its rows`
      : latin1
        ? 'read as Latin-1'
        : multiline
          ? 'multi-line records'
          : compression === 'zstd'
            ? 'zstd (only DuckDB reads it)'
            : this.request.timeZone && this.request.timeZone !== 'UTC'
              ? `time zone ${this.request.timeZone}`
              : null;
    const count: CountSpec | null =
      notCounted === null ? { format, yearReference: file.modified, rx, memo, key: file.path } : null;
    const scanStarted = performance.now();
    const scan = await scanFile(file.path, compression, signal, count);
    const { lineEnds, counts, workers } = scan;
    if (notCounted !== null) notes.push(`no first counts: ${notCounted}`);
    else if (counts === null) notes.push('no first counts: a line longer than 2 MiB');
    // The counts go in at once, under this import's own key until the SHA-256 names the capture
    // (with workers the hash comes after them): the first answers need no more than the counts.
    const countsKey = `scan:${this.job.id}:${file.path}`;
    if (counts) {
      await storeCounts(store, countsKey, file.path, counts);
      listed.counted = countedInfo(counts);
      this.job.note(
        `${file.path}: ${counts.lines} lines counted by minute and severity in ${((performance.now() - scanStarted) / 1000).toFixed(1)} s${workers ? ` (${workers} threads)` : ''}, before its rows (capture_counts_v)`,
      );
      this.job.changed();
    }
    let key: string | null = null;
    try {
      key = await this.captureKey(file, listed, await scan.sha256);
    } finally {
      // Skipped (imported before), failed or cancelled before it had a key: its counts go too.
      if (counts && key !== null) {
        await store.write(`DELETE FROM capture_counts WHERE "key" = $1`, [key], 'capture counts');
        await store.write(
          `UPDATE capture_counts SET "key" = $2 WHERE "key" = $1`,
          [countsKey, key],
          'capture counts',
        );
      } else if (counts)
        await store.write(`DELETE FROM capture_counts WHERE "key" = $1`, [countsKey], 'capture counts');
    }
    if (key === null) return;
    const positions = await this.ctx.positions();
    const saved = positions.get(key);
    const madeKey = `${key}#made`;
    const savedMade = positions.get(madeKey);
    const savedValue = saved ? (JSON.parse(saved) as FilePosition | FastPosition) : null;
    const savedFast = savedValue && 'phase' in savedValue ? savedValue : null;
    const at: FilePosition =
      savedValue && !('phase' in savedValue) ? savedValue : { offset: 0, line: 0, rows: 0, quarantined: 0 };

    if (at.offset > 0) notes.push(`resumed at line ${at.line + 1}`);
    // The one place that decides the path: a file resumed by the fast path stays on it.
    const slowBecause = savedFast
      ? null
      : fastPathRefusal({
          asked: this.request.fastPath,
          format,
          latin1,
          multiline: multiline !== null,
          compression,
          timeZone: this.request.timeZone,
          masking: this.request.masking,
          slowPosition: at.offset > 0,
          lineEnds,
        });
    if (slowBecause === null)
      notes.push(`fast path: DuckDB's reader${savedFast ? `, resumed after line ${savedFast.line}` : ''}`);
    else if (compression === 'zstd')
      throw new Error(
        `zstd-compressed, and only DuckDB's reader (the fast path) reads zstd here, which this file cannot take: ${slowBecause}; decompress it first (zstd -d)`,
      );
    else if (FAST_FORMATS.includes(format)) notes.push(`slow path: ${slowBecause}`);
    if (slowBecause === null && compression === 'zstd')
      notes.push(`zstd read by DuckDB only: a line that is not UTF-8 is left out, a lone CR ends a line`);
    listed.note = notes.join('; ');
    await store.write(`UPDATE captures SET format = $2, confidence = $3, notes = $4 WHERE "key" = $1`, [
      key,
      format,
      listed.confidence,
      listed.note,
    ]);

    const origin = file.path;
    let line = at.line;
    listed.rows = at.rows;
    listed.quarantined = at.quarantined;
    const decoder = new FrameDecoder(
      IMPORT_SOURCE,
      {
        channel: (p, unit) => this.ctx.channel(p, unit),
        quarantine: (raw, reason) => {
          listed.quarantined++;
          this.stage.addQuarantine(raw, reason, `${origin}:${line}`);
        },
      },
      {
        candidates: IMPORT_DECODERS,
        choose: () => format,
        provenance: true,
        // A year-less time (RFC 3164) takes the year of the file's modification time.
        memoDefaults: { ...memo, ...(this.request.timeZone ? { timeZone: this.request.timeZone } : {}) },
        channelPath: (_key, p) => `${path.basename(origin)}/${p}`,
      },
    );
    this.stage = this.ctx.ingest({ decoder, policy: 'pause' });
    if (slowBecause === null) {
      const rows = { fast: 0 };
      // The leftover lines' rows and quarantine are counted in their position, the made rows in
      // theirs (before the made rows had a position of their own, the first held both).
      const made: MadePosition = savedMade
        ? (JSON.parse(savedMade) as MadePosition)
        : { line: savedFast?.line ?? 0, rows: 0 };
      listed.rows = savedFast?.rows ?? 0;
      listed.quarantined = savedFast?.quarantined ?? 0;
      // Progress in lines, as bytes by the head's mean line length (the reader tells no offset).
      const headLineCount = Math.max(1, countLines(head, 0));
      const bytesPerLine = head.length / headLineCount;
      info.detail = `importing ${file.path} (fast path)`;
      await importFast({
        path: file.path,
        compression,
        lineEnds,
        modified: file.modified,
        rx,
        sourceId: store.sourceId(IMPORT_SOURCE, 'import'),
        masking: this.request.masking,
        store,
        stage: this.stage,
        signal,
        at: savedFast ?? { phase: 'fast', line: 0, rows: 0, quarantined: 0 },
        rows,
        made,
        madeSource: IMPORT_SOURCE,
        madeKey,
        pushLine: (bytes, n) => {
          line = n;
          listed.rows += this.pushLine({ rx, key: origin, bytes, line: n });
        },
        position: (p) => ({
          key,
          value: JSON.stringify({ ...p, rows: listed.rows, quarantined: listed.quarantined }),
        }),
        progress: (lines) => {
          info.bytesDone =
            before.bytes + (compression ? 0 : Math.min(file.size, Math.round(lines * bytesPerLine)));
          info.rows = before.rows + listed.rows + made.rows + rows.fast;
          info.quarantined = before.quarantined + listed.quarantined;
          this.job.changed();
        },
      });
      listed.rows += made.rows + rows.fast;
    } else {
      let offset = at.offset;
      let diskBytes = compression ? 0 : at.offset;
      info.detail = `importing ${file.path}`;
      // A line longer than two reads is pushed in pieces, all of it to quarantine under its one
      // number; the lines after it keep theirs.
      let cut = at.cut === true;
      const position = (): Position => ({
        key,
        value: JSON.stringify({
          offset,
          line,
          rows: listed.rows,
          quarantined: listed.quarantined,
          ...(cut ? { cut } : {}),
        }),
      });
      /** One line, or a piece of one (`piece`: no line end yet). */
      const pushLine = (bytes: Uint8Array, piece = false) => {
        const rest = cut; // this ends (or goes on with) a line cut into pieces
        if (!rest) line++;
        cut = piece;
        if (bytes.length === 0) return; // an empty line, or a cut one ending where a read began
        if (bytes.length > MAX_LINE_BYTES || rest || piece) {
          listed.quarantined++;
          this.stage.addQuarantine(
            new Uint8Array(bytes.subarray(0, MAX_LINE_BYTES)),
            rest || piece
              ? `a line longer than ${2 * MAX_LINE_BYTES} bytes: a piece of it (${bytes.length} bytes), kept cut`
              : `a line longer than ${MAX_LINE_BYTES} bytes (${bytes.length}): kept cut`,
            `${origin}:${line}`,
          );
          return;
        }
        const frame: Frame = {
          rx,
          key: origin,
          bytes: latin1 ? Buffer.from(Buffer.from(bytes).toString('latin1'), 'utf8') : bytes,
          line,
        };
        listed.rows += this.pushLine(frame);
      };
      // The framer numbers lines from 1 from where this read started.
      const linesBefore = at.line;
      let framedLines = 0;
      const frameSinks = {
        frame: (bytes: Uint8Array, first?: number) => {
          line = linesBefore + (first ?? 1);
          const frame: Frame = { rx, key: origin, bytes, line };
          listed.rows += this.pushLine(frame);
        },
        bad: (bytes: Uint8Array, reason: string) => {
          listed.quarantined++;
          this.stage.addQuarantine(new Uint8Array(bytes), reason, `${origin}:${line}`);
        },
      };
      let carry: Buffer | null = null;
      const progress = () => {
        info.bytesDone = before.bytes + Math.min(diskBytes, file.size);
        info.rows = before.rows + listed.rows;
        info.quarantined = before.quarantined + listed.quarantined;
        this.job.changed();
      };
      try {
        await readChunks.call(this);
      } catch (error) {
        if (!signal.aborted) throw error; // else: a cancel stopped the read; what was pushed stays
      }
      async function readChunks(this: Import): Promise<void> {
        for await (const chunk of contentFrom(
          file.path,
          compression,
          at.offset,
          signal,
          (n) => (diskBytes += n),
        )) {
          const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
          const last = buf.lastIndexOf(LF);
          if (last < 0) {
            carry = buf.length > MAX_LINE_BYTES * 2 ? null : Buffer.from(buf);
            if (!carry) {
              this.stage.pushFrames(() => {
                pushLine(buf, true); // a piece of a line too long to hold: quarantined
                offset += buf.length;
                return position();
              });
            }
            continue;
          }
          this.stage.pushFrames(() => {
            if (multiline) {
              // A record ends with its chunk, so the position never falls inside one the framer
              // holds (a record cut by a chunk's end, 1 MiB apart, becomes two).
              const whole = buf.subarray(0, last + 1);
              multiline.push(latin1 ? Buffer.from(whole.toString('latin1'), 'utf8') : whole, frameSinks);
              multiline.flush(frameSinks);
              framedLines = countLines(whole, framedLines);
              line = linesBefore + framedLines;
              offset += last + 1;
              return position();
            }
            let start = 0;
            while (start <= last) {
              const lf = buf.indexOf(LF, start);
              const end = lf > start && buf[lf - 1] === CR ? lf - 1 : lf;
              pushLine(buf.subarray(start, end));
              start = lf + 1;
            }
            offset += last + 1;
            return position();
          });
          carry = last + 1 < buf.length ? Buffer.from(buf.subarray(last + 1)) : null;
          progress();
          if (this.stage.full) await this.stage.pauseUntilRoom();
          if (signal.aborted) break;
        }
      }
      if (carry && !signal.aborted) {
        const tail: Buffer = carry;
        this.stage.pushFrames(() => {
          if (multiline) {
            multiline.push(latin1 ? Buffer.from(tail.toString('latin1'), 'utf8') : tail, frameSinks);
            multiline.end(frameSinks);
            line = linesBefore + framedLines + 1;
            offset += tail.length;
            return position();
          }
          pushLine(tail[tail.length - 1] === CR ? tail.subarray(0, tail.length - 1) : tail);
          offset += tail.length;
          return position();
        });
      }
    }
    // Everything pushed is durable (or the store said why not) before the file counts as done.
    await new Promise<void>((resolve, reject) =>
      this.stage.onDurable((error) => (error ? reject(error) : resolve())),
    );
    info.rows = before.rows + listed.rows;
    info.quarantined = before.quarantined + listed.quarantined;
    this.job.changed();
    const state = signal.aborted ? 'cancelled' : 'done';
    listed.state = state;
    await store.write(
      `UPDATE captures SET state = $2, rows = $3, quarantined = $4, finished_at = now()::TIMESTAMP WHERE "key" = $1`,
      [key, state, listed.rows, listed.quarantined],
    );
    if (listed.quarantined)
      this.job.note(
        `${file.path}: ${listed.quarantined} lines quarantined (see quarantine, where = file:line)`,
      );
    if (latin1) this.job.note(`${file.path}: not UTF-8, read as Latin-1`);
  }
}

/** Lines in `bytes` (each ended by LF), added to the `counted` before them. */
function countLines(bytes: Uint8Array, counted: number): number {
  let n = counted;
  for (let i = bytes.indexOf(LF); i >= 0; i = bytes.indexOf(LF, i + 1)) n++;
  return n;
}

/** Buckets of a file's histogram in its job's info. */
const HISTOGRAM_BUCKETS = 60;

/** A file's quick counts into capture_counts (again on a resume: the same counts). */
async function storeCounts(store: Store, key: string, path: string, counts: QuickCounts): Promise<void> {
  const minutes: (number | null)[] = [];
  const severities: (string | null)[] = [];
  const lines: number[] = [];
  for (const [k, n] of counts.byMinute) {
    minutes.push(Math.floor(k / 8));
    severities.push(SEVERITIES[k % 8]!);
    lines.push(n);
  }
  if (counts.quarantined > 0) {
    minutes.push(null);
    severities.push(null);
    lines.push(counts.quarantined);
  }
  await store.write(`DELETE FROM capture_counts WHERE "key" = $1`, [key], 'capture counts');
  // As one JSON parameter: a month of minutes is some 100,000 rows, too many for a VALUES list.
  await store.write(
    `INSERT INTO capture_counts
       SELECT $1, $2, make_timestamp(m * 60000000), s, n FROM (SELECT
         unnest(CAST(json_extract($3, '$.m') AS BIGINT[])) AS m,
         unnest(CAST(json_extract($3, '$.s') AS VARCHAR[])) AS s,
         unnest(CAST(json_extract($3, '$.n') AS BIGINT[])) AS n)`,
    [key, path, JSON.stringify({ m: minutes, s: severities, n: lines })],
    'capture counts',
  );
}

/** The job's view of a file's quick counts: by severity, and a histogram over its time span. */
function countedInfo(counts: QuickCounts): NonNullable<ImportedFile['counted']> {
  const bySeverity: Record<string, number> = {};
  let from = Infinity;
  let to = -Infinity;
  for (const [k, n] of counts.byMinute) {
    const severity = SEVERITIES[k % 8]!;
    bySeverity[severity] = (bySeverity[severity] ?? 0) + n;
    from = Math.min(from, Math.floor(k / 8));
    to = Math.max(to, Math.floor(k / 8));
  }
  if (from > to)
    return {
      lines: counts.lines,
      quarantined: counts.quarantined,
      bySeverity,
      from: null,
      to: null,
      histogram: [],
    };
  const span = to - from + 1;
  const histogram = new Array<number>(Math.min(HISTOGRAM_BUCKETS, span)).fill(0);
  for (const [k, n] of counts.byMinute)
    histogram[Math.floor(((Math.floor(k / 8) - from) * histogram.length) / span)]! += n;
  return {
    lines: counts.lines,
    quarantined: counts.quarantined,
    bySeverity,
    from: from * 60_000,
    to: to * 60_000,
    histogram,
  };
}

function fileInfo(f: FoundFile): ImportedFile {
  return {
    path: f.path,
    size: f.size,
    sha256: null,
    format: null,
    confidence: null,
    state: 'waiting',
    rows: 0,
    quarantined: 0,
    note: null,
    counted: null,
  };
}
