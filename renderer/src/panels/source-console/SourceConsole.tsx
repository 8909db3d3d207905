// The console of a source that has one (serial): its raw traffic both ways as a terminal shows it,
// text or hex, and a line to send commands with the line ending the device wants. The engine keeps
// the last few KiB in a ring with sequence numbers and pushes what comes after the last chunk this
// has (at most a few times a second); this keeps a bounded tail of it, so a chatty device at 1 Mbaud
// costs the page no more than a quiet one.
import {
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type FormEvent,
  type KeyboardEvent,
  type ReactNode,
} from 'react';
import type { ChannelInfo, ConsoleChunk, SendToSourceRequest, SourceStatus } from '../../../../shared/api';
import type { RpcClient } from '../../../../shared/rpc';
import { parseHex } from '../../../../shared/hex';
import { errorText, formatBytes } from '../../format';
import { useTimeFormat } from '../../time-zone';

const READ_LIMIT = 2_000;
/** The view keeps at most this much; the oldest goes first. */
const MAX_CHUNKS = 2_000;
const MAX_BYTES = 128 * 1024;
/** Hex rows rendered at most (16 bytes each). */
const MAX_HEX_ROWS = 1_500;
const HISTORY_SIZE = 50;

type LineEnding = SendToSourceRequest['lineEnding'];
const LINE_ENDINGS: readonly { value: LineEnding; label: string }[] = [
  { value: 'none', label: 'none' },
  { value: 'lf', label: 'LF (\\n)' },
  { value: 'cr', label: 'CR (\\r)' },
  { value: 'crlf', label: 'CR LF (\\r\\n)' },
];

type Entry =
  | { kind: 'chunk'; key: string; chunk: ConsoleChunk; bytes: Uint8Array }
  | { kind: 'note'; key: string; ts: number; text: string };

const encoder = new TextEncoder();
const hexByte = (b: number) => b.toString(16).padStart(2, '0');
/** Not fatal: bytes that are no UTF-8 show as U+FFFD, as in any terminal. */
const decoder = new TextDecoder('utf-8');

function bytesOf(chunk: ConsoleChunk): Uint8Array {
  if (chunk.text !== null) return encoder.encode(chunk.text);
  return parseHex(chunk.hex ?? '') ?? new Uint8Array(0);
}

/** Control bytes shown as boxed hex at most this many times per view; beyond, as dots. */
const MAX_CONTROL_MARKS = 1_000;

/**
 * Text as a terminal shows it: CR LF and a lone CR end lines; other control bytes (which fonts
 * rarely draw) as boxed hex, so "\x01" typed by a device and the byte 01 cannot be confused.
 */
