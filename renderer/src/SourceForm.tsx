// Add or edit a source: the form is generated from the configuration schema of the chosen kind's
// descriptor (shared/sources/), labels and hints included, and checked with it on every keystroke. Passwords and key passphrases are sent
// to the engine with `setSecret` under a name derived from the source id; only that name is saved in
// the workspace.
import { useId, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { z } from 'zod';
import type { RpcClient } from '../../shared/rpc';
import {
  secretEnvName,
  SourceConfig,
  sourceKindOf,
  sourceKinds,
  type SourceKind,
} from '../../shared/schemas';
import { Modal } from './Modal';
import { prepareSerialForm, SerialOptionsFields } from './SerialForm';
import {
  fromForm,
  getAt,
  hintsOf,
  isTriState,
  issuesByPath,
  join,
  setAt,
  specAt,
  specOf,
  toForm,
  type FieldHint,
  type FormValue,
  type SecretValue,
  type Spec,
} from './schema-form';

type Hint = FieldHint;

function variantOf(kind: SourceKind): z.ZodType {
  const descriptor = sourceKindOf(kind);
  if (!descriptor) throw new Error(`no schema for source kind "${kind}"`);
  return descriptor.config;
}

function suggestId(kind: SourceKind, taken: readonly string[]): string {
  const base = sourceKindOf(kind)?.idBase ?? kind;
  if (!taken.includes(base)) return base;
  for (let i = 2; ; i++) if (!taken.includes(`${base}${i}`)) return `${base}${i}`;
}

interface SourceFormProps {
  client: RpcClient | null;
  /** The source to edit, as the workspace holds it; null for a new one. */
  existing: SourceConfig | null;
  takenIds: readonly string[];
  onClose(): void;
  /** After a save or a removal, so the caller can re-read the workspace. */
  onChanged(): void;
}

export function SourceForm(props: SourceFormProps) {
  const { existing, onClose } = props;
  const [newKind, setNewKind] = useState<SourceKind>('mqtt');
  const kind = existing?.kind ?? newKind;
  const generated = useMemo((): Spec | Error => {
    try {
      return specOf(variantOf(kind));
    } catch (error) {
      return error as Error;
    }
  }, [kind]);
  if (generated instanceof Error)
    return (
      <Modal title={`Edit source “${existing?.name ?? kind}”`} onClose={onClose} testId="source-form">
        <p className="form-body">
          Sources of kind “{kind}” cannot be edited here yet ({generated.message}). Edit the workspace file
          instead.
        </p>
      </Modal>
    );
  return <GeneratedSourceForm {...props} kind={kind} spec={generated} onKindChange={setNewKind} />;
}

function GeneratedSourceForm({
  client,
  existing,
  takenIds,
  onClose,
  onChanged,
  kind,
  spec,
  onKindChange,
}: SourceFormProps & { kind: SourceKind; spec: Spec; onKindChange(kind: SourceKind): void }) {
  const initial = (k: SourceKind, s: Spec): FormValue => {
    const v = existing
      ? toForm(s, existing)
      : toForm(s, { kind: k, id: suggestId(k, takenIds), name: '', enabled: true });
    return k === 'serial' ? prepareSerialForm(v, existing?.kind === 'serial' ? existing.options : null) : v;
  };
  const [values, setValues] = useState<FormValue>(() => initial(kind, spec));
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [saving, setSaving] = useState(false);
  const [engineError, setEngineError] = useState<string | null>(null);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const id = typeof getAt(values, 'id') === 'string' ? (getAt(values, 'id') as string) : '';
  const secretName = (path: string) => `${id}.${path.split('.').pop()}`;
  const converted = fromForm(spec, values, secretName);
  const parsed = SourceConfig.safeParse(converted.value);
  const errors = parsed.success ? new Map<string, string>() : issuesByPath(parsed.error);
  if (!existing && takenIds.includes(id) && !errors.has('id'))
    errors.set('id', `a source with id "${id}" exists already`);

  const change = (path: string, next: FormValue) => {
    setValues((v) => setAt(v, path, next));
    setTouched((t) => (t.has(path) ? t : new Set(t).add(path)));
    setEngineError(null);
  };
  const errorAt = (path: string) => {
    if (!submitted && ![...touched].some((t) => t === path || t.startsWith(`${path}.`))) return undefined;
    return errors.get(path);
  };

  const changeKind = (next: SourceKind) => {
    const nextSpec = specOf(variantOf(next));
    const name = getAt(values, 'name');
    let v = initial(next, nextSpec);
    if (typeof name === 'string') v = setAt(v, 'name', name);
    onKindChange(next);
    setValues(v);
    setTouched(new Set());
    setSubmitted(false);
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!client) return;
    if (!parsed.success || errors.size > 0) {
      setSubmitted(true);
      // After React shows the errors: focus the first field that has one.
      window.setTimeout(
        () => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(),
        0,
      );
      return;
    }
    setSaving(true);
    setEngineError(null);
    try {
      for (const secret of converted.secrets) await client.call('setSecret', secret);
      await client.call('upsertSource', { source: parsed.data });
      onChanged();
      onClose();
    } catch (error) {
      setEngineError((error as Error).message);
    } finally {
      setSaving(false);
    }
  };

  const remove = async () => {
    if (!client || !existing) return;
    setSaving(true);
    setEngineError(null);
    try {
      await client.call('removeSource', { id: existing.id });
      onChanged();
      onClose();
    } catch (error) {
      setEngineError((error as Error).message);
    } finally {
      setSaving(false);
    }
  };

  const hintFor = useMemo(() => hintsOf(spec), [spec]);
  const fieldProps = {
    values,
    onChange: change,
    errorAt,
    readOnlyPaths: existing ? ['id'] : [],
    secretName,
    hintFor,
    overrides: {},
  };
  /** A generated field at `path`, for kinds that lay out their options themselves. */
  const fieldAt = (path: string) => {
    const fieldSpec = specAt(spec, path);
    return fieldSpec ? <Field key={path} {...fieldProps} spec={fieldSpec} path={path} /> : null;
  };
  const overrides: Record<string, ReactNode> =
    kind === 'serial'
      ? {
          options: (
            <SerialOptionsFields
              key="options"
              client={client}
              values={values}
              onChange={change}
              errorAt={errorAt}
              field={fieldAt}
            />
          ),
        }
      : {};

  const problems = submitted ? [...errors] : [];
  return (
    <Modal
      title={existing ? `Edit source “${existing.name}”` : 'Add a source'}
      onClose={onClose}
      testId="source-form"
      wide
    >
      <form ref={formRef} className="form" onSubmit={(e) => void save(e)} noValidate>
        <div className="form-body">
          {existing ? (
            <div className="form-row">
              <span className="form-label">Kind</span>
              <span className="form-static">{sourceKindOf(kind)?.label ?? kind}</span>
            </div>
          ) : (
            <label className="form-row">
              <span className="form-label">Kind</span>
              <select
                value={kind}
                onChange={(e) => changeKind(e.target.value as SourceKind)}
                data-testid="source-form-kind"
              >
                {sourceKinds().map((k) => (
                  <option key={k.kind} value={k.kind}>
                    {k.label}
                  </option>
                ))}
              </select>
            </label>
          )}
          {spec.t === 'object' && <ObjectFields spec={spec} path="" {...fieldProps} overrides={overrides} />}
        </div>
        <footer className="form-foot">
          {problems.length > 0 && (
            <p className="form-problems" role="alert">
              Fix {problems.length === 1 ? 'this' : `these ${problems.length}`} first:{' '}
              {problems.map(([p, m]) => `${p || '(form)'}: ${m}`).join('; ')}
            </p>
          )}
          {engineError && (
            <p className="form-problems" role="alert" data-testid="source-form-error">
              The engine refused: {engineError}
            </p>
          )}
          <div className="form-buttons">
            {existing &&
              (confirmRemove ? (
                <span className="confirm" role="group" aria-label="Confirm removal">
                  <span>Remove “{existing.name}” and stop it? Its stored data stays.</span>
                  <button
                    type="button"
                    className="danger"
                    onClick={() => void remove()}
                    disabled={saving}
                    data-testid="source-form-remove-confirm"
                  >
                    Remove
                  </button>
                  <button type="button" onClick={() => setConfirmRemove(false)}>
                    Keep
                  </button>
                </span>
              ) : (
                <button
                  type="button"
                  className="danger-outline"
                  onClick={() => setConfirmRemove(true)}
                  disabled={!client || saving}
                  data-testid="source-form-remove"
                >
                  Remove…
                </button>
              ))}
            <span className="spacer" />
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button
              type="submit"
              className="primary"
              disabled={!client || saving}
              data-testid="source-form-save"
              title={
                existing
                  ? 'The running source takes the new settings at once (reconnecting when needed)'
                  : undefined
              }
            >
              {saving ? 'Saving…' : existing ? 'Save and apply' : 'Add source'}
            </button>
          </div>
        </footer>
      </form>
    </Modal>
  );
}

