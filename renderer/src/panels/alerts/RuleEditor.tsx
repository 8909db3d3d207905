// Add, edit and remove alert rules. The form is generated from the rule kind's schema
// (shared/alerts.ts) with the source form's fields; durations and label maps, which the generic
// form cannot edit, are text fields converted here. Every keystroke is checked with AlertRule, and
// a valid rule is previewed over the last hour of stored data (previewRules, at most one call per
// 500 ms) so the user sees when it would have fired. Save replaces the workspace's rules (saveRules).
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { z } from 'zod';
import type { AlertInstanceInfo, PreviewRulesResult } from '../../../../shared/api';
import {
  AlertRule,
  AnomalyRule,
  durationText,
  LogRule,
  NoDataRule,
  RateRule,
  ThresholdRule,
  type AlertRuleInput,
} from '../../../../shared/alerts';
import type { RpcClient } from '../../../../shared/rpc';
import { formatDuration, formatValue } from '../../format';
import { Timestamp } from '../../time-zone';
import { FormProblems } from '../../widgets/FormProblems';
import { Modal } from '../../widgets/Modal';
import { ChannelBrowser } from '../../channel-browser/ChannelBrowser';
import { ChoiceRow } from '../../widgets/ChoiceRow';
import { RowTools } from '../../widgets/RowTools';
import { Field } from '../../widgets/SchemaFields';
import { plainIssue } from './rule-words';
import { ruleState } from './rule-state';
import './rules.css';
import {
  fromForm,
  getAt,
  setAt,
  specOf,
  toForm,
  type FieldHint,
  type FormValue,
  type Spec,
} from '../../schema-form';
import { WouldHaveFired } from './WouldHaveFired';

type Kind = AlertRule['kind'];

const KINDS: { kind: Kind; label: string; schema: z.ZodObject }[] = [
  { kind: 'threshold', label: 'Threshold (value above / below)', schema: ThresholdRule },
  { kind: 'rate', label: 'Rate of change', schema: RateRule },
  { kind: 'nodata', label: 'No data (channel silent)', schema: NoDataRule },
  { kind: 'log', label: 'Log pattern (records matching)', schema: LogRule },
  { kind: 'anomaly', label: 'Anomaly (z-score / EWMA)', schema: AnomalyRule },
];

/** Debounce of the preview: at most one previewRules call per this many ms. */
export const PREVIEW_DEBOUNCE_MS = 500;
const PREVIEW_SHOWN = 200;

// ---- the fields the generic form cannot edit ---------------------------------------------------

type Special = 'duration' | 'map';

function unwrap(s: z.ZodType): z.ZodType {
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else return s;
  }
}

function specialOf(s: z.ZodType): Special | null {
  const base = unwrap(s);
  if (base instanceof z.ZodPipe) return 'duration';
  if (base instanceof z.ZodRecord) return 'map';
  return null;
}

function mapText(value: unknown): string {
  if (!value || typeof value !== 'object') return '';
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('\n');
}

/** "site=lab1" per line (or comma-separated) → { site: "lab1" }; a line without "=" stays a key. */
function parseMap(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(/\n|,(?=[^=,]*=)/)) {
    const line = part.trim();
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq < 0) out[line] = '';
    else out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

interface KindForm {
  spec: Extract<Spec, { t: 'object' }>;
  special: Map<string, Special>;
}

/** The form of one kind: its schema's fields (without `kind`), specials edited as text. */
function formOf(schema: z.ZodObject): KindForm {
  const special = new Map<string, Special>();
  const fields: [string, Spec][] = [];
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    if (key === 'kind') continue;
    const s = specialOf(field);
    if (s) {
      special.set(key, s);
      fields.push([key, { t: 'string', optional: true, defaultValue: undefined, maxLength: null }]);
    } else fields.push([key, specOf(field)]);
  }
  return { spec: { t: 'object', optional: false, defaultValue: undefined, fields }, special };
}

const FORMS = new Map(KINDS.map((k) => [k.kind, formOf(k.schema)]));

