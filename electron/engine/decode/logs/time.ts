// The timestamps log lines begin with, read by index (no regular expressions, so no backtracking):
// ISO 8601 / RFC 3339, BSD syslog's `Jan  2 15:04:05` (no year, no zone), `2026/11/29 18:10:43`,
// Apache's `[10/Oct/2000:13:55:36 -0700]`, `29-Nov-2026 18:10:43.123`, and epoch seconds or ms.
// Times without a zone are wall-clock time in the memo's `timeZone`; times without a year take it
// from the memo (see `yearFor`).
import { zonedToEpoch, zoneOffsetMs } from '../../../../shared/time-zones';
import { memoTimeZone, parseNumber, parseTimestamp } from '../decoder';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** The month (0–11) named by the three letters at `i`, or -1. */
export function monthAt(t: string, i: number): number {
  if (i + 3 > t.length) return -1;
  return MONTHS.indexOf(t.slice(i, i + 3).toLowerCase());
}

/** The number written by exactly `n` digits at `i`, or -1. */
function digitsAt(t: string, i: number, n: number): number {
  if (i + n > t.length) return -1;
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = t.charCodeAt(i + k);
    if (!isDigit(c)) return -1;
    v = v * 10 + c - 0x30;
  }
  return v;
}

/** A time read from the start of a line, not yet placed in a zone or a year. */
export interface WallTime {
  /** -1 when the format has no year (BSD syslog). */
  year: number;
  /** 0–11 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  /** Minutes east of UTC when the text gives a zone, else null. */
  offsetMinutes: number | null;
  /** Index just past the time. */
  end: number;
  /** The format, for detection and for the user: `iso`, `bsd`, `slashed`, `apache`, `dmy`, `epoch`. */
  kind: string;
}

/** `hh:mm:ss` with optional `.fff` or `,fff` (any number of digits, ms kept) at `i`. */
function clockAt(t: string, i: number, w: WallTime): boolean {
  const h = digitsAt(t, i, 2);
  const m = digitsAt(t, i + 3, 2);
  const s = digitsAt(t, i + 6, 2);
  if (h < 0 || m < 0 || s < 0 || t[i + 2] !== ':' || t[i + 5] !== ':') return false;
  if (h > 23 || m > 59 || s > 60) return false;
  w.hour = h;
  w.minute = m;
  w.second = Math.min(s, 59);
  let end = i + 8;
  if ((t[end] === '.' || t[end] === ',') && isDigit(t.charCodeAt(end + 1))) {
    let frac = '';
    end++;
    while (end < t.length && isDigit(t.charCodeAt(end))) {
      if (frac.length < 3) frac += t[end];
      end++;
    }
    w.ms = Number(frac.padEnd(3, '0'));
  }
  w.end = end;
  return true;
}

/** `Z`, `+hh:mm`, `+hhmm`, `+hh`, or ` +hhmm` after the clock; sets offsetMinutes and end. */
function zoneAt(t: string, i: number, w: WallTime, allowSpace: boolean): void {
  let p = i;
  if (allowSpace && t[p] === ' ' && (t[p + 1] === '+' || t[p + 1] === '-')) p++;
  const c = t[p];
  if (c === 'Z' || c === 'z') {
    w.offsetMinutes = 0;
    w.end = p + 1;
    return;
  }
  if (c !== '+' && c !== '-') return;
  const hh = digitsAt(t, p + 1, 2);
  if (hh < 0 || hh > 14) return;
  let mm = 0;
  let end = p + 3;
  if (t[end] === ':' && digitsAt(t, end + 1, 2) >= 0) {
    mm = digitsAt(t, end + 1, 2);
    end += 3;
  } else if (digitsAt(t, end, 2) >= 0) {
    mm = digitsAt(t, end, 2);
    end += 2;
  }
  if (mm > 59 || (end < t.length && isDigit(t.charCodeAt(end)))) return;
  w.offsetMinutes = (c === '-' ? -1 : 1) * (hh * 60 + mm);
  w.end = end;
}

function blank(kind: string): WallTime {
  return {
    year: -1,
    month: 0,
    day: 1,
    hour: 0,
    minute: 0,
    second: 0,
    ms: 0,
    offsetMinutes: null,
    end: 0,
    kind,
  };
}

const validDay = (w: WallTime) => w.month >= 0 && w.month <= 11 && w.day >= 1 && w.day <= 31;

/** `2026-11-29T18:10:43.123+01:00` (also a space for T, or no seconds' fraction, or no zone). */
export function isoAt(t: string, i: number): WallTime | null {
  const w = blank('iso');
  w.year = digitsAt(t, i, 4);
  w.month = digitsAt(t, i + 5, 2) - 1;
  w.day = digitsAt(t, i + 8, 2);
  if (w.year < 0 || t[i + 4] !== '-' || t[i + 7] !== '-' || !validDay(w)) return null;
  const sep = t[i + 10];
  if (sep !== 'T' && sep !== ' ' && sep !== 't') return null;
  if (!clockAt(t, i + 11, w)) return null;
  zoneAt(t, w.end, w, false);
  return w;
}

