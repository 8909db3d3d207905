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
    for (const ts of [12, '"1970-01-01T00:00:12Z"', 7258118400000]) {
      const c = collect();
      jsonDecoder.decode(frame(`{"timestamp":${ts},"v":1}`), c.out, {});
      expect(c.samples, String(ts)).toEqual([['v', 1, RX]]);
    }
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
    expect(records).toEqual([]);
    expect(quarantined.map((q) => q.where)).toEqual(['rig/a', 'rig/a']);
    expect(quarantined[1]!.raw).toEqual(garbage);
    expect(quarantined[1]!.reason).toContain('not valid UTF-8');
  });
});
