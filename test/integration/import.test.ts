// Import as a job, on real DuckDB files and real files on disk: gzip read transparently, 1 %
// corrupted lines quarantined with their file:line and the rest imported with origin and line,
// SHA-256 and size kept, the same file not imported twice unless asked, a Latin-1 file read with a
// notice, a folder read recursively, a cancel then a second import giving every line exactly once,
// and a ~50 MB file imported with the pending work bounded.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { WORKSPACE_VERSION } from '../../shared/schemas';
import type { JobInfo } from '../../shared/jobs';
import { tempDir } from '../helpers/tmp';

// Recent: the workspace's retention (by event time, 7 days by default) would drop older rows.
const T0 = Date.now() - 3_600_000;

/** Line i of a JSON Lines capture: its number in `n` so a test can tell every line apart. */
function jsonLine(i: number): string {
  return JSON.stringify({
    ts: new Date(T0 + i * 1000).toISOString(),
    host: `web-${i % 3}`,
    n: `${i}`,
    msg: `GET /api/items/${i % 97} served`,
  });
}

function jsonLines(count: number, corrupt: (lineNo: number) => boolean = () => false): string {
  const out: string[] = [];
  for (let i = 1; i <= count; i++) out.push(corrupt(i) ? jsonLine(i).slice(0, 25) : jsonLine(i));
  return out.join('\n') + '\n';
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

async function count(engine: Engine, sql: string): Promise<number[]> {
  await engine.store.flush();
  const r = await engine.query(sql);
  return (r.rows[0] as unknown[]).map(Number);
}

describe('import', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function workspace(maxPendingRows?: number) {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const dir = path.join(tmp.dir, 'ws');
    if (maxPendingRows) {
      fs.mkdirSync(dir);
      fs.writeFileSync(
        path.join(dir, 'opsdeck.json'),
        JSON.stringify({
          version: WORKSPACE_VERSION,
          name: 'import',
          sources: [],
          store: { maxPendingRows },
        }),
      );
    }
    const engine = await Engine.open(dir, { startSources: false, flushIntervalMs: 50 });
    cleanups.push(() => engine.close());
    const evidence = path.join(tmp.dir, 'evidence');
    fs.mkdirSync(evidence);
    return { engine, evidence };
  }

  it('reads gzip, quarantines 1 % corrupted lines by file:line, keeps origin, line, SHA-256 and size', async () => {
    const { engine, evidence } = await workspace();
    const corrupt = (i: number) => i % 100 === 37;
    const file = path.join(evidence, 'web.jsonl.gz');
    fs.writeFileSync(file, zlib.gzipSync(jsonLines(5_000, corrupt)));
    const id = await engine.importFiles({ paths: [file], again: false });
    const job = await finished(engine, id);
    expect(job.state).toBe('done');
    expect([job.rows, job.quarantined]).toEqual([4_950, 50]);
    expect(job.files[0]).toMatchObject({ format: 'json', state: 'done', rows: 4_950, quarantined: 50 });
    expect(job.files[0]!.note).toContain('gzip-compressed');
    expect(job.notes.join('\n')).toContain('50 lines quarantined');

    const [records, withOrigin, matching] = await count(
      engine,
      `SELECT count(*), count(origin), count(*) FILTER (WHERE line = (fields->>'n')::INT AND origin = '${file}')
       FROM records_v WHERE source = 'import'`,
    );
    expect([records, withOrigin, matching]).toEqual([4_950, 4_950, 4_950]);
    const quarantined = await engine.query(`SELECT "where" FROM quarantine ORDER BY rowid`, 100);
    const expected = Array.from({ length: 50 }, (_, k) => [`${file}:${k * 100 + 37}`]);
    expect(quarantined.rows).toEqual(expected);

    const sha = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    const captures = await engine.query(`SELECT sha256, size, path, state, rows, format FROM captures`);
    expect(captures.rows).toEqual([[sha, fs.statSync(file).size, file, 'done', 4950, 'json']]);
    // Its audit entry.
    const audit = await engine.audit!.rows();
    expect(audit.map((a) => a.action)).toContain('job.import.done');
  });

  it('counts in its rows only lines that made rows (not a CSV header nor Zeek’s # lines), and keeps a Zeek log’s last row', async () => {
    const { engine, evidence } = await workspace();
    const csv = path.join(evidence, 'readings.csv');
    fs.writeFileSync(
      csv,
      'ts,host,level,msg\n2026-11-30T08:00:00Z,web-1,info,up\n2026-11-30T08:00:01Z,web-2,error,down\n',
    );
    const zeek = path.join(evidence, 'conn.log');
    fs.copyFileSync(path.resolve('test/fixtures/logs/zeek-conn.log'), zeek);
    const zeekRows = fs
      .readFileSync(zeek, 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#')).length;
    const job = await finished(engine, await engine.importFiles({ paths: [csv, zeek], again: false }));
    expect(job.state).toBe('done');
    expect(job.files.map((f) => [path.basename(f.path), f.rows])).toEqual([
      ['readings.csv', 2],
      ['conn.log', zeekRows],
    ]);
    expect(job.rows).toBe(2 + zeekRows);
    // The `#close` trailer is not a continuation of the last row (it was joined to it, and the row quarantined).
    expect(job.quarantined).toBe(0);
    expect(await count(engine, 'SELECT count(*) FROM records')).toEqual([2 + zeekRows]);
  });

  it('quarantines a line too long to hold, in pieces under its one number, and numbers the next lines right', async () => {
    const { engine, evidence } = await workspace();
    const huge = `{"msg":"${'x'.repeat(5 * 1024 * 1024)}"}`; // five reads long, no line end among them
    const lines = jsonLines(100).split('\n');
    lines.splice(50, 0, huge); // line 51
    const file = path.join(evidence, 'huge.jsonl');
    fs.writeFileSync(file, lines.join('\n'));
    const job = await finished(engine, await engine.importFiles({ paths: [file] }));
    expect(job.files[0]!.state).toBe('done');
    expect(await count(engine, `SELECT count(*), min(line), max(line) FROM records`)).toEqual([100, 1, 101]);
    // The lines after it are numbered from 52, each record its own line's.
    expect(
      await count(engine, `SELECT count(*) FROM records WHERE line = (fields->>'n')::INT + (line > 51)::INT`),
    ).toEqual([100]);
    const pieces = (
      await engine.query(`SELECT count(*)::INT, count(DISTINCT "where")::INT, min("where") FROM quarantine`)
    ).rows[0]!;
    expect(pieces[0]).toBeGreaterThan(1);
    expect(pieces.slice(1)).toEqual([1, `${file}:51`]);
    // Not counted first (the counter does not hold such a line), and said so.
    expect(job.files[0]!.counted).toBeNull();
    expect(job.files[0]!.note).toContain('no first counts: a line longer than 2 MiB');
  });

  it('skips a file already imported (same SHA-256, another path) unless asked again', async () => {
    const { engine, evidence } = await workspace();
    const a = path.join(evidence, 'a.jsonl');
    fs.writeFileSync(a, jsonLines(300));
    fs.copyFileSync(a, path.join(evidence, 'copy-of-a.jsonl'));
    await finished(engine, await engine.importFiles({ paths: [a], again: false }));
    const second = await finished(
      engine,
      await engine.importFiles({ paths: [path.join(evidence, 'copy-of-a.jsonl')], again: false }),
    );
    expect(second.files[0]).toMatchObject({ state: 'skipped', rows: 0 });
    expect(second.files[0]!.note).toContain('already imported');
    expect(await count(engine, `SELECT count(*) FROM records`)).toEqual([300]);
    // The skipped copy was counted first (before its SHA-256 was known), then its counts dropped.
    expect(second.files[0]!.counted?.lines).toBe(300);
    const counted = `SELECT count(DISTINCT n."key"), sum(n.lines)::INT, count(*) FILTER (WHERE c.sha256 IS NULL)
      FROM capture_counts n LEFT JOIN captures c ON c."key" = n."key"`;
    expect(await count(engine, counted)).toEqual([1, 300, 0]);
    const third = await finished(engine, await engine.importFiles({ paths: [a], again: true }));
    expect(third.files[0]).toMatchObject({ state: 'done', rows: 300 });
    expect(await count(engine, `SELECT count(*), count(DISTINCT fields->>'n') FROM records`)).toEqual([
      600, 300,
    ]);
    // Imported again: a capture of its own, with its own counts.
    expect(await count(engine, counted)).toEqual([2, 600, 0]);
  });

  it('imports a folder recursively, reading a non-UTF-8 file as Latin-1 with a notice', async () => {
    const { engine, evidence } = await workspace();
    fs.mkdirSync(path.join(evidence, 'host1/var/log'), { recursive: true });
    fs.writeFileSync(
      path.join(evidence, 'host1/var/log/app.log'),
      'boot ok\nERROR disk full\n\nlast line no newline',
    );
    fs.writeFileSync(
      path.join(evidence, 'host1/latin.log'),
      Buffer.from('caf\xe9 ouvert\nna\xefve error\n', 'latin1'),
    );
    fs.writeFileSync(path.join(evidence, 'b.jsonl'), jsonLines(10));
    const job = await finished(engine, await engine.importFiles({ paths: [evidence], again: false }));
    expect(job.state).toBe('done');
    expect(job.files.map((f) => [path.relative(evidence, f.path), f.format, f.rows])).toEqual([
      ['b.jsonl', 'json', 10],
      ['host1/latin.log', 'text', 2],
      ['host1/var/log/app.log', 'text', 3],
    ]);
    expect(job.notes.join('\n')).toContain('latin.log: not UTF-8, read as Latin-1');
    const r = await engine.query(
      `SELECT message, severity, line FROM records_v WHERE origin LIKE '%.log' ORDER BY origin, line`,
    );
    expect(r.rows).toEqual([
      ['café ouvert', 'info', 1],
      ['naïve error', 'error', 2],
      ['boot ok', 'info', 1],
      ['ERROR disk full', 'error', 2],
      ['last line no newline', 'info', 4],
    ]);
  });

  it('joins multi-line records (a stack trace) to their first line, which they keep', async () => {
    const { engine, evidence } = await workspace();
    const at = (s: number) => new Date(T0 + s * 1000).toISOString().slice(0, 19).replace('T', ' ');
    const file = path.join(evidence, 'app.log');
    fs.writeFileSync(
      file,
      [
        `${at(0)} INFO starting`,
        `${at(1)} ERROR request failed`,
        'java.lang.IllegalStateException: boom',
        '\tat com.example.Handler.run(Handler.java:42)',
        '\tat java.base/java.lang.Thread.run(Thread.java:1583)',
        'Caused by: java.io.IOException: disk full',
        `${at(2)} INFO recovered`,
      ].join('\n') + '\n',
    );
    const job = await finished(engine, await engine.importFiles({ paths: [file], again: false }));
    expect(job.state).toBe('done');
    expect(job.files[0]!.note).toContain('multi-line records');
    const r = await engine.query(
      `SELECT line, message FROM records_v WHERE origin = '${file}' ORDER BY line`,
    );
    expect(r.rows.map((row) => row[0])).toEqual([1, 2, 7]);
    expect(String(r.rows[1]![1])).toContain('Caused by: java.io.IOException: disk full');
  });

  it('cancelled mid-file then imported again: every line exactly once, nothing missing', async () => {
    const { engine, evidence } = await workspace();
    const file = path.join(evidence, 'big.jsonl');
    const lines = 300_000;
    fs.writeFileSync(file, jsonLines(lines));
    const id = await engine.importFiles({ paths: [file], again: false });
    await new Promise<void>((resolve) => {
      const off = engine.jobs.onChange(() => {
        const job = engine.jobs.get(id);
        if (job && job.rows > 20_000) {
          off();
          engine.jobs.cancel(id);
          resolve();
        }
      });
    });
    const cancelled = await finished(engine, id);
    expect(cancelled.state).toBe('cancelled');
    const [partial] = await count(engine, `SELECT count(*) FROM records`);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(lines);
    const again = await finished(engine, await engine.importFiles({ paths: [file], again: false }));
    expect(again.state).toBe('done');
    expect(again.files[0]!.note).toContain('resumed at line');
    expect(
      await count(engine, `SELECT count(*), count(DISTINCT line), min(line), max(line) FROM records`),
    ).toEqual([lines, lines, 1, lines]);
  });

  it('imports a ~50 MB file with the pending work held at its bound', async () => {
    const maxPendingRows = 20_000;
    const { engine, evidence } = await workspace(maxPendingRows);
    const file = path.join(evidence, 'fifty.jsonl');
    const fd = fs.openSync(file, 'w');
    let lines = 0;
    while (fs.fstatSync(fd).size < 50 * 1024 * 1024) {
      fs.writeSync(fd, jsonLines(10_000).replaceAll('"n":"', `"batch":"${lines}","n":"`));
      lines += 10_000;
    }
    fs.closeSync(fd);
    const job = await finished(engine, await engine.importFiles({ paths: [file], again: false }), 300_000);
    expect(job.state).toBe('done');
    expect(job.rows).toBe(lines);
    expect(job.bytesDone).toBe(fs.statSync(file).size);
    expect(await count(engine, `SELECT count(*) FROM records`)).toEqual([lines]);
    // The reader waited for room: the pending rows never went past the bound by more than one chunk.
    expect(engine.pending.peerPauses).toBeGreaterThan(0);
    expect(engine.pending.peakRows).toBeLessThan(maxPendingRows + 20_000);
  });
});
