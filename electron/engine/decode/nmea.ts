// NMEA 0183 sentences from GNSS receivers (`$GPGGA,…*hh`, `$GNRMC,…`). The checksum is verified;
// position, speed, course, fix quality, satellites, dilution and altitude become channels, with
// the sentence's own time as the event time. Sentences with no numbers we keep (GSV details,
// proprietary `$P…`, `$GPTXT`) become records, so nothing valid is dropped.
//
// Channels (talker-independent, so `$GPGGA` and `$GNGGA` feed the same ones):
//   lat, lon (°, signed decimal degrees: S and W negative)   GGA, RMC, GLL, GNS
//   altitude (m above mean sea level)                         GGA, GNS
//   fixQuality (GGA: 0 none, 1 GPS, 2 DGPS, 4 RTK fixed, …)   GGA
//   satellites (used in the fix), hdop                        GGA, GNS
//   speed (kn), speedMs (m/s), course (° true)                RMC, VTG
//   valid (1 when RMC/GLL status is A, 0 when V)              RMC, GLL
//   fixType (1 none, 2 2D, 3 3D), pdop, vdop                  GSA
//   satellitesInView.<talker> (GP, GL, GA, GB, …)             GSV
// Position, speed and altitude are left out while the receiver says it has no fix (GGA quality 0,
// RMC/GLL status V): receivers keep printing their last position then. Receivers repeat themselves
// (position in GGA, GNS, RMC and GLL; speed in RMC and VTG): each value is taken from the best
// sentence the stream has sent (GGA, then GNS, RMC, GLL; RMC, then VTG), so a channel gets one
// sample per fix.
import { guessSeverity, plausibleTimestamp, type Decoder } from './decoder';

const DAY_MS = 86_400_000;
/** For bytes already checked to be printable ASCII, where latin1 and ASCII agree. */
const ascii = new TextDecoder('latin1');
const KNOT_MS = 1852 / 3600;

export const NMEA_UNITS: Record<string, string> = {
  lat: '°',
  lon: '°',
  altitude: 'm',
  speed: 'kn',
  speedMs: 'm/s',
  course: '°',
};

export interface NmeaSentence {
  /** `GP`, `GN`, `GB`…; `P` for proprietary sentences. */
  talker: string;
  /** `GGA`, `RMC`…; for proprietary sentences, everything after the `P`. */
  type: string;
  /** The comma-separated fields after the address. */
  fields: string[];
}

/** XOR of the characters between `$`/`!` and `*`. */
export function nmeaChecksum(body: string): number {
  let c = 0;
  for (let i = 0; i < body.length; i++) c ^= body.charCodeAt(i);
  return c;
}

const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

/** One sentence with its checksum verified, or why not. */
export function parseNmea(
  line: string,
): { ok: true; sentence: NmeaSentence } | { ok: false; reason: string } {
  const t = line.trim();
  if (t[0] !== '$' && t[0] !== '!') return { ok: false, reason: 'not an NMEA sentence (no leading $)' };
  const star = t.lastIndexOf('*');
  if (star < 0) return { ok: false, reason: 'NMEA sentence without a checksum (*hh)' };
  const given = t.slice(star + 1);
  if (!/^[0-9A-Fa-f]{2}$/.test(given))
    return { ok: false, reason: `NMEA checksum "${given}" is not two hex digits` };
  const body = t.slice(1, star);
  const computed = nmeaChecksum(body);
  if (computed !== parseInt(given, 16))
    return {
      ok: false,
      reason: `NMEA checksum mismatch: computed ${hex2(computed)}, the sentence says ${given.toUpperCase()}`,
    };
  const [address = '', ...fields] = body.split(',');
  if (!/^[A-Z0-9]{3,}$/.test(address)) return { ok: false, reason: `NMEA address "${address}" is not valid` };
  const proprietary = address.startsWith('P');
  return {
    ok: true,
    sentence: {
      talker: proprietary ? 'P' : address.slice(0, 2),
      type: proprietary ? address.slice(1) : address.slice(2),
      fields,
    },
  };
}

/** `ddmm.mmmm` / `dddmm.mmmm` and a hemisphere as signed decimal degrees; null when empty or invalid. */
export function nmeaCoordinate(value: string | undefined, hemisphere: string | undefined): number | null {
  if (!value || !hemisphere) return null;
  const m = /^(\d{2,3})(\d{2}(?:\.\d+)?)$/.exec(value);
  if (!m) return null;
  const minutes = Number(m[2]);
  if (minutes >= 60) return null;
  const degrees = Number(m[1]) + minutes / 60;
  const sign =
    hemisphere === 'S' || hemisphere === 'W' ? -1 : hemisphere === 'N' || hemisphere === 'E' ? 1 : 0;
  if (sign === 0) return null;
  const limit = hemisphere === 'N' || hemisphere === 'S' ? 90 : 180;
  return degrees > limit ? null : sign * degrees;
}

