// The rule editor's words (renderer/src/panels/alerts/rule-words.ts) and the rules table's state column.
import { describe, expect, it } from 'vitest';
import { plainIssue } from '../../../renderer/src/panels/alerts/rule-words';
import { ruleState } from '../../../renderer/src/panels/alerts/rule-state';
import { AlertRule } from '../../../shared/alerts';

function wordsFor(rule: Record<string, unknown>, labels: Record<string, string>): Record<string, string> {
  const r = AlertRule.safeParse(rule);
  if (r.success) return {};
  // The first issue of a field is the one shown, as in the editor.
  const words: Record<string, string> = {};
  for (const i of r.error.issues) {
    const key = i.path.join('.');
    words[key] ??= plainIssue(i, labels[key] ?? key);
  }
  return words;
}

describe('rule editor words', () => {
  const labels = { id: 'Name', channel: 'Channel', above: 'Fires above', for: 'For' };
  it('says "enter a name" and "enter a number", not the schema’s words', () => {
    const words = wordsFor({ kind: 'threshold', id: '', channel: 'demo/t', above: 'x' }, labels);
    expect(words['id']).toBe('enter a name');
    expect(words['above']).toBe('enter a number');
    expect(Object.values(words).join(' ')).not.toMatch(/Too small|expected/);
  });
  it('keeps the words the schema already writes for people', () => {
    const words = wordsFor(
      { kind: 'threshold', id: 'a', channel: 'demo/t', above: 1, for: '5 fortnights' },
      labels,
    );
    expect(words['for']).toBe('not a duration: "5 fortnights" (use e.g. 500ms, 10s, 5m, 1h, 2d)');
    const band = wordsFor({ kind: 'threshold', id: 'a', channel: 'demo/t', above: 1, below: 5 }, labels);
    expect(band['below']).toBe('a band needs below < above');
    const empty = wordsFor({ kind: 'threshold', id: 'a', channel: '', above: 1 }, labels);
    expect(empty['channel']).toBe('enter a channel');
  });
});

describe('rules table state', () => {
  const rule = AlertRule.parse({ kind: 'threshold', id: 'hot', channel: 'demo/t', above: 1 });
  it('shows the worst instance’s state, with how many are in it', () => {
    expect(ruleState(rule, null).words).toBe('–');
    expect(ruleState(rule, []).words).toBe('no data yet');
    const instances = [
      { rule: 'hot', state: 'normal' as const },
      { rule: 'hot', state: 'firing' as const },
      { rule: 'hot', state: 'firing' as const },
      { rule: 'cold', state: 'pending' as const },
    ];
    expect(ruleState(rule, instances)).toEqual({ key: 'firing', words: 'firing (2)' });
    expect(ruleState({ ...rule, enabled: false }, instances).words).toBe('disabled');
  });
});
