// Define or edit one notifier, and try it: "Send test" delivers one test notification through the
// form as it stands (saved or not) and shows what the receiver said. Errors show once a field is
// touched, in words. A command notifier runs a program on the engine's machine: a console served
// beyond loopback may not save or test one unless the engine was started to allow it.
import { useMemo, useState, type FormEvent, type ReactNode } from 'react';
import type { NotifierConfig } from '../../../../shared/alerts';
import type { NotifierTestResult } from '../../../../shared/api';
import type { RpcClient } from '../../../../shared/rpc';
import { sourceKindOf, type SourceConfig } from '../../../../shared/schemas';
import { ChoiceRow } from '../../widgets/ChoiceRow';
import { Modal } from '../../widgets/Modal';
import {
  checkNotifier,
  FIELD_LABELS,
  formOf,
  NOTIFIER_KINDS,
  notifierFrom,
  type NotifierForm,
  type NotifierKind,
} from './notifier-form';

type TestOutcome = NotifierTestResult | { ok: false; error: string; elapsedMs: null };

export function NotifierEditor({
  client,
  existing,
  notifiers,
  sources,
  onSaved,
  onClose,
}: {
  client: RpcClient | null;
  existing: NotifierConfig | null;
  notifiers: readonly NotifierConfig[];
  /** For an MQTT notifier's source. */
  sources: readonly SourceConfig[];
  onSaved(): void;
  onClose(): void;
}) {
  const [form, setForm] = useState<NotifierForm>(() => formOf(existing, suggestId(notifiers)));
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState<'save' | 'test' | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [test, setTest] = useState<TestOutcome | null>(null);

  const candidate = useMemo(() => notifierFrom(form, existing), [form, existing]);
  const taken = notifiers.filter((n) => n.id !== existing?.id).map((n) => n.id);
  const { notifier, errors } = checkNotifier(candidate, taken);
  const errorOf = (field: string) => (submitted || touched.has(field) ? errors.get(field) : undefined);
  const set = <K extends keyof NotifierForm>(field: K, value: NotifierForm[K]) => {
    setForm((f) => ({ ...f, [field]: value }));
    setTouched((t) => new Set(t).add(field));
    setFailure(null);
  };
  // The notifier publishes through the source, as the engine's `publish` does: kinds that can.
  const mqttSources = sources.filter((s) => s.kind !== 'kafka' && sourceKindOf(s.kind)?.capabilities.publish);
  const kafkaSources = sources.filter((s) => s.kind === 'kafka');

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (!client || !notifier) return;
    setBusy('save');
    try {
      await client.call('saveNotifier', {
        notifier,
        ...(existing && existing.id !== notifier.id ? { previousId: existing.id } : {}),
      });
      onSaved();
      onClose();
    } catch (error) {
      setFailure((error as Error).message);
    } finally {
      setBusy(null);
    }
  };
  const sendTest = async () => {
    setSubmitted(true);
    if (!client || !notifier) return;
    setBusy('test');
    setTest(null);
    try {
      setTest(await client.call('testNotifier', { notifier }));
    } catch (error) {
      setTest({ ok: false, error: (error as Error).message, elapsedMs: null });
    } finally {
      setBusy(null);
    }
  };

  const row = (field: string, control: ReactNode, help?: string) => (
    <label className="form-row" key={field}>
      <span className="form-label">{FIELD_LABELS[field] ?? field}</span>
      <span className="form-control">
        {control}
        {errorOf(field) ? (
          <span className="form-error" role="alert" data-testid={`notifier-error-${field}`}>
            {errorOf(field)}
          </span>
        ) : (
          help && <span className="form-help">{help}</span>
        )}
      </span>
    </label>
  );
  const text = (field: keyof NotifierForm, placeholder = '') => (
    <input
      type="text"
      value={String(form[field])}
      placeholder={placeholder}
      spellCheck={false}
      autoComplete="off"
      onChange={(e) => set(field, e.target.value as never)}
      aria-invalid={errorOf(field) ? true : undefined}
      data-testid={`notifier-${field}`}
    />
  );
  const select = (field: keyof NotifierForm, options: [string, string][]) => (
    <select
      value={String(form[field])}
      onChange={(e) => set(field, e.target.value as never)}
      data-testid={`notifier-${field}`}
    >
      {options.map(([value, label]) => (
        <option key={value} value={value}>
          {label}
        </option>
      ))}
    </select>
  );

  return (
    <Modal
      title={existing ? `Notifier “${existing.id}”` : 'Add a notifier'}
      onClose={onClose}
      testId="notifier-editor"
      wide
    >
      <form className="form" onSubmit={(e) => void save(e)} noValidate>
        <div className="form-body">
          <ChoiceRow
            label="Kind"
            value={form.kind}
            options={NOTIFIER_KINDS.map((k) => ({ value: k.kind, label: k.label }))}
            onChange={(v) => {
              const kind = v as NotifierKind;
              setForm((f) => ({ ...f, kind, format: kind === 'syslog' ? 'text' : 'opsdeck' }));
              setTest(null);
            }}
            testId="notifier-kind"
          />
          {row('id', text('id'), 'letters, digits, "_" or "-"; rules name it in their notify list')}
          {form.kind === 'webhook' && [
            row('url', text('url', 'http://alerts.plant.local/hook'), 'the alert is POSTed there as JSON'),
            row(
              'format',
              select('format', [
                ['opsdeck', 'OpsDeck JSON (one alert per request)'],
                ['alertmanager', 'Alertmanager webhook payload (v4)'],
              ]),
            ),
          ]}
          {form.kind === 'mqtt' && [
            row(
              'source',
              select('source', [
                ['', mqttSources.length ? 'choose a source…' : 'no MQTT source in this workspace'],
                ...mqttSources.map((s): [string, string] => [s.id, `${s.name} (${s.id})`]),
              ]),
              'published through this source of the workspace',
            ),
            row('topic', text('topic')),
            row(
              'qos',
              select('qos', [
                ['0', '0'],
                ['1', '1'],
                ['2', '2'],
              ]),
            ),
          ]}
          {form.kind === 'kafka' && [
            row(
              'source',
              select('source', [
                ['', kafkaSources.length ? 'choose a source…' : 'no Kafka source in this workspace'],
                ...kafkaSources.map((s): [string, string] => [s.id, `${s.name} (${s.id})`]),
              ]),
              'produced through this source of the workspace, keyed by the alert’s fingerprint',
            ),
            row('topic', text('topic', 'opsdeck.alerts')),
          ]}
          {form.kind === 'syslog' && [
            row('host', text('host', 'siem.plant.local')),
            row('port', text('port')),
            row(
              'transport',
              select('transport', [
                ['udp', 'UDP'],
                ['tcp', 'TCP'],
              ]),
            ),
            row(
              'format',
              select('format', [
                ['text', 'text'],
                ['cef', 'CEF'],
              ]),
            ),
          ]}
          {form.kind === 'command' && [
            row(
              'argv',
              <textarea
                rows={3}
                value={form.argv}
                spellCheck={false}
                placeholder={'/usr/local/bin/page-oncall\n--team\nlab'}
                onChange={(e) => set('argv', e.target.value)}
                data-testid="notifier-argv"
              />,
              'the program, then one argument per line; no shell; the alert JSON on its standard input',
            ),
            <div className="form-row form-check form-danger" key="enabled">
              <span className="form-label" />
              <span className="form-control">
                <label>
                  <input
                    type="checkbox"
                    checked={form.enabled}
                    onChange={(e) => set('enabled', e.target.checked)}
                    data-testid="notifier-enabled"
                  />{' '}
                  Run it (a command runs nothing until this is on)
                </label>
                <span className="form-help">
                  It runs on the machine of the engine, as its user. A console served beyond this machine
                  cannot save or test it unless the engine was started with --allow-remote-files-and-commands.
                </span>
              </span>
            </div>,
          ]}
          {row('attempts', text('attempts'), 'tries per notification, with doubling backoff')}
          <div className="form-row form-check">
            <span className="form-label" />
            <span className="form-control">
              <label>
                <input
                  type="checkbox"
                  checked={form.sendResolved}
                  onChange={(e) => set('sendResolved', e.target.checked)}
                />{' '}
                Also tell when the alert resolves
              </label>
            </span>
          </div>
        </div>
        <footer className="form-foot">
          <p
            className={`notifier-test${test ? (test.ok ? ' ok' : ' failed') : ''}`}
            role="status"
            data-testid="notifier-test-result"
            data-value={test === null ? '' : test.ok ? 'delivered' : 'failed'}
          >
            {busy === 'test'
              ? 'Sending a test notification…'
              : test === null
                ? ''
                : test.ok
                  ? `Test delivered: the receiver took it (${Math.round(test.elapsedMs)} ms).`
                  : `Test not delivered: ${test.error}`}
          </p>
          {failure && (
            <p className="form-problems" role="alert" data-testid="notifier-failure">
              Not saved: {failure}
            </p>
          )}
          <div className="form-buttons">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button
              type="button"
              onClick={() => void sendTest()}
              disabled={!client || busy !== null}
              data-testid="notifier-send-test"
            >
              Send test
            </button>
            <button
              type="submit"
              className="primary"
              disabled={!client || busy !== null}
              data-testid="notifier-save"
            >
              {busy === 'save' ? 'Saving…' : 'Save notifier'}
            </button>
          </div>
        </footer>
      </form>
    </Modal>
  );
}

function suggestId(notifiers: readonly NotifierConfig[]): string {
  for (let n = 1; ; n++) if (!notifiers.some((x) => x.id === `notifier-${n}`)) return `notifier-${n}`;
}
