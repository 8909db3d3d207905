// One engine owns a workspace at a time (DuckDB allows one writing process per file). The owner
// leaves `opsdeck.lock` (0600) with its pid, host, API address and token, and other processes talk
// to it there. A lock is believed only when its owner answers on that address with that token: a
// pid alone proves nothing (an unrelated process may have the number now, and a killed engine
// lingers as a zombie until reaped). A lock whose owner does not answer is stale; the next engine
// takes it over and says whose it was.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { RpcClient, type Transport } from '../../shared/rpc';

export const LOCK_FILE = 'opsdeck.lock';

/** How long an owner has to answer `hello` before its lock counts as stale. */
export const OWNER_ANSWER_TIMEOUT_MS = 2_000;

export const LockInfo = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  /** WebSocket address of the owning engine's API, and the token it requires. */
  url: z.string(),
  token: z.string(),
  /** When the lock was written (ISO 8601). */
  startedAt: z.string(),
});
export type LockInfo = z.infer<typeof LockInfo>;

/** Who owns a workspace, judged by asking the engine its lock names. */
export type Ownership =
  | { state: 'free' }
  /** Its engine answered on the lock's address, with the lock's token, for this folder. */
  | { state: 'owned'; lock: LockInfo }
  /** Written on another machine (a shared folder): its loopback address cannot be asked from here. */
  | { state: 'elsewhere'; lock: LockInfo }
  /** Nobody answers for it. `text` is the file as judged, so a takeover removes that one only. */
  | { state: 'stale'; lock: LockInfo | null; text: string; why: string };

export function connectWebSocket(url: string, options: { timeoutMs?: number } = {}): Promise<RpcClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { maxPayload: 256 * 1024 * 1024, handshakeTimeout: options.timeoutMs });
    socket.binaryType = 'arraybuffer';
    const transport: Transport = {
      send: (data) => socket.send(data),
      onMessage: (handler) =>
        socket.on('message', (data, isBinary) =>
          handler(isBinary ? (data as ArrayBuffer) : (data as Buffer | ArrayBuffer).toString()),
        ),
      onClose: (handler) =>
        socket.on('close', (_code, reason) => handler(reason.toString() || 'engine connection closed')),
      close: () => socket.close(),
    };
    socket.once('open', () => resolve(new RpcClient(transport)));
    socket.once('error', (error) =>
      reject(
        new Error(`cannot reach the engine at ${url.replace(/token=[^&]+/, 'token=…')}: ${error.message}`),
      ),
    );
  });
}

