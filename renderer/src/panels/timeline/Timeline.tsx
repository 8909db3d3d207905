// The timeline: the whole workspace on one axis (density of samples, records and quarantine per
// source, live alert transitions, annotations, marked ranges), and the replay controls. It drives
// the console's one range and cursor (console-time.tsx): a click puts the cursor there, a
// shift-drag selects a range, the wheel zooms (weeks down to milliseconds) around the pointer.
// While a replay plays, the engine pushes its cursor and every panel follows it on event time: the
// plots show the minute ending at the cursor, the log view that minute's records, and the replay's
// own alert list what its rules fired and resolved. "Live" closes the replay and returns to live.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Annotation, ReplayState } from '../../../../shared/api';
import type { NamedRecording } from '../../../../shared/recordings';
import type { ReplayCommand, ReplaySpeed, TimelineDensity } from '../../../../shared/replay';
import type { RpcClient } from '../../../../shared/rpc';
import { useConsoleTime } from '../../console-time';
import { errorText } from '../../format';
import { useTimeFormat } from '../../time-zone';
import { useSubscription } from '../../useSubscription';
import './timeline.css';
import { timeAt, wheelFactor, windowEndingAt, xOf, zoomView, type TimelineView } from './timeline-view';

/** A named recording's span on the timeline (a running one ends now). */
interface MarkedRange {
  from: number;
  to: number;
  label: string;
}

const SPEEDS: readonly ReplaySpeed[] = [0.1, 0.5, 1, 2, 5, 10, 100, 1000, 'max'];
const WIDTH = 1000;
const LANE_HEIGHT = 14;
const BUCKETS = 400;

const speedLabel = (s: ReplaySpeed) => (s === 'max' ? 'max' : `${s}×`);

