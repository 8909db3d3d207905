// The fast path of an import, "index first, parse later": DuckDB's own CSV reader reads the file
// (one column of whole lines, gzip and zstd too) in a private in-memory instance with file access,
// and one SQL statement turns every line of the shape it fully understands into a records row —
// time, severity, message, fields, origin and line — at the reader's speed; its chunks go to an
// appender of the workspace's records on a connection of the import's own, which commits them in
// big transactions (no value crosses into JavaScript but the line numbers it writes). Every other line
// (another shape, a time it cannot place, something masking must look at) goes through the slow
// path's decoder and ingest stage with its line number, so it is decoded, masked or quarantined
// exactly as the slow path would; an empty line is skipped, as there. A file the reader would
// number differently (not all UTF-8, a CR alone) takes the slow path (files.ts LineEnds).
//
// Why a private instance and not `allowed_directories` on the workspace instance: the folders an
// import reads are known only when it starts, after the workspace's configuration is locked; and
// measured on 200 MB of syslog (bench: logs), reading in the private instance while the workspace
// appends its chunks took 6.9 s against 10.1 s for one INSERT … SELECT in the workspace instance
// (both read and write on one instance's threads there).
//
// Invariants:
// - A row the SQL makes is the row the slow path would make from that line (same ts, severity,
//   message, fields); a line it is not sure of goes to the decoder (test/integration/import-fast).
// - Positions, two, each saved in the transaction of its own rows: the made rows' (`MadePosition`,
//   key `…#made`) on the import's own connection, committed every BULK_COMMIT_ROWS and at the end
//   or on cancel; the leftover lines' (`{ phase: 'fast', line }`) by the ingest stage with their
//   rows (IngestStage.pushFrames). A resume reads the file from its start again (lines done
//   before are numbered and skipped) and takes a made row only past the first, a leftover line only
//   past the second: every line is stored once.
// - Lines are numbered by counting the reader's rows, which come in the file's order (DuckDB keeps
//   insertion order); the count must end at the file's line count (checked).
// - Masking: a line on which any masking rule's gate matches is a leftover (masked by the stage);
//   with the private-key rule, so is a message that looks like a key block's body. Own (custom)
//   rules have no gate: the fast path is not taken with them.
import os from 'node:os';
import bindings from '@duckdb/node-bindings';
import { DuckDBDataChunk, type DuckDBAppender } from '@duckdb/node-api';
import type { MaskingOptions } from '../../../shared/masking';
import { DEFAULT_FUTURE_TOLERANCE_MS } from '../decode/decoder';
import { FACILITIES, syslogSeverity } from '../decode/logs/syslog';
import type { IngestStage, Position } from '../ingest/stage';
import { rulesFor } from '../pipeline/masking';
import { openDuckDB, sqlString } from '../store/duckdb';
import type { Store } from '../store/store';
import type { Compression, LineEnds } from './files';

/** Formats the fast path reads; every other one takes the slow path. */
export const FAST_FORMATS: readonly string[] = ['syslog'];
/** The records table as the fast path makes its rows (store/migrations.ts, version 5). */
const RECORD_COLUMNS = [
  'TIMESTAMP',
  'TIMESTAMP',
  'UINTEGER',
  'VARCHAR',
  'VARCHAR',
  'JSON',
  'VARCHAR',
  'BIGINT',
];
/** The private reader's memory: its reader and one streaming query (not measured beyond bench: logs). */
const READER_MEMORY_MB = 256;

export interface FastPathCase {
  /** The request's `fastPath`: false asks for the slow path. */
  asked: boolean;
  format: string;
  latin1: boolean;
  multiline: boolean;
  compression: Compression;
  timeZone: string | undefined;
  masking: MaskingOptions | undefined;
  /** The saved position was written by the slow path: it goes on. */
  slowPosition: boolean;
  /** Null: not known (zstd, which only DuckDB reads). */
  lineEnds: LineEnds | null;
}