/** `Nov 29 18:10:43` or `Nov  2 18:10:43` (BSD syslog), optionally `Nov 29 2026 18:10:43` (Cisco). */
export function bsdAt(t: string, i: number): WallTime | null {
  const w = blank('bsd');
  w.month = monthAt(t, i);
  if (w.month < 0 || t[i + 3] !== ' ') return null;
  let p = i + 4;
  if (t[p] === ' ') p++;
  const d1 = t.charCodeAt(p);
  if (!isDigit(d1)) return null;
  w.day = d1 - 0x30;
  p++;
  if (isDigit(t.charCodeAt(p))) w.day = w.day * 10 + t.charCodeAt(p++) - 0x30;
  if (t[p] !== ' ' || !validDay(w)) return null;
  p++;
  const year = digitsAt(t, p, 4);
  if (year >= 0 && t[p + 4] === ' ') {
    w.year = year;
    p += 5;
  }
  if (!clockAt(t, p, w)) return null;
  return w;
}

/** `2026/11/29 18:10:43` (Go's log package, nginx's error log). */
function slashedAt(t: string, i: number): WallTime | null {
  const w = blank('slashed');
  w.year = digitsAt(t, i, 4);
  w.month = digitsAt(t, i + 5, 2) - 1;
  w.day = digitsAt(t, i + 8, 2);
  if (w.year < 0 || t[i + 4] !== '/' || t[i + 7] !== '/' || !validDay(w)) return null;
  if (t[i + 10] !== ' ' || !clockAt(t, i + 11, w)) return null;
  zoneAt(t, w.end, w, true);
  return w;
}

/** `10/Oct/2000:13:55:36 -0700` (Apache's %t, without its brackets). */
export function apacheAt(t: string, i: number): WallTime | null {
  const w = blank('apache');
  w.day = digitsAt(t, i, 2);
  w.month = monthAt(t, i + 3);
  w.year = digitsAt(t, i + 7, 4);
  if (t[i + 2] !== '/' || t[i + 6] !== '/' || w.year < 0 || t[i + 11] !== ':' || !validDay(w)) return null;
  if (!clockAt(t, i + 12, w)) return null;
  zoneAt(t, w.end, w, true);
  return w;
}

/** `29-Nov-2026 18:10:43.123` (Tomcat, BIND). */
function dmyAt(t: string, i: number): WallTime | null {
  const w = blank('dmy');
  w.day = digitsAt(t, i, 2);
  w.month = monthAt(t, i + 3);
  w.year = digitsAt(t, i + 7, 4);
  if (t[i + 2] !== '-' || t[i + 6] !== '-' || w.year < 0 || t[i + 11] !== ' ' || !validDay(w)) return null;
  if (!clockAt(t, i + 12, w)) return null;
  zoneAt(t, w.end, w, true);
  return w;
}

/** Epoch seconds (10 digits, optional fraction) or ms (13 digits) followed by a space or the end. */
function epochAt(t: string, i: number): { ms: number; end: number } | null {
  let p = i;
  while (p < t.length && p - i < 14 && isDigit(t.charCodeAt(p))) p++;
  const n = p - i;
  if (n !== 10 && n !== 13) return null;
  let end = p;
  if (n === 10 && t[p] === '.') {
    end++;
    while (end < t.length && end - p < 10 && isDigit(t.charCodeAt(end))) end++;
  }
  if (end < t.length && t[end] !== ' ' && t[end] !== '\t' && t[end] !== ']' && t[end] !== ',') return null;
  const v = Number(t.slice(i, end));
  return { ms: n === 10 ? Math.round(v * 1000) : v, end };
}

/** A leading time in any of the formats above, after an optional `[`, read as epoch ms. */
export interface LeadingTime {
  /** Epoch ms; for a time without a year, in the year `yearFor` chose. */
  ms: number;
  /** Index just past the time (and its closing `]`). */
  end: number;
  kind: string;
  /** The year chosen for a time that had none (BSD syslog), else null. */
  inferredYear: number | null;
}

/**
 * The timestamp a line starts with (after an optional `[`), or null. `rx` is the frame's receive
 * time, the reference for a year the text leaves out when the memo gives none.
 */
