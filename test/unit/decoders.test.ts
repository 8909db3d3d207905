import { describe, expect, it } from 'vitest';
import {
  plausibleTimestamp,
  escapeKey,
  type DecodeOutput,
  type Frame,
} from '../../electron/engine/decode/decoder';
import {
  csvDecoder,
  jsonDecoder,
  keyValueDecoder,
  numberDecoder,
  textDecoder,
} from '../../electron/engine/decode/formats';
import { detectDecoder, FrameDecoder } from '../../electron/engine/decode/registry';

const RX = Date.UTC(2026, 10, 25, 12, 0, 0);
const enc = (s: string) => new TextEncoder().encode(s);
const frame = (payload: string | Uint8Array, key = 'lab/bench1'): Frame => ({
  rx: RX,
  key,
  bytes: typeof payload === 'string' ? enc(payload) : payload,
});

function collect() {
  const samples: [string, number, number][] = [];
  const records: { severity: string; message: string; fields: Record<string, unknown> | null; ts: number }[] =
    [];
  const out: DecodeOutput = {
    sample: (path, value, ts) => samples.push([path, value, ts]),
    record: (severity, message, fields, ts) => records.push({ severity, message, fields, ts }),
  };
  return { samples, records, out };
}

describe('number decoder', () => {
  it('reads a plain number as the key itself', () => {
    const c = collect();
    expect(numberDecoder.decode(frame(' 23.5\n'), c.out, {})).toEqual({ ok: true });
    expect(c.samples).toEqual([['', 23.5, RX]]);
  });
  it('refuses what is not strictly a number', () => {
    for (const bad of ['', '0x1F', '23.5C', 'NaN', 'Infinity', '1,5']) {
      expect(numberDecoder.decode(frame(bad), collect().out, {}).ok, bad).toBe(false);
    }
  });
});