/** `hhmmss(.sss)` as milliseconds into the UTC day, or null. */
export function nmeaTimeOfDay(value: string | undefined): number | null {
  const m = value ? /^(\d{2})(\d{2})(\d{2}(?:\.\d+)?)$/.exec(value) : null;
  if (!m) return null;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (h > 23 || min > 59 || s >= 61) return null;
  return Math.round(((h * 60 + min) * 60 + s) * 1000);
}

/** `ddmmyy` as the epoch ms of that UTC midnight (years 80–99 are 19xx), or null. */
export function nmeaDate(value: string | undefined): number | null {
  const m = value ? /^(\d{2})(\d{2})(\d{2})$/.exec(value) : null;
  if (!m) return null;
  const [d, mo, yy] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (d < 1 || d > 31 || mo < 1 || mo > 12) return null;
  return Date.UTC(yy >= 80 ? 1900 + yy : 2000 + yy, mo - 1, d);
}

/** A time of day on the UTC day that puts it closest to `reference` (so 23:59:59 just after midnight is yesterday). */
export function nearestDay(timeOfDay: number, reference: number): number {
  const midnight = Math.floor(reference / DAY_MS) * DAY_MS;
  let best = midnight + timeOfDay;
  for (const c of [best - DAY_MS, best + DAY_MS])
    if (Math.abs(c - reference) < Math.abs(best - reference)) best = c;
  return best;
}

const num = (s: string | undefined): number | null => {
  // One way to match each digit (not `\d+\.?\d*`, quadratic on a long run of digits).
  if (s === undefined || s === '' || !/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/.test(s)) return null;
  return Number(s);
};

interface Clock {
  /** The last dated sentence's time, and when it was received: GGA's time-only sentences take their date from it. */
  dated?: { ts: number; rx: number };
  /** Sentence types this stream has sent. */
  seen: Set<string>;
}

/** For each kind of value, the sentences that carry it, best first. */
const SOURCES_OF = {
  position: ['GGA', 'GNS', 'RMC', 'GLL'],
  fix: ['GGA', 'GNS'],
  motion: ['RMC', 'VTG'],
};

/**
 * Every NMEA sentence with a good checksum decodes: into samples where it carries numbers we
 * know, into a record otherwise. `memo.clock` carries the date from RMC to time-only sentences.
 */