/** Why this file takes the slow path, or null when the fast path reads it. The one place that decides. */
export function fastPathRefusal(c: FastPathCase): string | null {
  if (!c.asked) return 'asked for (fastPath: false)';
  if (!FAST_FORMATS.includes(c.format)) return `format ${c.format} has no fast path`;
  if (c.compression === 'zstd' && c.slowPosition) return 'zstd resumed where the slow path stopped';
  if (c.latin1) return 'not UTF-8';
  if (c.multiline) return 'multi-line records';
  if (c.timeZone && c.timeZone !== 'UTC')
    return `time zone ${c.timeZone} (the fast path places times in UTC only)`;
  if (c.masking && c.masking.custom.length > 0) return 'own masking patterns (they have no gate)';
  // DuckDB's reader takes a lone CR for a line end: the line numbers would drift.
  if (c.lineEnds && !c.lineEnds.utf8) return 'not all UTF-8 (DuckDB would drop those lines)';
  if (c.lineEnds?.loneCr) return 'a CR not followed by LF (DuckDB would end a line there)';
  if (c.lineEnds?.longLine) return 'a line longer than 1 MiB (quarantined cut, as DuckDB would not)';
  if (c.slowPosition) return 'resumed where the slow path stopped';
  return null;
}

/** Where a fast import is, saved with its rows. */
export interface FastPosition {
  phase: 'fast';
  /** Every line up to this one is stored or quarantined. */
  line: number;
  rows: number;
  quarantined: number;
}

export interface FastImport {
  path: string;
  compression: Compression;
  lineEnds: LineEnds | null;
  /** The file's modification time (epoch ms): the year of a 3164 time. */
  modified: number;
  rx: number;
  sourceId: number;
  masking: MaskingOptions | undefined;
  store: Store;
  stage: IngestStage;
  signal: AbortSignal;
  at: FastPosition;
  /** Pushes one line to the decoder (counted, numbered); false when it was not taken. */
  pushLine(bytes: Uint8Array, line: number): void;
  /** Called with the position value after each chunk: the caller wraps it as its Position. */
  position(p: FastPosition): Position;
  /** Lines done so far (for progress). */
  progress(lines: number, rows: number): void;
  /** Rows the fast path made and committed (its own transactions), counted on from `made.rows`. */
  rows: { fast: number };
  /** Where the made rows stand, as committed with them (see `MadePosition`). */
  made: MadePosition;
  /** The positions table's source and key the made rows' position is saved under. */
  madeSource: string;
  madeKey: string;
}

/**
 * Where the rows the SQL made stand: every made row of a line up to `line` is committed. Saved in
 * the same transaction as those rows, on a connection of the import's own (`BULK_COMMIT_ROWS`);
 * the leftover lines' position (`FastPosition`) is the ingest stage's, saved with theirs. Each of
 * the two kinds of row is taken only after its own position, so a resume stores each line once.
 */
export interface MadePosition {
  line: number;
  rows: number;
}

/**
 * Made rows per transaction of the import's own connection. Large appends in one transaction go
 * to the data file as whole row groups (DuckDB's optimistic writes) and the log holds only their
 * place; the store's 100 ms commits sent every byte through the log and again through a
 * checkpoint every memory_limit/16 of it. 1 M rows: ~85 MB of syslog (not compared with other
 * sizes). Sooner, every BULK_COMMIT_MS, once a row group's worth (DuckDB's 122,880 rows) waits:
 * queries see the rows as they come, and a kill loses little.
 */
const BULK_COMMIT_ROWS = 1_000_000;
const BULK_COMMIT_MIN_ROWS = 122_880;
const BULK_COMMIT_MS = 2_000;

/**
 * RE2, anchored: a line the SQL reads (see `syslogSelect`); anything else (no match: every group
 * empty) is a leftover. The groups are the parts, in one pass. Measured on 200 MB (bench: logs,
 * load 5–6, CPU seconds): the parts from this one regexp_extract 8.6 s, where a shape check and
 * then slices by position behind row_number barriers took 13.9 s; the whole statement 18.0 s
 * against 19.9 s.
 */
const SYSLOG_3164 =
  '^(?:<([0-9]{1,3})>)?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)  ?([0-9]{1,2}) ' +
  '([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]) ([A-Za-z0-9._-]+) ([A-Za-z0-9_./-]+)' +
  '(?:\\[([0-9]+)\\])?:(?: ([!-~](?:[\\t -~]*[!-~])?))?$';