export function leadingTime(t: string, memo: Record<string, unknown>, rx: number): LeadingTime | null {
  let i = 0;
  const bracket = t[0] === '[';
  if (bracket) i = 1;
  const c = t.charCodeAt(i);
  let w: WallTime | null;
  if (isDigit(c)) {
    w = isoAt(t, i) ?? slashedAt(t, i) ?? apacheAt(t, i) ?? dmyAt(t, i);
    if (!w) {
      const e = epochAt(t, i);
      if (!e) return null;
      let end = e.end;
      if (bracket) {
        if (t[end] !== ']') return null;
        end++;
      }
      return { ms: e.ms, end, kind: 'epoch', inferredYear: null };
    }
  } else w = bsdAt(t, i);
  if (!w) return null;
  if (bracket) {
    if (t[w.end] !== ']') return null;
    w.end++;
  }
  return placeTime(w, memo, rx);
}

/** A wall time as epoch ms: its own zone or the memo's, its own year or the one `yearFor` chooses. */
export function placeTime(w: WallTime, memo: Record<string, unknown>, rx: number): LeadingTime {
  let inferredYear: number | null = null;
  let year = w.year;
  if (year < 0) year = inferredYear = yearFor(w, memo, rx);
  const wall = Date.UTC(year, w.month, w.day, w.hour, w.minute, w.second, w.ms);
  const ms =
    w.offsetMinutes !== null ? wall - w.offsetMinutes * 60_000 : wallToEpoch(wall, memoTimeZone(memo), rx);
  return { ms, end: w.end, kind: w.kind, inferredYear };
}

const DAY_MS = 86_400_000;

/**
 * The year of a time written without one (BSD syslog). Memo `year` set by the user is taken as it
 * is. Otherwise the year of memo `yearReference` (epoch ms the lines are known not to be later
 * than, such as the file's modification time; default: receive time), in the memo's zone, unless
 * that puts the line more than a day after the reference: then the year before, so a December
 * line in a file written in January lands in December of the previous year.
 */
export function yearFor(w: WallTime, memo: Record<string, unknown>, rx: number): number {
  if (typeof memo['year'] === 'number' && Number.isInteger(memo['year'])) return memo['year'];
  const reference =
    typeof memo['yearReference'] === 'number' && Number.isFinite(memo['yearReference'])
      ? memo['yearReference']
      : rx;
  const zone = memoTimeZone(memo);
  const referenceYear = wallYear(zone, reference);
  const wall = Date.UTC(referenceYear, w.month, w.day, w.hour, w.minute, w.second);
  const ms = wallToEpoch(wall, zone, reference);
  return ms > reference + DAY_MS ? referenceYear - 1 : referenceYear;
}

/**
 * A time field's value (CEF `rt`, LEEF `devTime`, a JSON log's time string): epoch s/ms/µs/ns as
 * digits, or any of the leading formats above. Null when it is neither.
 */
export function timeValue(value: string, memo: Record<string, unknown>, rx: number): LeadingTime | null {
  const number = parseNumber(value);
  if (number !== null) {
    const ms = parseTimestamp(number);
    return ms === null ? null : { ms, end: value.length, kind: 'epoch', inferredYear: null };
  }
  return leadingTime(value.trim(), memo, rx);
}

const HOUR_MS = 3_600_000;
/** Per zone, the last wall-clock hour read and its offset: log lines come in order, hours repeat. */
const hourOffsets = new Map<string, { hour: number; offset: number }>();

/**
 * `zonedToEpoch`, with the offset of the last hour read kept per zone: asking the runtime's zone
 * data costs tens of microseconds, and a file's lines share their hour. Only an hour with no
 * transition within two hours either side is kept, so the kept offset is the only answer there
 * (where a clock repeats or skips an hour, `zonedToEpoch` decides every time).
 */
export function wallToEpoch(wallAsUtc: number, zone: string, near?: number): number {
  if (zone === 'UTC') return wallAsUtc;
  const hour = Math.floor(wallAsUtc / HOUR_MS);
  const kept = hourOffsets.get(zone);
  if (kept && kept.hour === hour) return wallAsUtc - kept.offset;
  const ms = zonedToEpoch(wallAsUtc, zone, near);
  const offset = wallAsUtc - ms;
  const start = hour * HOUR_MS - offset;
  if (
    zoneOffsetMs(zone, start - 2 * HOUR_MS) === offset &&
    zoneOffsetMs(zone, start + 3 * HOUR_MS) === offset
  )
    hourOffsets.set(zone, { hour, offset });
  return ms;
}

let lastYear: { zone: string; minute: number; year: number } | null = null;

/**
 * The wall-clock year in `zone` at `instant`, the last answer kept for its minute (a file has one
 * reference; a live stream's receive times share minutes; zone offsets are whole minutes).
 */
function wallYear(zone: string, instant: number): number {
  const minute = Math.floor(instant / 60_000);
  if (lastYear && lastYear.zone === zone && lastYear.minute === minute) return lastYear.year;
  const year = new Date(instant + zoneOffsetMs(zone, instant)).getUTCFullYear();
  lastYear = { zone, minute, year };
  return year;
}
