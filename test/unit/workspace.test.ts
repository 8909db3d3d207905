import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CONFIG_FILE,
  defaultWorkspace,
  ensureWorkspace,
  readWorkspaceConfig,
  writeWorkspaceConfig,
} from '../../electron/engine/workspace';
import { parseOrThrow, SourceConfig } from '../../shared/schemas';
import { tempDir } from '../helpers/tmp';

describe('workspace file', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));
  function dir() {
    const t = tempDir();
    cleanups.push(t.cleanup);
    return t.dir;
  }
  const write = (d: string, value: unknown) =>
    fs.writeFileSync(path.join(d, CONFIG_FILE), typeof value === 'string' ? value : JSON.stringify(value));

  it('creates a demo workspace that reads back identically', () => {
    const d = dir();
    const created = ensureWorkspace(path.join(d, 'new'));
    expect(created).toEqual(defaultWorkspace());
    expect(readWorkspaceConfig(path.join(d, 'new')).sources[0]).toMatchObject({
      id: 'demo',
      kind: 'sim',
      enabled: true,
    });
  });

  it('names the field that is wrong', () => {
    const d = dir();
    write(d, { version: 1, sources: [{ id: 'demo', kind: 'sim', name: 'x', options: { seed: 'one' } }] });
    expect(() => readWorkspaceConfig(d)).toThrow(
      /opsdeck\.json: sources\.0\.options\.seed: .*expected number/i,
    );
    write(d, { version: 1, sources: [{ id: 'a b', kind: 'sim', name: 'x' }] });
    expect(() => readWorkspaceConfig(d)).toThrow(/sources\.0\.id: use letters, digits/);
    write(d, { version: 1, sources: [{ id: 'a', kind: 'modbus', name: 'x' }] });
    expect(() => readWorkspaceConfig(d)).toThrow(/sources\.0\.kind/);
    write(d, { version: 1, channels: [{ name: 'a/b', scale: 'x' }] });
    expect(() => readWorkspaceConfig(d)).toThrow(/channels\.0\.scale/);
    write(d, {
      version: 1,
      sources: [
        { id: 'a', kind: 'sim', name: 'x' },
        { id: 'a', kind: 'sim', name: 'y' },
      ],
    });
    expect(() => readWorkspaceConfig(d)).toThrow(/sources\.1\.id: duplicate source id "a"/);
    write(d, { version: 1, colour: 'red' });
    expect(() => readWorkspaceConfig(d)).toThrow(/colour/);
  });

  it('refuses files it cannot understand, saying why', () => {
    const d = dir();
    write(d, '{ "version": 1, ');
    expect(() => readWorkspaceConfig(d)).toThrow(/not valid JSON/);
    write(d, { sources: [] });
    expect(() => readWorkspaceConfig(d)).toThrow(/version: expected a whole number, got undefined/);
    write(d, { version: 99 });
    expect(() => readWorkspaceConfig(d)).toThrow(/version 99 was written by a newer OpsDeck/);
    expect(() => readWorkspaceConfig(path.join(d, 'missing'))).toThrow(/cannot read .*ENOENT/);
  });

  it('reads a file that starts with a UTF-8 byte order mark', () => {
    const d = dir();
    write(d, '\uFEFF' + JSON.stringify({ version: 1, name: 'From Notepad' }));
    expect(fs.readFileSync(path.join(d, CONFIG_FILE))[0]).toBe(0xef); // the BOM is really there
    expect(readWorkspaceConfig(d).name).toBe('From Notepad');
  });

  it('creates the folder 0700 and its configuration 0600, and keeps 0600 on every save', () => {
    const d = dir();
    const ws = path.join(d, 'new', 'ws');
    const previous = process.umask(0o022); // the usual umask, which would give 0755 and 0644
    try {
      ensureWorkspace(ws);
      expect(fs.statSync(ws).mode & 0o777).toBe(0o700);
      expect(fs.statSync(path.join(d, 'new')).mode & 0o777).toBe(0o700);
      expect(fs.statSync(path.join(ws, CONFIG_FILE)).mode & 0o777).toBe(0o600);
      writeWorkspaceConfig(ws, { ...defaultWorkspace(), name: 'renamed' });
      expect(fs.statSync(path.join(ws, CONFIG_FILE)).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('leaves the mode of a folder it did not create', () => {
    const d = dir();
    fs.chmodSync(d, 0o755);
    ensureWorkspace(d);
    expect(fs.statSync(d).mode & 0o777).toBe(0o755);
  });

  it('says "read-only file system" where the disk refuses writes (EROFS simulated)', () => {
    // The real thing, a read-only mount, is in test/integration/workspace-fs.test.ts (needs root).
    const d = dir();
    const erofs = Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
    const spy = vi.spyOn(fs, 'accessSync').mockImplementation(() => {
      throw erofs;
    });
    try {
      expect(() => ensureWorkspace(path.join(d, 'missing', 'ws'))).toThrow(
        /workspace .*missing[\\/]ws is on a read-only file system/,
      );
      expect(() => ensureWorkspace(d)).toThrow(/read-only file system/);
    } finally {
      spy.mockRestore();
    }
  });

  it('validates a source posted over the API with the field path', () => {
    expect(() =>
      parseOrThrow(
        SourceConfig,
        { id: 'x', kind: 'sim', name: 'n', options: { rateMultiplier: -1 } },
        'source',
      ),
    ).toThrow(/^source: options\.rateMultiplier: /);
  });
});
