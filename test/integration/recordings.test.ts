// A named recording of a real Mosquitto session: while it runs the source keeps its raw messages
// (its own `record` option is off), before and after it does not. Re-decoded with the source's own
// decoders the recording gives the very samples the live run stored; with a changed calibration
// the derived source has the new values, and what was stored under the source is untouched.
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../electron/cli/main';
import { Engine } from '../../electron/engine/engine';
import type { JobInfo } from '../../shared/jobs';
import { mosquittoPub, TestBroker } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let broker: TestBroker;
let engine: Engine;

beforeAll(async () => {
  tmp = tempDir();
  broker = await TestBroker.start();
  const dir = path.join(tmp.dir, 'ws');
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, 'opsdeck.json'),
    JSON.stringify({
      version: 2,
      sources: [
        {
          id: 'bench',
          kind: 'mqtt',
          name: 'bench',
          enabled: true,
          options: { url: broker.url, decoders: [{ filter: 'rig/#', decoder: 'json' }] },
        },
      ],
      // Live values are calibrated: a re-decode "as live" must carry the calibration over.
      channels: [{ name: 'bench/rig/env/temp', unit: '°C', scale: 2, offset: 1 }],
    }),
  );
  engine = await Engine.open(dir, { flushIntervalMs: 50 });
});

afterAll(async () => {
  await engine?.close();
  await broker?.close();
  tmp?.cleanup();
});

const finished = (id: string): Promise<JobInfo> => engine.jobs.wait(id);

type Row = [number, string, number];
/** Samples of a source as (ts, channel path under the source, value), in order. */
async function samplesOf(source: string): Promise<Row[]> {
  await engine.store.flush();
  const rows = await engine.store.read(
    `SELECT epoch_ms(ts)::DOUBLE, substr(channel, length($1) + 2), value FROM samples_v WHERE source = $1 ORDER BY ts, channel`,
    [source],
  );
  return rows as Row[];
}

async function publish(values: number[]): Promise<void> {
  for (const v of values)
    mosquittoPub(broker, ['-t', 'rig/env', '-m', JSON.stringify({ temp: v, rh: v * 2 }), '-q', '1']);
}