/** The lock's API address with its token filled in. */
export function ownerUrl(lock: LockInfo): string {
  return lock.url.replace(/token=[^&]*/, `token=${encodeURIComponent(lock.token)}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sameFolder(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}

/** Asks the engine a lock names for `hello`; null when it answered for `dir`, else why not. */
async function askOwner(lock: LockInfo, dir: string, timeoutMs: number): Promise<string | null> {
  let settled = false;
  let client: RpcClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  const answer = (async () => {
    client = await connectWebSocket(ownerUrl(lock), { timeoutMs });
    if (settled) client.close(); // answered after the deadline: nobody is waiting
    return client.call('hello', {});
  })();
  answer.catch(() => undefined);
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const hello = await Promise.race([answer, deadline]);
    return sameFolder(hello.dir, dir) ? null : `the engine there has another workspace open (${hello.dir})`;
  } catch (error) {
    return (error as Error).message;
  } finally {
    settled = true;
    clearTimeout(timer);
    client?.close();
  }
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

function parseLock(text: string): LockInfo | null {
  try {
    const parsed = LockInfo.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Who owns `dir`: reads its lock and, when the lock was written on this machine, asks its engine. */
export async function checkOwner(dir: string, options: { timeoutMs?: number } = {}): Promise<Ownership> {
  const file = path.join(dir, LOCK_FILE);
  let text = readText(file);
  if (text === null) return { state: 'free' };
  let lock = parseLock(text);
  if (!lock) {
    // Another engine may be between creating the file and writing it: look once more.
    await new Promise((resolve) => setTimeout(resolve, 100));
    text = readText(file);
    if (text === null) return { state: 'free' };
    lock = parseLock(text);
    if (!lock) return { state: 'stale', lock: null, text, why: 'the lock file is not one OpsDeck wrote' };
  }
  if (lock.host !== os.hostname()) return { state: 'elsewhere', lock };
  if (!processAlive(lock.pid)) return { state: 'stale', lock, text, why: `process ${lock.pid} is gone` };
  const why = await askOwner(lock, dir, options.timeoutMs ?? OWNER_ANSWER_TIMEOUT_MS);
  return why === null ? { state: 'owned', lock } : { state: 'stale', lock, text, why };
}

/** The error for a workspace another live engine owns, with where to find it. */
export function ownedError(dir: string, owner: Extract<Ownership, { state: 'owned' | 'elsewhere' }>): Error {
  const { lock } = owner;
  if (owner.state === 'elsewhere')
    return new Error(
      `workspace ${dir} is open in an OpsDeck engine on ${lock.host} (pid ${lock.pid}, since ${lock.startedAt}); if that engine is gone, delete ${path.join(dir, LOCK_FILE)}`,
    );
  const consoleUrl = lock.url.replace(/^ws/, 'http').replace('/api?', '/?');
  return new Error(
    `workspace ${dir} is already open in another OpsDeck engine (pid ${lock.pid}); its console: ${consoleUrl}`,
  );
}

/** Describes a stale lock for a notice or the CLI: whose it was, when written, why it is stale. */
export function describeStale(owner: Extract<Ownership, { state: 'stale' }>): string {
  return owner.lock
    ? `OpsDeck engine pid ${owner.lock.pid} on ${owner.lock.host}, written ${owner.lock.startedAt}: ${owner.why}`
    : owner.why;
}

/** Creates `file` with `text` only when it does not exist; false when it does. */
function createExclusive(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/**
 * Removes the stale lock `judged`, and nothing newer: moves the file aside (atomic, so of two
 * engines taking over at once only one gets it), then checks it is the one judged. A newer lock
 * moved by mistake is put back.
 */
function removeIfUnchanged(file: string, judged: string): boolean {
  const aside = `${file}.stale-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if (readText(aside) === judged) {
    fs.rmSync(aside, { force: true });
    return true;
  }
  try {
    fs.linkSync(aside, file); // fails with EEXIST when yet another lock took its place
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' && !fs.existsSync(file))
      fs.renameSync(aside, file);
  }
  fs.rmSync(aside, { force: true });
  return false;
}

export interface TakenOver {
  /** The stale lock as it was read, or null when it could not be parsed. */
  lock: LockInfo | null;
  why: string;
  /** One line for a notice: whose lock, when written, why it was stale. */
  message: string;
}

export class WorkspaceLock {
  private constructor(
    private readonly file: string,
    readonly info: LockInfo,
  ) {}

  /**
   * Claims `dir` for the engine serving at `owner.url`, which must already answer there: another
   * process judging this lock asks it. Takes over a stale lock (reported in `tookOver`); throws
   * naming the owner when a live engine has the workspace. Of engines claiming at once, one wins.
   */
  static async claim(
    dir: string,
    owner: Pick<LockInfo, 'url' | 'token'>,
    options: { timeoutMs?: number } = {},
  ): Promise<{ lock: WorkspaceLock; tookOver: TakenOver | null }> {
    const file = path.join(dir, LOCK_FILE);
    const info: LockInfo = {
      pid: process.pid,
      host: os.hostname(),
      url: owner.url,
      token: owner.token,
      startedAt: new Date().toISOString(),
    };
    const text = JSON.stringify(info, null, 2);
    let tookOver: TakenOver | null = null;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (createExclusive(file, text)) {
        fs.chmodSync(file, 0o600);
        // Re-check: an engine that judged the previous lock stale may have moved ours aside.
        if (readText(file) === text) return { lock: new WorkspaceLock(file, info), tookOver };
        continue;
      }
      if (readText(file) === text) return { lock: new WorkspaceLock(file, info), tookOver };
      const current = await checkOwner(dir, options);
      if (current.state === 'free') continue;
      if (current.state !== 'stale') throw ownedError(dir, current);
      if (removeIfUnchanged(file, current.text))
        tookOver = { lock: current.lock, why: current.why, message: describeStale(current) };
    }
    throw new Error(`workspace ${dir}: could not claim ${LOCK_FILE}; other engines keep claiming it`);
  }

  /** Removes the lock if it is still this engine's. */
  release(): void {
    try {
      const current = parseLock(fs.readFileSync(this.file, 'utf8'));
      if (current?.token === this.info.token && current.pid === this.info.pid) fs.unlinkSync(this.file);
    } catch {
      // already gone
    }
  }
}
