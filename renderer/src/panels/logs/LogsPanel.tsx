// The log view: a filter line (shared/log-filter.ts), saved searches, a histogram by severity
// (brush = the console's time range), a virtualised table of every record in scope, the field
// sidebar (top values, click to filter by or exclude) and the detail of the record selected.
// Pages of rows are fetched around the viewport with seeks the histogram's counts make exact
// (record-index.ts), so a scrollbar dragged anywhere in millions of rows costs one small query.
// Keyboard as in lnav: j/k a row, g/G first/last, `/` find, n/N next/previous match, f follow.
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type {
  Histogram as HistogramData,
  InvestigateSettings,
  RecordRow,
} from '../../../../shared/investigate';
import { parseFilter, quoteValue, withTerm, type FilterTerm } from '../../../../shared/log-filter';
import type { RpcClient } from '../../../../shared/rpc';
import { useConsoleTime } from '../../console-time';
import { errorText } from '../../format';
import { useTimeFormat } from '../../time-zone';
import { Histogram } from './Histogram';
import { RecordDetail } from './RecordDetail';
import { FieldSidebar } from './FieldSidebar';
import { recordIndex, scrollGeometry, seekFor } from './record-index';
import { severityClass } from './severity';
import './logs.css';

const ROW_HEIGHT = 22;
const PAGE = 200;
const BUCKETS = 1_000;
/** Pages kept either side of the viewport, and pages asked for at once. */
const KEEP_PAGES = 20;
const MAX_LOADING = 3;

interface Scope {
  filter: string;
  from?: number;
  to?: number;
}