export interface FieldsProps {
  path: string;
  values: FormValue;
  onChange(path: string, next: FormValue): void;
  errorAt(path: string): string | undefined;
  readOnlyPaths: readonly string[];
  secretName(path: string): string;
  hintFor(path: string): Hint;
  /** What to show instead of the generated field at these paths (a kind's own layout of its options). */
  overrides: Readonly<Record<string, ReactNode>>;
}

function ObjectFields({ spec, path, ...rest }: FieldsProps & { spec: Extract<Spec, { t: 'object' }> }) {
  const { hintFor } = rest;
  const visible = spec.fields.filter(([k]) => !hintFor(join(path, k)).hidden);
  const basic = visible.filter(([k]) => !hintFor(join(path, k)).advanced);
  const advanced = visible.filter(([k]) => hintFor(join(path, k)).advanced);
  const render = ([k, s]: readonly [string, Spec]) => (
    <Field key={k} spec={s} path={join(path, k)} {...rest} />
  );
  const advancedError = advanced.some(([k]) => rest.errorAt(join(path, k)));
  return (
    <>
      {basic.map(render)}
      {advanced.length > 0 && (
        <details className="form-advanced" open={advancedError || undefined}>
          <summary>Advanced</summary>
          {advanced.map(render)}
        </details>
      )}
    </>
  );
}

