import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { SampleBatch } from '../../electron/engine/batch';

/**
 * A 24 MiB tmpfs under `parent` holding an empty workspace (`ws`), for tests of a disk that fills
 * up: `grow()` gives it room again, `unmount()` lets it go. Mounting needs root: without it the
 * test is skipped, saying why.
 */
export function smallDisk(
  parent: string,
  skip: (reason: string) => never,
): { workspace: string; grow(): void; unmount(): void } {
  const mount = path.join(parent, 'small-disk');
  fs.mkdirSync(mount);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mount], { stdio: 'pipe' });
  } catch (error) {
    skip(`cannot mount a tmpfs here (needs root): ${(error as Error).message.split('\n')[0]}`);
  }
  const workspace = path.join(mount, 'ws');
  fs.mkdirSync(workspace);
  fs.writeFileSync(path.join(workspace, 'opsdeck.json'), JSON.stringify({ version: 1, sources: [] }));
  return {
    workspace,
    grow: () => execFileSync('mount', ['-o', 'remount,size=512m', mount]),
    unmount: () => execFileSync('umount', ['-l', mount]),
  };
}

/** 20,000 random samples spread over `channels`, timed from now on (`from` keeps them distinct). */
export function sampleBurst(channels: readonly number[], from: number): SampleBatch {
  const n = 20_000;
  return {
    n,
    ts: Float64Array.from({ length: n }, (_, i) => Date.now() + (from + i) / 1000),
    channel: Uint32Array.from({ length: n }, (_, i) => channels[i % channels.length]!),
    value: Float64Array.from({ length: n }, () => Math.random()),
  };
}
