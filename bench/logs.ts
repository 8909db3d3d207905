// Captures benchmark: an RFC 3164 syslog file, a JSON Lines file, a CSV file with a header and a
// Zeek conn.log (1 GB each by default, the same bytes every run, cached under the OS temp dir),
// imported by OpsDeck (`importFiles`, the job path the CLI and console use): MB/s, rows/s and peak
// RSS per format family. The syslog and JSONL files are also loaded by lnav headless in the same run; wall times and ratios for
// time to first answer (import started → a count by severity answered) and a count by minute, plus
// DuckDB's own readers on the same files (a private in-memory instance with file access) as the
// fast-path candidate. `--size MB` makes smaller files (develop with it; the 1 GB run takes minutes).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Engine } from '../electron/engine/engine';
import { COUNTS_DIFFER_SQL } from '../test/helpers/capture-counts';
import { figure, note } from './report';

const LNAV = '/usr/bin/lnav';
const HOSTS = ['web-1', 'web-2', 'db-1', 'fw-edge', 'vpn-gw'];
const APPS = ['sshd', 'nginx', 'postgres', 'kernel', 'cron', 'sudo'];
const WORDS = ['info', 'info', 'info', 'notice', 'warning', 'error'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Where the lines' times start; a line every 10 ms. Fixed, so every run writes the same bytes. */
const START = Date.UTC(2026, 10, 1, 0, 0, 0);

function syslogLine(i: number): string {
  const d = new Date(START + i * 10);
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const time = d.toISOString().slice(11, 19);
  const word = WORDS[(i * 7) % WORDS.length]!;
  return `${MONTHS[d.getUTCMonth()]} ${day} ${time} ${HOSTS[i % HOSTS.length]} ${APPS[(i >> 3) % APPS.length]}[${1000 + (i % 4000)}]: ${word}: request ${i} from 10.0.${(i >> 8) & 255}.${i & 255} took ${i % 997} ms`;
}

function jsonLine(i: number): string {
  return JSON.stringify({
    ts: new Date(START + i * 10).toISOString(),
    host: HOSTS[i % HOSTS.length],
    level: WORDS[(i * 7) % WORDS.length],
    msg: `request ${i} from 10.0.${(i >> 8) & 255}.${i & 255} took ${i % 997} ms`,
  });
}

function csvLine(i: number): string {
  return `${new Date(START + i * 10).toISOString()},${HOSTS[i % HOSTS.length]},${WORDS[(i * 7) % WORDS.length]},request ${i} from 10.0.${(i >> 8) & 255}.${i & 255} took ${i % 997} ms`;
}

/** A Zeek conn.log row (TSV under its `#fields`/`#types` header). */
function zeekLine(i: number): string {
  const ts = ((START + i * 10) / 1000).toFixed(6);
  return [
    ts,
    `C${(i * 2654435761) >>> 0}`,
    `10.0.${(i >> 8) & 255}.${i & 255}`,
    String(1024 + (i % 60000)),
    `192.168.${(i >> 4) & 255}.${i & 15}`,
    ['443', '53', '22', '80'][i & 3],
    i & 3 ? 'tcp' : 'udp',
    (i % 997) / 1000,
    String(i % 5000),
    String(i % 70000),
    ['SF', 'S0', 'REJ', 'RSTO'][(i >> 2) & 3],
  ].join('\t');
}

const ZEEK_HEADER = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\tconn',
  '#open\t2026-11-01-00-00-00',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\torig_bytes\tresp_bytes\tconn_state',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tinterval\tcount\tcount\tstring',
].join('\n');

type Family = 'syslog' | 'jsonl' | 'csv' | 'zeek';
const EXTENSION: Record<Family, string> = { syslog: 'log', jsonl: 'jsonl', csv: 'csv', zeek: 'conn.log' };
const LINE: Record<Family, (i: number) => string> = {
  syslog: syslogLine,
  jsonl: jsonLine,
  csv: csvLine,
  zeek: zeekLine,
};
/** What precedes the rows (not counted as lines). */
const HEADER: Partial<Record<Family, string>> = { csv: 'ts,host,level,msg', zeek: ZEEK_HEADER };

