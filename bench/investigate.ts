// Investigate benchmark (issue 17): on a workspace of 10 M records generated in DuckDB, the log
// view's first page, its last page (G), the full-range histogram, and a text search (the
// histogram under the filter, which is also the table's row count, then its first page) — each
// through the engine's API code on the user-SQL path, as the console calls it. Beside it, lnav on
// the same lines as a text file, the same search, in the same run (its time includes indexing the
// file, which lnav must do before it can search; ours was done at ingest).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Investigate } from '../electron/engine/investigate';
import { openDuckDB, sqlString } from '../electron/engine/store/duckdb';
import { ReadFlush } from '../electron/engine/store/read-flush';
import { Store } from '../electron/engine/store/store';
import { HistogramRequest, RecordsRequest } from '../shared/investigate';
import { StoreSettings } from '../shared/schemas';
import { generatedRecordsSql, generateRecords } from '../test/helpers/generated-records';
import { figure, note } from './report';

const LNAV = '/usr/bin/lnav';
const SEARCH = 'timeout';

async function timed<T>(what: () => Promise<T>, runs = 3): Promise<{ ms: number; value: T }> {
  let best = Infinity;
  let value!: T;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    value = await what();
    best = Math.min(best, performance.now() - started);
  }
  return { ms: best, value };
}

export async function benchInvestigate(count = 10_000_000): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsdeck-bench-investigate-'));
  try {
    const store = await Store.open(path.join(dir, 'data.duckdb'), {
      settings: StoreSettings.parse({}),
      flushIntervalMs: 60_000,
    });
    note(`investigate: generating ${count} records`);
    await generateRecords(store, count);
    const investigate = new Investigate(store, new ReadFlush(store), () => null, false);
    const page = (p: Parameters<typeof RecordsRequest.parse>[0]) =>
      investigate.records(RecordsRequest.parse(p));
    const histogram = (filter: string) =>
      investigate.histogram(HistogramRequest.parse({ filter, buckets: 1000 }));

    const first = await timed(() => page({ limit: 200 }));
    figure('investigate.first_page', first.ms, 'ms');
    const last = await timed(() => page({ limit: 200, tail: true }));
    figure('investigate.last_page', last.ms, 'ms');
    const full = await timed(() => histogram(''));
    figure('investigate.histogram_full', full.ms, 'ms');
    const search = await timed(async () => {
      const h = await histogram(SEARCH);
      await page({ filter: SEARCH, limit: 200 });
      return h.total;
    });
    figure('investigate.search', search.ms, 'ms');
    note(`investigate: "${SEARCH}" matches ${search.value} of ${full.value.total} records`);
    const regex = await timed(() => histogram('/timeout talking to db-[0-3]/'));
    figure('investigate.search_regex', regex.ms, 'ms');
    await store.close();

    if (!fs.existsSync(LNAV)) {
      note('investigate: no lnav at /usr/bin/lnav; its figures are left out');
      return;
    }
    // The same lines as a log file, written by a private DuckDB that alone may write files.
    const file = path.join(dir, 'app.log');
    const sink = await openDuckDB(':memory:', StoreSettings.parse({ memoryLimitMb: 512, threads: 2 }), {
      externalAccess: true,
      tempDirectory: dir,
    });
    const conn = await sink.connect();
    await conn.run(
      `COPY (SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S.%g') || 'Z ' || upper(severity) || ' ' || message
             FROM (${generatedRecordsSql(count)})) TO ${sqlString(file)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '')`,
    );
    conn.closeSync();
    sink.closeSync();
    const started = performance.now();
    const out = execFileSync(
      LNAV,
      ['-n', '-c', `;SELECT count(*) AS n FROM all_logs WHERE log_body LIKE '%${SEARCH}%'`, file],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HOME: dir } },
    );
    const lnavMs = performance.now() - started;
    figure('investigate.baseline.lnav_search', lnavMs, 'ms');
    figure('investigate.ratio', lnavMs / search.ms, '');
    note(`investigate: lnav answered ${out.trim().split('\n').slice(-1)[0]}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
