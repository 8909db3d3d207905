// Add or edit a source: the form is generated from the configuration schema of the chosen kind's
// descriptor (shared/sources/), labels and hints included, and checked with it on every keystroke. Passwords and key passphrases are sent
// to the engine with `setSecret` under a name derived from the source id; only that name is saved in
// the workspace.
import { useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { z } from 'zod';
import type { RpcClient } from '../../../../shared/rpc';
import { SourceConfig, sourceKindOf, sourceKinds, type SourceKind } from '../../../../shared/schemas';
import { FormProblems } from '../../widgets/FormProblems';
import { Modal } from '../../widgets/Modal';
import { Field, ObjectFields } from '../../widgets/SchemaFields';
import { prepareSerialForm, SerialOptionsFields } from './SerialForm';
import {
  fromForm,
  getAt,
  hintsOf,
  issuesByPath,
  setAt,
  specAt,
  specOf,
  toForm,
  type FormValue,
  type Spec,
} from '../../schema-form';

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
          <FormProblems
            problems={problems.map(([p, m]) => `${p || '(form)'}: ${m}`)}
            engineError={engineError}
            engineErrorTestId="source-form-error"
          />
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
