// The options of a serial source in the add/edit form. The values, their checking and their
// conversion stay the generated form's (SourceForm.tsx, widgets/SchemaFields.tsx, schema-form.ts); this lays them out the way
// one sets up a serial device: pick the port from what the engine lists (refreshed every few
// seconds, so a board plugged in now shows up) or type a path, the line settings, then what the
// device prints — one choice for the framing and the line format — and, for binary devices, a
// layout editor that shows where every field lands in the frame.
import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import type { SerialPortInfo } from '../../../../shared/api';
import type { RpcClient } from '../../../../shared/rpc';
import {
  BINARY_CHECKS,
  BINARY_FIELD_TYPES,
  BinaryField,
  type SerialOptions,
} from '../../../../shared/schemas';
import { byteRange, CHECK_BYTES, FIELD_BYTES, previewLayout } from './binary-layout';
import { errorText } from '../../format';
import { useTimeFormat } from '../../time-zone';
import { useSubscription } from '../../useSubscription';
import { ChoiceRow } from '../../widgets/ChoiceRow';
import { getAt, PRESENT, setAt, specOf, toForm, type FormValue } from '../../schema-form';

/** Offered in the baud rate list; any other rate can be typed. */
export const COMMON_BAUD_RATES = [
  300, 1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 74880, 115200, 230400, 250000, 460800, 500000,
  921600, 1000000, 2000000,
];

/** The framing and the line format as one choice, the way a user thinks of "what the device prints". */
type Format = 'auto' | 'plotter' | 'csv' | 'json' | 'kv' | 'nmea' | 'binary';
const LINE_FORMATS: readonly Format[] = ['auto', 'plotter', 'csv', 'json', 'kv'];

const FORMATS: readonly { value: Format; label: string; help: string }[] = [
  {
    value: 'auto',
    label: 'Text lines, format detected',
    help: 'Each stream’s format is detected from its first lines: plotter, CSV, JSON, key=value or NMEA.',
  },
  {
    value: 'plotter',
    label: 'Arduino Serial Plotter',
    help: '“temp:21.5 hum:40”, or bare values named value 1, value 2, … (nan is a gap).',
  },
  { value: 'csv', label: 'CSV', help: 'Comma-separated values, with or without a header line naming them.' },
  { value: 'json', label: 'JSON lines', help: 'One JSON object per line; nested fields become a/b.' },
  { value: 'kv', label: 'key=value', help: '“temp=21.5 hum=40” and similar.' },
  {
    value: 'nmea',
    label: 'NMEA 0183 (GPS)',
    help: 'Checksums verified; lat/lon in signed degrees, altitude, speed, course, satellites, hdop.',
  },
  {
    value: 'binary',
    label: 'Binary frames',
    help: 'Fixed-length or SLIP frames, described by the layout below.',
  },
];

const FIELD_TYPE_LABELS: Record<string, string> = Object.fromEntries(
  BINARY_FIELD_TYPES.map((t) => [t, `${t} (${FIELD_BYTES[t]})`]),
);

const CHECK_LABELS: Record<string, string> = {
  xor: 'XOR',
  crc8: 'CRC-8/SMBUS',
  'crc8-maxim': 'CRC-8/MAXIM (1-Wire)',
  'crc16-modbus': 'CRC-16/MODBUS',
  'crc16-ccitt-false': 'CRC-16/CCITT-FALSE',
  crc32: 'CRC-32 (zlib)',
};

const CLOCK_LABELS: Record<string, string> = {
  '': '—',
  'epoch-ms': 'epoch ms',
  'epoch-s': 'epoch s',
  'boot-ms': 'boot ms',
  'boot-s': 'boot s',
};

const BINARY_FIELD_SPEC = specOf(BinaryField);

/**
 * Marks which optional blocks the configuration has: the binary layout is kept only while binary
 * frames are chosen, and a check stays even at its defaults (kind "xor", from byte 0).
 */
export function prepareSerialForm(values: FormValue, existing: SerialOptions | null): FormValue {
  const binary = existing?.binary;
  const isBinary =
    existing !== null && (existing.framing === 'binary' || (existing.framing === 'auto' && !!binary));
  const v = setAt(values, `options.binary.${PRESENT}`, isBinary);
  return setAt(v, `options.binary.check.${PRESENT}`, binary?.check !== undefined);
}

