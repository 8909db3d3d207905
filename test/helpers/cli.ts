// Runs the built `opsdeck` command as a user would (the test command builds before vitest).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/opsdeck.mjs');

export function assertBuilt(): void {
  for (const f of ['out/main/cli.js', 'out/renderer/index.html']) {
    if (!fs.existsSync(path.join(root, f)))
      throw new Error(`${f} is missing: run "npm run build" before these tests (npm test does)`);
  }
}

export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface ServedConsole {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  stop(): Promise<number | null>;
}

/** Starts `opsdeck <command> … --port 0` and resolves with the console URL it prints. */
export function startServe(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ServedConsole> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /OpsDeck console: (\S+)/.exec(stdout);
      if (m)
        resolve({
          child,
          url: m[1]!,
          stderr: () => stderr,
          // SIGTERM lets it close the database; one that hangs is killed after 15 s.
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
              const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
              child.once('exit', (code) => {
                clearTimeout(kill);
                done(code);
              });
              child.kill('SIGTERM');
            }),
        });
    });
    child.once('exit', (code) =>
      reject(new Error(`opsdeck ${args[0]} exited with ${code} before serving: ${stderr}`)),
    );
  });
}