export const nmeaDecoder: Decoder & { unit(path: string): string } = {
  name: 'nmea',
  unit: (path) => NMEA_UNITS[path] ?? '',
  detect(bytes) {
    const first = bytes[0];
    if (first !== 0x24 && first !== 0x21) return 0;
    let text = '';
    for (let i = 0; i < Math.min(bytes.length, 120); i++) text += String.fromCharCode(bytes[i]!);
    return /^[$!][A-Z0-9]{3,}[,*]/.test(text) ? (/\*[0-9A-Fa-f]{2}\s*$/.test(text) ? 1 : 0.6) : 0;
  },
  decode(frame, out, memo) {
    for (const b of frame.bytes)
      if (b > 0x7e || (b < 0x20 && b !== 0x0d && b !== 0x0a))
        return { ok: false, reason: 'NMEA: not printable ASCII' };
    const text = ascii.decode(frame.bytes);
    const parsed = parseNmea(text);
    if (!parsed.ok) return parsed;
    const { talker, type, fields: f } = parsed.sentence;
    const clock = (memo['clock'] ??= { seen: new Set() }) as Clock;
    clock.seen.add(type);
    /** Whether this sentence is the best the stream sends for a kind of value. */
    const best = (what: keyof typeof SOURCES_OF) => SOURCES_OF[what].find((t) => clock.seen.has(t)) === type;
    const rx = frame.rx;
    const samples: [string, number | null][] = [];
    let ts = rx;

    /** Event time from a time of day, dated by the last RMC's clock (advanced by receive time) or by the receive date. */
    const timeOnly = (value: string | undefined) => {
      const tod = nmeaTimeOfDay(value);
      if (tod === null) return rx;
      const reference = clock.dated ? clock.dated.ts + (rx - clock.dated.rx) : rx;
      return plausibleTimestamp(nearestDay(tod, reference), rx, memo, out) ?? rx;
    };
    const position = (lat: number, latH: number) => {
      const la = nmeaCoordinate(f[lat], f[latH]);
      const lo = nmeaCoordinate(f[lat + 2], f[latH + 2]);
      if ((f[lat] && la === null) || (f[lat + 2] && lo === null)) return false;
      if (best('position')) samples.push(['lat', la], ['lon', lo]);
      return true;
    };
    const motion = (knots: number | null, course: number | null) => {
      if (best('motion'))
        samples.push(
          ['speed', knots],
          ['speedMs', knots === null ? null : knots * KNOT_MS],
          ['course', course],
        );
    };

    switch (type) {
      case 'GGA': {
        // time, lat, N/S, lon, E/W, quality, satellites, hdop, altitude, M, geoid, M, age, station
        ts = timeOnly(f[0]);
        const quality = num(f[5]);
        if (quality === null)
          return { ok: false, reason: `GGA: fix quality "${f[5] ?? ''}" is not a number` };
        samples.push(['fixQuality', quality], ['satellites', num(f[6])], ['hdop', num(f[7])]);
        if (quality > 0) {
          if (!position(1, 2)) return { ok: false, reason: 'GGA: position is not ddmm.mmmm with N/S/E/W' };
          samples.push(['altitude', num(f[8])]);
        }
        break;
      }
      case 'GNS': {
        // time, lat, N/S, lon, E/W, mode per system, satellites, hdop, altitude, geoid, age, station
        ts = timeOnly(f[0]);
        const fix = best('fix');
        if (fix) samples.push(['satellites', num(f[6])], ['hdop', num(f[7])]);
        if (/[ADPRFE]/.test(f[5] ?? '')) {
          if (!position(1, 2)) return { ok: false, reason: 'GNS: position is not ddmm.mmmm with N/S/E/W' };
          if (fix) samples.push(['altitude', num(f[8])]);
        }
        break;
      }
      case 'RMC': {
        // time, status, lat, N/S, lon, E/W, speed kn, course, date, variation, E/W, mode
        const tod = nmeaTimeOfDay(f[0]);
        const date = nmeaDate(f[8]);
        if (tod !== null && date !== null) {
          const when = plausibleTimestamp(date + tod, rx, memo, out);
          if (when !== null) {
            ts = when;
            clock.dated = { ts: when, rx };
          }
        } else ts = timeOnly(f[0]);
        const valid = f[1] === 'A';
        samples.push(['valid', valid ? 1 : 0]);
        if (valid) {
          if (!position(2, 3)) return { ok: false, reason: 'RMC: position is not ddmm.mmmm with N/S/E/W' };
          motion(num(f[6]), num(f[7]));
        }
        break;
      }
      case 'GLL': {
        // lat, N/S, lon, E/W, time, status, mode
        ts = timeOnly(f[4]);
        const valid = f[5] === 'A';
        samples.push(['valid', valid ? 1 : 0]);
        if (valid && !position(0, 1))
          return { ok: false, reason: 'GLL: position is not ddmm.mmmm with N/S/E/W' };
        break;
      }
      case 'VTG': {
        // course true, T, course magnetic, M, speed kn, N, speed km/h, K, mode
        const knots = num(f[4]);
        const kmh = num(f[6]);
        motion(knots ?? (kmh === null ? null : kmh / 3.6 / KNOT_MS), num(f[0]));
        break;
      }
      case 'GSA': {
        // mode, fix type, 12 satellite ids, pdop, hdop, vdop (NMEA 4.1 adds a system id)
        samples.push(['fixType', num(f[1])], ['pdop', num(f[14])], ['vdop', num(f[16])]);
        break;
      }
      case 'GSV': {
        // messages, message number, satellites in view, then per satellite: id, elevation, azimuth, SNR
        samples.push([`satellitesInView.${talker}`, num(f[2])]);
        break;
      }
    }
    const values = samples.filter((s): s is [string, number] => s[1] !== null && Number.isFinite(s[1]));
    if (values.length) {
      for (const [path, v] of values) out.sample(path, v, ts);
      return { ok: true };
    }
    // A sentence we do not interpret (or one with every field empty): keep it as a record.
    const message = type === 'TXT' ? (f[3] ?? text) : text.trim();
    out.record(type === 'TXT' ? guessSeverity(message) : 'debug', message, { talker, sentence: type }, ts);
    return { ok: true };
  },
};
