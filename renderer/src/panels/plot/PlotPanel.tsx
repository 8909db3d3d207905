// One plot panel: a uPlot chart of min/max buckets, live from the feed or, once the user zooms or
// pans back, from the store. React renders the frame around the chart; the chart itself and the
// cursor readout are updated directly, at most once per animation frame.
import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent as ReactKeyboardEvent,
} from 'react';
import uPlot from 'uplot';
import type { AlertInstanceInfo, Annotation, ChannelInfo } from '../../../../shared/api';
import type { RpcClient } from '../../../../shared/rpc';
import type { PlotPanel as PlotPanelConfig } from '../../../../shared/schemas';
import { formatDuration } from '../../format';
import type { LayoutAction } from '../../layout/layout-state';
import type { BucketView, LiveFeed } from '../../live-data';
import { cssVar, seriesColor, withAlpha, type Theme } from '../../theme';
import { useTimeFormat } from '../../time-zone';
import { useConsoleTime } from '../../console-time';
import { useDismissable } from '../../widgets/useDismissable';
import { ChannelBrowser } from '../../channel-browser/ChannelBrowser';
import { axesFor, scaleOf } from './axes';
import { decimalsForRange, decimalsForStep, formatFixed, rangeOf } from './precision';
import { PanelControls } from './PanelControls';
import { alignBuckets, bucketAt } from './plot-data';
import { usePanelResize } from './usePanelResize';
import './plot.css';

export type { PlotPanelConfig };

/** An alert transition of a rule on one of the panel's channels, drawn as a vertical line. */
export interface AlertMark {
  ts: number;
  rule: string;
  from: AlertInstanceInfo['state'];
  state: AlertInstanceInfo['state'];
}

type View = { mode: 'live' } | { mode: 'history'; from: number; to: number };

const WINDOW_CHOICES = [10_000, 60_000, 600_000, 3_600_000];
const GAP_CHOICES = [0, 2, 3, 5, 10, 50];
const EMPTY: BucketView = { t: new Float64Array(0), min: new Float64Array(0), max: new Float64Array(0) };
/** Pans and wheel zooms come in bursts: ask the store once the burst settles. */
const HISTORY_FETCH_DELAY_MS = 150;
const MIN_SPAN_MS = 20;
const MAX_SPAN_MS = 31 * 86_400_000;
const MAX_SERIES_POINTS = 10_000;
const PLOT_KEYS =
  'Drag to zoom, wheel to zoom, Shift+wheel or ←/→ to pan, +/− to zoom, P to pause, L or Esc for live.';

interface PlotPanelProps {
  panel: PlotPanelConfig;
  /** Every channel the engine knows, for the picker and to map names to ids. */
  channels: readonly ChannelInfo[];
  feed: LiveFeed;
  client: RpcClient | null;
  theme: Theme;
  /** Alert transitions to mark, oldest first. */
  alertMarks?: readonly AlertMark[] | undefined;
  /** The panel's channels changed in its picker; the caller owns `panel.channels`. */
  onChannelsChange(panelId: string, channels: readonly string[]): void;
  /** Renames, moves, resizes or removes the panel (the caller owns the layout). */
  onLayout(action: LayoutAction): void;
  /** Its place in the layout, for the move buttons. */
  position: { index: number; count: number };
  /** The user asked for a channel's settings (its name in the readout). */
  onChannelSettings?(channel: ChannelInfo): void;
  /** The channel picker was opened: a good moment to re-read the channel list (new sources). */
  onPickerOpen?(): void;
  onError(message: string): void;
}

/** How often a live plot looks for annotations again (the window moves; others may add some). */
const ANNOTATION_REFRESH_MS = 10_000;

interface Drawn {
  ids: readonly number[];
  views: readonly BucketView[];
}

