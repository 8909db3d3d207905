// Channels of different sources and rates side by side on one time axis: the first channel's
// samples are the rows, every other channel gives its latest value within the tolerance (DuckDB's
// ASOF JOIN, method `alignChannels`), over the console's range. Exported as CSV by the SQL export.
import { useState } from 'react';
import type { AlignResult } from '../../../../shared/replay';
import type { RpcClient } from '../../../../shared/rpc';
import { useConsoleTime } from '../../console-time';
import { errorText, formatValue } from '../../format';
import { useTimeFormat } from '../../time-zone';

export function AlignView({ client }: { client: RpcClient | null }) {
  const [time] = useConsoleTime();
  const format = useTimeFormat();
  const [names, setNames] = useState('');
  const [toleranceMs, setToleranceMs] = useState(1_000);
  const [result, setResult] = useState<(AlignResult & { sql: string }) | null>(null);
  const [exportPath, setExportPath] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const channels = names
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const range = time.range;

  const align = async () => {
    if (!client || !range) return;
    setMessage(null);
    try {
      setResult(
        await client.call('alignChannels', {
          channels,
          from: range.from,
          to: range.to,
          toleranceMs,
          maxRows: 2_000,
        }),
      );
    } catch (e) {
      setResult(null);
      setMessage(errorText(e));
    }
  };
  const exportCsv = async () => {
    if (!client || !result || !exportPath.trim()) return;
    try {
      await client.call('exportQuery', { sql: result.sql, format: 'csv', path: exportPath.trim() });
      setMessage(`exported to ${exportPath.trim()}`);
    } catch (e) {
      setMessage(errorText(e));
    }
  };

  return (
    <section className="align-view" aria-label="Aligned channels" data-testid="align-view">
      <form
        className="align-controls"
        onSubmit={(e) => {
          e.preventDefault();
          void align();
        }}
      >
        <label>
          Channels (the first one&apos;s times are the rows){' '}
          <input
            value={names}
            onChange={(e) => setNames(e.target.value)}
            placeholder="rig/temp, broker/lab/door, …"
            size={60}
            data-testid="align-channels"
          />
        </label>
        <label>
          Tolerance (ms){' '}
          <input
            type="number"
            min={0}
            value={toleranceMs}
            onChange={(e) => setToleranceMs(Number(e.target.value))}
            data-testid="align-tolerance"
          />
        </label>
        <button type="submit" disabled={!client || !range || channels.length < 2} data-testid="align-run">
          Align
        </button>
        {!range && <span className="dim">Select a range on the timeline or a plot first.</span>}
      </form>
      {message && <p role="status">{message}</p>}
      {result && (
        <>
          <p className="dim">
            {result.rows.length} rows{result.truncated ? ' (the first 2,000; the export has them all)' : ''}.{' '}
            <input
              value={exportPath}
              onChange={(e) => setExportPath(e.target.value)}
              placeholder="/path/to/aligned.csv"
              size={40}
              aria-label="Export to"
            />{' '}
            <button type="button" onClick={() => void exportCsv()} disabled={!exportPath.trim()}>
              Export CSV
            </button>
          </p>
          <div className="align-table-scroll">
            <table className="align-table" data-testid="align-table">
              <thead>
                <tr>
                  {result.columns.map((c) => (
                    <th key={c}>{c}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {result.rows.map((row, i) => (
                  <tr key={i}>
                    {row.map((v, j) =>
                      j === 0 ? (
                        <td key={j}>{v === null ? '' : `${format.date(v)} ${format.time(v, true)}`}</td>
                      ) : (
                        <td key={j}>{v === null ? '—' : formatValue(v)}</td>
                      ),
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
