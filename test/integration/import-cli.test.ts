// `opsdeck import` as a user runs it (the built CLI, a real child process): progress lines on a
// multi-file folder and the summary; then kill -9 in the middle of a big file, and the next engine
// to open the workspace resumes the job and finishes it with every line stored exactly once.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { COUNTS_DIFFER_SQL } from '../helpers/capture-counts';
import { assertBuilt, root, runCli } from '../helpers/cli';
import { tempDir, waitFor } from '../helpers/tmp';

// Recent: the workspace's retention (by event time, 7 days by default) would drop older rows.
const T0 = Date.now() - 3_600_000;

function writeLines(file: string, count: number, host = 'h'): void {
  const fd = fs.openSync(file, 'w');
  for (let start = 1; start <= count; start += 10_000) {
    const out: string[] = [];
    for (let i = start; i < Math.min(count + 1, start + 10_000); i++)
      out.push(JSON.stringify({ ts: new Date(T0 + i).toISOString(), host: `${host}${i % 5}`, n: `${i}` }));
    fs.writeSync(fd, out.join('\n') + '\n');
  }
  fs.closeSync(fd);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * RFC 3164 lines the fast path makes rows of, each ending with `#line`; every 997th is garbage
 * (quarantined), every 1009th has no host (the decoder's). Returns how many are garbage.
 */
function writeSyslog(file: string, count: number): number {
  const fd = fs.openSync(file, 'w');
  let garbage = 0;
  for (let start = 1; start <= count; start += 10_000) {
    const out: string[] = [];
    for (let i = start; i < Math.min(count + 1, start + 10_000); i++) {
      const d = new Date(T0 + i);
      const time = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
      if (i % 997 === 0) {
        garbage++;
        out.push(`garbage #${i}`);
      } else if (i % 1009 === 0) out.push(`${time} sshd[${i}]: no host #${i}`);
      else out.push(`${time} web-${i % 5} nginx[${i % 4000}]: request #${i}`);
    }
    fs.writeSync(fd, out.join('\n') + '\n');
  }
  fs.closeSync(fd);
  return garbage;
}

describe('opsdeck import', () => {
  beforeAll(assertBuilt);
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function folders() {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const ws = path.join(tmp.dir, 'ws');
    const evidence = path.join(tmp.dir, 'evidence');
    fs.mkdirSync(path.join(evidence, 'nested'), { recursive: true });
    return { ws, evidence };
  }

  /**
   * `opsdeck import ws file` killed (-9) once it has taken in 300,000 rows, then the next engine
   * to open the workspace: answers it and the resumed job, ended, its rows flushed.
   */
  async function killMidImportAndResume(ws: string, file: string) {
    const child = spawn(process.execPath, [path.join(root, 'bin/opsdeck.mjs'), 'import', ws, file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Killed once it has taken in more rows than the pending work may hold: some are committed.
    await waitFor(
      '300,000 rows taken in',
      () =>
        [...stderr.matchAll(/ ([\d,]+) rows /g)].some((m) => Number(m[1]!.replaceAll(',', '')) >= 300_000),
      120_000,
    );
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const engine = await Engine.open(ws, { startSources: false, watchConfig: false });
    cleanups.push(() => engine.close());
    const job = await waitFor(
      'the resumed job to finish',
      () => {
        const j = engine.jobs.list()[0];
        return j && j.state !== 'queued' && j.state !== 'running' && j;
      },
      120_000,
    );
    await engine.store.flush();
    return { engine, job };
  }

  it('imports a folder of files with progress lines, a summary, and the same folder again as skipped', async () => {
    const { ws, evidence } = folders();
    fs.mkdirSync(ws);
    await (await Engine.open(ws, { startSources: false })).close();
    writeLines(path.join(evidence, 'a.jsonl'), 150_000);
    writeLines(path.join(evidence, 'nested/b.jsonl'), 150_000, 'other');
    fs.writeFileSync(path.join(evidence, 'nested/c.log'), 'one\ntwo\nthree\n');
    const first = await runCli(['import', ws, evidence]);
    expect(first.stderr).toContain('opened it here');
    expect(first.code).toBe(0);
    // Not a terminal: plain progress lines, each with the bar, bytes and rows.
    expect(first.stderr).toMatch(/import \[[#-]{24}\] \d+% [\d.]+ MB\/[\d.]+ MB [\d,]+ rows/);
    expect(first.stdout).toMatch(/: done/);
    expect(first.stdout).toMatch(
      /done\s+\S+a\.jsonl \([\d.]+ MB, json [\d.]+\): 150000 rows, sha256 [0-9a-f]{64}/,
    );
    expect(first.stdout).toContain('3 of 3 files imported: 300003 rows, 0 lines quarantined');
    const again = await runCli(['import', ws, evidence]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 of 3 files imported, 3 skipped');
    const counted = await runCli(['query', ws, 'SELECT count(*) AS n FROM records', '--format', 'csv']);
    expect(counted.stdout.trim().split('\n')[1]).toBe('300003');
  });

  it('makes a new workspace (no sources) in a new or empty folder, and refuses a folder with other things in it', async () => {
    const { ws, evidence } = folders();
    fs.writeFileSync(path.join(evidence, 'a.jsonl'), '{"ts":"2026-11-20T10:00:00Z","msg":"x"}\n');
    const made = await runCli(['import', ws, evidence]);
    expect(made.code).toBe(0);
    expect(made.stderr).toContain(`made a new workspace in ${ws}`);
    const config = JSON.parse(fs.readFileSync(path.join(ws, 'opsdeck.json'), 'utf8')) as {
      sources: unknown[];
    };
    expect(config.sources).toEqual([]);
    const counted = await runCli(['query', ws, 'SELECT count(*) AS n FROM records', '--format', 'csv']);
    expect(counted.stdout.trim().split('\n')[1]).toBe('1');
    // The evidence folder named as the workspace by mistake: refused, nothing written into it.
    const refused = await runCli(['import', evidence, evidence]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('not an OpsDeck workspace (no opsdeck.json), and not empty');
    expect(fs.readdirSync(evidence).sort()).toEqual(['a.jsonl', 'nested']);
  });

  it('counts a large syslog file by minute and severity first (worker threads), as its rows then say', async () => {
    const { ws, evidence } = folders();
    fs.mkdirSync(ws);
    await (await Engine.open(ws, { startSources: false })).close();
    const file = path.join(evidence, 'messages.log');
    const lines = 700_000;
    const garbage = writeSyslog(file, lines);
    expect(fs.statSync(file).size).toBeGreaterThan(32 * 1024 * 1024); // read by workers
    const run = await runCli(['import', ws, file]);
    expect(run.code).toBe(0);
    // The first answers on stderr, before the rows: every line, the garbage to quarantine.
    const first =
      /first counts, \S+messages\.log: ([\d,]+) lines: info ([\d,]+) · ([\d,]+) to quarantine/.exec(
        run.stderr,
      );
    expect(first).not.toBeNull();
    expect(Number(first![1]!.replaceAll(',', ''))).toBe(lines);
    expect(Number(first![2]!.replaceAll(',', ''))).toBe(lines - garbage);
    expect(Number(first![3]!.replaceAll(',', ''))).toBe(garbage);
    expect(run.stderr.indexOf('first counts')).toBeLessThan(run.stderr.lastIndexOf(' rows '));
    // Counted by workers (one a core, then one hashing), not in the CLI's own thread: 2 or more.
    const threads =
      /messages\.log: 700000 lines counted by minute and severity in [\d.]+ s \((\d+) threads\)/.exec(
        run.stdout,
      );
    expect(Number(threads?.[1])).toBeGreaterThanOrEqual(2);
    const differ = await runCli(['query', ws, COUNTS_DIFFER_SQL, '--format', 'csv']);
    expect(differ.stdout.trim().split('\n')[1]).toBe('0');
  });

  it('Ctrl-C cancels the import, keeps what it took in, and importing again completes it exactly once', async () => {
    const { ws, evidence } = folders();
    fs.mkdirSync(ws);
    await (await Engine.open(ws, { startSources: false })).close();
    const lines = 1_000_000;
    const file = path.join(evidence, 'big.jsonl');
    writeLines(file, lines);
    const child = spawn(process.execPath, [path.join(root, 'bin/opsdeck.mjs'), 'import', ws, file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(
      'rows taken in',
      () => [...stderr.matchAll(/ ([\d,]+) rows /g)].some((m) => Number(m[1]!.replaceAll(',', '')) > 0),
      120_000,
    );
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(stderr).toContain('cancelling');
    expect(stdout).toMatch(/: cancelled/);
    expect(code).toBe(130);
    const again = await runCli(['import', ws, file]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/resumed at line \d+/);
    const counted = await runCli([
      'query',
      ws,
      'SELECT count(*) AS n, count(DISTINCT line) AS d FROM records',
      '--format',
      'csv',
    ]);
    expect(counted.stdout.trim().split('\n')[1]).toBe(`${lines},${lines}`);
  });

  it('after kill -9 in the middle of a file, the next engine resumes the job: every line exactly once', async () => {
    const { ws, evidence } = folders();
    fs.mkdirSync(ws);
    await (await Engine.open(ws, { startSources: false })).close();
    const lines = 1_000_000;
    const file = path.join(evidence, 'big.jsonl');
    writeLines(file, lines);
    const { engine, job } = await killMidImportAndResume(ws, file);
    expect(job.state).toBe('done');
    expect(job.notes).toContain('resumed after the engine restarted');
    expect(job.files[0]!.note).toMatch(/resumed at line \d+/);
    const r = await engine.query(
      `SELECT count(*)::INT, count(DISTINCT line)::INT, min(line)::INT, max(line)::INT,
              count(*) FILTER (WHERE line = (fields->>'n')::INT)::INT FROM records`,
    );
    expect(r.rows[0]).toEqual([lines, lines, 1, lines, lines]);
    const captures = await engine.query(`SELECT state, rows::INT FROM captures`);
    expect(captures.rows).toEqual([['done', lines]]);
  });

  it('after kill -9 in the middle of a syslog file on the fast path, the next engine resumes it: every line exactly once', async () => {
    const { ws, evidence } = folders();
    fs.mkdirSync(ws);
    await (await Engine.open(ws, { startSources: false })).close();
    const lines = 1_000_000;
    const file = path.join(evidence, 'messages.log');
    const garbage = writeSyslog(file, lines);
    const { engine, job } = await killMidImportAndResume(ws, file);
    expect(job.state).toBe('done');
    expect(job.files[0]!.note).toContain("fast path: DuckDB's reader, resumed after line");
    const records = await engine.query(
      `SELECT count(*)::INT, count(DISTINCT line)::INT,
              count(*) FILTER (WHERE message LIKE '%#' || line)::INT FROM records`,
    );
    const made = lines - garbage;
    expect(records.rows[0]).toEqual([made, made, made]);
    const quarantined = await engine.query(
      `SELECT count(*)::INT, count(DISTINCT "where")::INT,
              count(*) FILTER (WHERE "where" = '${file}:' || (regexp_extract(decode(raw), '#(\\d+)', 1))::INT)::INT
       FROM quarantine`,
    );
    expect(quarantined.rows[0]).toEqual([garbage, garbage, garbage]);
    const captures = await engine.query(`SELECT state, rows::INT, quarantined::INT FROM captures`);
    expect(captures.rows).toEqual([['done', made, garbage]]);
    // The first pass's counts (by worker threads in the CLI: the file is over 32 MB) are the rows'.
    const counts = await engine.query(
      `SELECT count(*)::INT, sum(lines)::INT, sum(lines) FILTER (WHERE minute IS NULL)::INT FROM capture_counts_v`,
    );
    expect(counts.rows[0]![1]).toBe(lines);
    expect(counts.rows[0]![2]).toBe(garbage);
    const differ = await engine.query(COUNTS_DIFFER_SQL);
    expect(differ.rows[0]![0]).toBe(0);
    expect(counts.rows[0]![0]).toBeGreaterThan(10);
  });
});