const SYSLOG_3164_GROUPS = ['pri', 'mon', 'day', 'hh', 'mi', 'ss', 'host', 'app', 'pid', 'msg'];

/**
 * guessSeverity's words (decode/decoder.ts), as RE2 (ASCII-only messages, so both read alike),
 * each behind a `contains` on the lower-cased message that any match needs (cheap; most lines
 * hold one word at most).
 */
const SEVERITY_WORDS: [string[], string, string][] = [
  [
    ['crit', 'fatal', 'emerg', 'panic', 'alert'],
    '(?i)\\b(crit(ical)?|fatal|emerg(ency)?|panic|alert)\\b',
    'critical',
  ],
  [['err', 'fail', 'exception'], '(?i)\\b(err(or)?|fail(ed|ure)?|exception)\\b', 'error'],
  [['warn'], '(?i)\\b(warn(ing)?)\\b', 'warning'],
  [['notice'], '(?i)\\b(notice)\\b', 'notice'],
  [['debug', 'trace'], '(?i)\\b(debug|trace)\\b', 'debug'],
];

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/**
 * SQL for the epoch µs of a wall time in UTC in `year` (a constant), or NULL when the day is not in
 * that month (February 29th of a common year: JavaScript's Date.UTC would roll it over; the
 * decoder decides such a line). Integer arithmetic only (a list literal per row cost seconds):
 * the day of the year is 275m/9 − k·⌊(m+9)/12⌋ + d − 30 (k = 1 in a leap year, else 2); a month
 * other than February has 30 + (m + ⌊m/8⌋) mod 2 days.
 */
function wallMicros(year: number): string {
  const leap = isLeap(year);
  const yearStart = Date.UTC(year, 0, 1) / 86_400_000;
  const k = leap ? 1 : 2;
  return `CASE WHEN day >= 1 AND day <= CASE WHEN mon = 2 THEN ${leap ? 29 : 28} ELSE 30 + (mon + mon // 8) % 2 END THEN
    ((${yearStart - 1} + (275 * mon) // 9 - ${k} * ((mon + 9) // 12) + day - 30) * 86400 + hh * 3600 + mi * 60 + ss) * 1000000 END`;
}

/** SQL true where a masking rule could match `text` (its gate): such lines go to the stage. */
function maskingGate(masking: MaskingOptions | undefined, text: string): string {
  if (!masking) return 'false';
  const tests: string[] = [];
  for (const rule of rulesFor(masking)) {
    const gate = rule.gate;
    if (gate === null) return 'true';
    tests.push(
      typeof gate === 'string'
        ? `contains(${text}, ${sqlString(gate)})`
        : `regexp_matches(${text}, ${sqlString(gate.source)})`,
    );
    // A key block's body lines hold no gate: a message that could be one is the stage's to judge.
    if (rule.name === 'private-key')
      tests.push(`regexp_full_match(coalesce(msg, ''), '[A-Za-z0-9+/=]*|Proc-Type:.*|DEK-Info:.*')`);
  }
  return tests.length ? tests.join(' OR ') : 'false';
}

