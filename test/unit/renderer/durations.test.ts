// Durations: formatDuration (renderer/src/format.ts) is how the console shows one — export ranges,
// plot windows, rule summaries; durationText (shared/alerts.ts) is what the rule editor's fields
// hold, the text parseDuration reads back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../../renderer/src/format';
import { durationText, parseDuration } from '../../../shared/alerts';

describe('formatDuration', () => {
  it('says a duration in the largest units that read well', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(250)).toBe('250 ms');
    expect(formatDuration(999)).toBe('999 ms');
    expect(formatDuration(999.7)).toBe('1 s'); // not "1000 ms"
    expect(formatDuration(10_000)).toBe('10 s');
    expect(formatDuration(90_000)).toBe('1 min 30 s');
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatDuration(3_600_000)).toBe('1 h');
    expect(formatDuration(5_400_000)).toBe('1 h 30 min');
    expect(formatDuration(86_400_000)).toBe('24 h');
  });

  it('rounds to whole seconds from a second on', () => {
    expect(formatDuration(1_499)).toBe('1 s');
    expect(formatDuration(59_600)).toBe('1 min');
  });

  it('shows a dash for what is no duration', () => {
    expect(formatDuration(NaN)).toBe('—');
    expect(formatDuration(-5)).toBe('—');
    expect(formatDuration(Infinity)).toBe('—');
  });
});

describe('durationText', () => {
  it('writes the compact form the rule editor shows', () => {
    expect(durationText(0)).toBe('0s');
    expect(durationText(250)).toBe('250ms');
    expect(durationText(90_000)).toBe('1m30s');
    expect(durationText(172_800_000 + 1_000)).toBe('2d1s');
  });

  it('is read back by parseDuration as the same number of milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * 86_400_000 }), (ms) => {
        expect(parseDuration(durationText(ms))).toBe(ms);
      }),
    );
  });
});