function formFor(kind: Kind): KindForm {
  return FORMS.get(kind)!;
}

function toRuleForm(kind: Kind, rule: Record<string, unknown>): FormValue {
  const { spec, special } = formFor(kind);
  const plain: Record<string, unknown> = { ...rule };
  for (const [key, s] of special) {
    const v = rule[key];
    if (s === 'duration') plain[key] = typeof v === 'number' ? durationText(v) : (v ?? '');
    else plain[key] = mapText(v);
  }
  return toForm(spec, plain);
}

function fromRuleForm(kind: Kind, values: FormValue): Record<string, unknown> {
  const { spec, special } = formFor(kind);
  const value = fromForm(spec, values, () => '').value as Record<string, unknown>;
  for (const [key, s] of special) {
    const v = value[key];
    if (typeof v !== 'string' || v.trim() === '') delete value[key];
    else if (s === 'duration') value[key] = /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v.trim();
    else value[key] = parseMap(v);
  }
  return { kind, ...value };
}

const HINTS: Record<string, FieldHint> = {
  id: { label: 'Name', help: 'letters, digits, "_" or "-"; names the alert (its alertname)' },
  channel: { label: 'Channel', placeholder: 'demo/temperature' },
  above: { label: 'Fires above' },
  below: { label: 'Fires below' },
  clearBelow: { label: 'Clears below', help: 'recovery threshold (default: the "above" value)' },
  clearAbove: { label: 'Clears above', help: 'recovery threshold (default: the "below" value)' },
  for: { label: 'For', help: 'pending this long before firing, e.g. 10s, 5m' },
  keepFiringFor: { label: 'Keep firing for', help: 'stays firing (recovering) this long', advanced: true },
  lateness: { label: 'Lateness', help: 'older samples are stored, not evaluated', advanced: true },
  noDataAfter: { label: 'No data after', help: 'silence longer than this is "no data"; empty: never' },
  after: { label: 'Silent for', help: 'fires when the channel is silent this long, e.g. 30s' },
  window: { label: 'Window', help: 'duration (rate, log) or number of samples (anomaly)' },
  noDataState: {
    label: 'On no data',
    help: 'Grafana: its own state, alerting, normal, or keep the last state',
    advanced: true,
  },
  errorState: { label: 'On error', help: 'Grafana: same choices as no data', advanced: true },
  severity: { label: 'Severity' },
  enabled: { label: 'Enabled' },
  labels: {
    label: 'Labels',
    help: 'one name=value per line; they identify the alert instance',
    placeholder: 'site=lab1\nline=2',
    multiline: true,
  },
  annotations: {
    label: 'Annotations',
    help: 'one name=value per line, e.g. summary={{channel}} at {{value}}',
    advanced: true,
    multiline: true,
  },
  notify: { label: 'Notify', help: 'notifier ids', advanced: true, addLabel: 'Add notifier', newItem: '' },
  pattern: { label: 'Pattern', help: 'JavaScript regular expression' },
  flags: { label: 'Flags', help: 'any of i, m, s, u', advanced: true },
  field: { label: 'Field', help: 'match this record field instead of the message', advanced: true },
  source: { label: 'Source id', help: 'empty: any source' },
  minSeverity: { label: 'Minimum severity' },
  count: { label: 'Matches', help: 'fires at this many matches within the window' },
  groupBy: { label: 'Group by', help: 'a record field: one alert per value', advanced: true },
  method: { label: 'Method' },
  alpha: { label: 'EWMA alpha', advanced: true },
  z: { label: 'Fires beyond z' },
  clearZ: { label: 'Clears within z', help: 'recovery threshold (default: z)' },
  warmup: { label: 'Warm-up samples', advanced: true },
};

function hintFor(path: string): FieldHint {
  return HINTS[path.split('.')[0]!] ?? {};
}

// ---- preview -----------------------------------------------------------------------------------

interface PreviewState {
  busy: boolean;
  result: PreviewRulesResult | null;
  error: string | null;
}

