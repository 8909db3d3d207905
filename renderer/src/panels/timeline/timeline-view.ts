// The timeline's view arithmetic, pure so it is tested without a browser: the visible span,
// zooming around a point (from weeks down to a millisecond), and pixels ↔ times.

export interface TimelineView {
  from: number;
  to: number;
}

/** The narrowest span shown: one millisecond. */
export const MIN_SPAN_MS = 1;
/** The widest: eight weeks. */
export const MAX_SPAN_MS = 8 * 7 * 86_400_000;

/** Scales the view by `factor` around `anchor` (a time inside it), within the span bounds. */
export function zoomView(view: TimelineView, factor: number, anchor: number): TimelineView {
  const span = view.to - view.from;
  const next = Math.min(MAX_SPAN_MS, Math.max(MIN_SPAN_MS, span * factor));
  const from = anchor - ((anchor - view.from) * next) / span;
  return { from, to: from + next };
}

/** A wheel's delta as a zoom factor: smooth, ~10% a notch, the same for pixel and line deltas. */
export function wheelFactor(deltaY: number, deltaMode: number): number {
  const pixels = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY;
  return Math.exp(pixels * 0.001);
}

export function timeAt(view: TimelineView, x: number, width: number): number {
  return view.from + (Math.min(width, Math.max(0, x)) / Math.max(1, width)) * (view.to - view.from);
}

export function xOf(view: TimelineView, t: number, width: number): number {
  return ((t - view.from) / (view.to - view.from)) * width;
}

/** The replay's plot window ending at the cursor: a minute, or the whole range when shorter. */
export function windowEndingAt(cursor: number, range: TimelineView, spanMs = 60_000): TimelineView {
  const span = Math.min(spanMs, range.to - range.from);
  return { from: cursor - span, to: cursor };
}
