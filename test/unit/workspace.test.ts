import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CONFIG_FILE,
  defaultWorkspace,
  ensureWorkspace,
  readWorkspaceConfig,
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
