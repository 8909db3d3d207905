// Counts over time by severity, stacked, above the log table; drag across it to choose a time
// range (the console's one range: console-time.tsx), double-click to go back to everything.
import { useMemo, useRef, useState, type MouseEvent } from 'react';
import type { Histogram as HistogramData } from '../../../../shared/investigate';
import type { TimeRange } from '../../console-time';
import { useTimeFormat } from '../../time-zone';
import { severityClass } from './severity';

const HEIGHT = 90;

export function Histogram({
  data,
  range,
  cursor,
  onBrush,
}: {
  data: HistogramData | null;
  range: TimeRange | null;
  cursor: number | null;
  onBrush: (range: TimeRange | null) => void;
}) {
  const format = useTimeFormat();
  const svg = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<{ x0: number; x1: number } | null>(null);
  const n = data?.starts.length ?? 0;
  const from = data?.from ?? 0;
  const to = data?.to ?? 1;
  const span = Math.max(1, to - from);
  const bars = useMemo(() => {
    if (!data || n === 0)
      return {
        max: 1,
        stacks: [] as { x: number; w: number; parts: { cls: string; y: number; h: number }[] }[],
      };
    const totals = data.starts.map((_, b) => data.counts.reduce((sum, s) => sum + (s[b] ?? 0), 0));
    const max = Math.max(1, ...totals);
    const order = data.severities.map((s, i) => ({ s, i })).sort((a, b) => rank(a.s) - rank(b.s));
    const stacks = data.starts.map((start, b) => {
      let y = HEIGHT;
      const parts = order.map(({ s, i }) => {
        const h = ((data.counts[i]![b] ?? 0) / max) * (HEIGHT - 4);
        y -= h;
        return { cls: severityClass(s), y, h };
      });
      const x = ((Math.max(start, from) - from) / span) * 1000;
      const w = Math.max(0.5, (data.bucketMs / span) * 1000 - 0.3);
      return { x, w, parts };
    });
    return { max, stacks };
  }, [data, n, from, span]);

  const xOf = (event: MouseEvent) => {
    const box = svg.current!.getBoundingClientRect();
    return Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)) * 1000;
  };
  const timeOf = (x: number) => from + (x / 1000) * span;

  return (
    <div className="log-histogram" data-testid="log-histogram" data-total={data?.total ?? ''}>
      <svg
        ref={svg}
        viewBox={`0 0 1000 ${HEIGHT}`}
        preserveAspectRatio="none"
        onMouseDown={(e) => {
          const x = xOf(e);
          setDrag({ x0: x, x1: x });
        }}
        onMouseMove={(e) => drag && setDrag({ ...drag, x1: xOf(e) })}
        onMouseUp={(e) => {
          if (!drag) return;
          const x1 = xOf(e);
          setDrag(null);
          if (Math.abs(x1 - drag.x0) < 3) return;
          onBrush({
            from: Math.floor(timeOf(Math.min(drag.x0, x1))),
            to: Math.ceil(timeOf(Math.max(drag.x0, x1))),
          });
        }}
        onMouseLeave={() => setDrag(null)}
        onDoubleClick={() => onBrush(null)}
        role="img"
        aria-label={`Records over time by severity: ${data?.total ?? 0} in all. Drag to choose a time range.`}
      >
        {bars.stacks.map((stack, b) =>
          stack.parts.map((p, k) =>
            p.h > 0 ? (
              <rect
                key={`${b}-${k}`}
                className={`bar ${p.cls}`}
                x={stack.x}
                width={stack.w}
                y={p.y}
                height={p.h}
              />
            ) : null,
          ),
        )}
        {cursor !== null && cursor >= from && cursor <= to && (
          <line
            className="cursor"
            x1={((cursor - from) / span) * 1000}
            x2={((cursor - from) / span) * 1000}
            y1={0}
            y2={HEIGHT}
          />
        )}
        {drag && (
          <rect
            className="brush"
            x={Math.min(drag.x0, drag.x1)}
            width={Math.abs(drag.x1 - drag.x0)}
            y={0}
            height={HEIGHT}
          />
        )}
      </svg>
      <div className="log-histogram-axis">
        <span>{data && n > 0 ? format.full(from) : '—'}</span>
        {range && (
          <button type="button" onClick={() => onBrush(null)} data-testid="log-range-reset">
            Whole range
          </button>
        )}
        <span>{data && n > 0 ? format.full(to) : ''}</span>
      </div>
    </div>
  );
}

function rank(severity: string): number {
  const i = ['error', 'critical', 'fatal', 'warning', 'warn', 'info', 'notice', 'debug', 'trace'].indexOf(
    severity,
  );
  return i < 0 ? 50 : i;
}
