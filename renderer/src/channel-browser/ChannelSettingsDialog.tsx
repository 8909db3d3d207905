// One channel's settings, edited in the console: display name, unit, decimals, and the calibration
// (value = raw × scale + offset, for values from now on). Saved to opsdeck.json through the engine.
import { useState, type FormEvent, type ReactNode } from 'react';
import type { ChannelInfo } from '../../../shared/api';
import type { RpcClient } from '../../../shared/rpc';
import { ChannelConfig } from '../../../shared/schemas';
import { Modal } from '../widgets/Modal';
import { channelFieldErrors, type ChannelField as Field } from './channel-settings';

export function ChannelSettingsDialog({
  client,
  channel,
  saved,
  onSaved,
  onClose,
}: {
  client: RpcClient | null;
  channel: ChannelInfo;
  /** Its entry in the workspace, if it has one. */
  saved: ChannelConfig | undefined;
  onSaved(): void;
  onClose(): void;
}) {
  const [form, setForm] = useState<Record<Field, string>>({
    displayName: saved?.displayName ?? channel.displayName,
    unit: saved?.unit ?? channel.unit,
    scale: String(saved?.scale ?? 1),
    offset: String(saved?.offset ?? 0),
    decimals: saved?.decimals === null || saved?.decimals === undefined ? '' : String(saved.decimals),
  });
  const [touched, setTouched] = useState<Set<Field>>(new Set());
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const errors = channelFieldErrors(form);
  const set = (field: Field, value: string) => {
    setForm((f) => ({ ...f, [field]: value }));
    setTouched((t) => new Set(t).add(field));
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(new Set(['displayName', 'unit', 'scale', 'offset', 'decimals']));
    if (!client || Object.keys(errors).length > 0) return;
    const parsed = ChannelConfig.safeParse({
      name: channel.name,
      displayName: form.displayName,
      unit: form.unit,
      scale: Number(form.scale),
      offset: Number(form.offset),
      decimals: form.decimals === '' ? null : Number(form.decimals),
    });
    if (!parsed.success) {
      setFailure(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      return;
    }
    setBusy(true);
    try {
      await client.call('saveChannel', { channel: parsed.data });
      onSaved();
      onClose();
    } catch (error) {
      setFailure((error as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const row = (field: Field, label: string, input: ReactNode, hint?: string) => (
    <label className="form-row">
      <span className="form-label">{label}</span>
      <span className="form-control">
        {input}
        {touched.has(field) && errors[field] ? (
          <span className="form-error" role="alert" data-testid={`channel-error-${field}`}>
            {errors[field]}
          </span>
        ) : (
          hint && <span className="form-hint">{hint}</span>
        )}
      </span>
    </label>
  );
  const text = (field: Field, extra: Record<string, string> = {}) => (
    <input
      type="text"
      value={form[field]}
      onChange={(e) => set(field, e.target.value)}
      aria-invalid={touched.has(field) && errors[field] ? true : undefined}
      data-testid={`channel-${field}`}
      {...extra}
    />
  );

  return (
    <Modal title={`Channel ${channel.name}`} onClose={onClose} testId="channel-settings">
      <form className="form" onSubmit={(e) => void save(e)} noValidate>
        <div className="form-body">
          {row('displayName', 'Display name', text('displayName', { placeholder: channel.name }))}
          {row('unit', 'Unit', text('unit', { placeholder: 'e.g. °C, hPa, m/s' }))}
          {row(
            'decimals',
            'Decimals',
            <select
              value={form.decimals}
              onChange={(e) => set('decimals', e.target.value)}
              data-testid="channel-decimals"
            >
              <option value="">as the values need</option>
              {Array.from({ length: 11 }, (_, d) => (
                <option key={d} value={String(d)}>
                  {d}
                </option>
              ))}
            </select>,
          )}
          {row(
            'scale',
            'Scale',
            text('scale', { inputMode: 'decimal' }),
            'value = raw × scale + offset, for values from now on',
          )}
          {row('offset', 'Offset', text('offset', { inputMode: 'decimal' }))}
        </div>
        <footer className="form-foot">
          <div className="form-buttons">
            <span role="alert" className="form-error" data-testid="channel-failure">
              {failure ?? ''}
            </span>
            <span className="spacer" />
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={!client || busy} data-testid="channel-save">
              {busy ? 'Saving…' : 'Save'}
            </button>
          </div>
        </footer>
      </form>
    </Modal>
  );
}