/** The statement making records rows from a syslog file's lines; a leftover has ts NULL. */
export function syslogSelect(
  f: Pick<FastImport, 'path' | 'compression' | 'lineEnds' | 'modified' | 'rx' | 'sourceId' | 'masking'>,
): string {
  const refYear = new Date(f.modified).getUTCFullYear();
  const refUs = Math.round(f.modified * 1000);
  const dayUs = 86_400_000_000;
  // yearFor (decode/logs/time.ts) in UTC: the reference's year, a year back when that puts the
  // line more than a day after the reference, a year on for a January line read on New Year's Eve.
  const [prev, same, next] = [refYear - 1, refYear, refYear + 1].map(wallMicros) as [string, string, string];
  const chosen = `CASE WHEN (${same}) > ${refUs + dayUs} THEN ${refYear - 1}
      WHEN (${same}) > ${refUs - 330 * dayUs} THEN ${refYear}
      WHEN (${next}) <= ${refUs + dayUs} THEN ${refYear + 1}
      ELSE ${refYear} END`;
  const severityByPri = `[${Array.from({ length: 8 }, (_, i) => sqlString(syslogSeverity(i))).join(', ')}]`;
  const facilities = `[${FACILITIES.map(sqlString).join(', ')}]`;
  const guessed = `CASE ${SEVERITY_WORDS.map(
    ([gates, re, severity]) =>
      `WHEN (${gates.map((g) => `contains(low, '${g}')`).join(' OR ')}) AND regexp_matches(msg, ${sqlString(re)}) THEN '${severity}'`,
  ).join(' ')} ELSE 'info' END`;
  const rxUs = Math.round(f.rx * 1000);
  const compression = f.compression ?? 'none';
  const newLine = f.lineEnds && !f.lineEnds.crlf ? '\\n' : '\\r\\n';
  // No window: the reader keeps the file's order and JavaScript numbers the rows as they come
  // (LINE_COLUMN). row_number() OVER () made DuckDB hold every column of the rows for its window:
  // on 200 MB (load 8), 16.4 s of CPU with it, 10.3 s without.
  return `
WITH raw AS (
  SELECT line
  FROM read_csv(${sqlString(f.path)}, columns = {line: 'VARCHAR'}, delim = '\\x01', header = false,
    quote = '', escape = '', new_line = '${newLine}', auto_detect = false, strict_mode = false,
    ignore_errors = true, compression = '${compression}')
), parts AS (
  -- A line of another shape has every group empty: shaped is false, the numbers NULL.
  SELECT line, p.pri AS pri, p.host AS host, p.app AS app, p.pid AS pid, p.msg AS msg, p.mon <> '' AS shaped,
    strpos('JanFebMarAprMayJunJulAugSepOctNovDec', p.mon) // 3 + 1 AS mon,
    TRY_CAST(p.day AS BIGINT) AS day, TRY_CAST(p.hh AS BIGINT) AS hh,
    TRY_CAST(p.mi AS BIGINT) AS mi, TRY_CAST(p.ss AS BIGINT) AS ss
  FROM (SELECT line, regexp_extract(line, ${sqlString(SYSLOG_3164)}, [${SYSLOG_3164_GROUPS.map(sqlString).join(', ')}]) AS p FROM raw)
), dated AS (
  SELECT *, ${chosen} AS y FROM parts
), placed AS (
  SELECT *, CASE y WHEN ${refYear - 1} THEN ${prev} WHEN ${refYear} THEN ${same} ELSE ${next} END AS us FROM dated
), checked AS (
  SELECT line, pri, host, app, pid, msg, lower(msg) AS low, y, us,
    coalesce(shaped
      AND us >= 946684800000000 AND us <= ${rxUs + DEFAULT_FUTURE_TOLERANCE_MS * 1000}
      AND strlen(app) <= 64 AND strlen(pid) <= 32
      AND (pri = '' OR TRY_CAST(pri AS INT) <= 191)
      AND NOT starts_with(msg, 'CEF:') AND NOT starts_with(msg, 'LEEF:')
      AND NOT (${maskingGate(f.masking, 'line')}), false) AS ok
  FROM placed
)
SELECT
  CASE WHEN ok THEN make_timestamp(us) END AS ts,
  make_timestamp(${rxUs}::BIGINT) AS rx,
  ${f.sourceId}::UINTEGER AS source_id,
  CASE WHEN NOT ok THEN '' WHEN pri <> '' THEN ${severityByPri}[(TRY_CAST(pri AS INT) % 8) + 1] ELSE ${guessed} END AS severity,
  CASE WHEN ok THEN msg ELSE line END AS message,
  CASE WHEN ok THEN ('{' ||
    CASE WHEN pri <> '' THEN '"facility":"' || ${facilities}[(TRY_CAST(pri AS INT) // 8) + 1] || '",' ELSE '' END ||
    '"host":"' || host || '","app":"' || app || '"' ||
    CASE WHEN pid <> '' THEN ',"procid":"' || pid || '"' ELSE '' END ||
    ',"yearInferred":' || y::VARCHAR || '}')::JSON END AS fields,
  ${sqlString(f.path)} AS origin,
  -- A value per row (a constant would make a constant vector): overwritten with the line number.
  coalesce(strlen(line), 0)::BIGINT AS line
FROM checked`;
}

