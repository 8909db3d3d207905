// Add or edit a source: the form is generated from the SourceConfig variant of the chosen kind
// (shared/schemas.ts) and checked with it on every keystroke. Passwords and key passphrases are sent
// to the engine with `setSecret` under a name derived from the source id; only that name is saved in
// the workspace.
import { useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { z } from 'zod';
import type { RpcClient } from '../../../../shared/rpc';
import { SourceConfig, type SourceKind } from '../../../../shared/schemas';
import { FormProblems } from '../../widgets/FormProblems';
import { Modal } from '../../widgets/Modal';
import { Field, ObjectFields } from '../../widgets/SchemaFields';
import { prepareSerialForm, SERIAL_HINTS, SerialOptionsFields } from './SerialForm';
import {
  fromForm,
  getAt,
  issuesByPath,
  setAt,
  specAt,
  specOf,
  toForm,
  type FieldHint,
  type FormValue,
  type Spec,
} from '../../schema-form';

type Hint = FieldHint;

/** Kinds this form offers for new sources; others (added to the schema later) can still be edited. */
const KIND_LABELS: Partial<Record<SourceKind, string>> = {
  mqtt: 'MQTT client (connect to a broker)',
  'mqtt-broker': 'Built-in MQTT broker (devices connect here)',
  serial: 'Serial / USB device (Arduino, GPS, instruments)',
  sim: 'Simulated rig (demo data)',
};

const NEW_KINDS = Object.keys(KIND_LABELS) as SourceKind[];

const DECODER_LABELS = {
  auto: 'auto (detect)',
  number: 'number',
  json: 'JSON',
  csv: 'CSV',
  kv: 'key=value',
  text: 'text',
  sparkplug: 'Sparkplug B',
  raw: 'raw (keep bytes only)',
};

/** What the schemas cannot say, by path without list indices ("options.subscriptions.filter"). */
const HINTS: Record<string, Hint> = {
  kind: { hidden: true },
  id: { label: 'Id', help: 'Used in channel names (<id>/<topic>/<field>); cannot be changed later.' },
  name: { label: 'Name' },
  enabled: { label: 'Enabled' },
  options: { label: 'Options' },
  'options.url': {
    label: 'Broker URL',
    placeholder: 'mqtt://broker.local:1883',
    help: 'mqtt://, mqtts:// (TLS), ws:// or wss://',
  },
  'options.protocolVersion': { label: 'MQTT version', choiceLabels: { '4': '3.1.1', '5': '5.0' } },
  'options.clientId': { label: 'Client id', placeholder: 'random for each connection' },
  'options.clean': {
    label: 'Clean session',
    help: 'Off keeps the session and queued QoS 1/2 messages on the broker while away (needs a client id).',
  },
  'options.sessionExpirySeconds': {
    label: 'Session expiry (s)',
    help: 'MQTT 5, persistent session only.',
    advanced: true,
  },
  'options.keepaliveSeconds': { label: 'Keepalive (s)' },
  'options.username': { label: 'Username' },
  'options.password': { label: 'Password' },
  'options.tls': {
    label: 'TLS',
    help: 'Needs an mqtts:// or wss:// address. Files are paths on the engine’s machine.',
  },
  'options.tls.caFile': { label: 'CA certificate file (PEM)', placeholder: '/etc/opsdeck/site-ca.pem' },
  'options.tls.certFile': { label: 'Client certificate file (PEM)', placeholder: 'for mutual TLS' },
  'options.tls.keyFile': { label: 'Client key file (PEM)', placeholder: 'for mutual TLS' },
  'options.tls.keyPassphrase': { label: 'Key passphrase' },
  'options.tls.insecureSkipVerify': {
    label: 'Skip certificate verification (lab brokers only — anyone can impersonate the broker)',
    danger: true,
  },
  'options.tls.servername': {
    label: 'Server name to verify',
    placeholder: 'when it differs from the URL’s host',
    advanced: true,
  },
  'options.subscriptions': {
    label: 'Subscriptions',
    newItem: { filter: '', qos: 0 },
    addLabel: '+ Subscription',
    empty: 'No subscriptions: nothing will arrive.',
  },
  'options.subscriptions.filter': { label: 'Topic filter', placeholder: 'site/+/temperature or #' },
  'options.subscriptions.qos': { label: 'QoS' },
  'options.decoders': {
    label: 'Decoder overrides',
    help: 'First match wins; other topics are detected from their first messages.',
    newItem: { filter: '', decoder: 'json' },
    addLabel: '+ Decoder override',
    empty: 'None: every topic is detected automatically.',
  },
  'options.decoders.filter': { label: 'Topic filter', placeholder: 'plc/#' },
  'options.decoders.decoder': { label: 'Decoder', choiceLabels: DECODER_LABELS },
  'options.decoders.timeZone': {
    label: 'Time zone',
    placeholder: 'the source’s (below)',
    help: 'For these topics’ device times written without a zone.',
  },
  'options.timeZone': {
    label: 'Device time zone',
    placeholder: 'UTC',
    help: 'Device times written without a zone ("2026-11-29T18:10:43", as Tasmota does) are read in this zone: UTC unless set. An IANA name such as Europe/Berlin follows daylight saving.',
  },
  'options.futureToleranceSeconds': {
    label: 'Future tolerance (s)',
    help: 'A device time further ahead of receive time is not believed: the data is stored at receive time and the device’s time kept in the record.',
    advanced: true,
  },
  'options.timestampField': {
    label: 'Timestamp field',
    placeholder: 'besides ts, timestamp, time, Time',
    advanced: true,
  },
  'options.maxPayloadBytes': {
    label: 'Max payload (bytes)',
    help: 'Larger payloads go to quarantine.',
    advanced: true,
  },
  'options.record': {
    label: 'Record every message exactly',
    help: 'Keeps topic, payload bytes, QoS, retain and properties for exact replay. Uses more disk.',
  },
  'options.sparkplug': {
    label: 'Sparkplug B host',
    help: 'How OpsDeck acts as a Sparkplug host application. Off: it only listens.',
  },
  'options.sparkplug.allowPublish': {
    label:
      'Publish to the plant’s broker: Rebirth requests (NCMD) after a seq gap or an unknown alias, and STATE',
    help: 'Writes to production: leave off unless this console may command edge nodes.',
    danger: true,
  },
  'options.sparkplug.hostId': {
    label: 'Primary host id',
    placeholder: 'publishes spBv1.0/STATE/<id>',
    advanced: true,
  },
  'options.sparkplug.rebirthIntervalSeconds': {
    label: 'Ask again for a rebirth after (s)',
    advanced: true,
  },
  'options.reconnectMinMs': { label: 'Reconnect backoff min (ms)', advanced: true },
  'options.reconnectMaxMs': { label: 'Reconnect backoff max (ms)', advanced: true },
  'options.host': {
    label: 'Listen on (host)',
    help: '127.0.0.1 accepts only this machine; 0.0.0.0 every interface.',
  },
  'options.port': { label: 'Port' },
  'options.seed': { label: 'Seed' },
  'options.rateMultiplier': { label: 'Rate multiplier' },
  'options.vibrationHz': { label: 'Vibration rate (Hz)' },
};

/** Hints of one kind that differ from the shared ones (`options.record` means other things). */
const KIND_HINTS: Partial<Record<SourceKind, Record<string, Hint>>> = {
  serial: SERIAL_HINTS,
};

function hintsFor(kind: SourceKind): (path: string) => Hint {
  const own = KIND_HINTS[kind] ?? {};
  return (path) => {
    const key = path.replace(/\.\d+(?=\.|$)/g, '');
    return own[key] ?? HINTS[key] ?? {};
  };
}

function variantOf(kind: SourceKind): z.ZodType {
  const variant = SourceConfig.options.find((o) => o.shape.kind.value === kind);
  if (!variant) throw new Error(`no schema for source kind "${kind}"`);
  return variant;
}

function suggestId(kind: SourceKind, taken: readonly string[]): string {
  const base = kind === 'mqtt-broker' ? 'broker' : kind;
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

  const hintFor = useMemo(() => hintsFor(kind), [kind]);
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
              <span className="form-static">{KIND_LABELS[kind] ?? kind}</span>
            </div>
          ) : (
            <label className="form-row">
              <span className="form-label">Kind</span>
              <select
                value={kind}
                onChange={(e) => changeKind(e.target.value as SourceKind)}
                data-testid="source-form-kind"
              >
                {NEW_KINDS.map((k) => (
                  <option key={k} value={k}>
                    {KIND_LABELS[k]}
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
