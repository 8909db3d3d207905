// The tail source on real files: rotation by rename and by copytruncate, new files matching the
// glob, and a kill -9 of a real engine process in the middle — no line lost, none stored twice.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { TAIL_POSITION_KEY } from '../../electron/engine/sources/tail';
import { bundleIngestChild } from '../helpers/bundle-child';
import { tempDir, waitFor } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

let workspaces = 0;
function workspace(tailOptions: Record<string, unknown>): string {
  const dir = path.join(tmp.dir, `ws${++workspaces}`);
  fs.mkdirSync(dir);
  const source = {
    id: 'logs',
    kind: 'tail',
    name: 'Logs',
    options: { startAt: 'beginning', decoder: 'text', pollMs: 30, ...tailOptions },
  };
  fs.writeFileSync(
    path.join(dir, 'opsdeck.json'),
    JSON.stringify({ version: 2, name: 't', sources: [source] }),
  );
  return dir;
}

const line = (i: number) => `line ${String(i).padStart(7, '0')} of the tail test\n`;
const lines = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, k) => line(from + k)).join('');

async function messages(engine: Engine): Promise<string[]> {
  await engine.store.flush();
  const r = await engine.query(
    "SELECT message FROM records_v WHERE source = 'logs' ORDER BY message",
    1_000_000,
  );
  return r.rows.map((row) => String(row[0]));
}

function expectExactly(stored: string[], from: number, to: number): void {
  const expected = Array.from({ length: to - from }, (_, k) => line(from + k).trimEnd());
  expect(stored.length).toBe(expected.length);
  expect(stored).toEqual(expected);
}

describe('tail', () => {
  it('follows a file through rotation by rename and by copytruncate', async () => {
    const logs = path.join(tmp.dir, 'rot');
    fs.mkdirSync(logs);
    const file = path.join(logs, 'app.log');
    fs.writeFileSync(file, lines(0, 100));
    const engine = await Engine.open(workspace({ path: file }));
    try {
      const count = async () => (await messages(engine)).length;
      await waitFor('the first 100 lines', async () => (await count()) === 100);

      // Rotation by rename: the writer appends a last few lines to the old file after the rename.
      fs.appendFileSync(file, lines(100, 150));
      fs.renameSync(file, `${file}.1`);
      fs.appendFileSync(`${file}.1`, lines(150, 160));
      fs.writeFileSync(file, lines(160, 300));
      await waitFor('the lines on both sides of the rename', async () => (await count()) === 300);

      // Copytruncate: the content is copied away and the same file cut to nothing, then written on.
      fs.copyFileSync(file, `${file}.2`);
      fs.truncateSync(file, 0);
      fs.appendFileSync(file, lines(300, 310)); // fewer bytes than were there: the cut shows
      await waitFor('the lines after the truncation', async () => (await count()) === 310);
      fs.appendFileSync(file, lines(310, 400));
      await waitFor('every line', async () => (await count()) >= 400);
      expectExactly(await messages(engine), 0, 400);
    } finally {
      await engine.close();
    }
  });

  it('picks up new files matching the glob, and a file renamed within it is not read again', async () => {
    const logs = path.join(tmp.dir, 'glob');
    fs.mkdirSync(logs);
    fs.writeFileSync(path.join(logs, 'a.log'), lines(0, 50));
    fs.writeFileSync(path.join(logs, 'ignored.txt'), 'not a log\n');
    const engine = await Engine.open(workspace({ path: path.join(logs, '*.log') }));
    try {
      const count = async () => (await messages(engine)).length;
      await waitFor('a.log', async () => (await count()) === 50);
      fs.writeFileSync(path.join(logs, 'b.log'), lines(50, 80));
      await waitFor('b.log, created later', async () => (await count()) === 80);
      fs.renameSync(path.join(logs, 'a.log'), path.join(logs, 'a.1.log'));
      fs.appendFileSync(path.join(logs, 'a.1.log'), lines(80, 90));
      await waitFor('the renamed file', async () => (await count()) === 90);
      fs.appendFileSync(path.join(logs, 'b.log'), lines(90, 100));
      await waitFor('every line', async () => (await count()) >= 100);
      expectExactly(await messages(engine), 0, 100);
    } finally {
      await engine.close();
    }
  });

  it('resumes after a kill -9 with no line lost or stored twice', async () => {
    const child = await bundleIngestChild();
    const file = path.join(tmp.dir, 'kill.log');
    const total = 200_000;
    const dir = workspace({ path: file });
    const run = (expected: string) =>
      spawn(process.execPath, [child, dir, '-', expected, 'sources'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';

    // The writer keeps appending while the engine tails; the engine is killed part-way.
    fs.writeFileSync(file, '');
    const crashing = run('-');
    crashing.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const half = total / 2;
    fs.appendFileSync(file, lines(0, half));
    let progress = '';
    crashing.stdout!.on('data', (d: Buffer) => (progress += d.toString()));
    await waitFor(
      'rows stored by the engine that is to be killed',
      () => {
        if (crashing.exitCode !== null) throw new Error(`the child exited: ${stderr}`);
        const counts = progress.split('\n').filter(Boolean);
        const last = counts.length ? (JSON.parse(counts[counts.length - 1]!) as { records: number }) : null;
        return last !== null && last.records >= 5_000;
      },
      60_000,
    );
    const exited = new Promise((r) => crashing.once('exit', r));
    crashing.kill('SIGKILL');
    await exited;

    let engine = await Engine.open(dir, { startSources: false });
    try {
      const stored = (await messages(engine)).length;
      expect(stored, stderr).toBeGreaterThan(0);
      expect(stored).toBeLessThan(total); // killed in the middle: the restart has lines to resume from
      const position = JSON.parse((await engine.store.positions('logs')).get(TAIL_POSITION_KEY)!) as Record<
        string,
        { offset: number }
      >;
      const [saved] = Object.values(position);
      // What was committed is exactly the rows stored: the position is that many whole lines in.
      expect(saved!.offset).toBe(stored * line(0).length);
    } finally {
      await engine.close();
    }

    fs.appendFileSync(file, lines(half, total));
    const finishing = run(String(total));
    let out = '';
    finishing.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    finishing.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => finishing.once('exit', r));
    expect({ code, out: out.trim(), stderr }).toEqual({ code: 0, out: '{"done":true}', stderr: '' });

    engine = await Engine.open(dir, { startSources: false });
    try {
      expectExactly(await messages(engine), 0, total);
    } finally {
      await engine.close();
    }
  }, 180_000);
});