/**
 * The first lines of a zstd file, as bytes (LF-ended), up to about `maxBytes`: only DuckDB's reader
 * decompresses zstd here (Node 20's zlib has no zstd), so detection reads its head through it.
 */
export async function zstdHead(file: string, maxBytes: number, lines: number): Promise<Buffer> {
  const instance = await openDuckDB(':memory:', { memoryLimitMb: 64, threads: 1 }, { externalAccess: true });
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT coalesce(line, '') FROM read_csv(${sqlString(file)}, columns = {line: 'VARCHAR'}, delim = '\\x01',
        header = false, quote = '', escape = '', new_line = '\\r\\n', auto_detect = false, strict_mode = false,
        ignore_errors = true, compression = 'zstd') LIMIT ${lines}`,
    );
    const parts: Buffer[] = [];
    let n = 0;
    for (const [line] of reader.getRows()) {
      const b = Buffer.from(`${String(line)}\n`, 'utf8');
      if (n + b.length > maxBytes) break;
      parts.push(b);
      n += b.length;
    }
    return Buffer.concat(parts);
  } catch (error) {
    throw new Error(`cannot read it as zstd: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** True when every row of the chunk's column `c` has a value (none NULL). */
function allValid(chunk: DuckDBDataChunk, c: number): boolean {
  const rows = chunk.rowCount;
  const validity = bindings.vector_get_validity(
    bindings.data_chunk_get_vector(chunk.chunk, c),
    Math.ceil(rows / 64) * 8,
  );
  if (!validity || validity.byteLength === 0) return true;
  for (let r = 0; r < rows; r++) if (!bindings.validity_row_is_valid(validity, r)) return false;
  return true;
}

/** The records column holding the line number, which the SQL leaves to `numberLines`. */
const LINE_COLUMN = 7;

/** Writes lines `first`, `first + 1`, … into the chunk's line column (int64 as two int32 halves). */
function numberLines(chunk: DuckDBDataChunk, first: number): void {
  const n = chunk.rowCount;
  const words = new Int32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const line = first + i;
    const hi = Math.floor(line / 4294967296);
    words[2 * i] = (line - hi * 4294967296) | 0;
    words[2 * i + 1] = hi;
  }
  bindings.copy_data_to_vector(
    bindings.data_chunk_get_vector(chunk.chunk, LINE_COLUMN),
    0,
    words.buffer,
    0,
    words.byteLength,
  );
}

/**
 * Imports a file by the fast path from `f.at`; resolves when every line is pushed (the caller
 * waits for durability) or the signal aborted.
 */
export async function importFast(f: FastImport): Promise<void> {
  const columns = await f.store.recordColumns();
  if (columns.join() !== RECORD_COLUMNS.join())
    throw new Error(
      `the records table has columns ${columns.join(', ')}: the fast path makes ${RECORD_COLUMNS.join(', ')}`,
    );
  const state: FastPosition = { ...f.at };
  await readByDuckDB(f, state);
}

