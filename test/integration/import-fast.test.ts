// The import's fast path (import/fast.ts: DuckDB's reader, then SQL) against the slow path (every
// line through the decoders) on the same files, in real workspaces: the same records (count, ts,
// severity, message, fields, origin and line), the same quarantine (line numbers and reasons), for
// a plain file with corrupt, empty, non-UTF-8 and odd lines, for its gzip, and with masking on.
// Also: the fast path is the one taken (the file's note says so), zstd is read (and a format
// without a fast path in zstd refused), and a cancelled fast import imported again gives every
// line once.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import type { JobInfo } from '../../shared/jobs';
import { COUNTS_DIFFER_SQL } from '../helpers/capture-counts';
import { tempDir } from '../helpers/tmp';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WORDS = ['info', 'Notice', 'warning', 'error:', 'FATAL', 'debug', 'trace', 'failed', 'panicked', ''];
/** The file's modification time: recent, so retention keeps the rows; lines are up to ~2 days older. */
const MTIME = Date.now() - 3_600_000;

function bsd(ms: number): string {
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
}

/** Lines of many shapes: most the fast path takes, some it leaves to the decoder, some broken. */
function syslogLines(count: number, notUtf8 = false): Buffer {
  const parts: Buffer[] = [];
  for (let i = 1; i <= count; i++) {
    const t = bsd(MTIME - 2 * 86_400_000 + i * 1000);
    const word = WORDS[i % WORDS.length]!;
    let line: string;
    // The head (detection reads its first 64 KiB) plain syslog, so the file is detected as one.
    switch (i > 1000 ? i % 50 : 0) {
      case 3:
        line = `garbage line ${i} without a time`; // quarantined
        break;
      case 7:
        line = ''; // empty: skipped
        break;
      case 11:
        line = `<${(i % 24) * 8 + (i % 8)}>${t} host-${i % 4} app[${i}]: ${word} pri line ${i}`;
        break;
      case 13:
        line = `${t} sshd[${i}]: no host ${word} ${i}`; // no host: the decoder
        break;
      case 17:
        line = `${t} db-1 kernel: mail from ops${i}@example.com ${word}`; // masking's gate: the decoder
        break;
      case 19:
        line = `${t} fw-1 cef: CEF:0|Vendor|Product|1.0|100|Blocked ${i}|5|src=10.0.0.${i % 250}`;
        break;
      case 23:
        line = `<999>${t} h app: bad pri ${i}`; // quarantined
        break;
      case 29:
        line = `${t} host-é app: non-ASCII ${word} ${i}`;
        break;
      case 31:
        line = `${t} h app[1]: trailing CR ${i}\r`;
        break;
      case 37:
        line = `${t} h app[1]:   padded  ${i}  `;
        break;
      case 41:
        line = `Feb 30 10:00:00 h app: no such day ${i}`;
        break;
      case 47:
        line = `Jan ${i % 2 ? ' ' : ''}${1 + (i % 9)} 10:00:0${i % 10} web-9 cron[9]: a day of one digit ${i}`;
        break;
      case 49:
        line = `Jan  12 10:00:00 web-9 cron[9]: two spaces, two digits ${i}`;
        break;
      case 43:
        line = `${t} h app: ${'x'.repeat(300)} long ${i}`;
        break;
      default:
        line = `${t} web-${i % 5} nginx[${1000 + (i % 4000)}]: ${word} request ${i} took ${i % 997} ms`;
    }
    parts.push(Buffer.from(line + '\n', 'utf8'));
    if (notUtf8 && i > 1000 && i % 50 === 47)
      parts.push(Buffer.from([0x4e, 0x6f, 0x76, 0x20, 0xff, 0xfe, 0x0a])); // not UTF-8
  }
  return Buffer.concat(parts);
}

