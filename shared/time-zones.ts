// Time zones from the runtime's own zone data (Intl), for the engine reading device clocks and the
// console showing times: one way to turn an instant into a zone's wall clock and back.

const formats = new Map<string, Intl.DateTimeFormat>();

function wallClockFormat(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let format = formats.get(key);
  if (!format) {
    // A zone Intl does not know throws here, naming it, rather than giving wrong times quietly.
    format = new Intl.DateTimeFormat('en-US', {
      ...(timeZone ? { timeZone } : {}),
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(key, format);
  }
  return format;
}

/** Whether the runtime knows this zone name (IANA, or UTC). */
export function isTimeZone(name: string): boolean {
  try {
    wallClockFormat(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * The zone's offset from UTC at `instant`, in ms east of Greenwich, to the second. No zone: the
 * runtime's own.
 */
export function zoneOffsetMs(timeZone: string | undefined, instant: number): number {
  if (timeZone === 'UTC') return 0;
  const whole = Math.floor(instant / 1000) * 1000;
  const field: Record<string, number> = {};
  for (const part of wallClockFormat(timeZone).formatToParts(whole))
    if (part.type !== 'literal') field[part.type] = Number(part.value);
  const wall = new Date(0);
  // setUTCFullYear, not Date.UTC: years below 100 stay themselves.
  wall.setUTCFullYear(field['year']!, field['month']! - 1, field['day']!);
  wall.setUTCHours(field['hour']!, field['minute']!, field['second']!, 0);
  return wall.getTime() - whole;
}

/**
 * A wall-clock time in `timeZone` (given as if it were UTC) as epoch ms. In the hour a clock
 * repeats (autumn) it is the one of the two nearer to `near` (a device's time read near its
 * arrival: one that just fell back means the second), or the first without one; in the hour it
 * skips (spring) it is read with the offset from before, so 02:30 on a spring-forward night is
 * 03:30 (as Temporal's "compatible" does).
 */
export function zonedToEpoch(wallAsUtc: number, timeZone: string, near?: number): number {
  if (timeZone === 'UTC') return wallAsUtc;
  const before = zoneOffsetMs(timeZone, wallAsUtc - 86_400_000);
  const offsets = new Set([
    before,
    zoneOffsetMs(timeZone, wallAsUtc),
    zoneOffsetMs(timeZone, wallAsUtc + 86_400_000),
  ]);
  let best = Number.NaN;
  for (const offset of offsets) {
    const instant = wallAsUtc - offset;
    if (zoneOffsetMs(timeZone, instant) !== offset) continue;
    const better =
      Number.isNaN(best) ||
      (near === undefined ? instant < best : Math.abs(instant - near) < Math.abs(best - near));
    if (better) best = instant;
  }
  return Number.isNaN(best) ? wallAsUtc - before : best;
}
