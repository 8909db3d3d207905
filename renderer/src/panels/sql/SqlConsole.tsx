// The SQL console: read-only SQL on the workspace through the engine's user-SQL path (timeout,
// cancel, capped results), completions from its tables and columns, a virtualised result grid
// with row count and time, the cap named when hit, a history kept in the workspace, a plot of a
// result with a time column, and an export the engine writes (the console cannot write files).
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import type { QueryResult } from '../../../../shared/api';
import type { InvestigateSettings } from '../../../../shared/investigate';
import type { RpcClient } from '../../../../shared/rpc';
import { errorText } from '../../format';
import { useTimeFormat } from '../../time-zone';
import { applyCompletion, completionsAt } from './sql-completion';

const ROW_HEIGHT = 22;
const MAX_ROWS = 10_000;
const HISTORY_MAX = 200;
const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/;

export function SqlConsole({
  client,
  settings,
  onSaveSettings,
  onError,
}: {
  client: RpcClient | null;
  settings: InvestigateSettings | null;
  onSaveSettings: (next: InvestigateSettings) => Promise<void>;
  onError: (message: string) => void;
}) {
  const [sql, setSql] = useState(
    'SELECT severity, count(*) AS n FROM records_v GROUP BY ALL ORDER BY n DESC',
  );
  const [caret, setCaret] = useState(0);
  const [names, setNames] = useState<string[]>([]);
  const [running, setRunning] = useState<string | null>(null);
  const [result, setResult] = useState<QueryResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [plotOpen, setPlotOpen] = useState(false);
  const [exportPath, setExportPath] = useState('');
  const [exported, setExported] = useState<string | null>(null);
  const editor = useRef<HTMLTextAreaElement>(null);
  const nextId = useRef(1);

  useEffect(() => {
    if (!client) return;
    client
      .call('query', {
        sql: `SELECT DISTINCT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' AND NOT internal`,
        maxRows: 5_000,
      })
      .then(
        (r) => setNames([...new Set(r.rows.flatMap((row) => [String(row[0]), String(row[1])]))].sort()),
        (e: unknown) => onError(errorText(e)),
      );
  }, [client, onError]);

  const completion = useMemo(() => completionsAt(sql, caret, names), [sql, caret, names]);

  const run = useCallback(
    async (text: string) => {
      if (!client || running) return;
      const id = `sql-${Date.now()}-${nextId.current++}`;
      setRunning(id);
      setError(null);
      setExported(null);
      try {
        const r = await client.call('query', { sql: text, maxRows: MAX_ROWS, id });
        setResult(r);
        setPlotOpen(false);
        if (settings) {
          const history = [text, ...settings.sqlHistory.filter((h) => h !== text)].slice(0, HISTORY_MAX);
          onSaveSettings({ ...settings, sqlHistory: history }).catch((e: unknown) => onError(errorText(e)));
        }
      } catch (e) {
        setError(errorText(e));
      } finally {
        setRunning(null);
      }
    },
    [client, running, settings, onSaveSettings, onError],
  );

  const cancel = () => {
    if (client && running)
      client.call('cancelQuery', { id: running }).catch((e: unknown) => onError(errorText(e)));
  };

  const { timeColumn, numericColumns } = useMemo(() => {
    const columns = result?.columns ?? [];
    return {
      timeColumn: columns.findIndex((c) => c.type.startsWith('TIMESTAMP') || c.type === 'DATE'),
      numericColumns: columns.flatMap((c, i) => (NUMERIC.test(c.type) ? [i] : [])),
    };
  }, [result]);
  const plottable = timeColumn >= 0 && numericColumns.length > 0;

  return (
    <section className="sql-console" aria-label="SQL console" data-testid="sql-console">
      <div className="sql-editor-wrap">
        <textarea
          ref={editor}
          className="sql-editor"
          value={sql}
          spellCheck={false}
          aria-label="SQL"
          data-testid="sql-editor"
          onChange={(e) => {
            setSql(e.target.value);
            setCaret(e.target.selectionStart);
          }}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void run(sql);
            } else if (e.key === 'Tab' && completion.names.length > 0) {
              e.preventDefault();
              const next = applyCompletion(sql, completion, completion.names[0]!);
              setSql(next.text);
              setCaret(next.caret);
              requestAnimationFrame(() => editor.current?.setSelectionRange(next.caret, next.caret));
            }
          }}
        />
        {completion.names.length > 0 && (
          <div
            className="sql-completions"
            data-testid="sql-completions"
            aria-label="Completions (Tab takes the first)"
          >
            {completion.names.map((n) => (
              <button
                key={n}
                type="button"
                onClick={() => {
                  const next = applyCompletion(sql, completion, n);
                  setSql(next.text);
                  setCaret(next.caret);
                  editor.current?.focus();
                }}
              >
                {n}
              </button>
            ))}
          </div>
        )}
      </div>
      <div className="sql-tools">
        <button
          type="button"
          onClick={() => void run(sql)}
          disabled={!client || running !== null}
          data-testid="sql-run"
        >
          Run (Ctrl+Enter)
        </button>
        <button type="button" onClick={cancel} disabled={running === null} data-testid="sql-cancel">
          Cancel
        </button>
        <select
          aria-label="History"
          value=""
          onChange={(e) => e.target.value && setSql(e.target.value)}
          data-testid="sql-history"
        >
          <option value="">History ({settings?.sqlHistory.length ?? 0})</option>
          {settings?.sqlHistory.map((h, i) => (
            <option key={i} value={h}>
              {h.length > 80 ? `${h.slice(0, 80)}…` : h}
            </option>
          ))}
        </select>
        {running && (
          <span className="dim" data-testid="sql-running">
            running…
          </span>
        )}
        {result && !running && (
          <span data-testid="sql-summary">
            {result.rows.length.toLocaleString()} rows in {Math.round(result.elapsedMs)} ms
            {result.truncated && (
              <strong className="sql-cap" data-testid="sql-cap">
                {' '}
                — cut at{' '}
                {result.truncatedBy === 'bytes'
                  ? 'the result size cap (store.queryMaxResultMb)'
                  : `${MAX_ROWS.toLocaleString()} rows`}
              </strong>
            )}
          </span>
        )}
        {plottable && (
          <button
            type="button"
            onClick={() => setPlotOpen((o) => !o)}
            aria-pressed={plotOpen}
            data-testid="sql-plot"
          >
            Plot
          </button>
        )}
        <input
          value={exportPath}
          onChange={(e) => setExportPath(e.target.value)}
          placeholder="/path/to/result.csv"
          aria-label="Export to (a path on the engine's machine)"
          data-testid="sql-export-path"
        />
        <button
          type="button"
          disabled={!client || exportPath.trim() === ''}
          onClick={() =>
            client?.call('exportQuery', { sql, path: exportPath.trim(), format: 'csv' }).then(
              (r) => setExported(`${r.rows} rows written to ${r.path}`),
              (e: unknown) => setError(errorText(e)),
            )
          }
          data-testid="sql-export"
        >
          Export CSV
        </button>
        {exported && <span data-testid="sql-exported">{exported}</span>}
      </div>
      {error && (
        <p className="log-filter-error" role="alert" data-testid="sql-error">
          {error}
        </p>
      )}
      {result && plotOpen && plottable && (
        <ResultPlot result={result} timeColumn={timeColumn} numeric={numericColumns} />
      )}
      {result && <ResultGrid result={result} />}
    </section>
  );
}