function terminalNodes(text: string, budget: { left: number }): ReactNode[] {
  const lines = text.replace(/\r\n?/g, '\n');
  const out: ReactNode[] = [];
  let from = 0;
  let i = 0;
  const isControl = (c: number) => (c < 0x20 && c !== 0x09 && c !== 0x0a) || c === 0x7f;
  while (i < lines.length) {
    if (!isControl(lines.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i;
    while (j < lines.length && isControl(lines.charCodeAt(j))) j++;
    if (i > from) out.push(lines.slice(from, i));
    if (budget.left > 0) {
      budget.left--;
      const hex = Array.from(lines.slice(i, j), (c) => hexByte(c.charCodeAt(0))).join(' ');
      out.push(
        <span key={i} className="console-ctl" title="control bytes (hex)">
          {hex}
        </span>,
      );
    } else out.push('·'.repeat(j - i));
    from = i = j;
  }
  if (from < lines.length) out.push(lines.slice(from));
  return out;
}

/** A tail of `entries` within the view's budget, and whether anything was cut. */
function keepTail(entries: Entry[]): { kept: Entry[]; cut: boolean } {
  let bytes = 0;
  let i = entries.length;
  while (i > 0 && entries.length - i < MAX_CHUNKS) {
    const e = entries[i - 1]!;
    const n = e.kind === 'chunk' ? e.bytes.length : 0;
    if (bytes + n > MAX_BYTES && i < entries.length) break;
    bytes += n;
    i--;
  }
  return i === 0 ? { kept: entries, cut: false } : { kept: entries.slice(i), cut: true };
}

interface SourceConsoleProps {
  client: RpcClient | null;
  sourceId: string;
  /** The source's last reported status (state, reason, endpoint); undefined while unknown. */
  status: SourceStatus | undefined;
  /** This source's channels. */
  channels: readonly ChannelInfo[];
  plotted: ReadonlySet<string>;
  onPlotChannels(names: readonly string[]): void;
  onClose(): void;
}

export function SourceConsolePanel({
  client,
  sourceId,
  status,
  channels,
  plotted,
  onPlotChannels,
  onClose,
}: SourceConsoleProps) {
  const [entries, setEntries] = useState<Entry[]>([]);
  const [cut, setCut] = useState(false);
  const [totals, setTotals] = useState({ rx: 0, tx: 0 });
  const [readError, setReadError] = useState<string | null>(null);
  /** null: hex when most of what arrives is not text. */
  const [hexChoice, setHexChoice] = useState<boolean | null>(null);
  const afterRef = useRef<number | undefined>(undefined);
  const entriesRef = useRef<Entry[]>([]);
  const keySeq = useRef(0);

  // The engine pushes what is new; the position survives a reconnect (a new subscription starts
  // after the last chunk shown).
  useEffect(() => {
    if (!client) return;
    const after = afterRef.current;
    return client.subscribe(
      'sourceConsole',
      { source: sourceId, ...(after !== undefined ? { after } : {}), limit: READ_LIMIT },
      {
        data: (result) => {
          const after = afterRef.current;
          const first = result.chunks[0];
          const notes: Entry[] = [];
          const note = (text: string) =>
            notes.push({ kind: 'note', key: `n${++keySeq.current}`, ts: Date.now(), text });
          if (after !== undefined && (result.next < after || (first !== undefined && first.seq <= after)))
            note('The source restarted: its console starts afresh.');
          else if (after !== undefined && first !== undefined && first.seq > after + 1)
            note(
              `${first.seq - after - 1} chunk${first.seq - after - 1 === 1 ? '' : 's'} went by faster than the console is read (the engine keeps the last few KiB).`,
            );
          afterRef.current = result.next;
          if (notes.length > 0 || result.chunks.length > 0) {
            const added: Entry[] = result.chunks.map((chunk) => ({
              kind: 'chunk',
              key: `c${++keySeq.current}`,
              chunk,
              bytes: bytesOf(chunk),
            }));
            let rx = 0;
            let tx = 0;
            for (const c of result.chunks) {
              if (c.dir === 'rx') rx += c.bytes;
              else tx += c.bytes;
            }
            setTotals((t) => ({ rx: t.rx + rx, tx: t.tx + tx }));
            const { kept, cut: wasCut } = keepTail([...entriesRef.current, ...notes, ...added]);
            entriesRef.current = kept;
            setEntries(kept);
            if (wasCut) setCut(true);
          }
          setReadError(null);
        },
        error: (message) => setReadError(message),
      },
    );
  }, [client, sourceId]);

  const mostlyBinary = useMemo(() => {
    let binary = 0;
    let rx = 0;
    for (const e of entries)
      if (e.kind === 'chunk' && e.chunk.dir === 'rx') {
        rx++;
        if (e.chunk.text === null) binary++;
      }
    return rx > 0 && binary * 2 > rx;
  }, [entries]);
  const hex = hexChoice ?? mostlyBinary;

  // Follow the end unless the user scrolled up to read.
  const outRef = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  useLayoutEffect(() => {
    const el = outRef.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [entries, hex]);

  const clear = () => {
    entriesRef.current = [];
    setEntries([]);
    setCut(false);
    setTotals({ rx: 0, tx: 0 });
  };

  const names = channels.map((c) => c.name);
  const unplotted = names.filter((n) => !plotted.has(n));
  const state = status?.state ?? 'starting';
  const reason = state !== 'connected' ? status?.lastError : null;

  return (
    <aside
      className="topic-detail source-console"
      data-testid="source-console"
      aria-labelledby="console-title"
    >
      <header className="detail-head">
        <h2 id="console-title">
          <span className="detail-source">Console</span>
          <span className="detail-topic">{status?.name ?? sourceId}</span>
        </h2>
        <div className="detail-tools">
          <button
            type="button"
            aria-pressed={hex}
            onClick={() => setHexChoice(!hex)}
            title={hex ? 'Show the traffic as text' : 'Show the traffic as hex bytes'}
            data-testid="console-hex"
          >
            Hex
          </button>
          <button type="button" onClick={clear} title="Clear this view" data-testid="console-clear">
            Clear
          </button>
          <button type="button" className="icon-button" aria-label="Close the console" onClick={onClose}>
            ×
          </button>
        </div>
      </header>

      <div className="console-meta">
        <div>
          <span className={`dot state-${state}`} aria-hidden="true" />{' '}
          <span className={`state-word state-${state}`} data-testid="console-state">
            {state === 'stopped' ? 'disabled' : state}
          </span>
          {reason && (
            <span className="console-reason" data-testid="console-reason">
              {' '}
              — {reason}
            </span>
          )}
        </div>
        {status?.endpoint && <div className="source-endpoint">{status.endpoint}</div>}
        <div className="console-channels" data-testid="console-channels">
          <span className="dim">
            {names.length === 0
              ? 'No channels yet: they appear with the first decoded values.'
              : `${names.length} channel${names.length === 1 ? '' : 's'}: `}
          </span>
          {names.length > 0 && <span className="console-channel-names">{names.join(', ')}</span>}
          <button
            type="button"
            className="small"
            disabled={unplotted.length === 0}
            onClick={() => onPlotChannels(names)}
            title={
              names.length === 0
                ? 'Nothing to plot yet'
                : unplotted.length === 0
                  ? 'All of them are plotted'
                  : `Plot ${unplotted.join(', ')}`
            }
            data-testid="console-plot-channels"
          >
            {names.length > 0 && unplotted.length === 0 ? 'Plotted' : 'Plot channels'}
          </button>
        </div>
      </div>

      {readError && (
        <p className="detail-error" role="status" data-testid="console-error">
          {readError}
        </p>
      )}

      <div
        className={`console-out${hex ? ' hex' : ''}`}
        ref={outRef}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
        role="log"
        aria-live="off"
        aria-label="Traffic"
        tabIndex={0}
        data-testid="console-output"
      >
        {cut && <div className="console-note">Older traffic is no longer shown here.</div>}
        {entries.length === 0 && (
          <div className="console-note">
            {readError ? '' : 'Nothing received yet. Received bytes show here; what you send is marked →.'}
          </div>
        )}
        {hex ? <HexView entries={entries} /> : <TextView entries={entries} />}
      </div>

      <div className="console-foot dim">
        received {formatBytes(totals.rx)} · sent {formatBytes(totals.tx)} · since opened
      </div>
      <SendLine client={client} sourceId={sourceId} />
    </aside>
  );
}

function TextView({ entries }: { entries: readonly Entry[] }) {
  const parts = useMemo(() => {
    const out: ReactNode[] = [];
    const budget = { left: MAX_CONTROL_MARKS };
    let run: Uint8Array[] = [];
    let runKey = '';
    const flush = () => {
      if (run.length === 0) return;
      const total = run.reduce((n, b) => n + b.length, 0);
      const joined = new Uint8Array(total);
      let at = 0;
      for (const b of run) {
        joined.set(b, at);
        at += b.length;
      }
      out.push(
        <span key={runKey} className="console-rx">
          {terminalNodes(decoder.decode(joined), budget)}
        </span>,
      );
      run = [];
    };
    for (const e of entries) {
      if (e.kind === 'note') {
        flush();
        out.push(
          <div key={e.key} className="console-note">
            {e.text}
          </div>,
        );
      } else if (e.chunk.dir === 'rx') {
        if (run.length === 0) runKey = e.key;
        run.push(e.bytes);
      } else {
        flush();
        out.push(<SentLine key={e.key} chunk={e.chunk} bytes={e.bytes} budget={budget} />);
      }
    }
    flush();
    return out;
  }, [entries]);
  return <>{parts}</>;
}

const ENDING_NAMES: Record<string, string> = { '\r\n': 'CR LF', '\n': 'LF', '\r': 'CR' };

function SentLine({
  chunk,
  bytes,
  budget,
}: {
  chunk: ConsoleChunk;
  bytes: Uint8Array;
  budget: { left: number };
}) {
  const timeFormat = useTimeFormat();
  let body: ReactNode;
  let ending = '';
  if (chunk.text !== null) {
    const m = /(\r\n|\r|\n)$/.exec(chunk.text);
    ending = m ? ENDING_NAMES[m[1]!]! : '';
    body = terminalNodes(m ? chunk.text.slice(0, -m[1]!.length) : chunk.text, budget);
  } else {
    body = Array.from(bytes, hexByte).join(' ');
  }
  return (
    <div className="console-tx" title={`sent ${timeFormat.full(chunk.ts)}, ${chunk.bytes} bytes`}>
      <span className="console-dir" aria-label="sent">
        →
      </span>{' '}
      {body}
      {ending && (
        <span className="console-ending" title="line ending sent">
          {ending}
        </span>
      )}
    </div>
  );
}

function HexView({ entries }: { entries: readonly Entry[] }) {
  const timeFormat = useTimeFormat();
  const rows = useMemo(() => {
    const out: ReactNode[] = [];
    for (const e of entries) {
      if (e.kind === 'note') {
        out.push(
          <div key={e.key} className="console-note">
            {e.text}
          </div>,
        );
        continue;
      }
      const { chunk, bytes } = e;
      for (let i = 0; i < bytes.length || i === 0; i += 16) {
        const row = bytes.subarray(i, i + 16);
        out.push(
          <div key={`${e.key}:${i}`} className={`hex-row console-${chunk.dir}`}>
            <span className="hex-time">{i === 0 ? timeFormat.time(chunk.ts, true) : ''}</span>
            <span className="console-dir" aria-label={chunk.dir === 'rx' ? 'received' : 'sent'}>
              {i === 0 ? (chunk.dir === 'rx' ? '←' : '→') : ''}
            </span>
            <span className="hex-bytes">{Array.from(row, hexByte).join(' ').padEnd(47, ' ')}</span>
            <span className="hex-ascii">
              {Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '·')).join('')}
            </span>
          </div>,
        );
      }
    }
    return out.length > MAX_HEX_ROWS ? out.slice(-MAX_HEX_ROWS) : out;
  }, [entries, timeFormat]);
  return <>{rows}</>;
}

function SendLine({ client, sourceId }: { client: RpcClient | null; sourceId: string }) {
  const [text, setText] = useState('');
  const [ending, setEnding] = useState<LineEnding>('lf');
  const [asHex, setAsHex] = useState(false);
  const [sending, setSending] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const history = useRef<string[]>([]);
  const historyAt = useRef(-1);

  const hexProblem =
    asHex && parseHex(text) === null ? 'hex: pairs of 0-9 and a-f, e.g. "01 03 00 00"' : null;
  const empty = text === '' && ending === 'none';

  const send = async (e: FormEvent) => {
    e.preventDefault();
    if (!client || sending || empty) return;
    if (hexProblem) {
      setOutcome({ ok: false, text: hexProblem });
      return;
    }
    setSending(true);
    setOutcome(null);
    try {
      const result = await client.call('sendToSource', {
        source: sourceId,
        data: text,
        encoding: asHex ? 'hex' : 'utf8',
        lineEnding: ending,
      });
      setOutcome({ ok: true, text: `sent ${result.bytes} byte${result.bytes === 1 ? '' : 's'}` });
      if (text !== '' && history.current[0] !== text)
        history.current = [text, ...history.current].slice(0, HISTORY_SIZE);
      historyAt.current = -1;
      setText('');
    } catch (error) {
      setOutcome({ ok: false, text: errorText(error) });
    } finally {
      setSending(false);
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
    const list = history.current;
    if (list.length === 0) return;
    e.preventDefault();
    const next = Math.max(-1, Math.min(list.length - 1, historyAt.current + (e.key === 'ArrowUp' ? 1 : -1)));
    historyAt.current = next;
    setText(next < 0 ? '' : list[next]!);
  };

  return (
    <form className="console-send" onSubmit={(e) => void send(e)}>
      <div className="console-send-row">
        <input
          type="text"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setOutcome(null);
          }}
          onKeyDown={onKeyDown}
          placeholder={asHex ? 'hex bytes, e.g. 01 03 00 00' : 'command to send (↑ for earlier ones)'}
          aria-label="Command to send"
          aria-invalid={hexProblem ? true : undefined}
          spellCheck={false}
          autoComplete="off"
          data-testid="console-input"
        />
        <button
          type="submit"
          className="primary"
          disabled={!client || sending || empty}
          data-testid="console-send"
        >
          {sending ? 'Sending…' : 'Send'}
        </button>
      </div>
      <div className="console-send-row">
        <label>
          <span className="dim">Line ending</span>{' '}
          <select
            value={ending}
            onChange={(e) => setEnding(e.target.value as LineEnding)}
            data-testid="console-line-ending"
          >
            {LINE_ENDINGS.map((l) => (
              <option key={l.value} value={l.value}>
                {l.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input
            type="checkbox"
            checked={asHex}
            onChange={(e) => {
              setAsHex(e.target.checked);
              // Bytes typed in hex are usually a whole frame: no line ending unless asked for.
              if (e.target.checked) setEnding('none');
            }}
            data-testid="console-send-hex"
          />{' '}
          hex
        </label>
        {outcome && (
          <span
            className={`publish-outcome ${outcome.ok ? 'ok' : 'failed'}`}
            role={outcome.ok ? 'status' : 'alert'}
            data-testid="console-send-result"
          >
            {outcome.ok ? outcome.text : `Not sent: ${outcome.text}`}
          </span>
        )}
      </div>
    </form>
  );
}