describe('named recordings', () => {
  it('keeps raw messages only while a recording runs, lists it, and re-decodes it as live and with a new calibration', async () => {
    await waitFor(
      'connected',
      () => engine.status().sources.find((s) => s.id === 'bench')?.state === 'connected',
    );
    await publish([1]);
    await waitFor('the first message stored', async () => (await samplesOf('bench')).length === 2);

    const started = await engine.startRecording({ name: 'run 1', sources: ['bench'], actor: 'tester' });
    expect(started).toMatchObject({ name: 'run 1', sources: ['bench'], to: null });
    await expect(
      engine.startRecording({ name: 'run 1', sources: ['bench'], actor: 'tester' }),
    ).rejects.toThrow('a recording named "run 1" exists already');
    await expect(
      engine.startRecording({ name: 'run 2', sources: ['nope'], actor: 'tester' }),
    ).rejects.toThrow('no configured source "nope"');

    await publish([20, 21.5, 23]);
    await waitFor('the recorded messages stored', async () => (await samplesOf('bench')).length === 8);
    const stopped = await engine.stopRecording('run 1', 'tester');
    expect(stopped.to).toBeGreaterThan(stopped.from);
    await expect(engine.stopRecording('run 1', 'tester')).rejects.toThrow(
      /recording "run 1" stopped already/,
    );
    await publish([99]);
    await waitFor('the last message stored', async () => (await samplesOf('bench')).length === 10);

    // Raw messages: the three sent while it ran, none before or after.
    const raw = await engine.store.read(`SELECT "key", decode(payload) FROM recordings ORDER BY rx`);
    expect(raw).toEqual([
      ['rig/env', '{"temp":20,"rh":40}'],
      ['rig/env', '{"temp":21.5,"rh":43}'],
      ['rig/env', '{"temp":23,"rh":46}'],
    ]);
    expect(await engine.recordings.list()).toEqual([
      {
        name: 'run 1',
        sources: ['bench'],
        from: started.from,
        to: stopped.to,
        startedBy: 'tester',
        stoppedBy: 'tester',
      },
    ]);
    const audit = (await engine.audit!.rows()).filter((r) => r.action.startsWith('recording.'));
    expect(audit.map((r) => [r.actor, r.action, (r.detail as { name: string }).name])).toEqual([
      ['tester', 'recording.start', 'run 1'],
      ['tester', 'recording.stop', 'run 1'],
    ]);

    const live = (await samplesOf('bench')).filter(([ts]) => ts >= started.from && ts < stopped.to!);
    expect(live).toHaveLength(6);
    expect(live.filter(([, c]) => c === 'rig/env/temp').map(([, , v]) => v)).toEqual([41, 44, 47]);
    const originals = await samplesOf('bench');

    // With the source's decoders and calibration: the same samples as the live run.
    const [same] = await engine.redecodeRecording({ recording: 'run 1', suffix: 'same' });
    expect(await finished(same!)).toMatchObject({ state: 'done', rows: 3, quarantined: 0, error: null });
    expect(await samplesOf('bench~same')).toEqual(live);

    // A changed calibration of one channel: the derived source has the new values.
    const [recalibrated] = await engine.redecodeRecording({
      recording: 'run 1',
      suffix: 'cal',
      calibration: { 'rig/env/temp': { scale: 10, offset: -5 } },
    });
    expect(await finished(recalibrated!)).toMatchObject({ state: 'done', rows: 3 });
    const cal = await samplesOf('bench~cal');
    expect(cal.filter(([, c]) => c === 'rig/env/temp').map(([, , v]) => v)).toEqual([195, 210, 225]);
    expect(cal.filter(([, c]) => c === 'rig/env/rh')).toEqual(live.filter(([, c]) => c === 'rig/env/rh'));
    // Another decoder: nothing in these payloads is a bare number, so all of it is quarantined.
    const [numbers] = await engine.redecodeRecording({
      recording: 'run 1',
      suffix: 'num',
      decoder: 'number',
    });
    expect(await finished(numbers!)).toMatchObject({ state: 'done', rows: 0, quarantined: 3 });

    // The original is untouched, and a derived source is never written over.
    expect(await samplesOf('bench')).toEqual(originals);
    const [again] = await engine.redecodeRecording({ recording: 'run 1', suffix: 'same' });
    expect(await finished(again!)).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('bench~same holds 6 rows already; give another name'),
    });
    const [outside] = await engine.redecodeRecording({
      source: 'bench',
      from: stopped.to! + 1,
      to: stopped.to! + 60_000,
      suffix: 'empty',
    });
    expect(await finished(outside!)).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('no raw messages of bench were recorded'),
    });
  });

  it('exports the recording: its raw messages and its samples, chosen by its sources and span', async () => {
    const [run] = await engine.recordings.list();
    const raw = path.join(tmp.dir, 'run1-raw.parquet');
    const samples = path.join(tmp.dir, 'run1-samples.csv');
    const range = { from: run!.from, to: run!.to!, sources: run!.sources };
    expect(
      await engine.export({ ...range, table: 'recordings', format: 'parquet', path: raw }),
    ).toMatchObject({
      rows: 3,
    });
    expect(await engine.export({ ...range, format: 'csv', path: samples })).toMatchObject({ rows: 6 });
    const duck = await DuckDBInstance.create(':memory:');
    const c = await duck.connect();
    try {
      const read = await c.runAndReadAll(`SELECT source, "key", decode(payload) FROM '${raw}' ORDER BY ts`);
      expect(read.getRows()).toEqual([
        ['bench', 'rig/env', '{"temp":20,"rh":40}'],
        ['bench', 'rig/env', '{"temp":21.5,"rh":43}'],
        ['bench', 'rig/env', '{"temp":23,"rh":46}'],
      ]);
      const csv = await c.runAndReadAll(
        `SELECT channel, value::DOUBLE FROM read_csv('${samples}') ORDER BY ts, channel`,
      );
      expect(
        csv
          .getRows()
          .filter(([ch]) => ch === 'bench/rig/env/temp')
          .map(([, v]) => v),
      ).toEqual([41, 44, 47]);
    } finally {
      c.closeSync();
      duck.closeSync();
    }
    await expect(
      engine.export({ ...range, table: 'transitions', format: 'csv', path: path.join(tmp.dir, 'x.csv') }),
    ).rejects.toThrow('transitions have no source to choose by');
  });

  it('lists, re-decodes and exports it from the command line on the closed workspace', async () => {
    const dir = engine.dir;
    await engine.close();
    const list = await cli(['record', 'list', dir]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^run 1: bench from \S+ to \S+\n$/);
    const started = await cli(['record', 'start', dir, '--name', 'run 2', '--sources', 'bench']);
    expect(started.code).toBe(1);
    expect(started.stderr).toContain('no engine has');

    const redecoded = await cli([
      'redecode',
      dir,
      '--recording',
      'run 1',
      '--as',
      'cli',
      '--calibrate',
      'rig/env/temp=1:0.5',
    ]);
    expect(redecoded.code).toBe(0);
    expect(redecoded.stdout).toMatch(/: done\n/);
    const file = path.join(tmp.dir, 'run1.jsonl');
    const exported = await cli([
      'export',
      dir,
      '--recording',
      'run 1',
      '--table',
      'recordings',
      '--format',
      'jsonl',
      '--out',
      file,
    ]);
    expect(exported.code).toBe(0);
    expect(
      fs
        .readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { key: string }).key),
    ).toEqual(['rig/env', 'rig/env', 'rig/env']);
    engine = await Engine.open(dir, { startSources: false });
    expect(
      (await samplesOf('bench~cli')).filter(([, c]) => c === 'rig/env/temp').map(([, , v]) => v),
    ).toEqual([20.5, 22, 23.5]);
  });
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
