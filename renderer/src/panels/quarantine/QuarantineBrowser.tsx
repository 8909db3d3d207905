// The quarantine browser: per source, what could not be decoded — the reason, where it came from
// (topic, file:line, port), when, and its bytes as text and hex. Clearing a source's items is an
// audit entry (alerts/audit.ts) naming who cleared how many. Re-decoding the listed items with
// another decoder is a job (engine/jobs/redecode.ts) whose rows go to `<source>~redecoded`.
import { useCallback, useEffect, useState } from 'react';
import { parseHex } from '../../../../shared/hex';
import { DECODER_NAMES } from '../../../../shared/sources/fields';
import type { QuarantineItem, QuarantineResult } from '../../../../shared/investigate';
import type { RpcClient } from '../../../../shared/rpc';
import { errorText } from '../../format';
import { Timestamp } from '../../time-zone';
import { actorName, useActor } from '../alerts/AlertActions';

const decoder = new TextDecoder('utf-8');

/** A classic hex dump: offset, 16 bytes in hex, the same bytes as ASCII. */
export function hexDump(bytes: Uint8Array, maxRows = 256): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length && lines.length < maxRows; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

export function QuarantineBrowser({
  client,
  readOnly,
  statusQuarantined,
  onError,
}: {
  client: RpcClient | null;
  readOnly: boolean;
  /** The status bar's count: a change brings the list up to date. */
  statusQuarantined: number;
  onError: (message: string) => void;
}) {
  const [source, setSource] = useState<string | undefined>(undefined);
  const [data, setData] = useState<QuarantineResult | null>(null);
  const [selected, setSelected] = useState<QuarantineItem | null>(null);
  const [actor, setActor] = useActor();
  const [redecodeWith, setRedecodeWith] = useState('json');
  const [redecodeJob, setRedecodeJob] = useState<string | null>(null);

  const load = useCallback(() => {
    if (!client) return;
    client
      .call('quarantine', { ...(source ? { source } : {}), limit: 500 })
      .then(setData, (e: unknown) => onError(errorText(e)));
  }, [client, source, onError]);
  useEffect(load, [load, statusQuarantined]);

  const bytes = selected ? (parseHex(selected.rawHex) ?? new Uint8Array(0)) : null;
  return (
    <section className="quarantine-browser" aria-label="Quarantine" data-testid="quarantine-browser">
      <aside className="quarantine-sources">
        <h3>Sources</h3>
        <button
          type="button"
          className={source === undefined ? 'chosen' : ''}
          onClick={() => setSource(undefined)}
        >
          all ({data?.sources.reduce((n, s) => n + s.count, 0) ?? 0})
        </button>
        {data?.sources.map((s) => (
          <button
            type="button"
            key={s.source}
            className={source === s.source ? 'chosen' : ''}
            onClick={() => setSource(s.source)}
            data-testid={`quarantine-source-${s.source}`}
          >
            {s.source} ({s.count})
          </button>
        ))}
        {source && !readOnly && (
          <div className="quarantine-clear">
            <input
              value={actor}
              onChange={(e) => setActor(e.target.value)}
              placeholder="your name"
              aria-label="Who clears"
            />
            <button
              type="button"
              data-testid="quarantine-clear"
              onClick={() =>
                client?.call('clearQuarantine', { source, actor: actorName(actor) }).then(
                  () => {
                    setSelected(null);
                    load();
                  },
                  (e: unknown) => onError(errorText(e)),
                )
              }
            >
              Clear {source}’s quarantine
            </button>
            <label>
              Re-decode with{' '}
              <select
                value={redecodeWith}
                onChange={(e) => setRedecodeWith(e.target.value)}
                data-testid="quarantine-redecode-decoder"
              >
                {DECODER_NAMES.filter((d) => d !== 'auto' && d !== 'raw').map((d) => (
                  <option key={d}>{d}</option>
                ))}
              </select>
            </label>
            <button
              type="button"
              data-testid="quarantine-redecode"
              disabled={!data?.items.some((i) => i.source === source)}
              onClick={() =>
                client
                  ?.call('redecodeQuarantine', {
                    source,
                    ids: (data?.items ?? []).filter((i) => i.source === source).map((i) => i.id),
                    decoder: redecodeWith,
                  })
                  .then(
                    ({ job }) => setRedecodeJob(job),
                    (e: unknown) => onError(errorText(e)),
                  )
              }
            >
              Re-decode the listed items
            </button>
            {redecodeJob && (
              <p data-testid="quarantine-redecode-job">
                {redecodeJob}: rows go to {source}~redecoded (its progress is in the Import dialog’s job
                list); the items stay here
              </p>
            )}
          </div>
        )}
      </aside>
      <div className="quarantine-items">
        <table>
          <thead>
            <tr>
              <th>received</th>
              <th>source</th>
              <th>reason</th>
              <th>where</th>
              <th>bytes</th>
            </tr>
          </thead>
          <tbody>
            {data?.items.map((item) => (
              <tr
                key={item.id}
                className={selected?.id === item.id ? 'selected' : ''}
                onClick={() => setSelected(item)}
                data-testid="quarantine-item"
              >
                <td>
                  <Timestamp ms={item.rx} precise now={0} />
                </td>
                <td>{item.source}</td>
                <td data-testid="quarantine-reason">{item.reason}</td>
                <td data-testid="quarantine-where">{item.where}</td>
                <td>{item.bytes}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {data && data.items.length === 0 && <p className="empty">Nothing quarantined.</p>}
      </div>
      {selected && bytes && (
        <aside className="quarantine-detail" data-testid="quarantine-detail">
          <h3>{selected.reason}</h3>
          <p>
            {selected.source} · {selected.where} · <Timestamp ms={selected.rx} precise now={0} />
            {selected.bytes > bytes.length ? ` · first ${bytes.length} of ${selected.bytes} bytes` : ''}
          </p>
          <h4>Text</h4>
          <pre data-testid="quarantine-text">{decoder.decode(bytes)}</pre>
          <h4>Hex</h4>
          <pre className="hex-dump" data-testid="quarantine-hex">
            {hexDump(bytes)}
          </pre>
        </aside>
      )}
    </section>
  );
}