/** previewRules for `rule` (null: nothing to preview), debounced; stale answers are dropped. */
function usePreview(client: RpcClient | null, rule: AlertRuleInput | null): PreviewState {
  const [state, setState] = useState<PreviewState>({ busy: false, result: null, error: null });
  const seq = useRef(0);
  const key = rule ? JSON.stringify(rule) : null;
  useEffect(() => {
    const mine = ++seq.current;
    if (!client || key === null) {
      setState((s) => ({ ...s, busy: false }));
      return;
    }
    setState((s) => ({ ...s, busy: true }));
    const timer = setTimeout(() => {
      client
        .call('previewRules', { rules: [JSON.parse(key) as AlertRuleInput] })
        .then((result) => {
          if (mine === seq.current) setState({ busy: false, result, error: null });
        })
        .catch((error: Error) => {
          if (mine === seq.current) setState({ busy: false, result: null, error: error.message });
        });
    }, PREVIEW_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [client, key]);
  return state;
}

function RulePreview({ preview, valid }: { preview: PreviewState; valid: boolean }) {
  const { result } = preview;
  const now = Date.now();
  return (
    <section className="rule-preview" aria-labelledby="rule-preview-title" data-testid="rule-preview">
      <h3 id="rule-preview-title">
        Preview over the last hour {preview.busy && <span className="dim">(evaluating…)</span>}
      </h3>
      {!valid && <p className="dim">Fix the rule to see when it would have fired.</p>}
      {preview.error && (
        <p className="form-problems" role="alert">
          Preview failed: {preview.error}
        </p>
      )}
      {valid && result && (
        <>
          <p data-testid="rule-preview-count">
            Would have fired <strong>{result.firings}</strong> {result.firings === 1 ? 'time' : 'times'} (
            {result.total} {result.total === 1 ? 'transition' : 'transitions'} over {result.samples} samples
            {result.records > 0 ? ` and ${result.records} records` : ''}).
          </p>
          {result.unknownChannels.length > 0 && (
            <p className="alerts-problem">No stored data for channel {result.unknownChannels.join(', ')}.</p>
          )}
          {result.transitions.length > 0 && (
            <ol className="rule-preview-list">
              {result.transitions.slice(0, PREVIEW_SHOWN).map((t, i) => (
                <li key={i} className="alert-transition" data-state={t.state}>
                  <Timestamp ms={t.ts} now={now} />
                  <span className="alert-change">
                    <span className={`alert-state state-${t.from}`}>{t.from}</span>
                    <span aria-label="to"> → </span>
                    <span className={`alert-state state-${t.state}`}>{t.state}</span>
                  </span>
                  <span className="alert-value">{t.value === null ? '—' : formatValue(t.value)}</span>
                  {Object.keys(t.labels).length > 0 && (
                    <span className="dim">
                      {Object.entries(t.labels)
                        .map(([k, v]) => `${k}=${v}`)
                        .join(', ')}
                    </span>
                  )}
                </li>
              ))}
            </ol>
          )}
          {(result.truncated || result.transitions.length > PREVIEW_SHOWN) && (
            <p className="dim">Showing the first {PREVIEW_SHOWN}.</p>
          )}
        </>
      )}
    </section>
  );
}

// ---- the editor --------------------------------------------------------------------------------

export interface RuleEditorProps {
  client: RpcClient | null;
  /** The workspace's notifier ids, for the notify list. */
  notifiers: readonly string[];
  /** Every rule of the workspace, as configured. */
  rules: readonly AlertRule[];
  /** Index of the rule edited; null to add one. */
  index: number | null;
  onClose(): void;
  onSaved(): void;
}

export function RuleEditor({ client, notifiers, rules, index, onClose, onSaved }: RuleEditorProps) {
  const existing = index === null ? undefined : rules[index];
  const [kind, setKind] = useState<Kind>(existing?.kind ?? 'threshold');
  const [values, setValues] = useState<FormValue>(() =>
    toRuleForm(
      existing?.kind ?? 'threshold',
      existing ? (existing as Record<string, unknown>) : { id: suggestId(rules) },
    ),
  );
  const [saving, setSaving] = useState(false);
  const [engineError, setEngineError] = useState<string | null>(null);

  const candidate = useMemo(() => fromRuleForm(kind, values), [kind, values]);
  const check = useMemo(() => {
    const parsed = AlertRule.safeParse(candidate);
    const errors = new Map<string, string>();
    if (!parsed.success)
      for (const issue of parsed.error.issues) {
        const key = issue.path.map(String).join('.');
        const label = hintFor(key).label ?? key.split('.').pop() ?? 'value';
        if (!errors.has(key)) errors.set(key, plainIssue(issue, label));
      }
    const others = rules.filter((_, i) => i !== index);
    if (others.some((r) => r.id === candidate['id'])) errors.set('id', 'another rule has this name');
    return { errors, valid: errors.size === 0 };
  }, [candidate, rules, index]);
  // An error shows once its field has been touched (or a save was tried), not while the form is new.
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const shown = useCallback(
    (path: string) => submitted || touched.has(path.split('.')[0]!),
    [submitted, touched],
  );
  const errorAt = useCallback(
    (path: string) => {
      if (!shown(path)) return undefined;
      const direct = check.errors.get(path);
      if (direct) return direct;
      // A map's issues are keyed below it ("labels.bad-name"): show them on the map's field.
      for (const [p, m] of check.errors)
        if (p.startsWith(`${path}.`)) return `${p.slice(path.length + 1)}: ${m}`;
      return undefined;
    },
    [check.errors, shown],
  );
  const preview = usePreview(client, check.valid ? (candidate as AlertRuleInput) : null);

  const change = useCallback((path: string, next: FormValue) => {
    setEngineError(null);
    setTouched((t) => (t.has(path.split('.')[0]!) ? t : new Set(t).add(path.split('.')[0]!)));
    setValues((v) => setAt(v, path, next));
  }, []);
  const changeKind = (next: Kind) => {
    // Keep what the kinds share (id, channel, severity, labels…); the rest starts at its defaults.
    const shared = fromRuleForm(kind, values);
    setKind(next);
    setValues(toRuleForm(next, { ...shared, kind: next }));
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (!client || !check.valid) return;
    const next: AlertRuleInput[] = rules.map((r) => r as AlertRuleInput);
    if (index === null) next.push(candidate as AlertRuleInput);
    else next[index] = candidate as AlertRuleInput;
    setSaving(true);
    try {
      await client.call('saveRules', { rules: next });
      onSaved();
      onClose();
    } catch (error) {
      setEngineError((error as Error).message);
    } finally {
      setSaving(false);
    }
  };

  const { spec } = formFor(kind);
  const channelValue = getAt(values, 'channel');
  const notifyValue = getAt(values, 'notify');
  const notifyIds = Array.isArray(notifyValue) ? notifyValue.map(String) : [];
  const fieldProps = {
    values,
    onChange: change,
    errorAt,
    readOnlyPaths: [],
    secretName: () => '',
    hintFor,
    overrides: {
      // The channel is chosen in the channel browser (or typed).
      channel: (
        <ChannelField
          client={client}
          value={typeof channelValue === 'string' ? channelValue : ''}
          error={errorAt('channel')}
          onChange={(name) => change('channel', name)}
        />
      ),
      // Chosen from the workspace's notifiers, never typed.
      notify: (
        <NotifyField notifiers={notifiers} chosen={notifyIds} onChange={(ids) => change('notify', ids)} />
      ),
    },
  };
  const problems = [...check.errors].filter(([p]) => shown(p));
  return (
    <Modal
      title={existing ? `Edit rule “${existing.id}”` : 'Add an alert rule'}
      onClose={onClose}
      testId="rule-editor"
      wide
    >
      <form className="form" onSubmit={(e) => void save(e)} noValidate>
        <div className="form-body">
          <p className="form-help rule-semantics" data-testid="rule-semantics">
            Semantics follow Grafana alerting: an instance is pending until the condition has held “for”, then
            firing; it clears at the recovery threshold (clear below / above, clear z), so a value hovering at
            the threshold does not flap; no data and evaluation errors put it in the NoData and Error states
            unless “On no data” / “On error” say alerting, normal or keep last.
          </p>
          <ChoiceRow
            label="Kind"
            value={kind}
            options={KINDS.map((k) => ({ value: k.kind, label: k.label }))}
            onChange={(v) => changeKind(v as Kind)}
            testId="rule-editor-kind"
          />
          {spec.fields.map(([key, s]) => (
            <Field key={key} spec={s} path={key} {...fieldProps} />
          ))}
          <RulePreview preview={preview} valid={check.valid} />
          <WouldHaveFired client={client} rule={check.valid ? (candidate as AlertRuleInput) : null} />
        </div>
        <footer className="form-foot">
          <FormProblems
            problems={problems.map(([p, m]) => `${hintFor(p).label ?? (p || 'the rule')}: ${m}`)}
            engineError={engineError}
            testId="rule-editor-problems"
            engineErrorTestId="rule-editor-error"
          />
          <div className="form-buttons">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button
              type="submit"
              disabled={!client || saving}
              data-testid="rule-editor-save"
              title={client ? undefined : 'read-only or disconnected'}
            >
              {saving ? 'Saving…' : existing ? 'Save rule' : 'Add rule'}
            </button>
          </div>
        </footer>
      </form>
    </Modal>
  );
}

/** Where the rule's alerts go: the workspace's notifiers, each a checkbox. */
function NotifyField({
  notifiers,
  chosen,
  onChange,
}: {
  notifiers: readonly string[];
  chosen: readonly string[];
  onChange(ids: string[]): void;
}) {
  // A notifier the rule names that no longer exists stays listed, so it can be unticked.
  const all = [...new Set([...notifiers, ...chosen])];
  return (
    <fieldset className="form-row rule-notify" data-testid="field-notify">
      <legend className="form-label">Notify</legend>
      <span className="form-control">
        {all.length === 0 && (
          <span className="form-help">No notifiers yet: add one under Notifiers in the alerts panel.</span>
        )}
        {all.map((id) => (
          <label key={id} className={notifiers.includes(id) ? undefined : 'unknown'}>
            <input
              type="checkbox"
              checked={chosen.includes(id)}
              onChange={(e) => onChange(e.target.checked ? [...chosen, id] : chosen.filter((x) => x !== id))}
              data-testid={`notify-${id}`}
            />{' '}
            {id}
            {!notifiers.includes(id) && ' (not configured)'}
          </label>
        ))}
      </span>
    </fieldset>
  );
}

/** The rule's channel: typed, or found in the channel browser under the field. */
function ChannelField({
  client,
  value,
  error,
  onChange,
}: {
  client: RpcClient | null;
  value: string;
  error: string | undefined;
  onChange(name: string): void;
}) {
  const [browsing, setBrowsing] = useState(false);
  return (
    <div className="form-row">
      <label className="form-label" htmlFor="rule-channel">
        Channel
      </label>
      <span className="form-control">
        <span className="form-inline">
          <input
            id="rule-channel"
            type="text"
            value={value}
            placeholder="demo/temperature"
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => onChange(e.target.value)}
            aria-invalid={error ? true : undefined}
            data-testid="field-channel"
          />
          <button
            type="button"
            onClick={() => setBrowsing((b) => !b)}
            aria-expanded={browsing}
            data-testid="rule-channel-browse"
          >
            {browsing ? 'Close' : 'Browse…'}
          </button>
        </span>
        {browsing && (
          <ChannelBrowser
            client={client}
            mode="choose"
            isSelected={(name) => name === value}
            onPick={(c) => {
              onChange(c.name);
              setBrowsing(false);
            }}
            testId="rule-channels"
            autoFocus
          />
        )}
        {error && (
          <span className="form-error" role="alert">
            {error}
          </span>
        )}
      </span>
    </div>
  );
}

function suggestId(rules: readonly AlertRule[]): string {
  for (let n = 1; ; n++) if (!rules.some((r) => r.id === `rule-${n}`)) return `rule-${n}`;
}

// ---- the list in the alerts panel --------------------------------------------------------------

function ruleSummary(r: AlertRule): string {
  switch (r.kind) {
    case 'threshold':
    case 'rate': {
      const cond = [r.above !== undefined ? `> ${r.above}` : '', r.below !== undefined ? `< ${r.below}` : '']
        .filter(Boolean)
        .join(' or ');
      return `${r.channel}${r.kind === 'rate' ? ' rate' : ''} ${cond}${r.for ? ` for ${formatDuration(r.for)}` : ''}`;
    }
    case 'nodata':
      return `${r.channel} silent for ${formatDuration(r.after)}`;
    case 'log':
      return `/${r.pattern}/ ×${r.count} in ${formatDuration(r.window)}`;
    case 'anomaly':
      return `${r.channel} ${r.method} beyond ${r.z}σ`;
  }
}

export function RuleList({
  client,
  rules,
  notifiers,
  instances,
  onChanged,
}: {
  client: RpcClient | null;
  notifiers: readonly string[];
  rules: readonly AlertRule[];
  /** Live alert instances, for each rule's state; null before they are read. */
  instances: readonly AlertInstanceInfo[] | null;
  onChanged(): void;
}) {
  const [editing, setEditing] = useState<{ index: number | null } | null>(null);
  const [confirm, setConfirm] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const remove = async (index: number) => {
    if (!client) return;
    setError(null);
    try {
      await client.call('saveRules', {
        rules: rules.filter((_, i) => i !== index).map((r) => r as AlertRuleInput),
      });
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setConfirm(null);
    }
  };
  return (
    <section className="alert-rules" aria-labelledby="alert-rules-title" data-testid="alert-rules">
      <h3 id="alert-rules-title">
        Rules
        <button
          type="button"
          onClick={() => setEditing({ index: null })}
          disabled={!client}
          data-testid="rule-add"
        >
          Add rule
        </button>
      </h3>
      {error && (
        <p className="alerts-problem" role="alert">
          {error}
        </p>
      )}
      {rules.length === 0 ? (
        <p className="empty">No rules yet.</p>
      ) : (
        <table className="rule-table" data-testid="rule-table">
          <thead>
            <tr>
              <th scope="col">Name and condition</th>
              <th scope="col">Severity</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rules.map((r, i) => {
              const summary = `${ruleSummary(r)}${r.enabled ? '' : ' (disabled)'}`;
              const state = ruleState(r, instances);
              return (
                <tr key={r.id} className="alert-rule-row" data-rule={r.id}>
                  <th scope="row" title={`${r.id}: ${summary}`}>
                    <span className="alert-rule">{r.id}</span>
                    <span className="rule-condition" data-testid={`rule-condition-${r.id}`}>
                      {summary}
                    </span>
                  </th>
                  <td>
                    <span className={`alert-severity severity-${r.severity}`}>{r.severity}</span>
                  </td>
                  <td data-testid={`rule-state-${r.id}`} data-value={state.key}>
                    <span className={`alert-state state-${state.key}`}>{state.words}</span>
                  </td>
                  <td className="alert-rule-tools">
                    <RowTools
                      name={r.id}
                      disabled={!client}
                      confirming={confirm === i}
                      editTestId={`rule-edit-${r.id}`}
                      onEdit={() => setEditing({ index: i })}
                      onAskRemove={() => setConfirm(i)}
                      onRemove={() => void remove(i)}
                      onKeep={() => setConfirm(null)}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {editing && (
        <RuleEditor
          client={client}
          notifiers={notifiers}
          rules={rules}
          index={editing.index}
          onClose={() => setEditing(null)}
          onSaved={onChanged}
        />
      )}
    </section>
  );
}