async function readByDuckDB(f: FastImport, state: FastPosition): Promise<void> {
  const threads = Math.max(1, Math.min(2, os.availableParallelism()));
  const instance = await openDuckDB(
    ':memory:',
    { memoryLimitMb: READER_MEMORY_MB, threads },
    { externalAccess: true },
  );
  const connection = await instance.connect();
  const bulk = await f.store.ownConnection();
  const stop = () => connection.interrupt();
  let pending: Promise<DuckDBDataChunk | null> | null = null;
  const made: MadePosition = { ...f.made };
  let uncommitted = 0;
  let committedAt = performance.now();
  let appender: DuckDBAppender | null = null;
  /** Commits the made rows appended so far with their position, and opens the next transaction. */
  const commit = async (again: boolean) => {
    appender!.flushSync();
    await bulk.connection.run(`INSERT OR REPLACE INTO positions VALUES ($1, $2, $3, now()::TIMESTAMP)`, [
      f.madeSource,
      f.madeKey,
      JSON.stringify(made),
    ]);
    await bulk.connection.run('COMMIT');
    f.store.storedRecords += uncommitted;
    uncommitted = 0;
    committedAt = performance.now();
    if (again) await bulk.connection.run('BEGIN TRANSACTION');
  };
  f.signal.addEventListener('abort', stop);
  try {
    await bulk.connection.run('BEGIN TRANSACTION');
    appender = await bulk.connection.createAppender('records');
    const result = await connection.stream(syslogSelect(f));
    /** Lines the reader gave so far: the next row is line `read + 1`. */
    let read = 0;
    // One chunk ahead: DuckDB makes the next while this one is appended.
    pending = result.fetchChunk();
    for (;;) {
      const chunk = await pending;
      pending = null;
      if (!chunk || chunk.rowCount === 0) break;
      pending = result.fetchChunk();
      const n = chunk.rowCount;
      const first = read + 1;
      const last = (read += n);
      if (last <= Math.min(made.line, state.line)) continue; // resumed: done before
      numberLines(chunk, first);
      let leftovers: { line: number; text: string }[] = [];
      if (allValid(chunk, 0) && first > made.line) {
        appender.appendDataChunk(chunk);
        uncommitted += n;
        f.rows.fast += n;
      } else {
        // Rows made and leftovers apart, each past its own position: the made ones in a chunk of their own.
        const all = chunk.getColumns();
        const keep: number[] = [];
        for (let r = 0; r < n; r++) {
          const line = first + r;
          if (all[0]![r] !== null) {
            if (line > made.line) keep.push(r);
          } else if (all[4]![r] !== null && line > state.line)
            leftovers.push({ line, text: all[4]![r] as string });
        }
        if (keep.length > 0) {
          const rows = DuckDBDataChunk.create(
            Array.from({ length: chunk.columnCount }, (_, c) => chunk.getColumnVector(c).type),
            keep.length,
          );
          rows.setColumns(all.map((column) => keep.map((r) => column[r]!)));
          appender.appendDataChunk(rows);
          bindings.data_chunk_reset(rows.chunk);
          uncommitted += keep.length;
          f.rows.fast += keep.length;
        }
      }
      // The appender copied it. Its strings freed now, not when the garbage collector gets to its
      // wrapper: little JavaScript is allocated per chunk, so that came late, and the process
      // grew to 1 GB importing 200 MB (bench: logs; 243 MB with this, reading alone).
      bindings.data_chunk_reset(chunk.chunk);
      made.line = Math.max(made.line, last);
      made.rows = f.made.rows + f.rows.fast;
      if (last > state.line) {
        state.line = last;
        f.stage.pushFrames(() => {
          // A CR before the LF is no part of the line (as on the slow path).
          for (const l of leftovers)
            f.pushLine(Buffer.from(l.text.endsWith('\r') ? l.text.slice(0, -1) : l.text, 'utf8'), l.line);
          leftovers = [];
          return f.position({ ...state });
        });
      }
      if (
        uncommitted >= BULK_COMMIT_ROWS ||
        (uncommitted >= BULK_COMMIT_MIN_ROWS && performance.now() - committedAt >= BULK_COMMIT_MS)
      )
        await commit(true);
      f.progress(state.line, f.rows.fast);
      if (f.stage.full) await f.stage.pauseUntilRoom();
      if (f.signal.aborted) break;
    }
    // Cancelled or done: what was appended is committed with its position, consistent either way.
    await commit(false);
  } catch (error) {
    if (!f.signal.aborted) throw error;
    // A cancel interrupted the reader: what was appended is still committed with its position.
    if (appender) await commit(false).catch(() => undefined);
  } finally {
    if (pending) await pending.catch(() => null);
    f.signal.removeEventListener('abort', stop);
    try {
      appender?.closeSync();
    } catch {
      // the store closed the connection (it closed or reopened): nothing of it was committed
    }
    bulk.close();
    connection.closeSync();
    instance.closeSync();
  }
  // The reader's line numbers are the file's (LineEnds were checked): a guard all the same.
  if (!f.signal.aborted && f.lineEnds && state.line !== f.lineEnds.lines && state.line > 0)
    throw new Error(
      `DuckDB's reader gave ${state.line} lines where the file has ${f.lineEnds.lines}: import it again with the fast path off`,
    );
}