export function LogsPanel({
  client,
  settings,
  storedRecords,
  onSaveSettings,
  onError,
}: {
  client: RpcClient | null;
  settings: InvestigateSettings | null;
  /** The status bar's count: in follow mode a change of it brings the new records in. */
  storedRecords: number;
  onSaveSettings: (next: InvestigateSettings) => Promise<void>;
  onError: (message: string) => void;
}) {
  const format = useTimeFormat();
  const [time, timeStore] = useConsoleTime();
  const [draft, setDraft] = useState('');
  const [filter, setFilter] = useState('');
  const parsed = useMemo(() => parseFilter(draft), [draft]);
  const scope = useMemo<Scope>(
    () => ({ filter, ...(time.range ? { from: time.range.from, to: time.range.to } : {}) }),
    [filter, time.range],
  );
  const [histogram, setHistogram] = useState<HistogramData | null>(null);
  const [queryError, setQueryError] = useState<string | null>(null);
  const [follow, setFollow] = useState(false);
  const [fields, setFields] = useState<string[]>([]);
  const [columns, setColumns] = useState<string[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [find, setFind] = useState('');
  const [findOpen, setFindOpen] = useState(false);
  const [viewport, setViewport] = useState({ top: 0, height: 400 });
  const pages = useRef(new Map<number, RecordRow[] | 'loading'>());
  const [pagesVersion, setPagesVersion] = useState(0);
  const generation = useRef(0);
  const shownScope = useRef<Scope | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const table = useRef<HTMLDivElement>(null);
  const findInput = useRef<HTMLInputElement>(null);

  const index = useMemo(() => (histogram ? recordIndex(histogram) : null), [histogram]);
  /** The index pages were asked under: an answer for an older one is dropped. */
  const indexRef = useRef(index);
  indexRef.current = index;
  const total = index?.total ?? 0;

  // The histogram is the index of the table: both are made again when the scope changes.
  const refresh = useCallback(() => {
    if (!client) return;
    const mine = ++generation.current;
    client
      .call('recordHistogram', { ...scope, buckets: BUCKETS })
      .then((h) => {
        if (mine !== generation.current) return;
        pages.current.clear();
        // A new filter or range starts at its first record; a follow refresh keeps its place.
        if (shownScope.current !== scope && scroller.current) {
          scroller.current.scrollTop = 0;
          setViewport((v) => ({ ...v, top: 0 }));
        }
        shownScope.current = scope;
        setQueryError(null);
        setHistogram(h);
        setPagesVersion((v) => v + 1);
      })
      .catch((error: unknown) => {
        if (mine === generation.current) setQueryError(errorText(error));
      });
  }, [client, scope]);
  useEffect(refresh, [refresh]);
  useEffect(() => {
    if (follow) refresh();
  }, [follow, storedRecords, refresh]);
  useEffect(() => {
    if (!client) return;
    client.call('recordFields', {}).then(setFields, (e: unknown) => onError(errorText(e)));
  }, [client, onError, histogram?.total]);

  const visibleRows = Math.max(1, Math.floor(viewport.height / ROW_HEIGHT));
  const geometry = scrollGeometry(total, ROW_HEIGHT);
  const maxFirst = Math.max(0, total - visibleRows);
  const maxScroll = Math.max(0, geometry.height - viewport.height);
  const first = maxScroll > 0 ? Math.min(maxFirst, Math.round((viewport.top / maxScroll) * maxFirst)) : 0;

  const scrollToRow = useCallback(
    (row: number, align: 'top' | 'keep' = 'keep') => {
      const el = scroller.current;
      if (!el || total === 0) return;
      let target = first;
      if (align === 'top' || row < first) target = row;
      else if (row >= first + visibleRows) target = row - visibleRows + 1;
      target = Math.min(maxFirst, Math.max(0, target));
      el.scrollTop = maxFirst > 0 ? (target / maxFirst) * maxScroll : 0;
      setViewport({ top: el.scrollTop, height: el.clientHeight });
    },
    [first, visibleRows, maxFirst, maxScroll, total],
  );

  // Fetches the pages the viewport shows (and one either side), each once.
  useEffect(() => {
    if (!client || !index || total === 0) return;
    const mine = index;
    const firstPage = Math.max(0, Math.floor(first / PAGE) - 1);
    const lastPage = Math.min(Math.floor((total - 1) / PAGE), Math.floor((first + visibleRows) / PAGE) + 1);
    // Pages far from the viewport are dropped: the view holds a bounded number of rows.
    for (const p of [...pages.current.keys()])
      if (Math.abs(p - firstPage) > KEEP_PAGES && pages.current.get(p) !== 'loading') pages.current.delete(p);
    let loading = [...pages.current.values()].filter((v) => v === 'loading').length;
    for (let p = firstPage; p <= lastPage; p++) {
      if (pages.current.has(p)) continue;
      // A scrollbar dragged fast asks for a few pages at a time (user SQL runs two at once and
      // queues sixteen); the next are asked when these arrive.
      if (loading >= MAX_LOADING) break;
      loading++;
      pages.current.set(p, 'loading');
      const row = p * PAGE;
      const lastOfAll = p === Math.floor((total - 1) / PAGE) && row > 0;
      const request = lastOfAll
        ? { ...scope, tail: true, limit: total - row }
        : { ...scope, at: seekFor(index, row), limit: PAGE };
      client
        .call('records', request)
        .then((page) => {
          if (mine !== indexRef.current) return;
          pages.current.set(p, page.rows);
          setPagesVersion((v) => v + 1);
        })
        .catch((error: unknown) => {
          if (mine !== indexRef.current) return;
          pages.current.delete(p);
          setQueryError(errorText(error));
        });
    }
  }, [client, index, total, first, visibleRows, scope, pagesVersion]);

  const rowAt = useCallback(
    (row: number): RecordRow | null => {
      const page = pages.current.get(Math.floor(row / PAGE));
      return page && page !== 'loading' ? (page[row % PAGE] ?? null) : null;
    },
    [pagesVersion],
  );

  useEffect(() => {
    if (follow && total > 0) {
      scrollToRow(total - 1);
      setSelected(total - 1);
    }
  }, [follow, total]);

  const selectedRow = selected === null ? null : rowAt(selected);
  useEffect(() => timeStore.setCursor(selectedRow?.ts ?? null), [selectedRow?.ts, timeStore]);

  const applyFilter = (text: string) => {
    setDraft(text);
    if (parseFilter(text).ok) {
      setFilter(text.trim());
      setSelected(null);
    }
  };
  const addTerm = (term: FilterTerm) => applyFilter(withTerm(filter, term));

  const jumpToMatch = async (direction: 1 | -1) => {
    if (!client || find.trim() === '') return;
    // The selected row's key: from its page, or asked for when that page is not held now.
    let from = selected === null ? null : rowAt(selected);
    if (selected !== null && !from && index) {
      const [row] = (await client.call('records', { ...scope, at: seekFor(index, selected), limit: 1 })).rows;
      from = row ?? null;
    }
    const findFilter = `${filter} ${quoteValue(find)}`.trim();
    try {
      const page = await client.call('records', {
        ...scope,
        filter: findFilter,
        limit: 1,
        ...(from
          ? direction === 1
            ? { after: { ts: from.ts, id: from.id } }
            : { before: { ts: from.ts, id: from.id } }
          : {}),
      });
      const match = page.rows[0];
      if (!match) {
        onError(`no ${direction === 1 ? 'later' : 'earlier'} record matches “${find}”`);
        return;
      }
      const { index: row } = await client.call('recordPosition', { ...scope, ts: match.ts, id: match.id });
      setSelected(row);
      scrollToRow(row);
    } catch (error) {
      onError(errorText(error));
    }
  };

  const onKey = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement) return;
    const move = (row: number) => {
      const r = Math.min(Math.max(0, row), total - 1);
      setSelected(r);
      scrollToRow(r);
    };
    switch (event.key) {
      case 'j':
      case 'ArrowDown':
        move((selected ?? first - 1) + 1);
        break;
      case 'k':
      case 'ArrowUp':
        move((selected ?? first + 1) - 1);
        break;
      case 'g':
      case 'Home':
        setFollow(false);
        move(0);
        break;
      case 'G':
      case 'End':
        move(total - 1);
        break;
      case '/':
        setFindOpen(true);
        setTimeout(() => findInput.current?.focus(), 0);
        break;
      case 'n':
        void jumpToMatch(1);
        break;
      case 'N':
        void jumpToMatch(-1);
        break;
      case 'f':
        setFollow((f) => !f);
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  const saved = settings?.savedSearches ?? [];
  const [saveName, setSaveName] = useState('');
  const saveSearch = () => {
    if (!settings || saveName.trim() === '') return;
    const next = [...saved.filter((s) => s.name !== saveName.trim()), { name: saveName.trim(), filter }];
    onSaveSettings({ ...settings, savedSearches: next }).then(
      () => setSaveName(''),
      (e: unknown) => onError(errorText(e)),
    );
  };

  const rows = [];
  for (let r = first; r < Math.min(total, first + visibleRows + 1); r++) {
    const row = rowAt(r);
    rows.push(
      <div
        key={r}
        className={`log-row ${row ? severityClass(row.severity) : 'loading'}${r === selected ? ' selected' : ''}`}
        style={{ height: ROW_HEIGHT }}
        onClick={() => setSelected(r)}
        data-testid="log-row"
        data-row={r}
        aria-selected={r === selected}
        role="row"
      >
        {row ? (
          <>
            <span className="log-cell log-ts">
              {format.date(row.ts)} {format.time(row.ts, true)}
            </span>
            <span className="log-cell log-sev">{row.severity}</span>
            <span className="log-cell log-src">{row.source}</span>
            {columns.map((c) => (
              <span key={c} className="log-cell log-field">
                {fieldValue(row, c)}
              </span>
            ))}
            <span className="log-cell log-msg">{row.message}</span>
          </>
        ) : (
          <span className="log-cell">…</span>
        )}
      </div>,
    );
  }

  return (
    <section className="logs-panel" aria-label="Log view" data-testid="logs-panel">
      <div className="log-filter-bar">
        <input
          className={`log-filter${parsed.ok ? '' : ' invalid'}`}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') applyFilter(draft);
          }}
          placeholder='Filter: words, "phrase", /regex/, severity=error, host=web-1, latency_ms>250, has:user, -exclude'
          aria-label="Filter"
          aria-invalid={!parsed.ok}
          spellCheck={false}
          data-testid="log-filter"
        />
        <button
          type="button"
          onClick={() => applyFilter(draft)}
          disabled={!parsed.ok}
          data-testid="log-filter-apply"
        >
          Filter
        </button>
        <button
          type="button"
          onClick={() => void navigator.clipboard?.writeText(filter)}
          title="Copy the filter as text"
        >
          Copy
        </button>
        <select
          aria-label="Saved searches"
          value=""
          onChange={(e) => {
            const s = saved.find((x) => x.name === e.target.value);
            if (s) applyFilter(s.filter);
          }}
          data-testid="saved-searches"
        >
          <option value="">Saved searches ({saved.length})</option>
          {saved.map((s) => (
            <option key={s.name} value={s.name}>
              {s.name}
            </option>
          ))}
        </select>
        <input
          className="log-save-name"
          value={saveName}
          onChange={(e) => setSaveName(e.target.value)}
          placeholder="name"
          aria-label="Name of the search to save"
          data-testid="save-search-name"
        />
        <button
          type="button"
          onClick={saveSearch}
          disabled={!settings || saveName.trim() === ''}
          data-testid="save-search"
        >
          Save search
        </button>
        <label className="log-follow">
          <input
            type="checkbox"
            checked={follow}
            onChange={(e) => setFollow(e.target.checked)}
            data-testid="log-follow"
          />
          Follow
        </label>
        <JumpToTime
          onJump={async (ms) => {
            if (!client) return;
            try {
              const page = await client.call('records', { ...scope, at: { ts: ms, skip: 0 }, limit: 1 });
              const match = page.rows[0];
              if (!match) return onError('no record at or after that time');
              const { index: row } = await client.call('recordPosition', {
                ...scope,
                ts: match.ts,
                id: match.id,
              });
              setFollow(false);
              setSelected(row);
              scrollToRow(row, 'top');
            } catch (error) {
              onError(errorText(error));
            }
          }}
        />
      </div>
      {!parsed.ok && (
        <p className="log-filter-error" role="alert" data-testid="log-filter-error">
          {parsed.error} (at character {parsed.position + 1})
        </p>
      )}
      {queryError && (
        <p className="log-filter-error" role="alert" data-testid="log-query-error">
          {queryError}
        </p>
      )}
      <Histogram
        data={histogram}
        range={time.range}
        cursor={time.cursor}
        onBrush={(r) => timeStore.setRange(r)}
      />
      <div className="log-body">
        <FieldSidebar
          client={client}
          scope={scope}
          fields={fields}
          columns={columns}
          onColumns={setColumns}
          onTerm={addTerm}
          onError={onError}
        />
        <div
          className="log-table"
          ref={table}
          tabIndex={0}
          onKeyDown={onKey}
          data-testid="log-table"
          role="grid"
          aria-rowcount={total}
        >
          <div className="log-table-head">
            <span data-testid="log-count" data-value={total}>
              {total.toLocaleString()} records
            </span>
            {histogram && <span className="dim">histogram {Math.round(histogram.elapsedMs)} ms</span>}
            {findOpen && (
              <input
                ref={findInput}
                value={find}
                onChange={(e) => setFind(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') {
                    void jumpToMatch(e.shiftKey ? -1 : 1);
                    table.current?.focus();
                  } else if (e.key === 'Escape') table.current?.focus();
                }}
                placeholder="find (n / N)"
                aria-label="Find"
                data-testid="log-find"
              />
            )}
          </div>
          <div
            className="log-scroller"
            ref={scroller}
            onScroll={(e) =>
              setViewport({ top: e.currentTarget.scrollTop, height: e.currentTarget.clientHeight })
            }
            data-testid="log-scroller"
          >
            <ViewportSize target={scroller} onSize={(height) => setViewport((v) => ({ ...v, height }))} />
            <div className="log-rows">{rows}</div>
            <div style={{ height: Math.max(0, geometry.height - viewport.height) }} />
          </div>
        </div>
        {selectedRow && (
          <RecordDetail client={client} record={selectedRow} onTerm={addTerm} onError={onError} />
        )}
      </div>
    </section>
  );
}