const str = (v: FormValue | undefined): string => (typeof v === 'string' ? v : '');

function formatOf(values: FormValue): Format {
  const framing = str(getAt(values, 'options.framing'));
  if (framing === 'binary') return 'binary';
  if (framing === 'nmea') return 'nmea';
  if (getAt(values, `options.binary.${PRESENT}`) === true) return 'binary';
  const decoder = str(getAt(values, 'options.lineDecoder')) as Format;
  return LINE_FORMATS.includes(decoder) ? decoder : 'auto';
}

/** The USB identity a picked port is found again by (hot-plug), as form values. */
function identityOf(port: SerialPortInfo): Record<string, FormValue> {
  const hex4 = (s: string | null) => (s && /^[0-9a-fA-F]{4}$/.test(s) ? s.toLowerCase() : '');
  // A "serial number" with & in it is a Windows instance id made up per USB socket: not an identity.
  const serial = port.serialNumber && !port.serialNumber.includes('&') ? port.serialNumber : '';
  return { serialNumber: serial, vendorId: hex4(port.vendorId), productId: hex4(port.productId) };
}

interface SerialOptionsFieldsProps {
  client: RpcClient | null;
  values: FormValue;
  onChange(path: string, next: FormValue): void;
  errorAt(path: string): string | undefined;
  /** The generated field at a path. */
  field(path: string): ReactNode;
}

export function SerialOptionsFields({ client, values, onChange, errorAt, field }: SerialOptionsFieldsProps) {
  const format = formatOf(values);
  const path = str(getAt(values, 'options.path'));
  const layoutFields = getAt(values, 'options.binary.fields');
  const unusedFields = format !== 'binary' && Array.isArray(layoutFields) ? layoutFields.length : 0;

  const setFormat = (next: Format) => {
    const framing = str(getAt(values, 'options.framing'));
    if (next === 'binary') {
      onChange('options.framing', 'binary');
      onChange('options.lineDecoder', 'auto');
      onChange(`options.binary.${PRESENT}`, true);
      if (!Array.isArray(layoutFields) || layoutFields.length === 0)
        onChange('options.binary.fields', [toForm(BINARY_FIELD_SPEC, { name: '', type: 'int16' })]);
    } else {
      onChange('options.framing', next === 'nmea' ? 'nmea' : framing === 'lines' ? 'lines' : 'auto');
      onChange('options.lineDecoder', next === 'nmea' ? 'auto' : next);
      onChange(`options.binary.${PRESENT}`, false);
    }
  };

  const pick = (port: SerialPortInfo) => {
    onChange('options.path', port.path);
    onChange('options.match', identityOf(port));
  };

  const advancedPaths = [
    'maxFrameBytes',
    'consoleKiB',
    'futureToleranceSeconds',
    'reconnectMinMs',
    'reconnectMaxMs',
  ].map((k) => `options.${k}`);
  const matchError = ['serialNumber', 'vendorId', 'productId'].some((k) => errorAt(`options.match.${k}`));
  return (
    <>
      <fieldset className="form-group" data-testid="serial-device">
        <legend>Device</legend>
        <PortPicker client={client} currentPath={path} onPick={pick} />
        {field('options.path')}
        <details className="form-advanced serial-identity" open={matchError || undefined}>
          <summary data-testid="serial-identity">
            Found again after unplugging: {identitySummary(values)}
          </summary>
          {field('options.match.serialNumber')}
          {field('options.match.vendorId')}
          {field('options.match.productId')}
        </details>
      </fieldset>

      <fieldset className="form-group">
        <legend>Line settings</legend>
        <BaudRate
          value={str(getAt(values, 'options.baudRate'))}
          error={errorAt('options.baudRate')}
          onChange={(v) => onChange('options.baudRate', v)}
        />
        {field('options.dataBits')}
        {field('options.parity')}
        {field('options.stopBits')}
        {field('options.rtscts')}
        {field('options.dtr')}
        {field('options.rts')}
      </fieldset>

      <fieldset className="form-group">
        <legend>What the device sends</legend>
        <FormatRow value={format} onChange={setFormat} />
        {format === 'binary' ? (
          <BinaryLayoutEditor values={values} onChange={onChange} errorAt={errorAt} field={field} />
        ) : (
          unusedFields > 0 && (
            <p className="form-help form-note">
              The binary layout ({unusedFields} field{unusedFields === 1 ? '' : 's'}) is not used with this
              format and is left out when you save. Choose “Binary frames” to keep it.
            </p>
          )
        )}
      </fieldset>

      {field('options.record')}
      {field('options.timeZone')}
      <details
        className="form-advanced"
        open={advancedPaths.some((p) => errorAt(p)) || undefined}
        data-testid="serial-advanced"
      >
        <summary>Advanced</summary>
        {advancedPaths.map((p) => field(p))}
      </details>
    </>
  );
}