/** The file, written once per size and kept (checked by its size) for later runs. */
function capture(kind: Family, megabytes: number): { file: string; lines: number } {
  const dir = path.join(os.tmpdir(), 'opsdeck-bench-logs');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${kind}-${megabytes}mb.${EXTENSION[kind]}`);
  const linesFile = `${file}.lines`;
  if (fs.existsSync(file) && fs.existsSync(linesFile))
    return { file, lines: Number(fs.readFileSync(linesFile, 'utf8')) };
  note(`writing ${file}`);
  const fd = fs.openSync(file, 'w');
  const target = megabytes * 1024 * 1024;
  let bytes = 0;
  let i = 0;
  const header = HEADER[kind];
  if (header) fs.writeSync(fd, `${header}\n`);
  while (bytes < target) {
    const out: string[] = [];
    for (let k = 0; k < 10_000; k++, i++) out.push(LINE[kind](i));
    const chunk = out.join('\n') + '\n';
    fs.writeSync(fd, chunk);
    bytes += Buffer.byteLength(chunk);
  }
  fs.closeSync(fd);
  fs.writeFileSync(linesFile, String(i));
  return { file, lines: i };
}

const seconds = (from: number) => (performance.now() - from) / 1000;

/** lnav loading the file headless and answering `sql`; its wall time. */
function lnav(home: string, file: string, sql: string): { seconds: number; out: string } {
  const started = performance.now();
  const r = spawnSync(LNAV, ['-n', '-c', `;${sql}`, file], {
    env: { ...process.env, HOME: home },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`lnav: ${r.stderr || r.error?.message}`);
  return { seconds: seconds(started), out: r.stdout };
}

/** lnav's format for the JSON Lines file (it has none built in for it). */
function lnavHome(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'opsdeck-bench-lnav-'));
  const formats = path.join(home, '.lnav/formats/installed');
  fs.mkdirSync(formats, { recursive: true });
  fs.writeFileSync(
    path.join(formats, 'bench_json.json'),
    JSON.stringify({
      $schema: 'https://lnav.org/schemas/format-v1.schema.json',
      bench_json: {
        title: 'bench JSON lines',
        description: 'OpsDeck bench JSON Lines',
        json: true,
        'file-pattern': '\\.jsonl$',
        'timestamp-field': 'ts',
        'level-field': 'level',
        'body-field': 'msg',
        value: {
          host: { kind: 'string', identifier: true },
          level: { kind: 'string' },
          msg: { kind: 'string' },
        },
      },
    }),
  );
  return home;
}

async function opsdeck(
  file: string,
  lines: number,
): Promise<{
  firstAnswer: number;
  firstPass: number | null;
  byMinute: number;
  imported: number;
  peakRssMb: number;
}> {
  // This import's own peak: the process's RSS sampled while it runs (maxRSS covers the whole run).
  let peakRssMb = process.memoryUsage().rss / 1024 ** 2;
  const sampler = setInterval(() => {
    peakRssMb = Math.max(peakRssMb, process.memoryUsage().rss / 1024 ** 2);
  }, 100);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsdeck-bench-ws-'));
  // Retention is left to its hourly timer: the fixed dates are older than its default 7 days.
  const engine = await Engine.open(dir, {
    startSources: false,
    retentionIntervalMs: 3_600_000,
    watchConfig: false,
  });
  try {
    const started = performance.now();
    const id = await engine.importFiles({ paths: [file], again: false });
    // The first answer: from the first pass's counts (capture_counts_v) when the format has them,
    // else from the rows once they are stored.
    let firstAnswer: number | null = null;
    for (;;) {
      const job = engine.jobs.get(id)!;
      if (firstAnswer === null && job.files[0]?.counted) {
        await engine.query(`SELECT severity, sum(lines) FROM capture_counts_v GROUP BY severity`);
        firstAnswer = seconds(started);
      }
      if (job.state !== 'queued' && job.state !== 'running') {
        if (job.state !== 'done') throw new Error(`import ${job.state}: ${job.error ?? ''}`);
        if (job.rows !== lines)
          note(`imported ${job.rows} of ${lines} lines (${job.quarantined} quarantined)`);
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await engine.store.flush();
    const imported = seconds(started);
    await engine.query(`SELECT severity, count(*) FROM records GROUP BY severity`);
    firstAnswer ??= seconds(started);
    // The first answers must be the rows' answers: every (minute, severity) count alike.
    const counted = await engine.query(`SELECT count(*) FROM capture_counts`);
    if (Number(counted.rows[0]![0]) > 0) {
      const differ = await engine.query(COUNTS_DIFFER_SQL);
      const n = Number(differ.rows[0]![0]);
      if (n > 0)
        note(`the first pass's counts differ from the stored rows' in ${n} (minute, severity) groups`);
    }
    const t = performance.now();
    await engine.query(
      `SELECT date_trunc('minute', ts) AS m, count(*) FROM records GROUP BY m ORDER BY m`,
      100_000,
    );
    // The first pass alone (hash, line ends, counts), as the job's note gives it.
    const pass = engine.jobs
      .get(id)!
      .notes.map((n) => /counted by minute and severity in ([\d.]+) s/.exec(n)?.[1])
      .find((v) => v !== undefined);
    return { firstAnswer, firstPass: pass ? Number(pass) : null, byMinute: seconds(t), imported, peakRssMb };
  } finally {
    clearInterval(sampler);
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** DuckDB's own reader on the file, in a private in-memory instance with file access. */
async function duckdbDirect(
  kind: 'syslog' | 'jsonl',
  file: string,
): Promise<{ bySeverity: number; byMinute: number }> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const c = await instance.connect();
  const source =
    kind === 'jsonl'
      ? `read_json('${file}', format = 'newline_delimited', columns = {ts: 'TIMESTAMP', host: 'VARCHAR', level: 'VARCHAR', msg: 'VARCHAR'})`
      : `(SELECT strptime('2026 ' || line[1:15], '%Y %b %d %H:%M:%S') AS ts,
            regexp_extract(line, ': (info|notice|warning|error):', 1) AS level
          FROM read_csv('${file}', columns = {line: 'VARCHAR'}, delim = '\\x01', header = false, quote = '', escape = ''))`;
  try {
    let t = performance.now();
    await c.run(`SELECT level, count(*) FROM ${source} GROUP BY level`);
    const bySeverity = seconds(t);
    t = performance.now();
    await c.run(`SELECT date_trunc('minute', ts) AS m, count(*) FROM ${source} GROUP BY m`);
    return { bySeverity, byMinute: seconds(t) };
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

export async function benchLogs(megabytes: number, only?: string): Promise<void> {
  const home = lnavHome();
  note(
    `load average before: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  try {
    for (const kind of ['syslog', 'jsonl', 'csv', 'zeek'] as const) {
      if (only && only !== kind) continue;
      const { file, lines } = capture(kind, megabytes);
      const mb = fs.statSync(file).size / 1024 ** 2;
      note(`logs.${kind}: ${mb.toFixed(0)} MB, ${lines} lines`);
      const ours = await opsdeck(file, lines);
      figure(`logs.${kind}.opsdeck.import`, ours.imported, 's');
      figure(`logs.${kind}.opsdeck.first_answer`, ours.firstAnswer, 's');
      if (ours.firstPass !== null) figure(`logs.${kind}.opsdeck.first_pass`, ours.firstPass, 's');
      figure(`logs.${kind}.opsdeck.by_minute`, ours.byMinute, 's');
      figure(`logs.${kind}.opsdeck.mb_per_s`, mb / ours.imported, 'MB/s');
      figure(`logs.${kind}.opsdeck.rows_per_s`, lines / ours.imported, 'rows/s');
      figure(`logs.${kind}.opsdeck.peak_rss`, ours.peakRssMb, 'MiB');
      // CSV and Zeek: OpsDeck's throughput per format family; the lnav comparison is on the two above.
      if (kind === 'csv' || kind === 'zeek') continue;
      const table = kind === 'syslog' ? 'syslog_log' : 'bench_json';
      const count = lnav(home, file, `SELECT count(*) AS n FROM ${table}`);
      const lnavLines = Number(/\n\s*(\d+)/.exec(count.out)?.[1] ?? NaN);
      if (lnavLines !== lines) note(`lnav counted ${lnavLines} of ${lines} lines`);
      const byMinute = lnav(
        home,
        file,
        `SELECT strftime('%Y-%m-%d %H:%M', log_time) AS m, count(*) AS c FROM ${table} GROUP BY m`,
      );
      figure(`logs.${kind}.lnav.count`, count.seconds, 's');
      figure(`logs.${kind}.lnav.by_minute`, byMinute.seconds, 's');
      figure(
        `logs.${kind}.first_answer_ratio`,
        count.seconds / ours.firstAnswer,
        '× (lnav count / OpsDeck first answer, target ≥ 3)',
      );
      figure(
        `logs.${kind}.by_minute_ratio`,
        byMinute.seconds / ours.byMinute,
        '× (lnav / OpsDeck, target ≥ 30)',
      );
      const direct = await duckdbDirect(kind, file);
      figure(`logs.${kind}.duckdb_reader.by_severity`, direct.bySeverity, 's');
      figure(`logs.${kind}.duckdb_reader.by_minute`, direct.byMinute, 's');
    }
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}
