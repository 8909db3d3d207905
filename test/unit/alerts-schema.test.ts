// Rules in the workspace file: durations, defaults, and errors that name the field.
import { describe, expect, it } from 'vitest';
import { AlertRule, parseDuration } from '../../shared/alerts';
import { describeZodError, WorkspaceConfig } from '../../shared/schemas';
import { defaultWorkspace } from '../../electron/engine/workspace';

function errorOf(value: unknown): string {
  const r = WorkspaceConfig.safeParse({ version: 1, rules: [value] });
  if (r.success) throw new Error('expected a failure');
  return describeZodError(r.error);
}

describe('alert rule schemas', () => {
  it('parses durations as milliseconds or text', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('5 minutes')).toBeNull();
    expect(parseDuration('')).toBeNull();
    const r = AlertRule.parse({
      id: 'a',
      kind: 'threshold',
      channel: 'x/y',
      above: 1,
      for: '10s',
      keepFiringFor: 500,
    });
    expect(r).toMatchObject({ for: 10_000, keepFiringFor: 500, lateness: 5_000, severity: 'warning' });
    expect(r).toMatchObject({ noDataState: 'nodata', errorState: 'error', enabled: true, labels: {} });
  });

  it('keeps older workspaces valid: no rules, default alerting settings', () => {
    const ws = WorkspaceConfig.parse({ version: 1 });
    expect(ws.rules).toEqual([]);
    expect(ws.alerting).toEqual({ enabled: true, tickMs: 1000 });
  });

  it('names the wrong field', () => {
    expect(errorOf({ id: 'a', kind: 'threshold', channel: 'x/y', above: 1, for: '5 minutes' })).toMatch(
      /^rules\.0\.for: not a duration: "5 minutes"/,
    );
    expect(errorOf({ id: 'a', kind: 'threshold', channel: 'x/y' })).toMatch(
      /^rules\.0\.above: set above, below/,
    );
    expect(errorOf({ id: 'a', kind: 'threshold', channel: 'x/y', above: 25, clearBelow: 26 })).toMatch(
      /^rules\.0\.clearBelow:/,
    );
    expect(errorOf({ id: 'a', kind: 'threshold', channel: 'x/y', above: 5, below: 10 })).toMatch(
      /^rules\.0\.below: a band/,
    );
    expect(errorOf({ id: 'a', kind: 'log', pattern: '(' })).toMatch(
      /^rules\.0\.pattern: not a valid regular expression/,
    );
    expect(errorOf({ id: 'a', kind: 'nodata', channel: 'x/y', after: 0 })).toMatch(
      /^rules\.0\.after: must be more than 0/,
    );
    expect(errorOf({ id: 'a', kind: 'sms', channel: 'x/y' })).toMatch(/^rules\.0\.kind:/);
    expect(errorOf({ id: 'a', kind: 'threshold', channel: 'x/y', above: 1, colour: 'red' })).toMatch(
      /^rules\.0: .*colour/,
    );
    const dup = WorkspaceConfig.safeParse({
      version: 1,
      rules: [
        { id: 'a', kind: 'nodata', channel: 'x/y', after: '1s' },
        { id: 'a', kind: 'nodata', channel: 'x/z', after: '1s' },
      ],
    });
    expect(dup.success ? '' : describeZodError(dup.error)).toBe('rules.1.id: duplicate rule id "a"');
  });

  it('the demo workspace carries the demo rule', () => {
    const ws = defaultWorkspace();
    expect(ws.rules).toContainEqual(
      expect.objectContaining({
        kind: 'threshold',
        channel: 'demo/temperature',
        above: 25,
        clearBelow: 24.5,
        for: 10_000,
      }),
    );
  });
});
