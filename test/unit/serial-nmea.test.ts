// NMEA 0183: checksums, coordinates, time, and every sentence of three real receiver captures
// from the GPSD project (test/fixtures/nmea, see SOURCES.md there).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DecodeOutput } from '../../electron/engine/decode/decoder';
import {
  nearestDay,
  nmeaChecksum,
  nmeaCoordinate,
  nmeaDate,
  nmeaDecoder,
  nmeaTimeOfDay,
  parseNmea,
} from '../../electron/engine/decode/nmea';

const RX = Date.UTC(2026, 5, 1, 12, 0, 0);
const fixture = (name: string) =>
  fs
    .readFileSync(path.join(__dirname, '../fixtures/nmea', name), 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.startsWith('$'));

function decoder() {
  const samples: Record<string, [number, number][]> = {};
  const records: { severity: string; message: string; fields: unknown; ts: number }[] = [];
  const out: DecodeOutput = {
    sample: (p, v, ts) => (samples[p] ??= []).push([v, ts]),
    record: (severity, message, fields, ts) => records.push({ severity, message, fields, ts }),
  };
  const memo = {};
  const push = (line: string, rx = RX) =>
    nmeaDecoder.decode({ rx, key: '/dev/ttyUSB0', bytes: new TextEncoder().encode(line) }, out, memo);
  return { samples, records, push };
}

describe('NMEA parts', () => {
  it('verify the checksum and say what it should have been', () => {
    const good = '$GPGGA,030719.000,3747.0873,S,17518.8938,E,1,08,1.1,59.9,M,23.7,M,,0000*7D';
    expect(nmeaChecksum(good.slice(1, -3))).toBe(0x7d);
    expect(parseNmea(good)).toMatchObject({ ok: true, sentence: { talker: 'GP', type: 'GGA' } });
    expect(parseNmea(good.replace('*7D', '*7d'))).toMatchObject({ ok: true });
    expect(parseNmea(good.replace('59.9', '59.8'))).toEqual({
      ok: false,
      reason: 'NMEA checksum mismatch: computed 7C, the sentence says 7D',
    });
    expect(parseNmea('$GPGGA,1,2,3')).toEqual({
      ok: false,
      reason: 'NMEA sentence without a checksum (*hh)',
    });
    expect(parseNmea('$PSRFEPE,053229.438,V,,,,,*23')).toMatchObject({
      ok: true,
      sentence: { talker: 'P', type: 'SRFEPE' },
    });
  });

  it('read coordinates as signed decimal degrees', () => {
    expect(nmeaCoordinate('3747.0873', 'S')).toBeCloseTo(-37.784788, 6);
    expect(nmeaCoordinate('17518.8938', 'E')).toBeCloseTo(175.314897, 6);
    expect(nmeaCoordinate('00130.0000', 'W')).toBeCloseTo(-1.5, 9);
    expect(nmeaCoordinate('4961.0', 'N')).toBeNull(); // 61 minutes
    expect(nmeaCoordinate('', 'N')).toBeNull();
    expect(nmeaCoordinate('4900.0', 'X')).toBeNull();
  });

  it('read times and dates, and date a time of day by the nearest day', () => {
    expect(nmeaTimeOfDay('030719.250')).toBe(((3 * 60 + 7) * 60 + 19.25) * 1000);
    expect(nmeaTimeOfDay('250000')).toBeNull();
    expect(nmeaDate('311214')).toBe(Date.UTC(2014, 11, 31));
    expect(nmeaDate('080499')).toBe(Date.UTC(1999, 3, 8));
    const justAfterMidnight = Date.UTC(2026, 0, 2, 0, 0, 1);
    expect(nearestDay(nmeaTimeOfDay('235959')!, justAfterMidnight)).toBe(Date.UTC(2026, 0, 1, 23, 59, 59));
    expect(nearestDay(nmeaTimeOfDay('000002')!, Date.UTC(2026, 0, 1, 23, 59, 58))).toBe(
      Date.UTC(2026, 0, 2, 0, 0, 2),
    );
  });
});

