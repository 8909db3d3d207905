// The workspace lock with real engines: `opsdeck serve` processes killed with SIGKILL, a lock that
// names a live process that is not OpsDeck, and two engines starting at once. Needs the build.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEngineHost } from '../../electron/engine/host/run';
import { LOCK_FILE, type LockInfo } from '../../electron/engine/lock';
import { assertBuilt, root, runCli, startServe } from '../helpers/cli';
import { tempDir, waitFor } from '../helpers/tmp';

const bin = path.join(root, 'bin/opsdeck.mjs');
const readLock = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as LockInfo;
const processState = (pid: number) => {
  try {
    return /^\d+ \(.*\) (\S)/.exec(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
};
const pidExists = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('workspace lock with real engines', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const workspace = () => {
    const t = tempDir('opsdeck-lock-');
    cleanups.push(t.cleanup);
    return path.join(t.dir, 'ws');
  };

  it('after kill -9 the next start succeeds at once and "opsdeck query" reads the database', async () => {
    assertBuilt();
    const ws = workspace();
    // The engine runs under a parent that never reaps it (sh execs into sleep), so after SIGKILL
    // its pid lives on as a zombie: the state a supervisor leaves until it calls wait().
    const parent: ChildProcess = spawn(
      'sh',
      ['-c', `"${process.execPath}" "${bin}" serve --workspace "${ws}" --port 0 & exec sleep 600`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    cleanups.push(() => parent.kill('SIGKILL'));
    let stdout = '';
    parent.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    await waitFor('the first engine serving', () => stdout.includes('OpsDeck console:'));
    const first = readLock(ws);
    await waitFor('stored samples', async () => {
      const r = await runCli(['query', ws, 'SELECT count(*) AS n FROM samples', '--format', 'json']);
      return r.code === 0 && (JSON.parse(r.stdout) as { n: number }[])[0]!.n > 0;
    });

    process.kill(first.pid, 'SIGKILL');
    await waitFor('the killed engine to be a zombie', () => processState(first.pid) === 'Z');
    expect(pidExists(first.pid)).toBe(true); // what the old pid check took for a live owner

    const query = await runCli(['query', ws, 'SELECT count(*) AS n FROM samples', '--format', 'json']);
    expect(query.stderr).toContain(`not using the engine named in ${ws}/opsdeck.lock`);
    expect(query.stderr).toContain(`pid ${first.pid}`);
    expect(query.code).toBe(0);
    expect((JSON.parse(query.stdout) as { n: number }[])[0]!.n).toBeGreaterThan(0);

    const host = await startEngineHost(ws, { port: 0 });
    cleanups.push(() => host.close());
    const notice = host.engine.notices().find((n) => n.message.includes('took over the workspace lock'));
    expect(notice?.level).toBe('warn');
    expect(notice?.message).toContain(`pid ${first.pid}`);
    expect(notice?.message).toContain(`written ${first.startedAt}`);
    expect(readLock(ws).pid).toBe(process.pid);

    const again = await runCli(['query', ws, 'SELECT 42 AS answer', '--format', 'json']);
    expect(again.stderr).toContain(`using the running engine (pid ${process.pid})`);
    expect(JSON.parse(again.stdout)).toEqual([{ answer: 42 }]);
  });

  it('a lock naming a live process that is not OpsDeck is taken over', async () => {
    assertBuilt();
    const ws = workspace();
    fs.mkdirSync(ws, { recursive: true });
    const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
    cleanups.push(() => sleeper.kill('SIGKILL'));
    const stale: LockInfo = {
      pid: sleeper.pid!,
      host: os.hostname(),
      url: 'ws://127.0.0.1:9/api?token=gone',
      token: 'gone',
      startedAt: '2026-03-04T05:06:07.000Z',
    };
    fs.writeFileSync(path.join(ws, LOCK_FILE), JSON.stringify(stale));

    const served = await startServe(['serve', '--workspace', ws, '--port', '0']);
    cleanups.push(() => served.stop());
    expect(readLock(ws).pid).toBe(served.child.pid);
    const notices = await runCli([
      'query',
      ws,
      "SELECT message FROM notices WHERE level = 'warn'",
      '--format',
      'json',
    ]);
    expect(notices.stderr).toContain(`using the running engine (pid ${served.child.pid})`);
    expect(notices.stdout).toContain(`took over the workspace lock of OpsDeck engine pid ${sleeper.pid}`);
    expect(notices.stdout).toContain('written 2026-03-04T05:06:07.000Z');
  });

  it('of two engines starting at once on a workspace with a stale lock, one owns it and the other says so', async () => {
    assertBuilt();
    const ws = workspace();
    fs.mkdirSync(ws, { recursive: true });
    const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
    cleanups.push(() => sleeper.kill('SIGKILL'));
    fs.writeFileSync(
      path.join(ws, LOCK_FILE),
      JSON.stringify({
        pid: sleeper.pid,
        host: os.hostname(),
        url: 'ws://127.0.0.1:9/api?token=x',
        token: 'x',
        startedAt: '',
      }),
    );
    const results = await Promise.allSettled([
      startServe(['serve', '--workspace', ws, '--port', '0']),
      startServe(['serve', '--workspace', ws, '--port', '0']),
    ]);
    for (const r of results) if (r.status === 'fulfilled') cleanups.push(() => r.value.stop());
    const served = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(served).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(String(refused[0]!.reason)).toMatch(/already open in another OpsDeck engine|Could not set lock/);
    expect(readLock(ws).pid).toBe(served[0]!.value.child.pid);
  });
});