function identitySummary(values: FormValue): string {
  const serial = str(getAt(values, 'options.match.serialNumber')).trim();
  const vendor = str(getAt(values, 'options.match.vendorId')).trim();
  const product = str(getAt(values, 'options.match.productId')).trim();
  if (serial) return `by USB serial number ${serial}, under any path`;
  if (vendor || product) return `by USB id ${vendor || '*'}:${product || '*'} at this path`;
  return 'by its path (a USB device’s identity is learned when it first connects)';
}

function PortPicker({
  client,
  currentPath,
  onPick,
}: {
  client: RpcClient | null;
  currentPath: string;
  onPick(port: SerialPortInfo): void;
}) {
  const timeFormat = useTimeFormat();
  const [ports, setPorts] = useState<SerialPortInfo[] | null>(null);
  const [listedAt, setListedAt] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** Paths in the first listing: a port not among them was plugged in while the form was open. */
  const [firstPaths, setFirstPaths] = useState<ReadonlySet<string> | null>(null);
  const inFlight = useRef(false);
  const mounted = useRef(true);

  const show = useCallback((result: { ts: number; ports: SerialPortInfo[] }) => {
    setPorts(result.ports);
    setListedAt(result.ts);
    setFirstPaths((first) => first ?? new Set(result.ports.map((p) => p.path)));
    setError(null);
  }, []);
  // The engine watches the ports and pushes the list when a device comes or goes.
  useSubscription(client, 'serialPorts', {}, show, setError);

  /** The user's "Refresh": asks now, rather than waiting for the engine's next look. */
  const refresh = useCallback(async () => {
    if (!client || inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    try {
      const result = await client.call('serialPorts', {});
      if (mounted.current) show(result);
    } catch (e) {
      if (mounted.current) setError(errorText(e));
    } finally {
      inFlight.current = false;
      if (mounted.current) setBusy(false);
    }
  }, [client, show]);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  return (
    <div className="form-row">
      <span className="form-label">Ports</span>
      <div className="form-control port-picker">
        <div className="port-picker-head">
          <span className="form-help">
            {listedAt === null
              ? 'Listing the ports on the engine’s machine…'
              : `On the engine’s machine, listed ${timeFormat.time(listedAt)} ${timeFormat.label}; kept current by the engine.`}
          </span>
          <button
            type="button"
            className="small"
            onClick={() => void refresh()}
            disabled={!client || busy}
            data-testid="serial-ports-refresh"
          >
            Refresh
          </button>
        </div>
        {error && (
          <span className="form-error" role="alert" data-testid="serial-ports-error">
            Cannot list the serial ports: {error}
          </span>
        )}
        {ports && ports.length === 0 && (
          <p className="empty">No serial ports found. Plug the device in, or type its path below.</p>
        )}
        {ports && ports.length > 0 && (
          <ul className="port-list" data-testid="serial-ports">
            {ports.map((p) => {
              const picked = p.path === currentPath;
              const ids = p.vendorId || p.productId ? `${p.vendorId ?? '????'}:${p.productId ?? '????'}` : '';
              return (
                <li key={p.path}>
                  <button
                    type="button"
                    className={`port${picked ? ' picked' : ''}`}
                    aria-pressed={picked}
                    onClick={() => onPick(p)}
                    title={[p.pnpId, p.locationId].filter(Boolean).join(' · ') || undefined}
                    data-testid={`serial-port-${p.path}`}
                  >
                    <span className="port-path">{p.path}</span>
                    <span className="port-maker">{p.manufacturer ?? <span className="dim">—</span>}</span>
                    <span className="port-ids" title="USB vendor:product id">
                      {ids || <span className="dim">no USB id</span>}
                    </span>
                    <span className="port-serial" title="USB serial number">
                      {p.serialNumber ? `SN ${p.serialNumber}` : ''}
                    </span>
                    {firstPaths && !firstPaths.has(p.path) && <span className="badge badge-info">new</span>}
                  </button>
                </li>
              );
            })}
          </ul>
        )}
      </div>
    </div>
  );
}

function BaudRate({
  value,
  error,
  onChange,
}: {
  value: string;
  error: string | undefined;
  onChange(value: string): void;
}) {
  const id = useId();
  const shown = value.trim() === '' ? '115200' : value.trim();
  const listed = COMMON_BAUD_RATES.some((r) => String(r) === shown);
  const [other, setOther] = useState(!listed);
  const inputRef = useRef<HTMLInputElement>(null);
  const custom = other || !listed;
  return (
    <div className="form-row">
      <label className="form-label" htmlFor={id}>
        Baud rate
      </label>
      <span className="form-control">
        <span className="form-inline">
          <select
            id={id}
            value={custom ? 'other' : shown}
            onChange={(e) => {
              if (e.target.value === 'other') {
                setOther(true);
                window.setTimeout(() => inputRef.current?.select(), 0);
              } else {
                setOther(false);
                onChange(e.target.value);
              }
            }}
            data-testid="field-options.baudRate-choice"
          >
            {COMMON_BAUD_RATES.map((r) => (
              <option key={r} value={String(r)}>
                {r}
              </option>
            ))}
            <option value="other">other…</option>
          </select>
          {custom && (
            <input
              ref={inputRef}
              type="text"
              inputMode="numeric"
              className="narrow"
              aria-label="Baud rate (any whole number)"
              value={value}
              placeholder="e.g. 31250"
              spellCheck={false}
              autoComplete="off"
              onChange={(e) => onChange(e.target.value)}
              aria-invalid={error ? true : undefined}
              data-testid="field-options.baudRate"
            />
          )}
        </span>
        {custom && <span className="form-help">Any rate the adapter can do.</span>}
        {error && (
          <span className="form-error" role="alert">
            {error}
          </span>
        )}
      </span>
    </div>
  );
}

function FormatRow({ value, onChange }: { value: Format; onChange(format: Format): void }) {
  return (
    <ChoiceRow
      label="Format"
      value={value}
      options={FORMATS}
      onChange={(v) => onChange(v as Format)}
      testId="field-serial-format"
      help={FORMATS.find((f) => f.value === value)?.help}
    />
  );
}

function BinaryLayoutEditor({ values, onChange, errorAt, field }: Omit<SerialOptionsFieldsProps, 'client'>) {
  const base = 'options.binary';
  const framing = str(getAt(values, `${base}.framing`)) || 'fixed';
  const items = (getAt(values, `${base}.fields`) as FormValue[] | undefined) ?? [];
  const checkOn = getAt(values, `${base}.check.${PRESENT}`) === true;
  const checkKind = str(getAt(values, `${base}.check.kind`));
  const preview = previewLayout({
    framing,
    sync: str(getAt(values, `${base}.sync`)),
    length: str(getAt(values, `${base}.length`)),
    fields: items.map((_, i) => ({
      type: str(getAt(values, `${base}.fields.${i}.type`)),
      at: str(getAt(values, `${base}.fields.${i}.at`)),
    })),
    check: checkOn
      ? {
          kind: checkKind,
          at: str(getAt(values, `${base}.check.at`)),
          from: str(getAt(values, `${base}.check.from`)),
        }
      : null,
  });

  const setFields = (next: FormValue[]) => onChange(`${base}.fields`, next);
  const add = () => {
    const last = items[items.length - 1];
    const type = last ? str(getAt(last, 'type')) || 'int16' : 'int16';
    const endian = last ? str(getAt(last, 'endian')) || 'little' : 'little';
    setFields([...items, toForm(BINARY_FIELD_SPEC, { name: '', type, endian })]);
  };
  const move = (i: number, by: number) => {
    const j = i + by;
    if (j < 0 || j >= items.length) return;
    const next = items.slice();
    [next[i], next[j]] = [next[j]!, next[i]!];
    setFields(next);
  };
  const remove = (i: number) => setFields(items.filter((_, j) => j !== i));

  const cell = (i: number, key: string) => `${base}.fields.${i}.${key}`;
  const input = (i: number, key: string, label: string, className: string, placeholder = '') => {
    const p = cell(i, key);
    const error = errorAt(p);
    return (
      <input
        type="text"
        className={className}
        value={str(getAt(values, p))}
        placeholder={placeholder}
        spellCheck={false}
        autoComplete="off"
        aria-label={`Field ${i + 1} ${label}`}
        aria-invalid={error ? true : undefined}
        title={error}
        onChange={(e) => onChange(p, e.target.value)}
        data-testid={`field-${p}`}
      />
    );
  };
  const select = (i: number, key: string, label: string, options: Record<string, string>) => {
    const p = cell(i, key);
    return (
      <select
        value={str(getAt(values, p))}
        aria-label={`Field ${i + 1} ${label}`}
        aria-invalid={errorAt(p) ? true : undefined}
        onChange={(e) => onChange(p, e.target.value)}
        data-testid={`field-${p}`}
      >
        {Object.entries(options).map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    );
  };
  const fieldsError = errorAt(`${base}.fields`);
  const checkBytes = CHECK_BYTES[checkKind] ?? 0;

  return (
    <div className="binary-layout" data-testid="binary-layout">
      <ChoiceRow
        label="Frames"
        value={framing}
        options={[
          { value: 'fixed', label: 'fixed length' },
          { value: 'slip', label: 'SLIP-delimited (RFC 1055)' },
        ]}
        onChange={(v) => {
          onChange(`${base}.framing`, v);
          // Sync bytes find fixed-length frames only.
          if (v === 'slip') onChange(`${base}.sync`, '');
        }}
        testId={`field-${base}.framing`}
      />
      {framing === 'fixed' && field(`${base}.sync`)}
      {field(`${base}.length`)}

      <div className="form-row form-row-wide">
        <span className="form-label">Fields</span>
        <div className="form-control">
          <table className="layout-table">
            <thead>
              <tr>
                <th>Channel</th>
                <th>Type (bytes)</th>
                <th>Order</th>
                <th title="Byte position; empty: right after the previous field">At</th>
                <th title="Bytes of the frame this field takes">Bytes</th>
                <th title="stored = raw × scale + offset">Scale</th>
                <th>Offset</th>
                <th>Unit</th>
                <th title="This field is the device's clock">Clock</th>
                <th>
                  <span className="sr-only">Order and removal</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((_, i) => {
                const rowError = ['name', 'type', 'endian', 'at', 'scale', 'offset', 'unit', 'timestamp']
                  .map((k) => [k, errorAt(cell(i, k))] as const)
                  .find(([, e]) => e);
                const size = FIELD_BYTES[str(getAt(values, cell(i, 'type')))] ?? 0;
                const placed = preview.fields[i];
                return [
                  <tr key={`f${i}`} data-testid={`layout-field-${i}`}>
                    <td>{input(i, 'name', 'channel name', 'layout-name', 'name')}</td>
                    <td>{select(i, 'type', 'type', FIELD_TYPE_LABELS)}</td>
                    <td>
                      {size > 1 ? (
                        select(i, 'endian', 'byte order', { little: 'LE', big: 'BE' })
                      ) : (
                        <span className="dim">—</span>
                      )}
                    </td>
                    <td>{input(i, 'at', 'byte position', 'layout-num', 'auto')}</td>
                    <td className="layout-bytes">{placed ? byteRange(placed.pos, placed.size) : ''}</td>
                    <td>{input(i, 'scale', 'scale', 'layout-num', '1')}</td>
                    <td>{input(i, 'offset', 'offset', 'layout-num', '0')}</td>
                    <td>{input(i, 'unit', 'unit', 'layout-unit')}</td>
                    <td>{select(i, 'timestamp', 'clock', CLOCK_LABELS)}</td>
                    <td className="layout-actions">
                      <button
                        type="button"
                        className="icon-button"
                        aria-label={`Move field ${i + 1} up`}
                        disabled={i === 0}
                        onClick={() => move(i, -1)}
                      >
                        ↑
                      </button>
                      <button
                        type="button"
                        className="icon-button"
                        aria-label={`Move field ${i + 1} down`}
                        disabled={i === items.length - 1}
                        onClick={() => move(i, 1)}
                      >
                        ↓
                      </button>
                      <button
                        type="button"
                        className="icon-button"
                        aria-label={`Remove field ${i + 1}`}
                        onClick={() => remove(i)}
                      >
                        ×
                      </button>
                    </td>
                  </tr>,
                  rowError && (
                    <tr key={`e${i}`} className="layout-error-row">
                      <td colSpan={10}>
                        <span className="form-error" role="alert">
                          Field {i + 1} {rowError[0]}: {rowError[1]}
                        </span>
                      </td>
                    </tr>
                  ),
                ];
              })}
            </tbody>
          </table>
          {items.length === 0 && <p className="empty">No fields yet.</p>}
          {fieldsError && (
            <span className="form-error" role="alert">
              {fieldsError}
            </span>
          )}
          <span className="form-inline">
            <button type="button" onClick={add} data-testid="add-options.binary.fields">
              + Field
            </button>
            <span className="form-help">
              Channels are named &lt;source id&gt;/&lt;name&gt;. Clock: epoch time is the frame’s event time;
              boot time is a channel.
            </span>
          </span>
        </div>
      </div>

      <ChoiceRow
        label="Check"
        value={checkOn ? checkKind : ''}
        options={[
          { value: '', label: 'none' },
          ...BINARY_CHECKS.map((k) => ({
            value: k,
            label: `${CHECK_LABELS[k] ?? k} (${CHECK_BYTES[k]} byte${CHECK_BYTES[k] === 1 ? '' : 's'})`,
          })),
        ]}
        onChange={(v) => {
          if (v === '') onChange(`${base}.check.${PRESENT}`, false);
          else {
            onChange(`${base}.check.kind`, v);
            onChange(`${base}.check.${PRESENT}`, true);
          }
        }}
        testId={`field-${base}.check.kind`}
      />
      {checkOn && (
        <>
          {field(`${base}.check.at`)}
          {field(`${base}.check.from`)}
          {checkBytes > 1 && field(`${base}.check.endian`)}
        </>
      )}

      <div className="form-row">
        <span className="form-label">Frame</span>
        <span className="form-control" data-testid="binary-layout-preview">
          <span>{describeFrame(framing, preview)}</span>
          {preview.problems.map((p) => (
            <span key={p} className="form-error">
              {p}
            </span>
          ))}
        </span>
      </div>
    </div>
  );
}

function describeFrame(framing: string, p: ReturnType<typeof previewLayout>): string {
  const parts: string[] = [];
  if (p.syncBytes > 0) parts.push(`sync ${byteRange(0, p.syncBytes)}`);
  if (p.fields.length > 0) {
    const first = Math.min(...p.fields.map((f) => f.pos));
    const last = Math.max(...p.fields.map((f) => f.pos + f.size)) - 1;
    parts.push(`fields ${first === last ? first : `${first}–${last}`}`);
  }
  if (p.check)
    parts.push(
      p.check.pos === null
        ? `check: the last ${p.check.size} byte${p.check.size === 1 ? '' : 's'}`
        : `check ${byteRange(p.check.pos, p.check.size)} over ${byteRange(p.check.from, p.check.pos - p.check.from)}`,
    );
  const head =
    p.length !== null
      ? `${p.length} bytes`
      : `SLIP frames of at least ${p.minLength} byte${p.minLength === 1 ? '' : 's'}`;
  return `${head}${framing === 'fixed' || p.length !== null ? ' per frame' : ''}${parts.length ? ` — ${parts.join(', ')}` : ''}`;
}