describe('NMEA decoder over real captures', () => {
  it('decodes every sentence of the BU-353-S4 capture: position, fix, speed, course, time', () => {
    const d = decoder();
    for (const line of fixture('gpsd_bu353s4.log')) expect(d.push(line)).toEqual({ ok: true });
    // The first GGA, before any RMC: its time of day on the receive date.
    expect(d.samples['lat']![0]).toEqual([
      expect.closeTo(-(37 + 47.0873 / 60), 9),
      Date.UTC(2026, 5, 1, 3, 7, 19),
    ]);
    expect(d.samples['lon']![0]![0]).toBeCloseTo(175 + 18.8938 / 60, 9);
    expect(d.samples['altitude']![0]![0]).toBe(59.9);
    expect(d.samples['fixQuality']![0]![0]).toBe(1);
    expect(d.samples['satellites']![0]![0]).toBe(8);
    expect(d.samples['hdop']![0]![0]).toBe(1.1);
    // RMC carries the date: 2014-12-31, and the GGAs after it take that date too.
    expect(d.samples['speed']![0]).toEqual([0.69, Date.UTC(2014, 11, 31, 3, 7, 19)]);
    expect(d.samples['speedMs']![0]![0]).toBeCloseTo(0.69 * 0.514444, 5);
    expect(d.samples['course']![0]![0]).toBe(181.39);
    expect(d.samples['lat']![1]![1]).toBe(Date.UTC(2014, 11, 31, 3, 7, 20));
    expect(d.samples['fixType']![0]![0]).toBe(3);
    expect(d.samples['satellitesInView.GP']![0]![0]).toBe(12);
    expect(d.records).toEqual([]);
  });

  it('leaves position out while the Haicom has no fix, and reads VTG', () => {
    const d = decoder();
    const lines = fixture('gpsd_haicom-305N.log');
    for (const line of lines) expect(d.push(line)).toEqual({ ok: true });
    const rmcs = lines.filter((l) => l.startsWith('$GPRMC'));
    const valid = rmcs.filter((l) => l.split(',')[2] === 'A');
    expect(d.samples['valid']!.map((s) => s[0])).toEqual(rmcs.map((l) => (l.split(',')[2] === 'A' ? 1 : 0)));
    const fixedGga = lines.filter((l) => l.startsWith('$GPGGA') && l.split(',')[6] !== '0');
    // Position from GGA only (the receiver repeats it in RMC), speed and course from RMC only (and VTG).
    expect(d.samples['lat']).toHaveLength(fixedGga.length);
    expect(d.samples['course']).toHaveLength(valid.length);
    // 2007 dates are plausible (after 2000, not ahead of the receive time).
    expect(d.samples['valid']![0]![1]).toBe(Date.UTC(2007, 3, 8, 9, 52, 55, 810));
  });

  it('reads multi-GNSS talkers once each, and keeps other sentences as records', () => {
    const d = decoder();
    const lines = fixture('gpsd_beidou-gb.log');
    for (const line of lines) expect(d.push(line)).toEqual({ ok: true });
    expect(d.samples['satellitesInView.GB']![0]![0]).toBe(5);
    expect(d.samples['satellitesInView.GP']![0]![0]).toBe(21);
    // GGA and GNS both carry the fix: one sample per fix, from GGA.
    const fixes = lines.filter((l) => l.startsWith('$GPGGA') && l.split(',')[6] !== '0');
    expect(fixes.length).toBeGreaterThan(0);
    expect(d.samples['lat']!.map((s) => s[0])).toEqual(
      fixes.map((l) => expect.closeTo(31 + Number(l.split(',')[2]!.slice(2)) / 60, 9)),
    );
    expect(d.records[0]).toMatchObject({
      severity: 'debug',
      message: '$PSRFEPE,053229.438,V,,,,,*23',
      fields: { talker: 'P', sentence: 'SRFEPE' },
    });
  });

  it('refuses a bad checksum and malformed fields, writing nothing', () => {
    const d = decoder();
    expect(d.push('$GPRMC,030719.000,A,3747.0873,S,17518.8938,E,0.69,181.39,311214,,,A*7C')).toEqual({
      ok: false,
      reason: 'NMEA checksum mismatch: computed 7D, the sentence says 7C',
    });
    const body = 'GPGGA,030719.000,37x7.0873,S,17518.8938,E,1,08,1.1,59.9,M,23.7,M,,0000';
    const line = `$${body}*${nmeaChecksum(body).toString(16).padStart(2, '0')}`;
    expect(d.push(line)).toEqual({ ok: false, reason: 'GGA: position is not ddmm.mmmm with N/S/E/W' });
    expect(d.samples).toEqual({});
  });

  it('does not believe a receiver date before 2000 (GPS week rollover)', () => {
    const d = decoder();
    const body = 'GPRMC,120000.00,A,4807.038,N,01131.000,E,0.0,0.0,220899,,,A';
    d.push(`$${body}*${nmeaChecksum(body).toString(16).toUpperCase().padStart(2, '0')}`);
    expect(d.samples['lat']![0]![1]).toBe(RX);
  });
});