describe('JSON decoder', () => {
  it('turns nested numbers into channels and strings/booleans into one record', () => {
    const c = collect();
    const r = jsonDecoder.decode(
      frame('{"temp":21.5,"env":{"hum":40,"ok":true},"list":[1,2],"name":"rig","a.b":3,"c/d":4}'),
      c.out,
      {},
    );
    expect(r).toEqual({ ok: true });
    expect(c.samples.map(([p, v]) => [p, v])).toEqual([
      ['temp', 21.5],
      ['env.hum', 40],
      ['list[0]', 1],
      ['list[1]', 2],
      ['a\\.b', 3],
      ['c\\/d', 4],
    ]);
    expect(c.records).toEqual([
      { severity: 'info', message: 'lab/bench1', fields: { 'env.ok': true, name: 'rig' }, ts: RX },
    ]);
  });
  it('uses a plausible payload timestamp as event time, and receive time otherwise', () => {
    const at = Date.UTC(2026, 10, 25, 11, 59, 0);
    for (const ts of [at / 1000, at, at * 1000, at * 1e6, `"${new Date(at).toISOString()}"`]) {
      const c = collect();
      jsonDecoder.decode(frame(`{"ts":${ts},"v":1}`), c.out, {});
      expect(c.samples, String(ts)).toEqual([['v', 1, at]]);
    }
    // A board with no clock says 1970; a typo says year 2200: neither buries the data.
    // The device's time is kept in the record, as it came.
    for (const ts of [12, '"1970-01-01T00:00:12Z"', 7258118400000]) {
      const c = collect();
      jsonDecoder.decode(frame(`{"timestamp":${ts},"v":1}`), c.out, {});
      expect(c.samples, String(ts)).toEqual([['v', 1, RX]]);
      expect(
        c.records.map((r) => r.fields),
        String(ts),
      ).toEqual([{ timestamp: JSON.parse(String(ts)) }]);
    }
  });
  it("reads a zone-less device time in the source's zone (UTC by default), never the host's", () => {
    const time = '{"Time":"2026-11-29T18:10:43","ENERGY":{"Power":12}}';
    // A Tasmota on UTC, whatever zone the engine's host is in.
    const utc = collect();
    jsonDecoder.decode({ ...frame(time), rx: Date.UTC(2026, 10, 29, 18, 10, 50) }, utc.out, {});
    expect(utc.samples).toEqual([['ENERGY.Power', 12, Date.UTC(2026, 10, 29, 18, 10, 43)]]);
    // One on New York time, with the source's zone set to match.
    const ny = collect();
    jsonDecoder.decode({ ...frame(time), rx: Date.UTC(2026, 10, 29, 23, 10, 50) }, ny.out, {
      timeZone: 'America/New_York',
    });
    expect(ny.samples).toEqual([['ENERGY.Power', 12, Date.UTC(2026, 10, 29, 23, 10, 43)]]);
    // A New York wall clock read as UTC lands 5 h ahead: not believed, stored at receive time.
    const ahead = collect();
    const rx = Date.UTC(2026, 10, 29, 13, 10, 50);
    jsonDecoder.decode({ ...frame(time), rx }, ahead.out, {});
    expect(ahead.samples).toEqual([['ENERGY.Power', 12, rx]]);
    expect(ahead.records[0]!.fields).toEqual({ Time: '2026-11-29T18:10:43' });
  });
  it('reads New York wall-clock times right across both daylight-saving changes', () => {
    const zone = { timeZone: 'America/New_York' };
    const cases: [string, number][] = [
      ['2026-03-08T01:59:59', Date.UTC(2026, 2, 8, 6, 59, 59)], // EST, UTC-5
      ['2026-03-08T03:00:00', Date.UTC(2026, 2, 8, 7, 0, 0)], // EDT, UTC-4: 02:xx never happened
      ['2026-03-08T02:30:00', Date.UTC(2026, 2, 8, 7, 30, 0)], // never shown by a clock: 03:30 EDT
      ['2026-07-04 12:00:00', Date.UTC(2026, 6, 4, 16, 0, 0)],
      ['2026-11-01T00:59:00', Date.UTC(2026, 10, 1, 4, 59, 0)], // EDT
      ['2026-11-01T01:30:00', Date.UTC(2026, 10, 1, 5, 30, 0)], // the repeated hour, first time (EDT)…
      ['2026-11-01T01:30:00', Date.UTC(2026, 10, 1, 6, 30, 0)], // …and second (EST): the one nearer arrival
      ['2026-11-01T02:00:00', Date.UTC(2026, 10, 1, 7, 0, 0)], // EST
      ['2026-11-01T02:00:00Z', Date.UTC(2026, 10, 1, 2, 0, 0)], // an explicit zone wins
      ['2026-11-01T02:00:00+01:00', Date.UTC(2026, 10, 1, 1, 0, 0)],
    ];
    for (const [time, expected] of cases) {
      const c = collect();
      // Each arrives a few seconds after it was taken, as from a device with a good clock.
      jsonDecoder.decode({ ...frame(`{"time":"${time}","v":1}`), rx: expected + 3_000 }, c.out, zone);
      expect(c.samples[0]?.[2], time).toBe(expected);
    }
  });
  it('reports every device time it reads, implausible ones flagged', () => {
    const notes: unknown[] = [];
    const c = collect();
    c.out.clock = (n) => notes.push(n);
    keyValueDecoder.decode(frame('ts=2026-11-25T12:04:00Z temp=0'), c.out, {}); // 4 min ahead: believed
    keyValueDecoder.decode(frame('ts=2026-11-25T12:06:00Z temp=1'), c.out, {}); // 6 min ahead: not
    keyValueDecoder.decode(frame('ts=1970-01-01T00:00:12Z temp=2'), c.out, {});
    expect(notes).toEqual([
      { offsetMs: 240_000, implausible: false },
      { offsetMs: 360_000, implausible: true },
      { offsetMs: 12_000 - RX, implausible: true },
    ]);
    expect(c.samples.map(([, v, ts]) => [v, ts])).toEqual([
      [0, RX + 240_000],
      [1, RX],
      [2, RX],
    ]);
    expect(c.records.map((r) => r.fields)).toEqual([
      { ts: '2026-11-25T12:06:00Z' },
      { ts: '1970-01-01T00:00:12Z' },
    ]);
  });
  it('honours a user-named timestamp field', () => {
    const c = collect();
    jsonDecoder.decode(frame('{"when":1795600000,"v":2}'), c.out, { timestampField: 'when' });
    expect(c.samples).toEqual([['v', 2, 1795600000000]]);
  });
  it('reports truncated JSON with the parser message', () => {
    const r = jsonDecoder.decode(frame('{"temp": 21.'), collect().out, {});
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/^invalid JSON/);
  });
});

