// The workspace's display preferences: `display.timeZone` in opsdeck.json (with a default, so older
// files still open) and the `saveDisplay` call that changes it, both checked by their zod schemas.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONFIG_FILE, readWorkspaceConfig, writeWorkspaceConfig } from '../../electron/engine/workspace';
import { Methods } from '../../shared/api';
import { describeZodError } from '../../shared/schemas';
import { tempDir } from '../helpers/tmp';

describe('display preferences', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));
  function workspaceWith(config: unknown): string {
    const t = tempDir();
    cleanups.push(t.cleanup);
    fs.writeFileSync(path.join(t.dir, CONFIG_FILE), JSON.stringify(config));
    return t.dir;
  }

  it('opens a file written before there were display preferences, with local time', () => {
    const dir = workspaceWith({ version: 1, name: 'Old bench' });
    expect(readWorkspaceConfig(dir).display).toEqual({ timeZone: 'local' });
  });

  it('keeps UTC through a write and a read', () => {
    const dir = workspaceWith({ version: 1, display: { timeZone: 'utc' } });
    const config = readWorkspaceConfig(dir);
    expect(config.display.timeZone).toBe('utc');
    writeWorkspaceConfig(dir, { ...config, name: 'renamed' });
    const saved = JSON.parse(fs.readFileSync(path.join(dir, CONFIG_FILE), 'utf8')) as unknown;
    expect(saved).toMatchObject({ name: 'renamed', display: { timeZone: 'utc' } });
  });

  it('names the wrong field of a bad file', () => {
    expect(() =>
      readWorkspaceConfig(workspaceWith({ version: 1, display: { timeZone: 'Europe/Berlin' } })),
    ).toThrow(/opsdeck\.json: display\.timeZone: .*"local".*"utc"/);
    expect(() => readWorkspaceConfig(workspaceWith({ version: 1, display: { zone: 'utc' } }))).toThrow(
      /display: .*zone/,
    );
  });

  it('validates saveDisplay as the engine receives it', () => {
    const params = Methods.saveDisplay.params;
    expect(params.parse({ display: { timeZone: 'utc' } })).toEqual({ display: { timeZone: 'utc' } });
    expect(params.parse({ display: {} })).toEqual({ display: { timeZone: 'local' } });
    const wrong = params.safeParse({ display: { timeZone: 'UTC+2' } });
    expect(wrong.success).toBe(false);
    if (!wrong.success) expect(describeZodError(wrong.error)).toMatch(/^display\.timeZone: /);
    expect(params.safeParse({}).success).toBe(false);
  });
});
