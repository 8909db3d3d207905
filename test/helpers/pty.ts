// A serial device for tests: a socat pty pair with known names (`link=`). The source opens `dev`;
// the test plays the device through `peer`. A pty has no USB identity, ignores the baud rate and
// line settings, and is not in serialport's port list. Writes are paced in small bursts, as a pty
// has no baud rate to pace them.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from './tmp';

export class PtyPair {
  readonly dev: string;
  readonly peer: string;
  private proc: ChildProcess | null = null;

  constructor(dir: string, name: string) {
    this.dev = path.join(dir, name);
    this.peer = path.join(dir, `${name}.peer`);
  }

  static async start(dir: string, name: string): Promise<PtyPair> {
    const pair = new PtyPair(dir, name);
    await pair.run();
    return pair;
  }

  /** Starts socat (again), on the same link names. */
  async run(): Promise<void> {
    const proc = spawn(
      'socat',
      ['-d', '-d', `pty,raw,echo=0,link=${this.dev}`, `pty,raw,echo=0,link=${this.peer}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    this.proc = proc;
    await waitFor(`socat ptys ${this.dev}${stderr ? `: ${stderr}` : ''}`, () => {
      if (proc.exitCode !== null) throw new Error(`socat exited: ${stderr}`);
      // socat logs this once both ptys and their links are in place.
      return (
        stderr.includes('starting data transfer loop') && fs.existsSync(this.dev) && fs.existsSync(this.peer)
      );
    });
  }

  /** The device vanishes: socat ends (SIGTERM removes the links; SIGKILL leaves them dangling). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    await exited;
  }

  /**
   * Writes as the device, in bursts of `burst` bytes with a pause after each. Non-blocking: while
   * the source does not read (its port paused), a blocking write would hold one of libuv's pool
   * threads, which this process's port reads and DuckDB calls need too (with UV_THREADPOOL_SIZE=1
   * the test and the engine waited on each other for good); a full pty is retried after FULL_MS.
   */
  async write(data: string | Uint8Array, { burst = 128, pauseMs = 2 } = {}): Promise<void> {
    const FULL_MS = 5;
    const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
    const handle = await fs.promises.open(
      this.peer,
      fs.constants.O_WRONLY | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK,
    );
    try {
      for (let i = 0; i < bytes.length;) {
        const end = Math.min(i + burst, bytes.length);
        while (i < end) {
          try {
            i += (await handle.write(bytes, i, end - i)).bytesWritten;
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
            await new Promise((r) => setTimeout(r, FULL_MS));
          }
        }
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    } finally {
      await handle.close();
    }
  }

  /** Reads `n` bytes the source sent to the device. */
  read(n: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const head = spawn('head', ['-c', String(n), this.peer], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      head.stdout.on('data', (d: Buffer) => out.push(d));
      head.once('error', reject);
      head.once('exit', (code) =>
        code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`head exited with ${code}`)),
      );
    });
  }
}
