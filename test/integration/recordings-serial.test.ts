// A named recording of a serial source (a socat pty), re-decoded: its raw rows are chunks of the
// byte stream, cut wherever the port's reads fell, so they are framed again in order as they were
// live. As configured it gives the live run's samples exactly (lines split across chunks too);
// with another decoder named, the same lines go through that one.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { PtyPair } from '../helpers/pty';
import { tempDir, waitFor } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let engine: Engine;
let pair: PtyPair;

beforeAll(async () => {
  tmp = tempDir();
  pair = await PtyPair.start(tmp.dir, 'rig');
  const dir = path.join(tmp.dir, 'ws');
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, 'opsdeck.json'),
    JSON.stringify({
      version: 1,
      sources: [{ id: 'rig', kind: 'serial', name: 'rig', options: { path: pair.dev, lineDecoder: 'kv' } }],
    }),
  );
  engine = await Engine.open(dir, { flushIntervalMs: 50 });
});
afterAll(async () => {
  await engine?.close();
  await pair?.stop();
  tmp.cleanup();
});

const samples = async (source: string) =>
  (
    await engine.query(
      `SELECT replace(channel, '${source}/', ''), value FROM samples_v WHERE source = '${source}' ORDER BY ts, channel`,
      10_000,
    )
  ).rows;

describe('a serial recording', () => {
  it('is framed again from its chunks: re-decoded as configured it gives the live samples', async () => {
    await waitFor('the port open', () => engine.status().sources[0]?.state === 'connected');
    // Past the source's open grace (50 ms): a first line within it may be cut by the open and is
    // dropped, live only; a leading line end (as the serial tests write) leaves it nothing to drop.
    await new Promise((r) => setTimeout(r, 300));
    const recording = await engine.startRecording({ name: 'bench', sources: ['rig'], actor: 'tester' });
    // 40 lines written in 7-byte bursts: most lines reach the source in pieces, across its reads.
    const lines = '\n' + Array.from({ length: 40 }, (_, i) => `temp=${20 + i / 10} rh=${40 + i}\n`).join('');
    await pair.write(lines, { burst: 7, pauseMs: 3 });
    await waitFor('the live samples stored', async () => {
      await engine.store.flush();
      return (await samples('rig')).length === 80;
    });
    await engine.stopRecording('bench', 'tester');
    const chunks = Number((await engine.store.read('SELECT count(*) FROM recordings'))[0]![0]);
    expect(chunks).toBeGreaterThan(1);

    const [asLive] = await engine.redecodeRecording({ recording: 'bench', suffix: 'again' });
    expect(await engine.jobs.wait(asLive!)).toMatchObject({ state: 'done', quarantined: 0 });
    expect(await samples('rig~again')).toEqual(await samples('rig'));
    expect(recording.sources).toEqual(['rig']);

    // Another decoder on the same framing: the lines are not JSON, so each is quarantined whole.
    const [asJson] = await engine.redecodeRecording({ recording: 'bench', suffix: 'json', decoder: 'json' });
    expect(await engine.jobs.wait(asJson!)).toMatchObject({ state: 'done', quarantined: 40 });
    expect(await samples('rig~json')).toEqual([]);
  }, 60_000);
});
