// Form fields generated from a schema's Spec (renderer/src/schema-form.ts): text and number inputs,
// checkboxes, selects, secrets, nested groups with an "Advanced" fold, and lists of rows. Each field
// shows its label, help and error from the hints and the path's issue; `overrides` lets a form put
// its own layout at a path (the serial options).
import { useId, type ReactNode } from 'react';
import { secretEnvName } from '../../../shared/schemas';
import { ChoiceRow } from './ChoiceRow';
import {
  getAt,
  isTriState,
  join,
  toForm,
  type FieldHint,
  type FormValue,
  type SecretValue,
  type Spec,
} from '../schema-form';

export interface FieldsProps {
  path: string;
  values: FormValue;
  onChange(path: string, next: FormValue): void;
  errorAt(path: string): string | undefined;
  readOnlyPaths: readonly string[];
  secretName(path: string): string;
  hintFor(path: string): FieldHint;
  /** What to show instead of the generated field at these paths (a kind's own layout of its options). */
  overrides: Readonly<Record<string, ReactNode>>;
}

export function ObjectFields({
  spec,
  path,
  ...rest
}: FieldsProps & { spec: Extract<Spec, { t: 'object' }> }) {
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
      if (isTriState(spec)) return <SelectRow {...props} label={label} hint={hint} />;
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
      return <SelectRow {...props} label={label} hint={hint} />;
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
}: FieldsProps & { spec: Spec; label: string; hint: FieldHint }) {
  const value = getAt(values, path);
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
    <ChoiceRow
      label={label}
      value={typeof value === 'string' ? value : ''}
      options={options}
      onChange={(next) => onChange(path, next)}
      testId={`field-${path}`}
      help={hint.help}
      error={errorAt(path)}
    />
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
    hint: FieldHint;
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
