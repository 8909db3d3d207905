// The command line beside a running engine, as a user runs it next to `opsdeck serve`: user SQL
// (a query that runs forever holds up neither ingest nor the API, Ctrl-C on the command stops it
// in the engine, SIGTERM stops the engine while user queries run) and `opsdeck rules test`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace } from '../../electron/cli/connect';
import type { RpcClient } from '../../shared/rpc';
import { assertBuilt, root, runCli, startServe, type ServedConsole } from '../helpers/cli';
import { tempDir, waitFor } from '../helpers/tmp';

const FOREVER = 'SELECT count(*) FROM range(1000000000) a, range(1000000000) b';

describe('the command line beside a running engine', () => {
  const tmp = tempDir();
  const ws = path.join(tmp.dir, 'ws');
  let served: ServedConsole;
  let client: RpcClient;

  beforeAll(async () => {
    assertBuilt();
    served = await startServe(['serve', '--workspace', ws, '--port', '0']);
    const access = await openWorkspace(ws);
    if (access.via !== 'engine') throw new Error('expected to reach the running engine');
    client = access.client;
    await waitFor('demo samples stored', async () =>
      (await client.call('status', {})).storedSamples > 0 ? true : null,
    );
  });
  afterAll(async () => {
    client?.close();
    if (served.child.exitCode === null && served.child.signalCode === null) await served.stop();
    tmp.cleanup();
  });

  it('refuses EXPLAIN ANALYZE of a write from the command line, and the data stays', async () => {
    const count = async () =>
      JSON.parse(
        (await runCli(['query', ws, 'SELECT count(*)::INT AS n FROM samples', '--format', 'json'])).stdout,
      )[0].n as number;
    const before = await count();
    const attack = await runCli(['query', ws, 'EXPLAIN ANALYZE DELETE FROM samples']);
    expect(attack.code).not.toBe(0);
    expect(attack.stderr).toMatch(/EXPLAIN of something that is not a query/);
    expect(await count()).toBeGreaterThanOrEqual(before);
  });

  it('keeps ingesting, plotting and answering while a query runs forever; Ctrl-C stops it in the engine', async () => {
    // Two forever queries from the API fill every user slot; the command's query waits behind them.
    const hogs = ['hog1', 'hog2'].map((id) =>
      client.call('query', { sql: FOREVER, id }).catch((e: Error) => e.message),
    );
    await waitFor('both running', async () =>
      (await client.call('status', {})).userQueries === 2 ? true : null,
    );
    const child = spawn(process.execPath, [path.join(root, 'bin/opsdeck.mjs'), 'query', ws, FOREVER], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor("the command's query in the engine", async () =>
      (await client.call('status', {})).userQueries === 3 ? true : null,
    );
    // The engine's own work goes on meanwhile: ingest, history for plots.
    const stored = (await client.call('status', {})).storedSamples;
    await waitFor('more samples stored while the queries run', async () =>
      (await client.call('status', {})).storedSamples > stored ? true : null,
    );
    const channels = await client.call('channels', {});
    const temperature = channels.find((c) => c.name === 'demo/temperature')!;
    const now = Date.now();
    const series = await client.call('series', {
      channels: [temperature.id],
      from: now - 60_000,
      to: now,
      maxPoints: 100,
    });
    expect(series.channels[0]!.t.length).toBeGreaterThan(0);
    // Ctrl-C on the command cancels its query in the engine.
    child.kill('SIGINT');
    expect(await exited).not.toBe(0);
    expect(stderr).toMatch(/query: cancelled/);
    expect(await client.call('cancelQuery', { id: 'hog1' })).toEqual({ cancelled: true });
    expect(await client.call('cancelQuery', { id: 'hog2' })).toEqual({ cancelled: true });
    expect(await Promise.all(hogs)).toEqual([
      expect.stringMatching(/cancelled/),
      expect.stringMatching(/cancelled/),
    ]);
  });

  it('tests rules through the running engine', async () => {
    const rulesFile = path.join(tmp.dir, 'rules.json');
    fs.writeFileSync(
      rulesFile,
      JSON.stringify([
        { id: 'warm', kind: 'threshold', channel: 'demo/temperature', above: -100, lateness: 0 },
      ]),
    );
    const result = await runCli(['rules', 'test', ws, rulesFile, '--format', 'json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/opsdeck: 1 rules over [1-9]\d* samples and \d+ records: 1 transitions/);
    expect(JSON.parse(result.stdout)).toEqual([
      expect.objectContaining({ rule: 'warm', from: 'normal', state: 'firing' }),
    ]);
  });

  it('stops on SIGTERM while user queries run', async () => {
    const running = client.call('query', { sql: FOREVER, id: 'at-shutdown' }).catch((e: Error) => e.message);
    await waitFor('the query running', async () =>
      (await client.call('status', {})).userQueries === 1 ? true : null,
    );
    const exit = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      served.child.once('exit', (code, signal) => resolve([code, signal])),
    );
    served.child.kill('SIGTERM');
    expect(await exit).toEqual([0, null]);
    expect(await running).toMatch(/shutting down|closed/);
  });
});
