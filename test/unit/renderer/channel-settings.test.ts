// Channel settings: the workspace migration that gave channels a display name and decimals, the
// precision a plot's legend and axes pick from the values in view, and the editor's words.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWorkspaceConfig, writeWorkspaceConfig } from '../../../electron/engine/workspace';
import { channelFieldErrors } from '../../../renderer/src/channel-browser/channel-settings';
import {
  decimalsForRange,
  decimalsForStep,
  formatFixed,
  rangeOf,
} from '../../../renderer/src/panels/plot/precision';
import { WORKSPACE_VERSION } from '../../../shared/schemas';
import { tempDir } from '../../helpers/tmp';

describe('workspace migration to version 2', () => {
  it('opens a version 1 file: channels keep unit, scale and offset and gain display name and decimals', () => {
    const tmp = tempDir();
    try {
      const v1 = {
        version: 1,
        channels: [{ name: 'rig/pressure', unit: 'kPa', scale: 0.1, offset: -5 }, { name: 'rig/raw' }],
      };
      fs.writeFileSync(path.join(tmp.dir, 'opsdeck.json'), JSON.stringify(v1));
      const config = readWorkspaceConfig(tmp.dir);
      expect(WORKSPACE_VERSION).toBe(2);
      expect(config.version).toBe(2);
      expect(config.channels).toEqual([
        { name: 'rig/pressure', unit: 'kPa', scale: 0.1, offset: -5, displayName: '', decimals: null },
        { name: 'rig/raw', unit: '', scale: 1, offset: 0, displayName: '', decimals: null },
      ]);
      // Written back, it says version 2, and opens as it was.
      writeWorkspaceConfig(tmp.dir, { ...config, channels: [{ ...config.channels[0]!, decimals: 3 }] });
      const raw = JSON.parse(fs.readFileSync(path.join(tmp.dir, 'opsdeck.json'), 'utf8'));
      expect(raw.version).toBe(2);
      expect(readWorkspaceConfig(tmp.dir).channels[0]!.decimals).toBe(3);
    } finally {
      tmp.cleanup();
    }
  });

  it('refuses decimals out of range, naming the field', () => {
    const tmp = tempDir();
    try {
      fs.writeFileSync(
        path.join(tmp.dir, 'opsdeck.json'),
        JSON.stringify({ version: 2, channels: [{ name: 'a/b', decimals: 40 }] }),
      );
      expect(() => readWorkspaceConfig(tmp.dir)).toThrow(/channels\.0\.decimals: Too big/);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('precision of plotted values', () => {
  it('gives GPS latitudes moving in the fifth decimal six decimals, a temperature or a pressure two', () => {
    expect(decimalsForRange(48.137154, 48.137354)).toBe(6);
    expect(decimalsForRange(20.1, 22.9)).toBe(2);
    expect(decimalsForRange(1012.2, 1014.9)).toBe(2);
    expect(decimalsForRange(0, 4000)).toBe(0);
    // A constant shows six significant digits.
    expect(decimalsForRange(48.1371, 48.1371)).toBe(4);
    expect(decimalsForRange(0, 0)).toBe(0);
    expect(formatFixed(48.1371544, decimalsForRange(48.137154, 48.137354))).toBe('48.137154');
  });

  it('gives axis ticks the decimals of their step', () => {
    expect(decimalsForStep(0.5)).toBe(1);
    expect(decimalsForStep(0.25)).toBe(1);
    expect(decimalsForStep(1)).toBe(0);
    expect(decimalsForStep(0.0001)).toBe(4);
    expect(decimalsForStep(200)).toBe(0);
    expect(rangeOf(Float64Array.from([3, 1, 2]), Float64Array.from([4, 9, 5]))).toEqual([1, 9]);
  });
});

describe('channel editor words', () => {
  const ok = { displayName: '', unit: '°C', scale: '1', offset: '0', decimals: '' };
  it('says what to enter, in words', () => {
    expect(channelFieldErrors(ok)).toEqual({});
    expect(channelFieldErrors({ ...ok, scale: '' })).toEqual({ scale: 'enter a number, e.g. 1 or 0.01' });
    expect(channelFieldErrors({ ...ok, scale: '0' }).scale).toBe('a scale of 0 would make every value 0');
    expect(channelFieldErrors({ ...ok, offset: 'ten' }).offset).toBe('enter a number, e.g. 0 or -273.15');
  });
});