async function finished(engine: Engine, id: string, timeoutMs = 120_000): Promise<JobInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = engine.jobs.get(id);
    if (job && job.state !== 'queued' && job.state !== 'running') return job;
    if (Date.now() > deadline) throw new Error(`job ${id} did not finish: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const plain = (v: unknown) => (typeof v === 'bigint' ? Number(v) : v);

async function rows(engine: Engine, sql: string): Promise<unknown[][]> {
  await engine.store.flush();
  const r = await engine.query(sql, 1_000_000);
  return r.rows.map((row) => (row as unknown[]).map(plain));
}

/**
 * The first pass's counts (capture_counts, import/quick-counts.ts) against the stored rows:
 * [(minute, severity) groups counted, groups that differ, lines counted as quarantined, rows quarantined].
 */
async function countsAgainstRows(engine: Engine): Promise<number[]> {
  const [counted] = await rows(
    engine,
    `SELECT count(*) FILTER (WHERE minute IS NOT NULL), coalesce(sum(lines) FILTER (WHERE minute IS NULL), 0)
     FROM capture_counts`,
  );
  const [differ] = await rows(engine, COUNTS_DIFFER_SQL);
  const [quarantined] = await rows(engine, `SELECT count(*) FROM quarantine`);
  return [counted![0] as number, differ![0] as number, counted![1] as number, quarantined![0] as number];
}

describe('import fast path', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function workspace(name: string) {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const engine = await Engine.open(path.join(tmp.dir, name), { startSources: false, flushIntervalMs: 50 });
    cleanups.push(() => engine.close());
    return { engine, dir: tmp.dir };
  }

  async function importBoth(file: string, options: { masking?: { rules: string[]; custom: [] } } = {}) {
    const results = [];
    for (const fastPath of [true, false]) {
      const { engine } = await workspace(fastPath ? 'fast' : 'slow');
      const id = await engine.importFiles({
        paths: [file],
        fastPath,
        ...(options.masking ? { masking: options.masking as never } : {}),
      });
      const job = await finished(engine, id);
      expect(job.state).toBe('done');
      const records = await rows(
        engine,
        `SELECT line, epoch_ms(ts), severity, message, fields::VARCHAR, origin, source FROM records_v ORDER BY line`,
      );
      const quarantine = await rows(engine, `SELECT "where", reason FROM quarantine ORDER BY "where"`);
      // The first answers, counted before the rows, are the rows' answers on either path.
      const [groups, differ, countedQuarantined, stored] = await countsAgainstRows(engine);
      expect(groups).toBeGreaterThan(10);
      expect(differ).toBe(0);
      expect(countedQuarantined).toBe(stored);
      results.push({ job, records, quarantine });
    }
    return { fast: results[0]!, slow: results[1]! };
  }

  it('gives the same records and quarantine as the slow path, corrupt lines included', async () => {
    const { dir } = await workspace('files');
    const file = path.join(dir, 'messages.log');
    fs.writeFileSync(file, syslogLines(3000));
    fs.utimesSync(file, MTIME / 1000, MTIME / 1000);
    const { fast, slow } = await importBoth(file);
    expect(fast.job.files[0]!.note).toContain("fast path: DuckDB's reader");
    expect(slow.job.files[0]!.note).toContain('slow path');
    expect(fast.records.length).toBeGreaterThan(2500);
    expect(fast.records).toEqual(slow.records);
    expect(fast.quarantine.length).toBeGreaterThan(50);
    expect(fast.quarantine).toEqual(slow.quarantine);
    expect(fast.job.rows).toBe(slow.job.rows);
    expect(fast.job.quarantined).toBe(slow.job.quarantined);
  });

  it('leaves a file with a line over 1 MiB to the slow path (DuckDB would not cut it), numbering every line', async () => {
    const { dir } = await workspace('files');
    const file = path.join(dir, 'long.log');
    const lines = syslogLines(300).toString('utf8').split('\n');
    lines.splice(150, 0, `${bsd(MTIME - 60_000)} h app: ${'y'.repeat(3 * 1024 * 1024)}`); // line 151
    fs.writeFileSync(file, lines.join('\n'));
    fs.utimesSync(file, MTIME / 1000, MTIME / 1000);
    const { engine } = await workspace('long');
    const job = await finished(engine, await engine.importFiles({ paths: [file] }));
    expect(job.state).toBe('done');
    expect(job.files[0]!.note).toContain('slow path: a line longer than 1 MiB');
    const [numbers] = await rows(
      engine,
      `SELECT count(*), count(*) FILTER (WHERE line = regexp_extract(message, 'request (\\d+)', 1)::INT + (line > 151)::INT) FROM records`,
    );
    expect(numbers).toEqual([300, 300]); // each line its own number, after the long one too
    const [cut] = await rows(
      engine,
      `SELECT count(DISTINCT "where") FROM quarantine WHERE "where" = '${file}:151'`,
    );
    expect(cut![0]).toBe(1);
  });

  it('leaves a file with lines that are not UTF-8 to the slow path, saying why', async () => {
    const { dir } = await workspace('files');
    const file = path.join(dir, 'mixed.log');
    fs.writeFileSync(file, syslogLines(1200, true));
    fs.utimesSync(file, MTIME / 1000, MTIME / 1000);
    const { engine } = await workspace('mixed');
    const job = await finished(engine, await engine.importFiles({ paths: [file] }));
    expect(job.state).toBe('done');
    expect(job.files[0]!.note).toContain('slow path: not all UTF-8');
    const quarantined = await rows(
      engine,
      `SELECT "where", reason FROM quarantine WHERE reason LIKE '%UTF-8%'`,
    );
    expect(quarantined).toContainEqual([`${file}:1048`, 'syslog: not valid UTF-8']);
    const [groups, differ, countedQuarantined, stored] = await countsAgainstRows(engine);
    expect(groups).toBeGreaterThan(10);
    expect(differ).toBe(0);
    expect(countedQuarantined).toBe(stored);
    expect(stored).toBeGreaterThan(5);
  });

  it('reads gzip the same way, and masks as the slow path does (ipv4 on)', async () => {
    const { dir } = await workspace('files');
    const file = path.join(dir, 'messages.log.gz');
    fs.writeFileSync(file, zlib.gzipSync(syslogLines(2000)));
    fs.utimesSync(file, MTIME / 1000, MTIME / 1000);
    const { fast, slow } = await importBoth(file, {
      masking: {
        rules: ['private-key', 'url-password', 'bearer', 'jwt', 'aws-key', 'email', 'card', 'ipv4'],
        custom: [],
      },
    });
    expect(fast.job.files[0]!.note).toContain('gzip-compressed');
    expect(fast.job.files[0]!.note).toContain("fast path: DuckDB's reader");
    expect(fast.records).toEqual(slow.records);
    expect(fast.quarantine).toEqual(slow.quarantine);
    expect(JSON.stringify(fast.records)).toContain('[masked:email]');
    expect(JSON.stringify(fast.records)).toContain('[masked:ipv4]');
  });

  it('cancelled mid-file then imported again: every line exactly once (fast path)', async () => {
    const { dir } = await workspace('files');
    const file = path.join(dir, 'big.log');
    const lines = 300_000;
    const out: string[] = [];
    for (let i = 1; i <= lines; i++)
      out.push(`${bsd(MTIME - 86_400_000 + i * 100)} web-${i % 5} nginx[${i % 4000}]: info request ${i}`);
    fs.writeFileSync(file, out.join('\n') + '\n');
    fs.utimesSync(file, MTIME / 1000, MTIME / 1000);
    const { engine } = await workspace('cancel');
    const id = await engine.importFiles({ paths: [file] });
    await new Promise<void>((resolve) => {
      const off = engine.jobs.onChange(() => {
        const job = engine.jobs.get(id);
        if (job && job.rows > 10_000) {
          off();
          engine.jobs.cancel(id);
          resolve();
        }
      });
    });
    const cancelled = await finished(engine, id);
    expect(cancelled.state).toBe('cancelled');
    const partial = (await rows(engine, `SELECT count(*) FROM records`))[0]![0] as number;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(lines);
    const again = await finished(engine, await engine.importFiles({ paths: [file] }));
    expect(again.state).toBe('done');
    expect(again.files[0]!.note).toContain("fast path: DuckDB's reader, resumed after line");
    expect(
      await rows(engine, `SELECT count(*), count(DISTINCT line), min(line), max(line) FROM records`),
    ).toEqual([[lines, lines, 1, lines]]);
  });

  it('resumes from two positions apart, made rows and leftover lines each past its own: every line once', async () => {
    // Lines ending with `#line`: every 97th garbage (quarantined), every 101st without a host (the
    // decoder's record): the leftovers. The rest the SQL makes.
    const { dir } = await workspace('files');
    const file = path.join(dir, 'resume.log');
    const lines = 20_000;
    const out: string[] = [];
    for (let i = 1; i <= lines; i++) {
      const t = bsd(MTIME - 86_400_000 + i * 100);
      if (i % 97 === 0) out.push(`garbage #${i}`);
      else if (i % 101 === 0) out.push(`${t} sshd[${i}]: no host #${i}`);
      else out.push(`${t} web-${i % 5} nginx[${i % 4000}]: request #${i}`);
    }
    fs.writeFileSync(file, out.join('\n') + '\n');
    fs.utimesSync(file, MTIME / 1000, MTIME / 1000);
    const garbage = Math.floor(lines / 97);
    const lineOf = `(regexp_extract("where", ':(\\d+)$', 1))::INT`;
    // The state a kill leaves between the two commits, made rows ahead and then behind.
    for (const [madeLine, leftLine] of [
      [12_000, 5_000],
      [5_000, 12_000],
    ] as const) {
      const { engine } = await workspace(`resume-${madeLine}`);
      const first = await finished(engine, await engine.importFiles({ paths: [file] }));
      expect(first.state).toBe('done');
      const sha = first.files[0]!.sha256!;
      await engine.store.flush();
      await engine.store.write(`DELETE FROM records WHERE line > $1 AND message NOT LIKE '%no host%'`, [
        madeLine,
      ]);
      await engine.store.write(`DELETE FROM records WHERE line > $1 AND message LIKE '%no host%'`, [
        leftLine,
      ]);
      await engine.store.write(`DELETE FROM quarantine WHERE ${lineOf} > $1`, [leftLine]);
      const [[made, left, quarantined]] = (await rows(
        engine,
        `SELECT (SELECT count(*) FROM records WHERE message NOT LIKE '%no host%'),
                (SELECT count(*) FROM records WHERE message LIKE '%no host%'),
                (SELECT count(*) FROM quarantine)`,
      )) as [[number, number, number]];
      await engine.store.write(`UPDATE captures SET state = 'cancelled'`, []);
      await engine.store.write(
        `INSERT OR REPLACE INTO positions VALUES ('import', $1, $2, now()::TIMESTAMP)`,
        [sha, JSON.stringify({ phase: 'fast', line: leftLine, rows: left, quarantined })],
      );
      await engine.store.write(
        `INSERT OR REPLACE INTO positions VALUES ('import', $1, $2, now()::TIMESTAMP)`,
        [`${sha}#made`, JSON.stringify({ line: madeLine, rows: made })],
      );
      const again = await finished(engine, await engine.importFiles({ paths: [file] }));
      expect(again.state).toBe('done');
      expect(again.files[0]!.note).toContain(`fast path: DuckDB's reader, resumed after line ${leftLine}`);
      expect(
        await rows(
          engine,
          `SELECT count(*), count(DISTINCT line), count(*) FILTER (WHERE message LIKE '%#' || line) FROM records`,
        ),
      ).toEqual([[lines - garbage, lines - garbage, lines - garbage]]);
      expect(
        await rows(
          engine,
          `SELECT count(*), count(DISTINCT "where"), min(${lineOf}), max(${lineOf}) FROM quarantine`,
        ),
      ).toEqual([[garbage, garbage, 97, 97 * garbage]]);
      expect(await rows(engine, `SELECT state, rows, quarantined FROM captures`)).toEqual([
        ['done', lines - garbage, garbage],
      ]);
    }
  });

  it('reads zstd through DuckDB', async () => {
    const { dir } = await workspace('files');
    const file = path.join(dir, 'messages.log');
    fs.writeFileSync(file, syslogLines(1500));
    const zst = spawnSync('zstd', ['-q', file, '-o', `${file}.zst`]);
    if (zst.status !== 0) throw new Error(`zstd: ${zst.stderr.toString()}`);
    fs.utimesSync(`${file}.zst`, MTIME / 1000, MTIME / 1000);
    fs.utimesSync(file, MTIME / 1000, MTIME / 1000);
    const { engine } = await workspace('zstd');
    const job = await finished(engine, await engine.importFiles({ paths: [`${file}.zst`] }));
    expect(job.state).toBe('done');
    expect(job.files[0]!.note).toContain('zstd-compressed');
    const { engine: other } = await workspace('plain');
    const reference = await finished(other, await other.importFiles({ paths: [file] }));
    expect(job.rows).toBe(reference.rows);
    expect(job.quarantined).toBe(reference.quarantined);
    expect(await rows(engine, `SELECT line, severity, message FROM records ORDER BY line`)).toEqual(
      await rows(other, `SELECT line, severity, message FROM records ORDER BY line`),
    );
    // A format without a fast path in zstd: refused, saying what to do.
    const json = path.join(dir, 'events.jsonl');
    fs.writeFileSync(
      json,
      '{"ts":"2026-11-29T10:00:00Z","msg":"a"}\n{"ts":"2026-11-29T10:00:01Z","msg":"b"}\n',
    );
    expect(spawnSync('zstd', ['-q', json, '-o', `${json}.zst`]).status).toBe(0);
    const refused = await finished(engine, await engine.importFiles({ paths: [`${json}.zst`] }));
    expect(refused.files[0]!.state).toBe('failed');
    expect(refused.files[0]!.note).toMatch(
      /zstd-compressed.*has no fast path.*decompress it first \(zstd -d\)/,
    );
  });
});
