// Numbers for people: sizes in binary units, counts with separators, rates, values, times.
import { zoneOffsetMs } from '../../shared/time-zones';

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value.toFixed(0) : value.toFixed(value < 10 ? 2 : 1)} ${BYTE_UNITS[unit]}`;
}

const countFormat = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return countFormat.format(Math.round(n));
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 10_000) return `${(perSecond / 1000).toFixed(1)}k`;
  if (perSecond >= 100) return perSecond.toFixed(0);
  return perSecond.toFixed(1);
}

/** Four significant digits, without exponent noise for everyday magnitudes. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) return v.toExponential(3);
  return Number(v.toPrecision(4)).toString();
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

// ---- times ---------------------------------------------------------------------------------------
// Every time the console shows is formatted here, on the clock the workspace chose (`display.timeZone`):
// UTC, or the local zone. The zone is passed in rather than read from the machine, so the same code
// is tested against any zone and the page can name the zone it shows.

/** A moment's wall-clock fields in one zone, and that zone's offset from UTC then. */
export interface WallClock {
  year: number;
  /** 1–12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** Minutes east of UTC (Europe/Berlin in winter: 60; New York: -300). */
  offsetMinutes: number;
}

/** The zone this machine's clock is in (an IANA name such as "Europe/Berlin"), or null when unnamed. */
export function localTimeZone(): string | null {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
}

/** "+05:30", "-04:00"; "Z" for UTC. */
function offsetText(minutes: number): string {
  if (minutes === 0) return 'Z';
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

const DAY_MS = 86_400_000;

/**
 * Formats instants (epoch ms) on one clock. Built once per choice of zone and shared: its
 * `Intl.DateTimeFormat` is the costly part, and a plot's axis asks for labels on every frame.
 */
export class TimeFormat {
  readonly utc: boolean;
  /** IANA name of the zone shown ("UTC", "Europe/Berlin"); null: the machine's zone, unnamed. */
  readonly zone: string | null;
  /** What the console writes by axes and in the status bar: "UTC" or "local (Europe/Berlin)". */
  readonly label: string;
  /** `localZone`: the zone "local" stands for (default: this machine's); unused for UTC. */
  constructor(choice: 'local' | 'utc', localZone: string | null = localTimeZone()) {
    this.utc = choice === 'utc';
    this.zone = this.utc ? 'UTC' : localZone;
    this.label = this.utc ? 'UTC' : localZone ? `local (${localZone})` : 'local';
    // A zone Intl does not know throws here, naming it, rather than showing wrong times quietly.
    if (!this.utc) zoneOffsetMs(localZone ?? undefined, 0);
  }

  /** The zone's offset from UTC at `ms`, in minutes east. */
  offsetMinutes(ms: number): number {
    return this.utc ? 0 : Math.round(zoneOffsetMs(this.zone ?? undefined, ms) / 60_000);
  }

  wallClock(ms: number): WallClock {
    const offsetMinutes = this.offsetMinutes(ms);
    const d = new Date(ms + offsetMinutes * 60_000);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      millisecond: d.getUTCMilliseconds(),
      offsetMinutes,
    };
  }

  /** "14:03:22", or "14:03:22.120" when `precise`; 24-hour. */
  time(ms: number, precise = false): string {
    return clockText(this.wallClock(ms), precise);
  }

  /** "2025-06-01". */
  date(ms: number): string {
    return dateText(this.wallClock(ms));
  }

  /** The time, with the date in front when it is not `now`'s day on this clock. */
  moment(ms: number, now: number, precise = false): string {
    const day = this.date(ms);
    return `${day === this.date(now) ? '' : `${day} `}${this.time(ms, precise)}`;
  }

  /** ISO 8601 with this clock's offset, for `<time dateTime>`: "2025-06-01T19:33:22.120+05:30". */
  iso(ms: number): string {
    const w = this.wallClock(ms);
    return `${dateText(w)}T${clockText(w, true)}${offsetText(w.offsetMinutes)}`;
  }

  /** All of a moment, for tooltips: "2025-06-01 19:33:22.120 UTC+05:30, local (Asia/Kolkata)". */
  full(ms: number): string {
    const w = this.wallClock(ms);
    const when = `${dateText(w)} ${clockText(w, true)}`;
    if (this.utc) return `${when} UTC`;
    return `${when} UTC${w.offsetMinutes === 0 ? '' : offsetText(w.offsetMinutes)}, ${this.label}`;
  }

  /** A time-axis label as precise as the tick spacing needs: 24-hour, one line. */
  tick(ms: number, spacingMs: number): string {
    // Ticks can land a hair off the round time they stand for: label that round time.
    const t = spacingMs >= 1_000 ? Math.round(ms / 1_000) * 1_000 : Math.round(ms);
    const w = this.wallClock(t);
    if (spacingMs >= DAY_MS) return dateText(w);
    if (spacingMs >= 60_000)
      // Midnight on this clock, where the day changes, shows the date instead.
      return w.hour === 0 && w.minute === 0 ? dateText(w) : `${pad(w.hour)}:${pad(w.minute)}`;
    return clockText(w, spacingMs < 1_000);
  }
}

function clockText(w: WallClock, precise: boolean): string {
  const base = `${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
  return precise ? `${base}.${pad(w.millisecond, 3)}` : base;
}

function dateText(w: WallClock): string {
  return `${w.year}-${pad(w.month)}-${pad(w.day)}`;
}

/** How long, for reading: "250 ms", "10 s", "2 min", "1 min 30 s", "1 h", "1 h 30 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 999.5) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
  const h = Math.floor(s / 3600);
  const m = Math.round((s % 3600) / 60);
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** How long ago, in the largest unit that fits: "now", "4 s", "12 min", "3 h", "2 d". */
export function formatAge(ms: number): string {
  if (ms < 1_000) return 'now';
  if (ms < 60_000) return `${Math.floor(ms / 1_000)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h`;
  return `${Math.floor(ms / 86_400_000)} d`;
}

/** What went wrong, in words: an error's message, never "undefined" or an empty string. */
export function errorText(error: unknown): string {
  if (error instanceof Error && error.message.trim() !== '') return error.message;
  if (typeof error === 'string' && error.trim() !== '') return error;
  if (error !== null && typeof error === 'object') {
    const message = (error as { message?: unknown }).message;
    if (typeof message === 'string' && message.trim() !== '') return message;
  }
  return 'unknown error (the engine gave no reason)';
}
