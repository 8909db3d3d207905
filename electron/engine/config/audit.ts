// What a configuration change puts in the audit log: for each changed part of opsdeck.json (layouts
// aside: arranging panels is not a change anyone audits), the items added, removed and changed, with
// their before and after. Values under names that hold secrets are replaced, so an audit segment can
// be handed over in an evidence bundle without them.
import type { WorkspaceSection } from '../../../shared/api';
import type { WorkspaceConfig } from '../../../shared/schemas';
import { changedSections } from './changes';

/** Option names whose values are secrets, or may carry one (a URL with a token, a header). */
const SECRET_NAME =
  /pass(word|phrase)?|secret|token|credential|private|authorization|headers?$|api.?key|^key$/i;

export const REDACTED = '[redacted]';

/** A deep copy with the values of secret-looking names replaced by REDACTED. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k,
      SECRET_NAME.test(k) && v !== null && v !== undefined && v !== '' ? REDACTED : redactSecrets(v),
    ]),
  );
}

/** The key of an item of a list section, so a change names the item rather than its position. */
function itemKey(item: unknown, index: number): string {
  const obj = (item ?? {}) as { id?: unknown; name?: unknown };
  return typeof obj.id === 'string' ? obj.id : typeof obj.name === 'string' ? obj.name : `#${index}`;
}

type Change =
  | { before: unknown; after: unknown }
  | { added: unknown[]; removed: unknown[]; changed: { key: string; before: unknown; after: unknown }[] };

function diffList(before: readonly unknown[], after: readonly unknown[]): Change {
  const was = new Map(before.map((item, i) => [itemKey(item, i), item]));
  const now = new Map(after.map((item, i) => [itemKey(item, i), item]));
  return {
    added: [...now].filter(([k]) => !was.has(k)).map(([, v]) => redactSecrets(v)),
    removed: [...was].filter(([k]) => !now.has(k)).map(([k]) => k),
    changed: [...now]
      .filter(([k, v]) => was.has(k) && JSON.stringify(was.get(k)) !== JSON.stringify(v))
      .map(([key, v]) => ({ key, before: redactSecrets(was.get(key)), after: redactSecrets(v) })),
  };
}

/** The detail of a `config.change` entry, or null when nothing audited changed. */
export function configChangeDetail(
  before: WorkspaceConfig,
  after: WorkspaceConfig,
): { sections: WorkspaceSection[]; changes: Record<string, Change> } | null {
  const sections = changedSections(before, after).filter((s) => s !== 'layouts');
  if (sections.length === 0) return null;
  const changes: Record<string, Change> = {};
  for (const section of sections) {
    const b: unknown = before[section];
    const a: unknown = after[section];
    if (section === 'alerting') {
      const { notifiers: nb, ...restBefore } = before.alerting;
      const { notifiers: na, ...restAfter } = after.alerting;
      if (JSON.stringify(nb) !== JSON.stringify(na)) changes['notifiers'] = diffList(nb ?? [], na ?? []);
      if (JSON.stringify(restBefore) !== JSON.stringify(restAfter))
        changes['alerting'] = { before: redactSecrets(restBefore), after: redactSecrets(restAfter) };
    } else if (Array.isArray(b) && Array.isArray(a)) changes[section] = diffList(b, a);
    else changes[section] = { before: redactSecrets(b), after: redactSecrets(a) };
  }
  return { sections, changes };
}