export function Field(props: FieldsProps & { spec: Spec }) {
  const override = props.overrides[props.path];
  if (override !== undefined) return override;
  return <GeneratedField {...props} />;
}

function GeneratedField(props: FieldsProps & { spec: Spec }) {
  const { spec, path, values, onChange, errorAt, readOnlyPaths, secretName, hintFor } = props;
  const hint = hintFor(path);
  const inputId = useId();
  const errorId = `${inputId}-error`;
  const error = errorAt(path);
  const label = hint.label ?? path.split('.').pop() ?? path;
  const value = getAt(values, path);
  const testId = `field-${path}`;
  const describedBy = error ? errorId : undefined;
  const errorLine = error ? (
    <span className="form-error" id={errorId} role="alert">
      {error}
    </span>
  ) : null;
  const help = hint.help ? <span className="form-help">{hint.help}</span> : null;

  switch (spec.t) {
    case 'object':
      return (
        <fieldset className="form-group" data-testid={testId}>
          <legend>{label}</legend>
          {help}
          {errorLine}
          <ObjectFields {...props} spec={spec} />
        </fieldset>
      );
    case 'array':
      return <ListField {...props} spec={spec} label={label} hint={hint} errorLine={errorLine} />;
    case 'boolean':
      if (isTriState(spec)) return <SelectRow {...props} label={label} hint={hint} help={help} />;
      return (
        <div className={`form-row form-check${hint.danger ? ' form-danger' : ''}`}>
          <span className="form-label" />
          <span className="form-control">
            <label>
              <input
                type="checkbox"
                checked={value === true}
                onChange={(e) => onChange(path, e.target.checked)}
                aria-invalid={error ? true : undefined}
                aria-describedby={describedBy}
                data-testid={testId}
              />
              <span>{label}</span>
            </label>
            {help}
            {errorLine}
          </span>
        </div>
      );
    case 'secret':
      return (
        <SecretField
          path={path}
          label={label}
          value={value as SecretValue}
          onChange={onChange}
          secretName={secretName(path)}
          error={errorLine}
          invalid={Boolean(error)}
          describedBy={describedBy}
        />
      );
    case 'choice':
      return <SelectRow {...props} label={label} hint={hint} help={help} />;
    default: {
      const text = typeof value === 'string' ? value : '';
      const bounds =
        spec.t === 'number' && (spec.min !== null || spec.max !== null)
          ? `${spec.min ?? '…'} – ${spec.max ?? '…'}`
          : undefined;
      const placeholder =
        hint.placeholder ??
        (spec.defaultValue !== undefined && spec.defaultValue !== ''
          ? `default ${String(spec.defaultValue)}`
          : '');
      const control = hint.multiline ? (
        <textarea
          id={inputId}
          rows={Math.min(8, Math.max(3, text.split('\n').length + 1))}
          value={text}
          readOnly={readOnlyPaths.includes(path)}
          placeholder={placeholder}
          spellCheck={false}
          onChange={(e) => onChange(path, e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          data-testid={testId}
        />
      ) : (
        <input
          id={inputId}
          type="text"
          inputMode={spec.t === 'number' ? 'decimal' : undefined}
          className={spec.t === 'number' ? 'narrow' : undefined}
          value={text}
          readOnly={readOnlyPaths.includes(path)}
          placeholder={placeholder}
          title={bounds}
          spellCheck={false}
          autoComplete="off"
          onChange={(e) => onChange(path, e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          data-testid={testId}
        />
      );
      return (
        <div className="form-row">
          <label className="form-label" htmlFor={inputId}>
            {label}
          </label>
          <span className="form-control">
            {control}
            {help}
            {errorLine}
          </span>
        </div>
      );
    }
  }
}

/** A choice (or a boolean that may stay unset) as a labelled select. */
function SelectRow({
  spec,
  path,
  values,
  onChange,
  errorAt,
  label,
  hint,
  help,
}: FieldsProps & { spec: Spec; label: string; hint: Hint; help: ReactNode }) {
  const inputId = useId();
  const value = getAt(values, path);
  const error = errorAt(path);
  const options: { value: string; label: string }[] =
    spec.t === 'choice'
      ? [
          ...(spec.optional ? [{ value: '', label: hint.choiceLabels?.[''] ?? '—' }] : []),
          ...spec.options.map((o) => ({
            value: String(o),
            label: hint.choiceLabels?.[String(o)] ?? String(o),
          })),
        ]
      : [
          { value: '', label: hint.choiceLabels?.[''] ?? 'not set' },
          { value: 'true', label: hint.choiceLabels?.true ?? 'yes' },
          { value: 'false', label: hint.choiceLabels?.false ?? 'no' },
        ];
  return (
    <div className="form-row">
      <label className="form-label" htmlFor={inputId}>
        {label}
      </label>
      <span className="form-control">
        <select
          id={inputId}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => onChange(path, e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${inputId}-error` : undefined}
          data-testid={`field-${path}`}
        >
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
        {help}
        {error && (
          <span className="form-error" id={`${inputId}-error`} role="alert">
            {error}
          </span>
        )}
      </span>
    </div>
  );
}

function SecretField({
  path,
  label,
  value,
  onChange,
  secretName,
  error,
  invalid,
  describedBy,
}: {
  path: string;
  label: string;
  value: SecretValue;
  onChange(path: string, next: FormValue): void;
  secretName: string;
  error: ReactNode;
  invalid: boolean;
  describedBy: string | undefined;
}) {
  const inputId = useId();
  const configured = value.ref !== null && !value.clear;
  return (
    <div className="form-row">
      <label className="form-label" htmlFor={inputId}>
        {label}
      </label>
      <span className="form-control">
        <span className="form-inline">
          <input
            id={inputId}
            type="password"
            autoComplete="new-password"
            value={value.typed}
            placeholder={configured ? `unchanged (secret “${value.ref}”)` : 'none'}
            onChange={(e) => onChange(path, { ...value, typed: e.target.value })}
            aria-invalid={invalid || undefined}
            aria-describedby={describedBy}
            data-testid={`field-${path}`}
          />
          {configured && value.typed === '' && (
            <button type="button" onClick={() => onChange(path, { ...value, clear: true })}>
              Forget
            </button>
          )}
        </span>
        <span className="form-help">
          {value.typed !== ''
            ? `Sent to the engine as secret “${secretName}” for this session only; never written to disk. ` +
              `For later sessions set ${secretEnvName(secretName)} in the engine’s environment.`
            : configured
              ? `From this session or ${secretEnvName(value.ref!)}; type to replace.`
              : 'Kept in the engine’s memory only, never in the workspace file.'}
        </span>
        {error}
      </span>
    </div>
  );
}

function ListField(
  props: FieldsProps & {
    spec: Extract<Spec, { t: 'array' }>;
    label: string;
    hint: Hint;
    errorLine: ReactNode;
  },
) {
  const { spec, path, values, onChange, errorAt, label, hint, errorLine } = props;
  const items = (getAt(values, path) as FormValue[] | undefined) ?? [];
  const item = spec.item;
  const add = () => onChange(path, [...items, toForm(item, hint.newItem)]);
  const removeAt = (i: number) =>
    onChange(
      path,
      items.filter((_, j) => j !== i),
    );
  return (
    <fieldset className="form-group form-list" data-testid={`field-${path}`}>
      <legend>{label}</legend>
      {hint.help && <span className="form-help">{hint.help}</span>}
      {errorLine}
      {items.length === 0 && <p className="empty">{hint.empty ?? 'None.'}</p>}
      {items.map((_, i) => {
        const itemPath = join(path, String(i));
        return (
          <div className="form-list-row" key={i} data-testid={`field-${itemPath}`}>
            {item.t === 'object' ? (
              item.fields.map(([k, s]) => <ListCell key={k} {...props} spec={s} path={join(itemPath, k)} />)
            ) : (
              <ListCell {...props} spec={item} path={itemPath} />
            )}
            <button
              type="button"
              className="icon-button"
              aria-label={`Remove ${label.toLowerCase()} ${i + 1}`}
              onClick={() => removeAt(i)}
            >
              ×
            </button>
            {errorAt(itemPath) && <span className="form-error">{errorAt(itemPath)}</span>}
          </div>
        );
      })}
      <button type="button" onClick={add} data-testid={`add-${path}`}>
        {hint.addLabel ?? '+ Add'}
      </button>
    </fieldset>
  );
}

/** One field of a list row: compact, label only for screen readers and as a placeholder. */
function ListCell({ spec, path, values, onChange, errorAt, hintFor }: FieldsProps & { spec: Spec }) {
  const hint = hintFor(path);
  const label = hint.label ?? path.split('.').pop() ?? path;
  const value = getAt(values, path);
  const error = errorAt(path);
  const errorId = useId();
  const common = {
    'aria-label': label,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error ? errorId : undefined,
    'data-testid': `field-${path}`,
  } as const;
  let control: ReactNode;
  if (spec.t === 'choice')
    control = (
      <select value={String(value ?? '')} onChange={(e) => onChange(path, e.target.value)} {...common}>
        {spec.optional && <option value="">{hint.choiceLabels?.[''] ?? `${label}: —`}</option>}
        {spec.options.map((o) => (
          <option key={String(o)} value={String(o)}>
            {label === 'QoS' ? `QoS ${o}` : (hint.choiceLabels?.[String(o)] ?? String(o))}
          </option>
        ))}
      </select>
    );
  else if (spec.t === 'boolean')
    control = (
      <label>
        <input
          type="checkbox"
          checked={value === true}
          onChange={(e) => onChange(path, e.target.checked)}
          {...common}
        />
        {label}
      </label>
    );
  else
    control = (
      <input
        type="text"
        value={typeof value === 'string' ? value : ''}
        placeholder={hint.placeholder ?? label}
        spellCheck={false}
        autoComplete="off"
        onChange={(e) => onChange(path, e.target.value)}
        {...common}
      />
    );
  return (
    <span className={`form-cell form-cell-${spec.t}`}>
      {control}
      {error && (
        <span className="form-error" id={errorId} role="alert">
          {error}
        </span>
      )}
    </span>
  );
}
