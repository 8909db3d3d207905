// The workspace lock's protocol, with stand-in owners: tiny WebSocket servers that answer `hello`
// the way an engine does. Real engines, killed and restarted, are in
// test/integration/workspace-lock.test.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { PROTOCOL_VERSION } from '../../shared/api';
import { checkOwner, LOCK_FILE, WorkspaceLock, type LockInfo } from '../../electron/engine/lock';
import { tempDir } from '../helpers/tmp';

interface StandIn {
  url: string;
  token: string;
  close(): Promise<void>;
}

/** Answers `hello` for `dir` to clients that bring `token`, as an engine's API does. */
async function standInOwner(dir: string, token: string): Promise<StandIn> {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://x').searchParams.get('token') !== token) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) =>
      ws.on('message', (data) => {
        const call = JSON.parse(String(data)) as { id: number; method: string };
        const value = {
          dir,
          name: 'stand-in',
          readOnly: false,
          engineVersion: '0',
          protocol: PROTOCOL_VERSION,
        };
        ws.send(JSON.stringify({ t: 'result', id: call.id, ok: true, value }));
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/api?token=${token}`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (taken, then given back). */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function writeLock(dir: string, lock: Partial<LockInfo>): LockInfo {
  const full: LockInfo = {
    pid: process.pid,
    host: os.hostname(),
    url: 'ws://127.0.0.1:9/api?token=t',
    token: 't',
    startedAt: '2026-01-02T03:04:05.000Z',
    ...lock,
  };
  fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(full));
  return full;
}

describe('workspace lock', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const dir = () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    return t.dir;
  };
  /** A live process that is not an OpsDeck engine: its pid is what a reused pid looks like. */
  const unrelatedProcess = (): ChildProcess => {
    const child = spawn('sleep', ['600'], { stdio: 'ignore' });
    cleanups.push(() => child.kill('SIGKILL'));
    return child;
  };

  it('is private, believed while its owner answers, and removed on release', async () => {
    const d = dir();
    const owner = await standInOwner(d, 'secret-token');
    cleanups.push(owner.close);
    const { lock, tookOver } = await WorkspaceLock.claim(d, owner);
    expect(tookOver).toBeNull();
    expect(fs.statSync(path.join(d, LOCK_FILE)).mode & 0o777).toBe(0o600);
    expect(await checkOwner(d)).toMatchObject({
      state: 'owned',
      lock: { pid: process.pid, token: 'secret-token' },
    });
    lock.release();
    expect(fs.existsSync(path.join(d, LOCK_FILE))).toBe(false);
    expect(await checkOwner(d)).toEqual({ state: 'free' });
  });

  it('is stale when a live but unrelated process has its pid', async () => {
    const d = dir();
    const sleeper = unrelatedProcess();
    writeLock(d, { pid: sleeper.pid!, url: `ws://127.0.0.1:${await closedPort()}/api?token=t` });
    const owner = await checkOwner(d);
    expect(owner).toMatchObject({ state: 'stale', lock: { pid: sleeper.pid } });
    expect(owner.state === 'stale' && owner.why).toMatch(/ECONNREFUSED/);
  });

  it('is stale when something else answers on its address without its token, or for another folder', async () => {
    const d = dir();
    const other = await standInOwner(d, 'the-real-token');
    cleanups.push(other.close);
    writeLock(d, { url: other.url.replace('the-real-token', 'old'), token: 'old' });
    expect(await checkOwner(d)).toMatchObject({ state: 'stale', why: expect.stringMatching(/401/) });
    const elsewhere = await standInOwner(path.join(d, 'another-workspace'), 'tok');
    cleanups.push(elsewhere.close);
    writeLock(d, { url: elsewhere.url, token: 'tok' });
    expect(await checkOwner(d)).toMatchObject({
      state: 'stale',
      why: expect.stringMatching(/another workspace/),
    });
  });

  it('takes over a stale lock and says whose it was', async () => {
    const d = dir();
    const sleeper = unrelatedProcess();
    writeLock(d, { pid: sleeper.pid!, url: `ws://127.0.0.1:${await closedPort()}/api?token=t` });
    const owner = await standInOwner(d, 'new-owner');
    cleanups.push(owner.close);
    const { lock, tookOver } = await WorkspaceLock.claim(d, owner);
    cleanups.push(() => lock.release());
    expect(tookOver?.lock?.pid).toBe(sleeper.pid);
    expect(tookOver?.message).toContain(`pid ${sleeper.pid}`);
    expect(tookOver?.message).toContain('written 2026-01-02T03:04:05.000Z');
    expect(JSON.parse(fs.readFileSync(path.join(d, LOCK_FILE), 'utf8'))).toMatchObject({
      token: 'new-owner',
    });
  });

  it('takes over a lock that is not JSON', async () => {
    const d = dir();
    fs.writeFileSync(path.join(d, LOCK_FILE), 'garbage');
    const owner = await standInOwner(d, 'tok');
    cleanups.push(owner.close);
    const { lock, tookOver } = await WorkspaceLock.claim(d, owner);
    cleanups.push(() => lock.release());
    expect(tookOver?.message).toMatch(/not one OpsDeck wrote/);
  });

  it('refuses a workspace whose owner answers, naming it', async () => {
    const d = dir();
    const first = await standInOwner(d, 'first');
    const second = await standInOwner(d, 'second');
    cleanups.push(first.close, second.close);
    const { lock } = await WorkspaceLock.claim(d, first);
    cleanups.push(() => lock.release());
    await expect(WorkspaceLock.claim(d, second)).rejects.toThrow(
      new RegExp(`already open in another OpsDeck engine \\(pid ${process.pid}\\)`),
    );
  });

  it('does not ask a lock written on another machine, and does not take it over', async () => {
    const d = dir();
    writeLock(d, { host: `not-${os.hostname()}` });
    expect(await checkOwner(d)).toMatchObject({ state: 'elsewhere' });
    const owner = await standInOwner(d, 'tok');
    cleanups.push(owner.close);
    await expect(WorkspaceLock.claim(d, owner)).rejects.toThrow(/on not-.* if that engine is gone, delete/);
  });

  it('of engines taking over the same stale lock at once, exactly one owns the workspace', async () => {
    const d = dir();
    const sleeper = unrelatedProcess();
    writeLock(d, { pid: sleeper.pid!, url: `ws://127.0.0.1:${await closedPort()}/api?token=t` });
    const owners = await Promise.all(['a', 'b', 'c', 'd'].map((t) => standInOwner(d, `token-${t}`)));
    cleanups.push(...owners.map((o) => o.close));
    const results = await Promise.allSettled(owners.map((o) => WorkspaceLock.claim(d, o)));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    for (const r of lost) expect(String(r.reason)).toMatch(/already open in another OpsDeck engine/);
    const winner = won[0]!.value.lock;
    cleanups.push(() => winner.release());
    expect(JSON.parse(fs.readFileSync(path.join(d, LOCK_FILE), 'utf8'))).toMatchObject({
      token: winner.info.token,
    });
    expect(fs.readdirSync(d).filter((f) => f.startsWith(LOCK_FILE))).toEqual([LOCK_FILE]);
  });
});
