// `opsdeck serve --host …` as a user runs it: what it prints for a loopback and a wide binding.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, startServe } from '../helpers/cli';
import { tempDir, waitFor } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;

beforeAll(() => {
  assertBuilt();
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

describe('opsdeck serve --host', () => {
  it('::1 is loopback: its URL, and no warning', async () => {
    const served = await startServe([
      'serve',
      '--workspace',
      path.join(tmp.dir, 'v6'),
      '--port',
      '0',
      '--host',
      '::1',
    ]);
    expect(served.url).toMatch(/^http:\/\/\[::1\]:\d+\/\?token=/);
    expect(await served.stop()).toBe(0);
    expect(served.stderr()).not.toMatch(/beyond loopback/);
  });

  it('0.0.0.0 warns, prints a loopback URL for this machine and the addresses for others', async () => {
    const served = await startServe([
      'serve',
      '--workspace',
      path.join(tmp.dir, 'wide'),
      '--port',
      '0',
      '--host',
      '0.0.0.0',
    ]);
    try {
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
      const port = new URL(served.url).port;
      await waitFor('the warning', () => /beyond loopback/.test(served.stderr()));
      expect(served.stderr()).toMatch(/anyone who can reach this machine and has the token/);
      expect(served.stderr()).toMatch(/are refused; --allow-remote-files-and-commands allows them/);
      for (const line of served
        .stderr()
        .split('\n')
        .filter((l) => l.includes('from another machine')))
        expect(line).toMatch(new RegExp(`http://[^/]+:${port}/\\?token=`));
    } finally {
      expect(await served.stop()).toBe(0);
    }
  });

  it('--allow-remote-files-and-commands says what it opens to the network', async () => {
    const served = await startServe([
      'serve',
      '--workspace',
      path.join(tmp.dir, 'opt-in'),
      '--port',
      '0',
      '--host',
      '0.0.0.0',
      '--allow-remote-files-and-commands',
    ]);
    try {
      await waitFor('the warning', () => /run programs, as you/.test(served.stderr()));
      expect(served.stderr()).toMatch(/write files anywhere you can \(exports\)/);
      expect(served.stderr()).not.toMatch(/are refused/);
    } finally {
      expect(await served.stop()).toBe(0);
    }
  });

  it('--help names the flag', async () => {
    const help = await runCli(['serve', '--help']);
    expect(help.stdout).toMatch(/\[--allow-remote-files-and-commands\]/);
    expect(help.stdout).toMatch(/are refused unless --allow-remote-files-and-commands is given/);
  });
});
