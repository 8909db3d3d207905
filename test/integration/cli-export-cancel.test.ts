// Ctrl-C on `opsdeck export` beside a running engine cancels the engine's export job, which
// leaves nothing at the path; before, the command died and the engine went on writing the file.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace } from '../../electron/cli/connect';
import { SampleBatchBuilder } from '../../electron/engine/batch';
import { Store } from '../../electron/engine/store/store';
import { StoreSettings } from '../../shared/schemas';
import type { RpcClient } from '../../shared/rpc';
import { assertBuilt, root, startServe, type ServedConsole } from '../helpers/cli';
import { tempDir, waitFor } from '../helpers/tmp';

// Recent, so the engine's retention (a week by default) keeps them.
const T0 = Date.now() - 2 * 3_600_000;
const ROWS = 4_000_000;

describe('opsdeck export beside a running engine', () => {
  const tmp = tempDir();
  const ws = path.join(tmp.dir, 'ws');
  let served: ServedConsole;
  let client: RpcClient;

  beforeAll(async () => {
    assertBuilt();
    fs.mkdirSync(ws);
    // Enough rows that the export is still writing when Ctrl-C comes.
    const store = await Store.open(path.join(ws, 'data.duckdb'), {
      settings: StoreSettings.parse({ threads: 1 }),
      flushIntervalMs: 60_000,
    });
    const channel = store.channelId('rig/a', 'rig', 'V');
    const batch = new SampleBatchBuilder(ROWS);
    for (let i = 0; i < ROWS; i++) batch.push(T0 + i, channel, i);
    store.appendSamples(batch.take());
    await store.flush();
    await store.close();
    fs.writeFileSync(path.join(ws, 'opsdeck.json'), JSON.stringify({ version: 1, sources: [] }));
    served = await startServe(['serve', '--workspace', ws, '--port', '0']);
    const access = await openWorkspace(ws);
    if (access.via !== 'engine') throw new Error('expected to reach the running engine');
    client = access.client;
  }, 120_000);
  afterAll(async () => {
    client?.close();
    if (served && served.child.exitCode === null && served.child.signalCode === null) await served.stop();
    tmp.cleanup();
  });

  it('cancels the engine’s job on Ctrl-C: nothing at the path, the job ends cancelled', async () => {
    const out = path.join(tmp.dir, 'all.csv');
    const child = spawn(
      process.execPath,
      [
        path.join(root, 'bin/opsdeck.mjs'),
        'export',
        ws,
        '--from',
        new Date(T0).toISOString(),
        '--to',
        new Date(T0 + ROWS).toISOString(),
        '--format',
        'csv',
        '--out',
        out,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const running = async () =>
      (await client.call('jobs', {})).find((j) => j.kind === 'export' && j.state === 'running') ?? null;
    const job = await waitFor('the export job running in the engine', running, 60_000);
    // Part-way: a line of progress short of the total (the command knows the job by then).
    await waitFor(
      'the export part-way',
      () =>
        [...stderr.matchAll(/export: (\d+)\/(\d+)/g)].some(
          ([, done, total]) => Number(done) < Number(total),
        ) || null,
      60_000,
    );
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/export cancelled; nothing written/);
    const ended = await waitFor(
      'the job to end',
      async () =>
        (await client.call('jobs', {})).find((j) => j.id === job.id && j.state !== 'running') ?? null,
      60_000,
    );
    expect(ended.state).toBe('cancelled');
    expect(fs.existsSync(out)).toBe(false);
  }, 180_000);
});
