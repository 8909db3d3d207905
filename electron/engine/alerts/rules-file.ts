// Reading a rules file for `opsdeck rules test`, and printing transitions.
import fs from 'node:fs';
import { AlertRules, type AlertRule, type AlertTransition } from '../../../shared/alerts';
import { describeZodError } from '../../../shared/schemas';

/** A JSON file holding an array of rules, or an object with `rules` (a workspace file works). */
export function readRulesFile(file: string): AlertRule[] {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
  }
  const wrapped = !Array.isArray(raw) && typeof raw === 'object' && raw !== null && 'rules' in raw;
  const parsed = AlertRules.safeParse(wrapped ? (raw as { rules: unknown }).rules : raw);
  if (!parsed.success) {
    const prefix = wrapped ? 'rules.' : '';
    throw new Error(
      `${file}: ${parsed.error.issues.length ? describeZodError(parsed.error).replace(/(^|; )/g, `$1${prefix}`) : ''}`,
    );
  }
  return parsed.data;
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '-';
}

/** One line per transition: time, rule, labels, from → to, value. */
export function formatTransitions(
  transitions: readonly (Pick<AlertTransition, 'ts' | 'rule' | 'labels' | 'from' | 'state'> & {
    value: number | null;
  })[],
): string {
  return transitions
    .map((t) => {
      const labels = Object.entries(t.labels)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',');
      const value =
        t.value !== null && Number.isFinite(t.value)
          ? String(Math.round(t.value * 1e6) / 1e6)
          : String(t.value);
      return `${iso(t.ts)}  ${t.rule}{${labels}}  ${t.from} -> ${t.state}  value=${value}`;
    })
    .join('\n');
}
