// The renderer's one time formatter (renderer/src/format.ts) on UTC and on named zones passed in
// explicitly, so these results do not depend on the zone of the machine running the tests.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimeFormat } from '../../../renderer/src/format';

const utc = new TimeFormat('utc');
const berlin = new TimeFormat('local', 'Europe/Berlin');
const kolkata = new TimeFormat('local', 'Asia/Kolkata');
const newYork = new TimeFormat('local', 'America/New_York');
const at = (iso: string) => Date.parse(iso);

describe('TimeFormat', () => {
  it('names the clock it shows', () => {
    expect(utc.label).toBe('UTC');
    expect(berlin.label).toBe('local (Europe/Berlin)');
    expect(new TimeFormat('local', null).label).toBe('local');
    // UTC is UTC whatever "local" would have been.
    expect(new TimeFormat('utc', 'Europe/Berlin').label).toBe('UTC');
  });

  it('shows one instant on each clock', () => {
    const winter = at('2024-01-15T12:34:56.789Z');
    expect(utc.time(winter)).toBe('12:34:56');
    expect(utc.time(winter, true)).toBe('12:34:56.789');
    expect(berlin.time(winter, true)).toBe('13:34:56.789');
    expect(kolkata.time(winter)).toBe('18:04:56');
    expect(newYork.time(winter)).toBe('07:34:56');
    const summer = at('2024-07-15T12:34:56.789Z');
    expect(berlin.time(summer)).toBe('14:34:56');
    expect(newYork.time(summer)).toBe('08:34:56');
  });

  it('dates an instant by the day on its clock', () => {
    const lateUtc = at('2024-12-31T23:30:00Z');
    expect(utc.date(lateUtc)).toBe('2024-12-31');
    expect(berlin.date(lateUtc)).toBe('2025-01-01');
    expect(newYork.date(at('2024-01-01T03:00:00Z'))).toBe('2023-12-31');
  });

  it('writes ISO 8601 with the clock’s offset, and the full moment with its zone', () => {
    const t = at('2024-07-15T12:34:56.789Z');
    expect(utc.iso(t)).toBe('2024-07-15T12:34:56.789Z');
    expect(berlin.iso(t)).toBe('2024-07-15T14:34:56.789+02:00');
    expect(kolkata.iso(t)).toBe('2024-07-15T18:04:56.789+05:30');
    expect(newYork.iso(t)).toBe('2024-07-15T08:34:56.789-04:00');
    expect(utc.full(t)).toBe('2024-07-15 12:34:56.789 UTC');
    expect(berlin.full(t)).toBe('2024-07-15 14:34:56.789 UTC+02:00, local (Europe/Berlin)');
    expect(new TimeFormat('local', 'Europe/London').full(at('2024-01-15T12:00:00Z'))).toBe(
      '2024-01-15 12:00:00.000 UTC, local (Europe/London)',
    );
  });

  it('follows daylight saving time across its changes', () => {
    // Spring forward in Berlin: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
    expect(berlin.iso(at('2024-03-31T00:59:59.999Z'))).toBe('2024-03-31T01:59:59.999+01:00');
    expect(berlin.iso(at('2024-03-31T01:00:00.000Z'))).toBe('2024-03-31T03:00:00.000+02:00');
    // Fall back: 02:30 happens twice, told apart by the offset.
    expect(berlin.iso(at('2024-10-27T00:30:00Z'))).toBe('2024-10-27T02:30:00.000+02:00');
    expect(berlin.iso(at('2024-10-27T01:30:00Z'))).toBe('2024-10-27T02:30:00.000+01:00');
    expect(berlin.time(at('2024-10-27T00:30:00Z'))).toBe(berlin.time(at('2024-10-27T01:30:00Z')));
  });

  it('dates a moment only when it is not today on the same clock', () => {
    const now = at('2024-06-01T23:30:00Z'); // already 2 June in Berlin
    const earlier = at('2024-06-01T20:00:00Z');
    expect(utc.moment(earlier, now)).toBe('20:00:00');
    expect(berlin.moment(earlier, now)).toBe('2024-06-01 22:00:00');
    expect(berlin.moment(at('2024-06-01T22:15:00Z'), now, true)).toBe('00:15:00.000');
  });

  it('labels axis ticks as finely as their spacing, with the date at midnight on its clock', () => {
    const berlinMidnight = at('2024-01-15T23:00:00Z');
    expect(berlin.tick(berlinMidnight, 3_600_000)).toBe('2024-01-16');
    expect(utc.tick(berlinMidnight, 3_600_000)).toBe('23:00');
    expect(utc.tick(at('2024-01-16T00:00:00Z'), 600_000)).toBe('2024-01-16');
    expect(kolkata.tick(at('2024-01-15T06:30:00Z'), 1_800_000)).toBe('12:00');
    expect(berlin.tick(berlinMidnight, 86_400_000)).toBe('2024-01-16');
    expect(utc.tick(at('2024-01-15T12:34:56Z'), 5_000)).toBe('12:34:56');
    expect(utc.tick(at('2024-01-15T12:34:56.250Z'), 250)).toBe('12:34:56.250');
    // A tick a hair off its whole second is labelled with that second.
    expect(utc.tick(at('2024-01-15T12:34:56Z') - 1, 10_000)).toBe('12:34:56');
  });

  it('refuses a zone it does not know, naming it', () => {
    expect(() => new TimeFormat('local', 'Mars/Olympus_Mons')).toThrow(/Mars\/Olympus_Mons/);
  });

  it('writes, on every clock, an ISO time that reads back as the same instant and agrees with what it shows', () => {
    const clocks = [utc, berlin, kolkata, newYork, new TimeFormat('local', 'Australia/Lord_Howe')];
    fc.assert(
      fc.property(
        fc.integer({ min: at('1971-01-01T00:00:00Z'), max: at('2100-01-01T00:00:00Z') }),
        fc.constantFrom(...clocks),
        (ms, clock) => {
          const iso = clock.iso(ms);
          expect(Date.parse(iso)).toBe(ms);
          expect(iso.slice(0, 10)).toBe(clock.date(ms));
          expect(iso.slice(11, 23)).toBe(clock.time(ms, true));
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