/** A field of a row: a record column, or a key of its JSON fields. */
export function fieldValue(row: RecordRow, field: string): string {
  if (field === 'severity' || field === 'source' || field === 'message') return row[field];
  if (!row.fields) return '';
  try {
    let value: unknown = JSON.parse(row.fields);
    for (const part of field.split('.')) value = (value as Record<string, unknown> | null)?.[part];
    return value === undefined || value === null
      ? ''
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  } catch {
    return '';
  }
}

function ViewportSize({
  target,
  onSize,
}: {
  target: React.RefObject<HTMLDivElement | null>;
  onSize: (h: number) => void;
}) {
  useEffect(() => {
    const el = target.current;
    if (!el) return;
    const observer = new ResizeObserver(() => onSize(el.clientHeight));
    observer.observe(el);
    onSize(el.clientHeight);
    return () => observer.disconnect();
  }, [target, onSize]);
  return null;
}

/** "Jump to a time": typed on the console's clock (local or UTC). */
function JumpToTime({ onJump }: { onJump: (ms: number) => void }) {
  const format = useTimeFormat();
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <form
      className="log-jump"
      onSubmit={(e) => {
        e.preventDefault();
        const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,3}))?)?$/.exec(text.trim());
        if (!m) return setProblem('write YYYY-MM-DD HH:MM[:SS[.mmm]]');
        setProblem(null);
        const wall = Date.UTC(
          +m[1]!,
          +m[2]! - 1,
          +m[3]!,
          +m[4]!,
          +m[5]!,
          +(m[6] ?? 0),
          +(m[7] ?? '0').padEnd(3, '0'),
        );
        onJump(wall - format.offsetMinutes(wall) * 60_000);
      }}
    >
      <input
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder={`jump to (${format.label})`}
        aria-label={`Jump to a time, ${format.label}`}
        title={problem ?? undefined}
        aria-invalid={problem !== null}
        data-testid="log-jump"
      />
    </form>
  );
}