export function Timeline({ client, onError }: { client: RpcClient | null; onError(message: string): void }) {
  const format = useTimeFormat();
  const [time, timeStore] = useConsoleTime();
  const [density, setDensity] = useState<TimelineDensity | null>(null);
  const [view, setView] = useState<TimelineView | null>(null);
  const [annotations, setAnnotations] = useState<Annotation[]>([]);
  const [recordings, setRecordings] = useState<NamedRecording[]>([]);
  useSubscription(client, 'recordings', client ? {} : null, setRecordings, onError);
  const marks: MarkedRange[] = recordings.map((r) => ({
    from: r.from,
    to: r.to ?? Math.max(r.from, time.cursor ?? 0, Date.now()),
    label: `recording ${r.name} (${r.sources.join(', ')})${r.to === null ? ', running' : ''}`,
  }));
  const [replay, setReplay] = useState<ReplayState | null>(null);
  const [replayId, setReplayId] = useState<string | null>(null);
  const [speed, setSpeed] = useState<ReplaySpeed>(10);
  const [loop, setLoop] = useState(false);
  const svgRef = useRef<SVGSVGElement>(null);
  const drag = useRef<{ start: number; select: boolean } | null>(null);
  const [selecting, setSelecting] = useState<TimelineView | null>(null);
  /** The range shift-dragged on the timeline: what Play replays (else the whole workspace). */
  const [selected, setSelected] = useState<TimelineView | null>(null);

  // The whole workspace first; then the view, as it is zoomed and panned.
  const load = useCallback(
    async (range: TimelineView | null) => {
      if (!client) return;
      try {
        const next = await client.call('timeline', {
          ...(range ? { from: range.from, to: range.to } : {}),
          buckets: BUCKETS,
        });
        setDensity(next);
        if (!range && next.to > next.from) setView({ from: next.from, to: next.to });
        const notes = await client.call('annotations', { from: next.from, to: next.to + 1 });
        setAnnotations(notes);
      } catch (error) {
        onError(`timeline: ${errorText(error)}`);
      }
    },
    [client, onError],
  );
  useEffect(() => void load(null), [load]);
  useEffect(() => {
    if (!view || !density || (view.from === density.from && view.to === density.to)) return;
    const timer = window.setTimeout(() => void load(view), 150);
    return () => window.clearTimeout(timer);
  }, [view, density, load]);

  // The replay pushes its cursor: every panel follows through the console's range and cursor.
  useSubscription(
    client,
    'replay',
    replayId ? { id: replayId, limit: 200 } : null,
    (state) => {
      setReplay(state);
      timeStore.setCursor(state.cursor);
      timeStore.setRange(windowEndingAt(state.cursor, state));
    },
    (message) => onError(`replay: ${message}`),
  );

  const control = useCallback(
    async (command: ReplayCommand) => {
      if (!client || !replayId) return;
      try {
        await client.call('replayControl', { id: replayId, command });
      } catch (error) {
        onError(`replay: ${errorText(error)}`);
      }
    },
    [client, replayId, onError],
  );

  /** Opens a replay of the selection (or the whole workspace) from the cursor, and plays it. */
  const play = useCallback(async () => {
    if (!client) return;
    if (replayId) {
      await control({ action: 'play' });
      return;
    }
    const range = selected ?? (density && density.to > density.from ? density : null);
    if (!range) return onError('replay: nothing stored to replay');
    try {
      const opened = await client.call('replayOpen', { from: range.from, to: range.to, speed, loop });
      const start = time.cursor ?? range.from;
      if (start > range.from && start < range.to)
        await client.call('replayControl', { id: opened.id, command: { action: 'seek', at: start } });
      await client.call('replayControl', { id: opened.id, command: { action: 'play' } });
      setReplayId(opened.id);
    } catch (error) {
      onError(`replay: ${errorText(error)}`);
    }
  }, [client, replayId, control, selected, time.cursor, density, speed, loop, onError]);

  const goLive = useCallback(async () => {
    const id = replayId;
    setReplayId(null);
    setReplay(null);
    timeStore.setRange(null);
    timeStore.setCursor(null);
    if (client && id) await client.call('replayClose', { id }).catch(() => undefined);
  }, [client, replayId, timeStore]);

  // A replay left open when the timeline goes away is closed with it.
  const openId = useRef<string | null>(null);
  openId.current = replayId;
  useEffect(
    () => () => {
      if (client && openId.current)
        void client.call('replayClose', { id: openId.current }).catch(() => undefined);
    },
    [client],
  );

  const pointerTime = (event: { clientX: number }) => {
    const svg = svgRef.current;
    if (!svg || !view) return null;
    const box = svg.getBoundingClientRect();
    return timeAt(view, ((event.clientX - box.left) / box.width) * WIDTH, WIDTH);
  };

  const onPointerDown = (event: React.PointerEvent<SVGSVGElement>) => {
    const t = pointerTime(event);
    if (t === null) return;
    event.currentTarget.setPointerCapture?.(event.pointerId);
    drag.current = { start: t, select: event.shiftKey };
    if (!event.shiftKey) scrub(t);
  };
  const onPointerMove = (event: React.PointerEvent<SVGSVGElement>) => {
    const d = drag.current;
    const t = pointerTime(event);
    if (!d || t === null) return;
    if (d.select) setSelecting({ from: Math.min(d.start, t), to: Math.max(d.start, t) });
    else scrub(t);
  };
  const onPointerUp = () => {
    const d = drag.current;
    drag.current = null;
    if (d?.select && selecting && selecting.to > selecting.from) {
      setSelected(selecting);
      timeStore.setRange(selecting);
      if (replayId) void control({ action: 'loop', loop, from: selecting.from, to: selecting.to });
    }
    setSelecting(null);
  };

  /** The cursor to `t`: the replay seeks there, else the panels show the minute ending there. */
  const scrub = (t: number) => {
    timeStore.setCursor(t);
    if (replayId) void control({ action: 'seek', at: t });
    else if (density) timeStore.setRange(windowEndingAt(t, density));
  };

  const onWheel = (event: React.WheelEvent<SVGSVGElement>) => {
    const t = pointerTime(event);
    if (t === null || !view) return;
    setView(zoomView(view, wheelFactor(event.deltaY, event.deltaMode), t));
  };

  const lanes = density?.lanes ?? [];
  const height = Math.max(1, lanes.length) * LANE_HEIGHT + 16;
  const paths = useMemo(
    () =>
      lanes.map((lane) => {
        const peak = Math.max(1, ...lane.counts);
        const w = WIDTH / lane.counts.length;
        return lane.counts
          .map((n, i) =>
            n > 0
              ? `M${(i * w).toFixed(1)} ${LANE_HEIGHT} v${(-(n / peak) * (LANE_HEIGHT - 2)).toFixed(1)}h${Math.max(0.5, w).toFixed(1)}V${LANE_HEIGHT}z`
              : '',
          )
          .join('');
      }),
    [lanes],
  );

  const mode = replayId ? 'replay' : 'live';
  useEffect(() => {
    document.body.dataset['consoleMode'] = mode;
    timeStore.setReplaying(mode === 'replay');
  }, [mode, timeStore]);

  const cursorX = view && time.cursor !== null ? xOf(view, time.cursor, WIDTH) : null;
  const selection = selecting ?? selected;
  return (
    <section className={`timeline timeline-${mode}`} aria-label="Timeline" data-testid="timeline">
      <div className="timeline-controls">
        <span
          className={`badge ${mode === 'replay' ? 'badge-warn' : 'badge-ok'} mode-indicator`}
          data-testid="mode-indicator"
          data-mode={mode}
          title={mode === 'replay' ? 'Panels show the replay, on event time' : 'Panels show live data'}
        >
          {mode === 'replay' ? `REPLAY ${speedLabel(replay?.speed ?? speed)}` : 'LIVE'}
        </span>
        {replay && (
          <span className="replay-cursor" data-testid="replay-cursor" data-value={replay.cursor}>
            {format.date(replay.cursor)} {format.time(replay.cursor, true)} · {replay.state}
            {replay.draftRules ? ' · draft rules' : ''}
          </span>
        )}
        <button
          type="button"
          onClick={() => void (replay?.state === 'playing' ? control({ action: 'pause' }) : play())}
          disabled={!client}
          data-testid="replay-play"
        >
          {replay?.state === 'playing' ? 'Pause' : 'Play'}
        </button>
        <button
          type="button"
          onClick={() => void control({ action: 'step', ms: 1_000 })}
          disabled={!replayId}
          title="Play one second of event time, then pause"
        >
          Step 1 s
        </button>
        <label>
          Speed{' '}
          <select
            value={String(speed)}
            data-testid="replay-speed"
            onChange={(e) => {
              const next = e.target.value === 'max' ? 'max' : Number(e.target.value);
              setSpeed(next);
              void control({ action: 'speed', speed: next });
            }}
          >
            {SPEEDS.map((s) => (
              <option key={String(s)} value={String(s)}>
                {speedLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <label title="Loop the selected range">
          <input
            type="checkbox"
            checked={loop}
            onChange={(e) => {
              setLoop(e.target.checked);
              void control({ action: 'loop', loop: e.target.checked });
            }}
          />{' '}
          Loop
        </label>
        <button type="button" onClick={() => void goLive()} disabled={!replayId} data-testid="go-live">
          Back to live
        </button>
        <button type="button" onClick={() => density && setView({ from: density.from, to: density.to })}>
          Whole workspace
        </button>
        {view && (
          <span className="timeline-span">
            {format.date(view.from)} {format.time(view.from, true)} – {format.time(view.to, true)}
          </span>
        )}
      </div>
      <svg
        ref={svgRef}
        className="timeline-lanes"
        viewBox={`0 0 ${WIDTH} ${height}`}
        preserveAspectRatio="none"
        height={height}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onWheel={onWheel}
        data-testid="timeline-lanes"
        role="slider"
        aria-label="Timeline: click to move the cursor, shift-drag to select a range, wheel to zoom"
        aria-valuenow={time.cursor ?? undefined}
      >
        {lanes.map((lane, i) => (
          <g key={`${lane.kind}:${lane.source}`} transform={`translate(0 ${i * LANE_HEIGHT})`}>
            <title>{`${lane.source} ${lane.kind}`}</title>
            <path d={paths[i]} className={`lane lane-${lane.kind}`} />
          </g>
        ))}
        {view &&
          marks.map((m) => (
            <rect
              key={`${m.from}-${m.label}`}
              className="timeline-mark"
              x={xOf(view, m.from, WIDTH)}
              width={Math.max(1, xOf(view, m.to, WIDTH) - xOf(view, m.from, WIDTH))}
              y={0}
              height={height}
            >
              <title>{m.label}</title>
            </rect>
          ))}
        {view &&
          annotations.map((a) => (
            <rect
              key={a.id}
              className="timeline-annotation"
              x={xOf(view, a.ts, WIDTH)}
              width={Math.max(1.5, a.tsEnd === null ? 0 : xOf(view, a.tsEnd, WIDTH) - xOf(view, a.ts, WIDTH))}
              y={height - 6}
              height={6}
            >
              <title>{a.text}</title>
            </rect>
          ))}
        {view &&
          (density?.alerts ?? []).map((a, i) => (
            <line
              key={`${a.ts}-${a.rule}-${i}`}
              className={`timeline-alert timeline-alert-${a.state}`}
              x1={xOf(view, a.ts, WIDTH)}
              x2={xOf(view, a.ts, WIDTH)}
              y1={0}
              y2={height}
              data-testid="timeline-alert"
            >
              <title>{`${a.rule} ${a.state}`}</title>
            </line>
          ))}
        {view && selection && (
          <rect
            className="timeline-selection"
            x={xOf(view, selection.from, WIDTH)}
            width={Math.max(1, xOf(view, selection.to, WIDTH) - xOf(view, selection.from, WIDTH))}
            y={0}
            height={height}
          />
        )}
        {cursorX !== null && (
          <line
            className="timeline-cursor"
            x1={cursorX}
            x2={cursorX}
            y1={0}
            y2={height}
            data-testid="timeline-cursor"
          />
        )}
      </svg>
      {replay && (
        <ul className="replay-alerts" aria-label="Replay alerts" data-testid="replay-alerts">
          {replay.transitions.length === 0 && (
            <li className="empty">No alert transitions in the replay yet.</li>
          )}
          {replay.transitions
            .slice(-8)
            .reverse()
            .map((t) => (
              <li key={`${t.ts}-${t.rule}-${t.state}`} data-testid="replay-alert" data-state={t.state}>
                <span className={`badge state-${t.state}`}>{t.state}</span> {t.rule} {format.time(t.ts, true)}
                {t.value !== null ? ` · ${t.value}` : ''}
              </li>
            ))}
        </ul>
      )}
    </section>
  );
}