export function PlotPanel({
  panel,
  channels,
  feed,
  client,
  theme,
  alertMarks,
  onChannelsChange,
  onLayout,
  position,
  onPickerOpen,
  onChannelSettings,
  onError,
}: PlotPanelProps) {
  const title = panel.title || panel.id;
  const selected = panel.channels;
  const timeFormat = useTimeFormat();
  const windowMs = panel.windowMs;
  const setWindowMs = (ms: number) => onLayout({ type: 'setWindow', panel: panel.id, windowMs: ms });
  const resize = usePanelResize(panel.height, (height) =>
    onLayout({ type: 'resizePanel', panel: panel.id, height }),
  );
  const [paused, setPaused] = useState(false);
  const [view, setView] = useState<View>({ mode: 'live' });
  const [history, setHistory] = useState<{ loading: boolean; error: string | null }>({
    loading: false,
    error: null,
  });
  const [widthPx, setWidthPx] = useState(0);

  const byName = useMemo(() => new Map(channels.map((c) => [c.name, c])), [channels]);
  const shown = useMemo(
    () => selected.map((name) => byName.get(name)).filter((c): c is ChannelInfo => c !== undefined),
    [selected, byName],
  );
  const waiting = selected.filter((name) => !byName.has(name));
  const structureKey = shown
    .map((c) => `${c.id}:${c.name}:${c.unit}:${c.displayName}:${c.decimals ?? ''}`)
    .join('|');
  const ids = useMemo(() => shown.map((c) => c.id), [shown]);
  const idsKey = ids.join(',');

  const hostRef = useRef<HTMLDivElement>(null);
  const readoutRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const rangeRef = useRef<[number, number] | null>(null);
  const drawnRef = useRef<Drawn>({ ids: [], views: [] });
  // The latest state, for callbacks registered once (uPlot hooks, the feed listener).
  const gapFactor = panel.gapFactor;
  const stateRef = useRef({ shown, windowMs, paused, view, timeFormat, gapFactor });
  useLayoutEffect(() => {
    stateRef.current = { shown, windowMs, paused, view, timeFormat, gapFactor };
  });
  // Alert markers are drawn by the chart's draw hook; a change redraws once (a live plot would soon anyway).
  const marksRef = useRef<readonly AlertMark[]>([]);
  useLayoutEffect(() => {
    const marks = alertMarks ?? [];
    if (marks === marksRef.current) return;
    marksRef.current = marks;
    plotRef.current?.redraw(false, false);
  }, [alertMarks]);

  // Annotations in view (of the whole workspace or of a channel shown), drawn by the same hook.
  const notesRef = useRef<readonly Annotation[]>([]);
  useEffect(() => {
    if (!client) return;
    let cancelled = false;
    const load = () => {
      const { view: v, windowMs: w } = stateRef.current;
      const now = Date.now();
      const range = v.mode === 'history' ? { from: v.from, to: v.to } : { from: now - w, to: now + w };
      client
        .call('annotations', range)
        .then((list) => {
          if (cancelled) return;
          const names = new Set(selected);
          notesRef.current = list.filter(
            (a) => a.channels.length === 0 || a.channels.some((c) => names.has(c)),
          );
          plotRef.current?.redraw(false, false);
        })
        .catch(() => undefined); // a workspace from before annotations has none to show
    };
    load();
    // Live, the window moves and others may annotate: look again now and then.
    const timer = view.mode === 'live' ? window.setInterval(load, ANNOTATION_REFRESH_MS) : undefined;
    return () => {
      cancelled = true;
      window.clearInterval(timer);
    };
    // selected stands for the panel's channels; view for the range.
  }, [client, view, selected.join('\n')]);

  /** The annotation under the cursor (a range containing it, an instant within a few pixels), as the chart's tooltip. */
  const showNoteAtCursor = useCallback((u: uPlot) => {
    const host = hostRef.current;
    if (!host) return;
    const left = u.cursor.left ?? -1;
    const note =
      left < 0
        ? undefined
        : notesRef.current.find((a) => {
            const x = u.valToPos(a.ts, 'x');
            return a.tsEnd === null ? Math.abs(x - left) <= 5 : left >= x && left <= u.valToPos(a.tsEnd, 'x');
          });
    if (note) host.title = `${note.author}: ${note.text}`;
    else host.removeAttribute('title');
  }, []);

  const updateReadout = useCallback(() => {
    const box = readoutRef.current;
    const u = plotRef.current;
    if (!box || !u) return;
    const { ids: drawnIds, views } = drawnRef.current;
    const left = u.cursor.left ?? -1;
    const atCursor = left >= 0;
    const time = atCursor ? u.posToVal(left, 'x') : NaN;
    const timeLabel = box.querySelector<HTMLElement>('[data-role="time"]');
    if (timeLabel) timeLabel.textContent = atCursor ? stateRef.current.timeFormat.time(time, true) : 'latest';
    for (const cell of box.querySelectorAll<HTMLElement>('[data-value-of]')) {
      const index = drawnIds.indexOf(Number(cell.dataset.valueOf));
      const v = views[index];
      const i = !v ? -1 : atCursor ? bucketAt(v.t, time) : v.t.length - 1;
      if (!v || i < 0) {
        cell.textContent = '—';
        continue;
      }
      const lo = v.min[i]!;
      const hi = v.max[i]!;
      // The channel's decimals, or as many as the values in view need (GPS latitudes: six).
      const configured = stateRef.current.shown.find((c) => c.id === drawnIds[index])?.decimals ?? null;
      const decimals = configured ?? decimalsForRange(...rangeOf(v.min, v.max));
      cell.dataset.decimals = String(decimals);
      const f = (x: number) => formatFixed(x, decimals);
      cell.textContent = lo === hi ? f(lo) : `${f(lo)} … ${f(hi)}`;
    }
  }, []);

  const render = useCallback(
    (drawn: Drawn, from: number, to: number) => {
      const u = plotRef.current;
      const host = hostRef.current;
      if (!u || !host || drawn.views.length !== (u.series.length - 1) / 2) return;
      const columns = alignBuckets(drawn.views, stateRef.current.gapFactor);
      rangeRef.current = [from, to];
      drawnRef.current = drawn;
      u.batch(() => {
        u.setData(columns.data, false);
        // Whole milliseconds: uPlot places time ticks a millisecond early on fractional bounds.
        u.setScale('x', { min: Math.floor(from), max: Math.ceil(to) });
      });
      host.dataset.lastT = Number.isNaN(columns.lastT) ? '' : String(columns.lastT);
      host.dataset.points = String(columns.points);
      host.dataset.gaps = String(columns.gaps);
      updateReadout();
    },
    [updateReadout],
  );

  const liveEdge = useCallback(
    () => (Number.isNaN(feed.latestT) ? Date.now() : feed.latestT + feed.bucketMs),
    [feed],
  );

  const drawLive = useCallback(() => {
    const { shown: current, windowMs: span } = stateRef.current;
    const to = liveEdge();
    const from = to - span;
    // Copies (bounded by the columns): the feed reuses its arrays, and a paused plot must keep its picture.
    const views = current.map((c): BucketView => {
      const v = feed.buffer(c.id)?.view(from - feed.bucketMs, to);
      return v ? { t: v.t.slice(), min: v.min.slice(), max: v.max.slice() } : EMPTY;
    });
    render({ ids: current.map((c) => c.id), views }, from, to);
  }, [feed, liveEdge, render]);

  // The console's one time range (console-time.tsx): a zoom here sets it, and a range set
  // elsewhere (the log view's histogram, another plot) is shown here; its cursor is drawn as a line.
  const [consoleTime, consoleTimeStore] = useConsoleTime();
  const cursorRef = useRef<number | null>(consoleTime.cursor);
  const showRange = useCallback(
    (from: number, to: number) => {
      rangeRef.current = [from, to];
      plotRef.current?.setScale('x', { min: Math.floor(from), max: Math.ceil(to) });
      setView({ mode: 'history', from, to });
      consoleTimeStore.setRange({ from, to });
    },
    [consoleTimeStore],
  );

  const goLive = useCallback(() => {
    setView({ mode: 'live' });
    setPaused(false);
    consoleTimeStore.setRange(null);
  }, [consoleTimeStore]);

  useEffect(() => {
    const range = consoleTime.range;
    const current = stateRef.current.view;
    if (range === null) {
      if (current.mode === 'history') goLive();
    } else if (current.mode !== 'history' || current.from !== range.from || current.to !== range.to) {
      showRange(range.from, range.to);
    }
  }, [consoleTime.range, goLive, showRange]);

  useEffect(() => {
    cursorRef.current = consoleTime.cursor;
    plotRef.current?.redraw(false, false);
  }, [consoleTime.cursor]);

  const currentRange = useCallback((): [number, number] => {
    if (rangeRef.current) return rangeRef.current;
    const to = liveEdge();
    return [to - stateRef.current.windowMs, to];
  }, [liveEdge]);

  /** Moves the view by a fraction of its width; forward past the newest data means live again. */
  const pan = useCallback(
    (fraction: number) => {
      const [from, to] = currentRange();
      const shift = (to - from) * fraction;
      if (shift > 0 && to + shift >= liveEdge()) {
        if (stateRef.current.view.mode === 'history') goLive();
        return;
      }
      showRange(from + shift, to + shift);
    },
    [currentRange, liveEdge, goLive, showRange],
  );

  /** Scales the view's width by `factor` around `anchor` (a time; the right edge when absent). */
  const zoom = useCallback(
    (factor: number, anchor?: number) => {
      const [from, to] = currentRange();
      const span = to - from;
      const nextSpan = Math.min(MAX_SPAN_MS, Math.max(MIN_SPAN_MS, span * factor));
      const a = anchor ?? (stateRef.current.view.mode === 'live' ? to : (from + to) / 2);
      const nextFrom = a - ((a - from) * nextSpan) / span;
      showRange(nextFrom, nextFrom + nextSpan);
    },
    [currentRange, showRange],
  );

  // The chart: rebuilt when the channels (their number, units, names), the theme or the time zone change.
  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    const { shown: current } = stateRef.current;
    const axisColor = cssVar('--plot-axis') || '#9aa4b2';
    const gridColor = cssVar('--plot-grid') || '#2a2f3a';
    const font = '11px system-ui, sans-serif';
    const axisList = axesFor(
      current.map((c) => ({ id: c.id, label: c.displayName || c.name, unit: c.unit })),
    );
    if (axisList.length === 0) axisList.push({ scale: 'y', label: '', channels: [] });

    const series: uPlot.Series[] = [{}];
    const bands: uPlot.Band[] = [];
    current.forEach((c, i) => {
      const color = seriesColor(theme, i);
      // A null in the data is a gap (plot-data.ts puts one where the channel went quiet): never bridged.
      const edge = { scale: scaleOf(axisList, c.id), stroke: color, width: 1, spanGaps: false };
      const label = c.displayName || c.name;
      series.push({ ...edge, label: `${label} max` }, { ...edge, label: `${label} min` });
      bands.push({ series: [1 + 2 * i, 2 + 2 * i], fill: withAlpha(color, 0.3) });
    });
    const scales: uPlot.Scales = { x: { time: true, auto: false } };
    for (const axis of axisList) scales[axis.scale] = { auto: true };
    host.dataset.axes = JSON.stringify(axisList.map((a) => a.label));
    const axes: uPlot.Axis[] = [
      {
        stroke: axisColor,
        font,
        // The tick labels, and under them a line for the zone marker (.plot-time-zone).
        size: 42,
        // Room for "12:34:56.789" between ticks.
        space: 90,
        grid: { stroke: gridColor, width: 1 },
        ticks: { stroke: gridColor, width: 1, size: 4 },
        values: (_u, splits, _axis, _space, spacing) => splits.map((t) => timeFormat.tick(t, spacing)),
      },
      ...axisList.map((axis, i): uPlot.Axis => ({
        scale: axis.scale,
        side: i % 2 === 0 ? 3 : 1,
        label: axis.label || undefined,
        labelSize: axis.label ? 14 : 0,
        labelFont: font,
        stroke: axisColor,
        font,
        // Wide enough for the longest tick label (48.13725) beside the axis label.
        size: (_u, values) =>
          Math.max(50, 16 + (axis.label ? 14 : 0) + 7 * Math.max(0, ...(values ?? []).map((v) => v.length))),
        grid: i === 0 ? { stroke: gridColor, width: 1 } : { show: false },
        ticks: { stroke: gridColor, width: 1, size: 4 },
        // Ticks differ in the decimals they are apart by (1013.2, 1013.4, not 1013, 1013).
        values: (_u, splits, _axis, _space, step) => {
          const decimals = decimalsForStep(step);
          return splits.map((v) => formatFixed(v, decimals));
        },
      })),
    ];
    const markColors: Record<AlertMark['state'], string> = {
      firing: cssVar('--error') || '#ef5350',
      recovering: cssVar('--warn') || '#ffb300',
      pending: cssVar('--warn') || '#ffb300',
      resolved: cssVar('--ok') || '#4caf50',
      normal: cssVar('--ok') || '#4caf50',
      nodata: cssVar('--idle') || '#6b7280',
      error: cssVar('--idle') || '#6b7280',
    };
    /** Vertical lines at the transitions in view (the marks are sorted: a binary search finds the first). */
    const drawMarks = (u: uPlot) => {
      const marks = marksRef.current;
      const min = u.scales['x']?.min;
      const max = u.scales['x']?.max;
      let drawn = 0;
      let notes = 0;
      if (min !== undefined && max !== undefined) {
        // Annotations: a range shaded, an instant a dotted line.
        const ctx = u.ctx;
        const { top, height, left, width } = u.bbox;
        const px = uPlot.pxRatio;
        const color = cssVar('--accent') || '#5b9bd5';
        ctx.save();
        for (const note of notesRef.current) {
          const end = note.tsEnd ?? note.ts;
          if (end < min || note.ts > max) continue;
          const x0 = Math.max(left, Math.round(u.valToPos(note.ts, 'x', true)));
          if (note.tsEnd !== null) {
            const x1 = Math.min(left + width, Math.round(u.valToPos(note.tsEnd, 'x', true)));
            ctx.fillStyle = withAlpha(color, 0.14);
            ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
          } else {
            ctx.strokeStyle = color;
            ctx.lineWidth = 1.5 * px;
            ctx.setLineDash([2 * px, 3 * px]);
            ctx.beginPath();
            ctx.moveTo(x0, top);
            ctx.lineTo(x0, top + height);
            ctx.stroke();
          }
          notes++;
        }
        ctx.restore();
      }
      host.dataset.annotations = String(notes);
      if (marks.length > 0 && min !== undefined && max !== undefined) {
        let lo = 0;
        let hi = marks.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (marks[mid]!.ts < min) lo = mid + 1;
          else hi = mid;
        }
        const ctx = u.ctx;
        const { top, height } = u.bbox;
        const px = uPlot.pxRatio;
        ctx.save();
        ctx.lineWidth = 2 * px;
        for (let i = lo; i < marks.length && marks[i]!.ts <= max; i++) {
          const mark = marks[i]!;
          const x = Math.round(u.valToPos(mark.ts, 'x', true));
          ctx.strokeStyle = markColors[mark.state];
          ctx.fillStyle = markColors[mark.state];
          ctx.setLineDash(mark.state === 'pending' ? [4 * px, 3 * px] : []);
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          // A small flag at the top, so a line is told from the data at a glance.
          ctx.beginPath();
          ctx.moveTo(x - 4 * px, top);
          ctx.lineTo(x + 4 * px, top);
          ctx.lineTo(x, top + 6 * px);
          ctx.closePath();
          ctx.fill();
          drawn++;
        }
        ctx.restore();
      }
      host.dataset.alertMarks = String(drawn);
      const cursor = cursorRef.current;
      const cursorShown =
        cursor !== null && min !== undefined && max !== undefined && cursor >= min && cursor <= max;
      if (cursorShown) {
        const x = Math.round(u.valToPos(cursor, 'x', true));
        const { top, height } = u.bbox;
        u.ctx.save();
        u.ctx.strokeStyle = cssVar('--accent') || '#4fc3f7';
        u.ctx.lineWidth = 1.5 * uPlot.pxRatio;
        u.ctx.setLineDash([6 * uPlot.pxRatio, 3 * uPlot.pxRatio]);
        u.ctx.beginPath();
        u.ctx.moveTo(x, top);
        u.ctx.lineTo(x, top + height);
        u.ctx.stroke();
        u.ctx.restore();
      }
      host.dataset.cursor = cursorShown ? String(cursor) : '';
    };
    const onSelect = (u: uPlot) => {
      const { left, width } = u.select;
      if (width < 3) return;
      const from = u.posToVal(left, 'x');
      const to = u.posToVal(left + width, 'x');
      u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
      if (to - from >= MIN_SPAN_MS) showRange(from, to);
    };
    const u = new uPlot(
      {
        width: Math.max(100, Math.floor(host.clientWidth)),
        height: Math.max(80, Math.floor(host.clientHeight)),
        ms: 1,
        // Ticks on whole hours and midnights of the clock shown (uPlot's default is the machine's).
        ...(timeFormat.utc ? { tzDate: (ms: number) => uPlot.tzDate(new Date(ms), 'Etc/UTC') } : {}),
        legend: { show: false },
        cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
        scales,
        series,
        axes,
        bands,
        hooks: {
          setSelect: [onSelect],
          setCursor: [() => updateReadout(), showNoteAtCursor],
          draw: [drawMarks],
        },
      },
      alignBuckets(current.map(() => EMPTY)).data,
      host,
    );
    plotRef.current = u;

    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const horizontal = Math.abs(e.deltaX) > Math.abs(e.deltaY);
      if (e.shiftKey || horizontal) {
        const delta = horizontal ? e.deltaX : e.deltaY;
        pan(Math.max(-0.5, Math.min(0.5, delta * 0.001)));
      } else {
        zoom(Math.exp(Math.max(-1, Math.min(1, e.deltaY * 0.002))), u.posToVal(e.offsetX, 'x'));
      }
    };
    u.over.addEventListener('wheel', onWheel, { passive: false });

    const resize = new ResizeObserver(() => {
      const width = Math.max(100, Math.floor(host.clientWidth));
      const height = Math.max(80, Math.floor(host.clientHeight));
      if (width !== u.width || height !== u.height) u.setSize({ width, height });
      setWidthPx(Math.round(u.bbox.width / uPlot.pxRatio));
    });
    resize.observe(host);

    // Show at once what there is: live data, or the history already drawn before a theme change.
    const { view: currentView, paused: isPaused } = stateRef.current;
    const before = drawnRef.current;
    const sameChannels = before.ids.join(',') === current.map((c) => c.id).join(',');
    if (currentView.mode === 'live' && !isPaused) drawLive();
    else if (sameChannels && rangeRef.current) render(before, ...rangeRef.current);

    return () => {
      resize.disconnect();
      u.over.removeEventListener('wheel', onWheel);
      u.destroy();
      plotRef.current = null;
    };
    // structureKey stands for `shown`, read through stateRef.
  }, [structureKey, theme, timeFormat, drawLive, render, showRange, pan, zoom, updateReadout]);

  // Live drawing: on every feed update while live and not paused, and at once when that starts.
  useEffect(
    () =>
      feed.listen(() => {
        const s = stateRef.current;
        if (s.view.mode === 'live' && !s.paused) drawLive();
      }),
    [feed, drawLive],
  );
  useEffect(() => {
    if (view.mode === 'live' && !paused) drawLive();
  }, [view, paused, windowMs, structureKey, drawLive]);
  // A new gap setting redraws what is shown (live redraws with the next frame anyway).
  useEffect(() => {
    const { view: v, paused: p } = stateRef.current;
    if ((v.mode !== 'live' || p) && rangeRef.current) render(drawnRef.current, ...rangeRef.current);
  }, [gapFactor, render]);

  // What this panel needs from the live subscription.
  useEffect(() => {
    feed.setNeed(panel.id, { channels: ids, windowMs, widthPx, live: view.mode === 'live' });
    // idsKey stands for ids.
  }, [feed, panel.id, idsKey, windowMs, widthPx, view.mode]);
  useEffect(() => () => feed.setNeed(panel.id, null), [feed, panel.id]);

  // History: ask the store for the view's range, one bucket per pixel.
  useEffect(() => {
    if (view.mode !== 'history') {
      setHistory({ loading: false, error: null });
      return;
    }
    if (!client || shown.length === 0) return;
    let cancelled = false;
    setHistory({ loading: true, error: null });
    const { from, to } = view;
    const timer = window.setTimeout(() => {
      client
        .call('series', {
          channels: shown.map((c) => c.id).slice(0, 64),
          from,
          to,
          maxPoints: Math.min(MAX_SERIES_POINTS, Math.max(1, widthPx || 600)),
        })
        .then((result) => {
          if (cancelled) return;
          const byId = new Map(result.channels.map((c) => [c.id, c]));
          const views = shown.map((c): BucketView => {
            const s = byId.get(c.id);
            if (!s) return EMPTY;
            // Views into the binary answer (shared/frames.ts), as a live frame's are.
            return { t: s.t, min: s.min, max: s.max };
          });
          render({ ids: shown.map((c) => c.id), views }, from, to);
          setHistory({ loading: false, error: null });
        })
        .catch((error: Error) => {
          if (cancelled) return;
          setHistory({ loading: false, error: error.message });
          onError(`loading history for plot "${title}" failed: ${error.message}`);
        });
    }, HISTORY_FETCH_DELAY_MS);
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
    // structureKey stands for shown.
  }, [view, client, structureKey, widthPx, render, onError, title]);

  const onKeyDown = (e: ReactKeyboardEvent) => {
    switch (e.key) {
      case 'ArrowLeft':
        pan(-0.25);
        break;
      case 'ArrowRight':
        pan(0.25);
        break;
      case '+':
      case '=':
        zoom(0.5);
        break;
      case '-':
      case '_':
        zoom(2);
        break;
      case 'End':
      case 'Escape':
      case 'l':
        goLive();
        break;
      case ' ':
      case 'p':
        if (view.mode === 'live') setPaused((p) => !p);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const toggleChannel = (name: string) =>
    onChannelsChange(
      panel.id,
      selected.includes(name) ? selected.filter((n) => n !== name) : [...selected, name],
    );
  const windowChoices = [...new Set([...WINDOW_CHOICES, panel.windowMs, windowMs])].sort((a, b) => a - b);

  return (
    <section
      className="plot-panel"
      aria-label={`Plot: ${title}`}
      data-testid={`panel-${panel.id}`}
      style={{ height: resize.height }}
    >
      <header className="panel-head">
        <PanelControls panel={panel} title={title} position={position} onLayout={onLayout} />
        <ModeBadge view={view} paused={paused} panelId={panel.id} />
        {history.loading && <span className="loading">loading…</span>}
        {history.error && (
          <span className="panel-error" title={history.error}>
            history unavailable
          </span>
        )}
        <div className="panel-tools">
          <ChannelPicker
            client={client}
            selected={selected}
            known={byName}
            onToggle={toggleChannel}
            onOpen={onPickerOpen}
            panelId={panel.id}
          />
          <label className="window-select">
            <span>Window</span>
            <select
              value={windowMs}
              onChange={(e) => {
                setWindowMs(Number(e.target.value));
                goLive();
              }}
            >
              {windowChoices.map((ms) => (
                <option key={ms} value={ms}>
                  {formatDuration(ms)}
                </option>
              ))}
            </select>
          </label>
          <label
            className="window-select"
            title="Break a line where its channel was quiet this many times its usual spacing"
          >
            <span>Gaps</span>
            <select
              value={gapFactor}
              onChange={(e) =>
                onLayout({ type: 'setGapFactor', panel: panel.id, gapFactor: Number(e.target.value) })
              }
              data-testid={`panel-gaps-${panel.id}`}
            >
              {[...new Set([...GAP_CHOICES, gapFactor])]
                .sort((a, b) => a - b)
                .map((f) => (
                  <option key={f} value={f}>
                    {f === 0 ? 'never break' : `after ${f}× spacing`}
                  </option>
                ))}
            </select>
          </label>
          <button
            type="button"
            onClick={() => setPaused((p) => !p)}
            disabled={view.mode !== 'live'}
            aria-pressed={paused}
          >
            {paused ? 'Resume' : 'Pause'}
          </button>
          <button
            type="button"
            className="primary"
            onClick={goLive}
            disabled={view.mode === 'live' && !paused}
          >
            Live
          </button>
        </div>
      </header>
      <div className="readout" ref={readoutRef} aria-live="off">
        <span className="readout-time" data-role="time">
          latest
        </span>
        {shown.map((c, i) => (
          <span className="readout-item" key={c.id}>
            <i className="swatch" style={{ background: seriesColor(theme, i) }} aria-hidden="true" />
            <button
              type="button"
              className="readout-name"
              title={`${c.name}: unit, decimals, display name, calibration`}
              onClick={() => onChannelSettings?.(c)}
              data-testid={`channel-settings-${c.name}`}
            >
              {c.displayName || c.name}
            </button>
            <b data-value-of={c.id} data-testid={`readout-value-${panel.id}-${c.name}`}>
              —
            </b>
            {c.unit && <span className="readout-unit">{c.unit}</span>}
          </span>
        ))}
      </div>
      <div className="plot-frame">
        <div
          className="plot-host"
          data-testid={`plot-${panel.id}`}
          ref={hostRef}
          tabIndex={0}
          role="application"
          aria-roledescription="chart"
          aria-label={`${title}. Times in ${timeFormat.label}. ${PLOT_KEYS}`}
          title={PLOT_KEYS}
          onKeyDown={onKeyDown}
        />
        <span
          className="plot-time-zone"
          data-testid={`plot-zone-${panel.id}`}
          title={`The time axis shows ${timeFormat.label} time`}
          aria-hidden="true"
        >
          {timeFormat.label}
        </span>
        {shown.length === 0 && (
          <p className="plot-note">
            {waiting.length > 0
              ? `Waiting for the first data on ${waiting.join(', ')}…`
              : 'No channels selected: pick some under Channels.'}
          </p>
        )}
      </div>
      <div
        className="panel-resize"
        role="separator"
        aria-orientation="horizontal"
        aria-label={`Height of ${title}`}
        aria-valuenow={resize.height}
        tabIndex={0}
        data-testid={`panel-resize-${panel.id}`}
        title="Drag, or use ↑/↓, to change the panel's height"
        {...resize.handleProps}
      />
    </section>
  );
}

function ModeBadge({ view, paused, panelId }: { view: View; paused: boolean; panelId: string }) {
  const timeFormat = useTimeFormat();
  if (view.mode === 'history') {
    const precise = view.to - view.from < 10_000;
    const sameDay = timeFormat.date(view.from) === timeFormat.date(view.to);
    const end = (ms: number) => (
      <time dateTime={timeFormat.iso(ms)}>
        {(sameDay ? '' : `${timeFormat.date(ms)} `) + timeFormat.time(ms, precise)}
      </time>
    );
    return (
      <span
        className="mode mode-history"
        data-testid={`plot-range-${panelId}`}
        title={`Showing stored data, times in ${timeFormat.label}; press Live to follow new data`}
      >
        history {end(view.from)} – {end(view.to)}
      </span>
    );
  }
  return paused ? (
    <span className="mode mode-paused">paused</span>
  ) : (
    <span className="mode mode-live">live</span>
  );
}

function ChannelPicker({
  client,
  selected,
  known,
  onToggle,
  onOpen,
  panelId,
}: {
  client: RpcClient | null;
  selected: readonly string[];
  known: ReadonlyMap<string, ChannelInfo>;
  onToggle(name: string): void;
  onOpen: (() => void) | undefined;
  panelId: string;
}) {
  const ref = useDismissable();
  const [open, setOpen] = useState(false);
  return (
    <details
      className="picker"
      ref={ref}
      onToggle={(e) => {
        setOpen(e.currentTarget.open);
        if (e.currentTarget.open) onOpen?.();
      }}
    >
      <summary data-testid={`picker-${panelId}`}>Channels ({selected.length})</summary>
      <div className="picker-popup">
        <fieldset>
          <legend>In this plot</legend>
          {selected.length === 0 && <p className="empty">None yet: find channels below.</p>}
          {selected.map((name) => {
            const info = known.get(name);
            return (
              <label key={name} className={info ? undefined : 'unknown'}>
                <input
                  type="checkbox"
                  checked
                  onChange={() => onToggle(name)}
                  data-testid={`shown-${panelId}-${name}`}
                />
                <span>{info?.displayName || name}</span>
                {info?.unit && <span className="unit">{info.unit}</span>}
                {!info && <span className="unit">no data yet</span>}
              </label>
            );
          })}
        </fieldset>
        {open && (
          <ChannelBrowser
            client={client}
            mode="check"
            isSelected={(name) => selected.includes(name)}
            onPick={(c) => onToggle(c.name)}
            testId={`pick-${panelId}`}
            autoFocus
          />
        )}
      </div>
    </details>
  );
}
