// The `opsdeck` command end to end: help, the launcher's browser fallback, serve's guards, one
// owner per workspace, query and export through a running engine or a read-only open.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { openDuckDB } from '../../electron/engine/store/duckdb';
import { StoreSettings } from '../../shared/schemas';
import { assertBuilt, runCli, startServe } from '../helpers/cli';
import { tempDir, waitFor } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let ws: string;

beforeAll(async () => {
  assertBuilt();
  tmp = tempDir();
  ws = path.join(tmp.dir, 'ws');
  // A workspace with a few seconds of demo data, closed again.
  const engine = await Engine.open(ws);
  await waitFor(
    'demo data',
    async () => Number((await engine.query('SELECT count(*) FROM samples')).rows[0]![0]) > 2000,
  );
  await engine.close();
});
afterAll(() => tmp.cleanup());

describe('opsdeck --help', () => {
  it('lists the commands, and every command explains itself', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const name of ['start', 'serve', 'query', 'export']) {
      expect(top.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
      const help = await runCli([name, '--help']);
      expect(help.code, name).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^opsdeck ${name}`));
    }
    // `start --port` is documented: the browser console's port where no window can open.
    expect((await runCli(['start', '--help'])).stdout).toMatch(
      /^ {2}--port N {3}the browser console's port/m,
    );
  });
  it('says what is wrong with a bad command line', async () => {
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    const missing = await runCli(['export', ws, '--format', 'csv', '--out', path.join(tmp.dir, 'x.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--from is required/);
    const badTime = await runCli(['export', ws, '--from', 'yesterday', '--format', 'csv', '--out', 'x']);
    expect(badTime.stderr).toMatch(/--from: "yesterday" is not a time/);
    const notWs = await runCli(['query', tmp.dir, 'SELECT 1']);
    expect(notWs.code).toBe(1);
    expect(notWs.stderr).toMatch(/is not an OpsDeck workspace \(no opsdeck\.json\)/);
  });
});

describe('read-only access when no engine runs', () => {
  it('queries as a table, CSV or JSON and says it opened read-only', async () => {
    const table = await runCli([
      'query',
      ws,
      'SELECT channel, count(*) AS n FROM samples_v GROUP BY channel ORDER BY channel',
    ]);
    expect(table.code).toBe(0);
    expect(table.stderr).toMatch(/opened its database read-only/);
    expect(table.stdout).toMatch(/^channel\s+│ n/m);
    expect(table.stdout).toMatch(/demo\/vibration/);
    const json = JSON.parse(
      (await runCli(['query', ws, 'SELECT count(*)::INT AS n FROM samples', '--format', 'json'])).stdout,
    ) as { n: number }[];
    expect(json[0]!.n).toBeGreaterThan(2000);
    const csv = await runCli(['query', ws, "SELECT 'a,b' AS x, 1 AS y", '--format', 'csv']);
    expect(csv.stdout).toBe('x,y\n"a,b",1\n');
    const refused = await runCli(['query', ws, 'DELETE FROM samples']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/statement 1 is DELETE/);
  });

  it('exports CSV and Parquet that hold exactly the rows asked for', async () => {
    const total = JSON.parse(
      (
        await runCli([
          'query',
          ws,
          "SELECT count(*)::INT AS n FROM samples_v WHERE channel = 'demo/temperature'",
          '--format',
          'json',
        ])
      ).stdout,
    )[0].n as number;
    expect(total).toBeGreaterThan(0);
    const csvFile = path.join(tmp.dir, 'temp.csv');
    const csv = await runCli([
      'export',
      ws,
      '--from',
      '-1d',
      '--to',
      'now',
      '--channels',
      'demo/temperature',
      '--format',
      'csv',
      '--out',
      csvFile,
    ]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe(`exported ${total} rows to ${csvFile}\n`);
    expect(csv.stderr).toMatch(/export: \d+\/\d+ rows \(100%\)/);
    const lines = fs.readFileSync(csvFile, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('ts,channel,unit,value');
    expect(lines).toHaveLength(total + 1);
    expect(lines[1]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z,demo\/temperature,°C,\d+(\.\d)?$/);

    const parquetFile = path.join(tmp.dir, 'all.parquet');
    const pq = await runCli(['export', ws, '--from', '-1d', '--format', 'parquet', '--out', parquetFile]);
    expect(pq.code, pq.stderr).toBe(0);
    const reader = await openDuckDB(':memory:', StoreSettings.parse({ threads: 1 }), {
      externalAccess: true,
    });
    const conn = await reader.connect();
    const back = await conn.runAndReadAll(
      `SELECT count(*)::INT, count(DISTINCT channel)::INT FROM '${parquetFile}'`,
    );
    const stored = JSON.parse(
      (
        await runCli([
          'query',
          ws,
          'SELECT count(*)::INT AS n, count(DISTINCT channel)::INT AS c FROM samples_v',
          '--format',
          'json',
        ])
      ).stdout,
    )[0] as { n: number; c: number };
    expect(stored.c).toBeGreaterThanOrEqual(3);
    expect(back.getRows()[0]).toEqual([stored.n, stored.c]);
    conn.closeSync();
    reader.closeSync();

    const unknown = await runCli([
      'export',
      ws,
      '--from',
      '-1d',
      '--channels',
      'demo/nope',
      '--format',
      'csv',
      '--out',
      csvFile,
    ]);
    expect(unknown.stderr).toMatch(/no channel named "demo\/nope"/);
  });
});

describe('a running engine owns its workspace', () => {
  it('serves the console, takes CLI queries, and refuses a second engine', async () => {
    const served = await startServe(['serve', '--workspace', ws, '--port', '0']);
    try {
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
      const page = await fetch(served.url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
      expect(await page.text()).toMatch(/<div id="root">/);
      const port = new URL(served.url).port;
      expect((await fetch(`http://127.0.0.1:${port}/../../etc/passwd`)).status).toBe(404);

      const q = await runCli([
        'query',
        ws,
        'SELECT count(*)::INT AS n FROM samples WHERE ts > now()::TIMESTAMP - INTERVAL 1 MINUTE',
        '--format',
        'json',
      ]);
      expect(q.code, q.stderr).toBe(0);
      expect(q.stderr).toMatch(new RegExp(`using the running engine \\(pid ${served.child.pid}\\)`));

      const second = await runCli(['serve', '--workspace', ws, '--port', '0']);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(
        new RegExp(`already open in another OpsDeck engine \\(pid ${served.child.pid}\\)`),
      );
    } finally {
      expect(await served.stop()).toBe(0);
    }
    expect(fs.existsSync(path.join(ws, 'opsdeck.lock'))).toBe(false);
  });

  it('`opsdeck start` falls back to serving the console where no window can open', async () => {
    const env = { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '' };
    const served = await startServe(
      ['start', '--workspace', path.join(tmp.dir, 'start-ws'), '--port', '0'],
      env,
    );
    try {
      expect(served.stderr()).toMatch(
        /no desktop window here \((the Electron binary is not installed|no DISPLAY or WAYLAND_DISPLAY)\); serving the console in the browser instead/,
      );
      expect((await fetch(served.url)).status).toBe(200);
    } finally {
      await served.stop();
    }
  });
});
