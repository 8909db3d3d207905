// A rule's state in the rules table: its worst live instance's, with how many are in it.
import type { AlertInstanceInfo } from '../../../../shared/api';
import type { AlertRule } from '../../../../shared/alerts';

const STATE_ORDER: AlertInstanceInfo['state'][] = [
  'firing',
  'pending',
  'recovering',
  'nodata',
  'error',
  'resolved',
  'normal',
];

export function ruleState(
  rule: AlertRule,
  instances: readonly Pick<AlertInstanceInfo, 'rule' | 'state'>[] | null,
): { key: string; words: string } {
  if (!rule.enabled) return { key: 'disabled', words: 'disabled' };
  const mine = (instances ?? []).filter((i) => i.rule === rule.id);
  if (mine.length === 0) return { key: 'waiting', words: instances === null ? '–' : 'no data yet' };
  const worst = STATE_ORDER.find((s) => mine.some((i) => i.state === s)) ?? 'normal';
  const n = mine.filter((i) => i.state === worst).length;
  return { key: worst, words: n > 1 ? `${worst} (${n})` : worst };
}
