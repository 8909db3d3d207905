import { describe, expect, it } from 'vitest';
import {
  MAX_SPAN_MS,
  MIN_SPAN_MS,
  timeAt,
  wheelFactor,
  windowEndingAt,
  xOf,
  zoomView,
} from '../../../renderer/src/panels/timeline/timeline-view';

describe('the timeline view', () => {
  it('zooms around the pointer, keeping the time under it in place', () => {
    const view = { from: 1_000, to: 11_000 };
    const zoomed = zoomView(view, 0.5, 3_000);
    expect(zoomed).toEqual({ from: 2_000, to: 7_000 });
    expect(timeAt(zoomed, xOf(zoomed, 3_000, 800), 800)).toBeCloseTo(3_000);
  });

  it('goes from weeks down to a millisecond, and no further either way', () => {
    let view = { from: 0, to: 14 * 86_400_000 };
    for (let i = 0; i < 2_000; i++) view = zoomView(view, wheelFactor(-100, 0), 5 * 86_400_000);
    expect(view.to - view.from).toBe(MIN_SPAN_MS);
    expect(view.from).toBeGreaterThan(5 * 86_400_000 - 1);
    for (let i = 0; i < 2_000; i++) view = zoomView(view, wheelFactor(100, 0), view.from);
    expect(view.to - view.from).toBeCloseTo(MAX_SPAN_MS);
  });

  it('takes line and page wheel deltas as pixel ones', () => {
    expect(wheelFactor(3, 1)).toBeCloseTo(wheelFactor(48, 0));
    expect(wheelFactor(1, 2)).toBeCloseTo(wheelFactor(400, 0));
    expect(wheelFactor(-100, 0)).toBeLessThan(1);
  });

  it('maps pixels and times both ways, clamped to the width', () => {
    const view = { from: 100, to: 200 };
    expect(timeAt(view, 250, 1_000)).toBe(125);
    expect(timeAt(view, -5, 1_000)).toBe(100);
    expect(timeAt(view, 5_000, 1_000)).toBe(200);
    expect(xOf(view, 150, 1_000)).toBe(500);
  });

  it('the replay window is the minute ending at the cursor, or the range when shorter', () => {
    expect(windowEndingAt(100_000, { from: 0, to: 500_000 })).toEqual({ from: 40_000, to: 100_000 });
    expect(windowEndingAt(5_000, { from: 0, to: 10_000 })).toEqual({ from: -5_000, to: 5_000 });
  });
});
