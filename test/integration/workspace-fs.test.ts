// The workspace on real file systems: the modes of what a running engine writes, and a workspace
// on a read-only mount (a tmpfs remounted read-only; root ignores chmod, so a read-only folder
// would not do). The mount test needs root and mount(8); elsewhere it is skipped, saying why.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEngineHost } from '../../electron/engine/host/run';
import { runCli } from '../helpers/cli';
import { tempDir, waitFor } from '../helpers/tmp';

function tryMount(): string | null {
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'opsdeck-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return null;
  } catch (error) {
    return `cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]})`;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}
const cannotMount = tryMount();

describe('workspace files', () => {
  it('a running engine keeps everything it writes private: the folder 0700, files 0600', async () => {
    const t = tempDir();
    const previous = process.umask(0o022); // the usual umask, which would give 0755 and 0644
    const ws = path.join(t.dir, 'ws');
    const host = await startEngineHost(ws, { port: 0 });
    try {
      await waitFor('stored samples', () => host.engine.status().storedSamples > 0);
      expect(fs.statSync(ws).mode & 0o777).toBe(0o700);
      const files = fs.readdirSync(ws);
      expect(files).toEqual(expect.arrayContaining(['opsdeck.json', 'opsdeck.lock', 'data.duckdb']));
      for (const f of files) {
        const mode = fs.statSync(path.join(ws, f)).mode & 0o777;
        expect(`${f} ${mode.toString(8)}`).toBe(
          `${f} ${fs.statSync(path.join(ws, f)).isDirectory() ? '700' : '600'}`,
        );
      }
    } finally {
      await host.close();
      process.umask(previous);
      t.cleanup();
    }
  });
});

describe.skipIf(cannotMount !== null)(
  `workspace on a read-only file system${cannotMount ? `: skipped, ${cannotMount}` : ''}`,
  () => {
    it('says "read-only file system", opens nothing for writing, and can still be queried', async () => {
      const t = tempDir();
      const mount = path.join(t.dir, 'mnt');
      fs.mkdirSync(mount);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mount]);
      try {
        const ws = path.join(mount, 'ws');
        const host = await startEngineHost(ws, { port: 0 });
        await waitFor('stored samples', () => host.engine.status().storedSamples > 0);
        await host.close();
        execFileSync('mount', ['-o', 'remount,ro', mount]);

        await expect(startEngineHost(ws, { port: 0 })).rejects.toThrow(
          `workspace ${ws} is on a read-only file system`,
        );
        // A new workspace there: a recursive mkdir reports ENOENT on a read-only file system.
        const fresh = path.join(mount, 'new', 'ws');
        await expect(startEngineHost(fresh, { port: 0 })).rejects.toThrow(
          `workspace ${fresh} is on a read-only file system (${mount})`,
        );
        const query = await runCli([
          'query',
          ws,
          'SELECT count(*) > 0 AS stored FROM samples',
          '--format',
          'json',
        ]);
        expect(query.stderr).toContain('opened its database read-only');
        expect(JSON.parse(query.stdout)).toEqual([{ stored: true }]);
      } finally {
        execFileSync('umount', [mount]);
        t.cleanup();
      }
    });
  },
);