function ResultGrid({ result }: { result: QueryResult }) {
  const format = useTimeFormat();
  // Timestamps arrive as ISO text in UTC; they are shown on the console's clock like every time.
  const isTime = result.columns.map((c) => c.type.startsWith('TIMESTAMP'));
  const cell = (v: unknown, c: number): string => {
    if (v === null) return 'NULL';
    if (isTime[c] && typeof v === 'string') {
      const ms = Date.parse(v);
      if (Number.isFinite(ms)) return `${format.date(ms)} ${format.time(ms, true)}`;
    }
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  };
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(300);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const o = new ResizeObserver(() => setHeight(el.clientHeight));
    o.observe(el);
    return () => o.disconnect();
  }, []);
  const first = Math.floor(top / ROW_HEIGHT);
  const count = Math.ceil(height / ROW_HEIGHT) + 1;
  const template = `repeat(${result.columns.length}, minmax(120px, 1fr))`;
  return (
    <div className="sql-grid" data-testid="sql-grid" data-rows={result.rows.length}>
      <div className="sql-grid-head" style={{ gridTemplateColumns: template }}>
        {result.columns.map((c) => (
          <span key={c.name} title={c.type}>
            {c.name}
          </span>
        ))}
      </div>
      <div className="sql-grid-body" ref={box} onScroll={(e) => setTop(e.currentTarget.scrollTop)}>
        <div style={{ height: result.rows.length * ROW_HEIGHT, position: 'relative' }}>
          {result.rows.slice(first, first + count).map((row, i) => (
            <div
              key={first + i}
              className="sql-grid-row"
              style={{ gridTemplateColumns: template, top: (first + i) * ROW_HEIGHT, height: ROW_HEIGHT }}
              data-testid="sql-row"
            >
              {row.map((v, c) => (
                <span key={c}>{cell(v, c)}</span>
              ))}
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}

/** A time column against the numeric columns, drawn with uPlot on the console's clock. */
function ResultPlot({
  result,
  timeColumn,
  numeric,
}: {
  result: QueryResult;
  timeColumn: number;
  numeric: number[];
}) {
  const host = useRef<HTMLDivElement>(null);
  const timeFormat = useTimeFormat();
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const rows = result.rows
      .map((r) => ({ t: Date.parse(String(r[timeColumn])), r }))
      .filter((x) => Number.isFinite(x.t))
      .sort((a, b) => a.t - b.t);
    const data: uPlot.AlignedData = [
      rows.map((x) => x.t),
      ...numeric.map((c) => rows.map((x) => (x.r[c] === null ? null : Number(x.r[c])))),
    ];
    const colours = ['#4fc3f7', '#ffb300', '#ef5350', '#66bb6a', '#ab47bc', '#8d6e63'];
    const u = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: 220,
        ms: 1,
        ...(timeFormat.utc ? { tzDate: (ms: number) => uPlot.tzDate(new Date(ms), 'Etc/UTC') } : {}),
        series: [
          {},
          // The first numeric column on the left axis, the others on the right: a count and an
          // average of another size stay readable side by side.
          ...numeric.map((c, i) => ({
            label: result.columns[c]!.name,
            stroke: colours[i % colours.length]!,
            width: 1.5,
            scale: i === 0 ? 'y' : 'y2',
          })),
        ],
        axes: [
          { stroke: '#8a94a6' },
          { stroke: '#8a94a6', scale: 'y', size: 70 },
          ...(numeric.length > 1
            ? [{ stroke: '#8a94a6', scale: 'y2', side: 1 as const, size: 70, grid: { show: false } }]
            : []),
        ],
      },
      data,
      el,
    );
    el.dataset.points = String(rows.length);
    return () => u.destroy();
  }, [result, timeColumn, numeric, timeFormat]);
  return <div className="sql-plot" ref={host} data-testid="sql-plot-chart" />;
}
