// Numbers for people: sizes in binary units, counts with separators, rates, values, times.

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

/** Local wall-clock time, with milliseconds when `precise`. */
export function formatTime(ms: number, precise = false): string {
  const d = new Date(ms);
  const base = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return precise ? `${base}.${pad(d.getMilliseconds(), 3)}` : base;
}

export function formatDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A time-axis label as precise as the tick spacing needs: 24-hour, one line. */
export function formatTick(ms: number, spacingMs: number): string {
  // Ticks can land a hair off the round time they stand for: label that round time.
  const t = spacingMs >= 1_000 ? Math.round(ms / 1_000) * 1_000 : Math.round(ms);
  if (spacingMs >= 86_400_000) return formatDate(t);
  if (spacingMs >= 60_000) {
    const d = new Date(t);
    return d.getHours() === 0 && d.getMinutes() === 0
      ? formatDate(t)
      : `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
  return formatTime(t, spacingMs < 1_000);
}

/** "10 s", "2 min", "1 h", "1 h 30 min". */
export function formatDuration(ms: number): string {
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