describe('key=value and CSV decoders', () => {
  it('reads key=value and label:value pairs', () => {
    const c = collect();
    expect(keyValueDecoder.decode(frame('temp=21.5 hum:40, state="door open"; rssi=-71'), c.out, {})).toEqual(
      { ok: true },
    );
    expect(c.samples.map(([p, v]) => [p, v])).toEqual([
      ['temp', 21.5],
      ['hum', 40],
      ['rssi', -71],
    ]);
    expect(c.records[0]!.fields).toEqual({ state: 'door open' });
  });
  it('learns a CSV header and names later columns by it', () => {
    const memo = {};
    const c = collect();
    expect(csvDecoder.decode(frame('temp, hum ,pressure'), c.out, memo)).toEqual({ ok: true });
    expect(c.samples).toEqual([]);
    csvDecoder.decode(frame('21.5,40,1013.2'), c.out, memo);
    expect(c.samples.map(([p, v]) => [p, v])).toEqual([
      ['temp', 21.5],
      ['hum', 40],
      ['pressure', 1013.2],
    ]);
    const r = csvDecoder.decode(frame('1,2'), collect().out, memo);
    expect(!r.ok && r.reason).toBe('CSV line has 2 columns, the header 3');
  });
  it('numbers columns without a header', () => {
    const c = collect();
    csvDecoder.decode(frame('1.5,-2,3e2'), c.out, {});
    expect(c.samples.map(([p, v]) => [p, v])).toEqual([
      ['col0', 1.5],
      ['col1', -2],
      ['col2', 300],
    ]);
  });
});

describe('text decoder and detection', () => {
  it('guesses severity from the words of a log line', () => {
    const c = collect();
    textDecoder.decode(frame('pump: overcurrent ERROR on motor 2\n'), c.out, {});
    textDecoder.decode(frame('disk almost full, warning'), c.out, {});
    textDecoder.decode(frame('heartbeat ok'), c.out, {});
    expect(c.records.map((r) => r.severity)).toEqual(['error', 'warning', 'info']);
  });
  it('picks the most specific decoder', () => {
    expect(detectDecoder(enc('23.5'))?.name).toBe('number');
    expect(detectDecoder(enc('{"a":1}'))?.name).toBe('json');
    expect(detectDecoder(enc('1,2,3'))?.name).toBe('csv');
    expect(detectDecoder(enc('a=1 b=2'))?.name).toBe('kv');
    expect(detectDecoder(enc('hello world'))?.name).toBe('text');
    expect(detectDecoder(new Uint8Array([0xff, 0xfe, 0x00, 0x81]))).toBeNull();
  });
  it('escapes path characters so names stay unambiguous', () => {
    expect(escapeKey('a.b/c[0]\\')).toBe('a\\.b\\/c\\[0\\]\\\\');
  });
  it('refuses timestamps that are not times', () => {
    expect(plausibleTimestamp('yesterday', RX)).toBeNull();
    expect(plausibleTimestamp(true, RX)).toBeNull();
    expect(plausibleTimestamp(-5, RX)).toBeNull();
  });
});

describe('FrameDecoder', () => {
  function decoderWithSink() {
    const channels = new Map<string, number>();
    const quarantined: { raw: Uint8Array; reason: string; where: string }[] = [];
    const fd = new FrameDecoder('bench', {
      channel: (path) => {
        if (!channels.has(path)) channels.set(path, channels.size + 1);
        return channels.get(path)!;
      },
      quarantine: (raw, reason, where) => quarantined.push({ raw, reason, where }),
    });
    return { fd, channels, quarantined };
  }

  it('sticks to a key’s format, falls back per frame, and quarantines what nothing decodes', () => {
    const { fd, channels, quarantined } = decoderWithSink();
    expect(fd.push(frame('{"t":20.5}', 'rig/a'))?.name).toBe('json');
    expect(fd.push(frame('21', 'rig/a'))?.name).toBe('number'); // fallback for one frame
    expect(fd.push(frame('{"t":22', 'rig/a'))).toBeNull(); // truncated JSON: text could take it, but…
    const garbage = new Uint8Array([0xc3, 0x28, 0xa0, 0xa1]);
    expect(fd.push(frame(garbage, 'rig/a'))).toBeNull();
    const { samples, records } = fd.take();
    expect(samples.n).toBe(2);
    expect([...samples.value.subarray(0, 2)]).toEqual([20.5, 21]);
    expect([...channels.keys()]).toEqual(['rig/a/t', 'rig/a']);
    expect(records.n).toBe(0);
    expect(quarantined.map((q) => q.where)).toEqual(['rig/a', 'rig/a']);
    expect(quarantined[1]!.raw).toEqual(garbage);
    expect(quarantined[1]!.reason).toContain('not valid UTF-8');
  });
});
