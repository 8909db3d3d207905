// Property-based tests of every payload decoder and of FrameDecoder: whatever bytes a peer sends,
// a decoder answers (samples/records, or a reason and nothing written) and never throws; nesting
// at any depth is decoded or quarantined; pathological long lines finish; and valid input that
// fast-check generates comes out as the values that went in. Counterexamples the fuzzing found
// are kept below as named regression tests.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeKey,
  guessSeverity,
  MAX_NESTING_DEPTH,
  MAX_VALUES_PER_FRAME,
  parseNumber,
  type Decoder,
} from '../../electron/engine/decode/decoder';
import {
  csvDecoder,
  jsonDecoder,
  keyValueDecoder,
  numberDecoder,
  textDecoder,
  TIMESTAMP_FIELDS,
} from '../../electron/engine/decode/formats';
import { nmeaChecksum, nmeaDecoder, parseNmea } from '../../electron/engine/decode/nmea';
import { decoders, FrameDecoder, type FrameDecoderOptions } from '../../electron/engine/decode/registry';
import {
  decodeSparkplugPayload,
  edgeNodeOf,
  encodeSparkplug,
  sparkplugDecoder,
} from '../../electron/engine/decode/sparkplug';
import { pipelineFor } from '../../electron/engine/sources/serial';
import { parsePlotterLine, plotterDecoder } from '../../electron/engine/sources/serial/plotter';
import { SerialOptions } from '../../shared/schemas';
import { anyBytes, completes, enc, keepsContract, recorder, structuredText } from './fuzz-support';

const RX = Date.UTC(2026, 10, 25, 12, 0, 0);
const SPARKPLUG_KEY = 'spBv1.0/plant/NDATA/edge1';
const serialCandidates = pipelineFor(SerialOptions.parse({ path: '/dev/null' })).decoders;
const everyDecoder: Decoder[] = [...decoders, nmeaDecoder, plotterDecoder];

/** A FrameDecoder whose channels, samples, records and quarantine a test can read. */
function frames(options: FrameDecoderOptions = {}) {
  const names: string[] = [];
  const ids = new Map<string, number>();
  const quarantined: { raw: Uint8Array; reason: string; where: string }[] = [];
  const decoder = new FrameDecoder(
    'src',
    {
      channel: (path) => {
        let id = ids.get(path);
        if (id === undefined) ids.set(path, (id = names.push(path) - 1));
        return id;
      },
      quarantine: (raw, reason, where) => quarantined.push({ raw, reason, where }),
    },
    options,
  );
  const take = () => {
    const { samples, records } = decoder.take();
    return {
      samples: Array.from({ length: samples.n }, (_, i) => [names[samples.channel[i]!], samples.value[i]]),
      records,
    };
  };
  return { decoder, names, quarantined, take };
}

/** Pushes a frame and checks it was taken by a decoder or quarantined with a reason: exactly one. */
function pushOne(f: ReturnType<typeof frames>, key: string, bytes: Uint8Array) {
  const before = f.quarantined.length;
  const took = f.decoder.push({ rx: RX, key, bytes });
  const quarantined = f.quarantined.length - before;
  expect(quarantined).toBe(took ? 0 : 1);
  if (!took) {
    const q = f.quarantined.at(-1)!;
    expect(q.reason.trim()).not.toBe('');
    expect(Buffer.from(q.raw).equals(bytes), 'quarantined bytes differ').toBe(true);
    expect(q.where).toBe(key);
  }
  return took;
}

const nmeaSentence = (body: string) =>
  `$${body}*${nmeaChecksum(body).toString(16).toUpperCase().padStart(2, '0')}`;

/** Text with a valid NMEA checksum: reaches the field parsing, not just the checksum check. */
const checkedNmea = fc
  .tuple(
    fc.constantFrom(
      'GPGGA',
      'GNGGA',
      'GPRMC',
      'GNRMC',
      'GPGLL',
      'GPVTG',
      'GPGSA',
      'GPGSV',
      'GNGNS',
      'GPTXT',
      'PGRMZ',
    ),
    fc.array(
      fc.oneof(
        structuredText,
        fc.constantFrom('', 'A', 'V', 'N', 'S', 'E', 'W', 'M', '4807.038', '01131.000', '123519', '230394'),
      ),
      { maxLength: 20 },
    ),
  )
  // Printable ASCII, as receivers send: the checksum is an XOR of bytes.
  .map(([address, fields]) =>
    enc(nmeaSentence([address, ...fields].join(',').replace(/[^\x20-\x7e]|[*$]/g, ''))),
  );

describe('every decoder, on any bytes', () => {
  it('answers with samples/records or a reason, writes nothing when it fails, and never throws', () => {
    fc.assert(
      fc.property(
        anyBytes,
        fc.constantFrom('lab/bench1', SPARKPLUG_KEY, 'spBv1.0/g/NBIRTH/n/d', 'spBv1.0/STATE/host1', ''),
        (bytes, key) => {
          for (const d of everyDecoder) keepsContract(d, bytes, key);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('NMEA: sentences with a good checksum and any fields decode or give a reason', () => {
    const memo = {};
    fc.assert(
      fc.property(checkedNmea, (bytes) => {
        expect(parseNmea(new TextDecoder().decode(bytes)).ok).toBe(true);
        keepsContract(nmeaDecoder, bytes, 'gps', memo);
      }),
      { numRuns: 400 },
    );
  });

  it('CSV and kv with a memo carried from line to line', () => {
    const memos = new Map<Decoder, Record<string, unknown>>([
      [csvDecoder, {}],
      [keyValueDecoder, {}],
      [jsonDecoder, { timestampField: 'when' }],
    ]);
    fc.assert(
      fc.property(fc.array(anyBytes, { maxLength: 10 }), (lines) => {
        for (const bytes of lines) for (const [d, memo] of memos) keepsContract(d, bytes, 'k', memo);
      }),
    );
  });
});

describe('FrameDecoder, on any stream of frames', () => {
  const keys = fc.constantFrom('lab/a', 'lab/b', SPARKPLUG_KEY, 'spBv1.0/plant/NBIRTH/edge1');
  it('takes each frame with one decoder or quarantines it with a reason, for MQTT topics and serial lines', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(keys, fc.oneof(anyBytes, checkedNmea)), { maxLength: 30 }), (stream) => {
        const mqtt = frames();
        const serial = frames({ candidates: serialCandidates, channelPath: (_k, path) => path });
        for (const [key, bytes] of stream) {
          pushOne(mqtt, key, bytes);
          pushOne(serial, key, bytes);
        }
        for (const f of [mqtt, serial]) {
          const { samples } = f.take();
          for (const [, value] of samples) expect(Number.isFinite(value)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('with a forced decoder, quarantines what it cannot read with its reason', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('number', 'json', 'csv', 'kv', 'text', 'sparkplug'),
        fc.array(anyBytes, { maxLength: 10 }),
        (name, payloads) => {
          const f = frames({ choose: () => name });
          for (const bytes of payloads) {
            if (!pushOne(f, SPARKPLUG_KEY, bytes))
              expect(f.quarantined.at(-1)!.reason).toMatch(new RegExp(`^${name}`, 'i'));
          }
        },
      ),
    );
  });
});

describe('a decoder that throws', () => {
  const throwing = (where: 'detect' | 'decode' | 'memoKey'): Decoder => ({
    name: 'fragile',
    detect(bytes) {
      if (where === 'detect' && bytes[0] === 0x21) throw new TypeError('cannot read properties of undefined');
      return 1;
    },
    memoKey(key) {
      if (where === 'memoKey' && key === 'bad') throw new Error('no memo key');
      return key;
    },
    decode(frame, out, memo) {
      memo['seen'] = ((memo['seen'] as number | undefined) ?? 0) + 1;
      out.sample('a', 1, frame.rx);
      out.record('info', 'half', null, frame.rx);
      if (where === 'decode' && frame.bytes[0] === 0x21)
        throw new RangeError('Maximum call stack size exceeded');
      return { ok: true };
    },
  });

  it('in decode: the frame is quarantined with what it threw, its half-written output rolled back, its memo reset', () => {
    const f = frames({ candidates: [throwing('decode')], memoDefaults: { seeded: true } });
    expect(f.decoder.push({ rx: RX, key: 'k', bytes: enc('ok') })).not.toBeNull();
    expect(f.decoder.push({ rx: RX, key: 'k', bytes: enc('!boom') })).toBeNull();
    expect(f.quarantined.map((q) => q.reason)).toEqual(['fragile: threw Maximum call stack size exceeded']);
    expect(f.quarantined[0]!.raw).toEqual(enc('!boom'));
    const { samples, records } = f.take();
    expect(samples).toEqual([['k/a', 1]]); // only the good frame's
    expect(records.message.slice(0, records.n)).toEqual(['half']);
    // The source goes on, and the decoder starts from a fresh memo.
    const memo: Record<string, unknown>[] = [];
    const spy: Decoder = {
      ...throwing('decode'),
      decode: (frame, out, m) => (memo.push({ ...m }), throwing('decode').decode(frame, out, m)),
    };
    const g = frames({ candidates: [spy], memoDefaults: { seeded: true } });
    for (const payload of ['a', 'b', '!c', 'd']) g.decoder.push({ rx: RX, key: 'k', bytes: enc(payload) });
    expect(memo).toEqual([
      { seeded: true },
      { seeded: true, seen: 1 },
      { seeded: true, seen: 2 },
      { seeded: true }, // reset after the throw
    ]);
  });

  it('in detect or memoKey: the frame is quarantined with what it threw', () => {
    const f = frames({ candidates: [throwing('detect')] });
    expect(f.decoder.push({ rx: RX, key: 'k', bytes: enc('!x') })).toBeNull();
    const g = frames({ candidates: [throwing('memoKey')] });
    expect(g.decoder.push({ rx: RX, key: 'bad', bytes: enc('x') })).toBeNull();
    expect([...f.quarantined, ...g.quarantined].map((q) => q.reason)).toEqual([
      'fragile: threw cannot read properties of undefined',
      'fragile: threw no memo key',
    ]);
    expect(f.decoder.push({ rx: RX, key: 'k', bytes: enc('fine') })).not.toBeNull();
  });

  it('in a fallback decoder: the reasons of those tried before are kept', () => {
    const settled: Decoder = {
      name: 'settled',
      detect: (bytes) => (bytes[0] === 0x73 ? 1 : 0),
      decode: (frame, out) =>
        frame.bytes[0] === 0x73
          ? (out.sample('s', 1, frame.rx), { ok: true })
          : { ok: false, reason: 'not s' },
    };
    const strict: Decoder = {
      name: 'strict',
      detect: (bytes) => (bytes[0] === 0x21 ? 0.9 : 0),
      decode: () => ({ ok: false, reason: 'never' }),
    };
    const fragile = { ...throwing('decode'), detect: () => 0.5 };
    const f = frames({ candidates: [settled, strict, fragile] });
    expect(f.decoder.push({ rx: RX, key: 'k', bytes: enc('s') })).toBe(settled);
    // `settled` does not claim it; `strict` refuses it, then `fragile` throws.
    expect(f.decoder.push({ rx: RX, key: 'k', bytes: enc('!') })).toBeNull();
    expect(f.quarantined.map((q) => q.reason)).toEqual([
      'strict: never; fragile: threw Maximum call stack size exceeded',
    ]);
    expect(f.take().samples).toEqual([['k/s', 1]]);
  });
});

describe('nesting', () => {
  const nested = (depth: number, kind: 'array' | 'object' | 'mixed') => {
    let open = '';
    let close = '';
    for (let i = 0; i < depth; i++) {
      const array = kind === 'array' || (kind === 'mixed' && i % 2 === 0);
      open += array ? '[' : '{"k":';
      close = (array ? ']' : '}') + close;
    }
    return `${open}1${close}`;
  };

  it('issue 8: a 6 KB array nested 3,000 deep is quarantined naming the depth limit, and the next message decodes', () => {
    const payload = enc('['.repeat(3000) + ']'.repeat(3000));
    expect(payload.length).toBe(6000);
    const f = frames();
    expect(pushOne(f, 'lab/deep', payload)).toBeNull();
    expect(f.quarantined[0]!.reason).toBe(`JSON nested deeper than ${MAX_NESTING_DEPTH} levels`);
    expect(pushOne(f, 'lab/deep', enc('{"t":21.5}'))).toBe(jsonDecoder);
    expect(f.take().samples).toEqual([['lab/deep/t', 21.5]]);
  });

  it('JSON at any depth from 1 to 100,000 goes to samples or to quarantine, never a crash', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 2 * MAX_NESTING_DEPTH }), fc.integer({ min: 1, max: 100_000 })),
        fc.constantFrom('array', 'object', 'mixed') as fc.Arbitrary<'array' | 'object' | 'mixed'>,
        (depth, kind) => {
          const f = frames();
          const took = pushOne(f, 'lab/deep', enc(nested(depth, kind)));
          // The innermost value counts as a level only inside an array or object.
          if (depth <= MAX_NESTING_DEPTH) {
            expect(took).toBe(jsonDecoder);
            expect(f.take().samples).toHaveLength(1);
          } else expect(f.quarantined[0]!.reason).toContain(`deeper than ${MAX_NESTING_DEPTH} levels`);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('brackets inside strings are not nesting', () => {
    const c = recorder();
    const text = JSON.stringify({ note: '['.repeat(1000) + '\\"{', v: 2 });
    expect(jsonDecoder.decode({ rx: RX, key: 'k', bytes: enc(text) }, c.out, {})).toEqual({ ok: true });
    expect(c.samples).toEqual([['v', 2, RX]]);
  });
});

describe('pathological lines finish', () => {
  // Each is a shape that makes a backtracking regular expression quadratic or worse, at a size
  // where that would take minutes. Every decoder's detect and decode, and format detection over
  // MQTT topics and serial lines, must get through all of them.
  const MB = 1024 * 1024;
  const inputs: [string, string][] = [
    ['a= ×100k', 'a='.repeat(100_000)],
    ['" ×100k', '"'.repeat(100_000)],
    ['a=" then \\ ×100k', 'a="' + '\\'.repeat(100_000)],
    ['space ×1M', ' '.repeat(MB)],
    ['space ×1M then x', ' '.repeat(MB) + 'x'],
    ['nbsp ×1M then x', '\u00a0'.repeat(MB) + 'x'],
    ['tab ×1M then !', '\t'.repeat(MB) + '!'],
    ['1 ×1M then x', '1'.repeat(MB) + 'x'],
    ['a ×1M', 'a'.repeat(MB)],
    ['a ×1M then :', 'a'.repeat(MB) + ':'],
    ['a b ×500k', 'a '.repeat(MB / 2)],
    ['a: ×100k', 'a:'.repeat(100_000)],
    ['1, ×500k', '1,'.repeat(MB / 2)],
    ['x, ×500k then !', 'x,'.repeat(MB / 2) + '!'],
    ['space-padded CSV cell', ' '.repeat(MB / 2) + 'a' + ' '.repeat(MB / 2) + '!,b'],
    ['0. ×500k', '0.'.repeat(MB / 2)],
    ['digits with e', '1'.repeat(MB / 2) + 'e' + '1'.repeat(MB / 2) + 'x'],
    ['nan ×200k', 'nan '.repeat(200_000)],
    ['[ ×100k', '['.repeat(100_000)],
    ['{"a": ×100k', '{"a":'.repeat(100_000)],
    ['error word soup', 'errorwarning'.repeat(80_000) + ' x'],
    ['$GPGGA then , ×1M', '$GPGGA' + ','.repeat(MB) + '*00'],
    [
      'NMEA with a long number field',
      nmeaSentence('GPGGA,123519,' + '1'.repeat(MB) + 'x,N,,,1,08,0.9,545.4,M,,M,,'),
    ],
    ['date-like ×100k', '2026-11-25T12:00'.repeat(100_000)],
  ];
  const mqtt = frames();
  const serial = frames({ candidates: serialCandidates, channelPath: (_k, path) => path });
  for (const [name, text] of inputs) {
    it(name, () => {
      const bytes = enc(text);
      completes(() => {
        for (const d of everyDecoder) keepsContract(d, bytes, 'lab/long');
        pushOne(mqtt, 'lab/long', bytes);
        pushOne(serial, 'line', bytes);
        parsePlotterLine(text);
        parseNmea(text);
        parseNumber(text);
      }, name);
    });
  }
});

describe('valid input round-trips', () => {
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
  const same = (got: number, want: number) => expect(got === want, `${got} !== ${want}`).toBe(true);

  it('number: any finite double as text comes out as itself', () => {
    fc.assert(
      fc.property(finite, fc.constantFrom('', ' ', '\n', '\r\n'), (n, pad) => {
        const c = recorder();
        expect(numberDecoder.decode({ rx: RX, key: 'k', bytes: enc(`${pad}${n}${pad}`) }, c.out, {})).toEqual(
          { ok: true },
        );
        same(c.samples[0]![1], n);
        expect(numberDecoder.detect(enc(String(n)))).toBe(1);
      }),
      { numRuns: 500 },
    );
  });

  it('text: any line of text is one record of itself, trailing space trimmed, severity from its words', () => {
    const line = fc
      .string({ unit: 'binary', minLength: 1, maxLength: 60 })
      .map((s) =>
        [...s].map((c) => (c.codePointAt(0)! < 0x20 || (c >= '\ud800' && c <= '\udfff') ? ' ' : c)).join(''),
      );
    fc.assert(
      fc.property(line, fc.constantFrom('', ' ', '\n', '\r\n', '\t '), (text, tail) => {
        fc.pre(text.trim() !== '');
        const c = recorder();
        expect(textDecoder.decode({ rx: RX, key: 'k', bytes: enc(text + tail) }, c.out, {})).toEqual({
          ok: true,
        });
        expect(c.records).toEqual([
          { severity: guessSeverity(text), message: text.trimEnd(), fields: null, ts: RX },
        ]);
        expect(textDecoder.detect(enc(text + tail))).toBe(0.1);
      }),
      { numRuns: 300 },
    );
  });

  /** What the JSON decoder should make of a value: numeric leaves by path, other leaves as fields. */
  function expectedJson(value: unknown) {
    const samples: [string, number][] = [];
    const fields: [string, unknown][] = [];
    const walk = (v: unknown, path: string): void => {
      if (typeof v === 'number') samples.push([path, v]);
      else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
      else if (v !== null && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${escapeKey(k)}` : escapeKey(k));
      else fields.push([path || 'value', v]);
    };
    if (Array.isArray(value)) walk(value, '');
    else {
      const ts = TIMESTAMP_FIELDS.find((name) => Object.hasOwn(value as object, name));
      for (const [k, x] of Object.entries(value as object)) if (k !== ts) walk(x, escapeKey(k));
    }
    return { samples, fields: Object.fromEntries(fields) };
  }

  it('JSON: every numeric leaf on its path, every other leaf a field of the record', () => {
    const json = fc.oneof(
      fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })),
      fc.array(fc.jsonValue({ maxDepth: 4 })),
    );
    fc.assert(
      fc.property(json, (value) => {
        const want = expectedJson(value);
        const c = recorder();
        const result = jsonDecoder.decode({ rx: RX, key: 'k', bytes: enc(JSON.stringify(value)) }, c.out, {});
        if (want.samples.length === 0 && Object.keys(want.fields).length === 0) {
          expect(result).toEqual({ ok: false, reason: 'JSON holds no values' });
          return;
        }
        expect(result).toEqual({ ok: true });
        expect(c.samples.map(([p, v]) => [p, v])).toEqual(want.samples.map(([p, v]) => [p, v === 0 ? 0 : v]));
        expect(c.records.map((r) => r.fields)).toEqual(Object.keys(want.fields).length ? [want.fields] : []);
      }),
      { numRuns: 400 },
    );
  });

  const name = fc.stringMatching(/^[A-Za-z_][\w .\-/()%°]{0,12}$/).map((s) => s.trim());

  it('CSV: a header and rows of numbers give each value on its column’s channel', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { minLength: 2, maxLength: 6 }).chain((header) =>
          fc.tuple(
            fc.constant(header),
            fc.array(fc.array(finite, { minLength: header.length, maxLength: header.length }), {
              maxLength: 5,
            }),
          ),
        ),
        fc.constantFrom(',', ', ', ' ,'),
        ([header, rows], comma) => {
          const f = frames({
            candidates: serialCandidates.filter((d) => d.name !== 'plotter'),
            channelPath: (_k, p) => p,
          });
          pushOne(f, 'line', enc(header.join(comma)));
          for (const row of rows) expect(pushOne(f, 'line', enc(row.join(comma)))).toBe(csvDecoder);
          expect(f.take().samples).toEqual(
            rows.flatMap((row) => row.map((v, i) => [escapeKey(header[i]!), v === 0 ? 0 : v])),
          );
          expect(f.quarantined).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  const kvKey = fc.stringMatching(/^[A-Za-z_][\w.\-/]{0,10}$/).filter((k) => !TIMESTAMP_FIELDS.includes(k));

  it('kv: key=value and key:value pairs, any separators, give each value on its key', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(kvKey, finite, fc.constantFrom('=', ':', ' = ', ': ', '\t=')), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.constantFrom(' ', ',', ';', ', ', '  '),
        (pairs, separator) => {
          const line = pairs.map(([k, v, eq]) => `${k}${eq}${v}`).join(separator);
          const c = recorder();
          expect(keyValueDecoder.decode({ rx: RX, key: 'k', bytes: enc(line) }, c.out, {})).toEqual({
            ok: true,
          });
          expect(c.samples.map(([p, v]) => [p, v])).toEqual(
            pairs.map(([k, v]) => [escapeKey(k), v === 0 ? 0 : v]),
          );
          expect(keyValueDecoder.detect(enc(line))).toBeGreaterThan(0);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('kv: quoted values with escapes come back as the string that was quoted', () => {
    fc.assert(
      fc.property(
        kvKey,
        fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => !/[\n\r\u2028\u2029]/.test(s)),
        (key, value) => {
          const quoted = `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
          const c = recorder();
          expect(
            keyValueDecoder.decode({ rx: RX, key: 'k', bytes: enc(`${key}=${quoted} n=1`) }, c.out, {}),
          ).toEqual({ ok: true });
          expect(c.records[0]!.fields).toEqual({ [key]: new TextDecoder().decode(enc(value)) });
        },
      ),
      { numRuns: 300 },
    );
  });

  const label = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.]{0,10}$/);
  const reading = fc.oneof(
    { weight: 5, arbitrary: finite },
    { weight: 1, arbitrary: fc.constantFrom('nan', 'inf', '-inf', 'ovf') },
  );
  const separators = fc.constantFrom(' ', '\t', ',', ', ', '  ', ',\t');

  it('plotter: label:value lines give each reading on its label, nan/inf are gaps', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(label, reading), { minLength: 1, maxLength: 8 }),
        separators,
        (pairs, sep) => {
          const parsed = parsePlotterLine(pairs.map(([l, v]) => `${l}:${v}`).join(sep));
          const want = pairs
            .filter(([, v]) => typeof v === 'number')
            .map(([l, v]) => [escapeKey(l), v === 0 ? 0 : v]);
          if (want.length === 0) expect(parsed.ok).toBe(false);
          else expect(parsed).toEqual({ ok: true, values: want });
        },
      ),
      { numRuns: 400 },
    );
  });

  it('plotter: bare values are "value 1", "value 2"… by position, as the Arduino IDE names them', () => {
    fc.assert(
      fc.property(fc.array(reading, { minLength: 1, maxLength: 8 }), separators, (values, sep) => {
        const parsed = parsePlotterLine(values.join(sep));
        const want = values.flatMap((v, i) =>
          typeof v === 'number' ? [[`value ${i + 1}`, v === 0 ? 0 : v]] : [],
        );
        if (want.length === 0) expect(parsed.ok).toBe(false);
        else expect(parsed).toEqual({ ok: true, values: want });
      }),
      { numRuns: 400 },
    );
  });

  it('NMEA: a GGA fix comes out as the position, altitude, satellites and HDOP that went in', () => {
    const coordinate = (degreeDigits: number, max: number) =>
      fc.tuple(fc.integer({ min: 0, max: max - 1 }), fc.integer({ min: 0, max: 599_999 })).map(([d, m]) => {
        const minutes = (m / 10_000).toFixed(4).padStart(7, '0');
        return {
          text: `${String(d).padStart(degreeDigits, '0')}${minutes}`,
          degrees: d + Number(minutes) / 60,
        };
      });
    fc.assert(
      fc.property(
        coordinate(2, 90),
        fc.constantFrom('N', 'S'),
        coordinate(3, 180),
        fc.constantFrom('E', 'W'),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 5, max: 999 }).map((h) => h / 10),
        fc.integer({ min: -1000, max: 90_000 }).map((a) => a / 10),
        (lat, ns, lon, ew, quality, satellites, hdop, altitude) => {
          const body = `GPGGA,123519.00,${lat.text},${ns},${lon.text},${ew},${quality},${satellites},${hdop},${altitude},M,46.9,M,,`;
          const c = recorder();
          expect(
            nmeaDecoder.decode({ rx: RX, key: 'gps', bytes: enc(nmeaSentence(body)) }, c.out, {}),
          ).toEqual({ ok: true });
          const got = Object.fromEntries(c.samples.map(([p, v]) => [p, v]));
          expect(got).toEqual({
            fixQuality: quality,
            satellites,
            hdop,
            altitude,
            lat: (ns === 'S' ? -1 : 1) * lat.degrees,
            lon: (ew === 'W' ? -1 : 1) * lon.degrees,
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  const sparkplugMetric = fc.oneof(
    ...(
      [
        ['Int8', fc.integer({ min: -128, max: 127 })],
        ['Int16', fc.integer({ min: -32_768, max: 32_767 })],
        ['Int32', fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })],
        ['Int64', fc.maxSafeInteger()],
        ['UInt8', fc.integer({ min: 0, max: 255 })],
        ['UInt16', fc.integer({ min: 0, max: 65_535 })],
        ['UInt32', fc.integer({ min: 0, max: 2 ** 32 - 1 })],
        ['UInt64', fc.maxSafeNat()],
        ['DateTime', fc.maxSafeNat()],
        ['Float', fc.float({ noNaN: true, noDefaultInfinity: true })],
        ['Double', finite],
        ['Boolean', fc.boolean()],
        ['String', fc.string({ maxLength: 20 })],
      ] as const
    ).map(([type, value]) => value.map((v: unknown) => ({ type, value: v }))),
  );

  it('Sparkplug B: every metric of a birth comes back as its value (numbers, booleans as 1/0, strings as fields)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), sparkplugMetric), {
          minLength: 1,
          maxLength: 8,
          selector: ([n]) => n,
        }),
        fc.nat({ max: 255 }),
        (metrics, seq) => {
          const bytes = encodeSparkplug({
            timestamp: RX - 1000,
            seq,
            metrics: metrics.map(([name, m], alias) => ({ name, alias, ...m })),
          });
          const c = recorder();
          const memo = {};
          expect(
            sparkplugDecoder.decode({ rx: RX, key: 'spBv1.0/plant/NBIRTH/edge1', bytes }, c.out, memo),
          ).toEqual({ ok: true });
          const numeric = metrics.filter(([, m]) => typeof m.value !== 'string');
          expect(c.samples).toEqual([
            ...numeric.map(([name, m]) => [
              escapeKey(name),
              typeof m.value === 'boolean' ? Number(m.value) : m.value, // binary: -0 stays -0
              RX - 1000,
            ]),
            ['[online]', 1, RX - 1000], // the birth brings the node online
          ]);
          const strings = Object.fromEntries(
            metrics.filter(([, m]) => typeof m.value === 'string').map(([n, m]) => [n, m.value]),
          );
          expect(c.records).toEqual([
            {
              severity: 'notice',
              message: 'NBIRTH plant/edge1',
              fields: { group: 'plant', node: 'edge1', seq, ...strings, metrics: metrics.length },
              ts: RX - 1000,
            },
          ]);
          // Data by alias only is named by the birth.
          const data = encodeSparkplug({
            seq,
            metrics: numeric.map(([name, m]) => ({ alias: metrics.findIndex(([n]) => n === name), ...m })),
          });
          const d = recorder();
          const result = sparkplugDecoder.decode({ rx: RX, key: SPARKPLUG_KEY, bytes: data }, d.out, memo);
          if (numeric.length) expect(d.samples.map(([p]) => p)).toEqual(numeric.map(([n]) => escapeKey(n)));
          else expect(result.ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('Sparkplug B: any payload cut short or with bytes changed decodes or gives a reason', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), sparkplugMetric), { maxLength: 5 }),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        (metrics, cut, flips) => {
          const bytes = encodeSparkplug({ metrics: metrics.map(([name, m]) => ({ name, ...m })) });
          for (const [at, b] of flips) if (bytes.length) bytes[at % bytes.length] = b;
          keepsContract(
            sparkplugDecoder,
            bytes.subarray(0, bytes.length ? cut % (bytes.length + 1) : 0),
            'spBv1.0/g/NBIRTH/n',
          );
          keepsContract(sparkplugDecoder, bytes, 'spBv1.0/g/DDATA/n/d');
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('regressions the fuzzing found', () => {
  it('JSON: a "__proto__" key is a field like any other (it was dropped, and a message of only that was quarantined)', () => {
    const c = recorder();
    expect(
      jsonDecoder.decode({ rx: RX, key: 'k', bytes: enc('{"__proto__":"x","b":"y"}') }, c.out, {}),
    ).toEqual({ ok: true });
    expect(c.records[0]!.fields).toEqual(JSON.parse('{"__proto__":"x","b":"y"}'));
    expect(Object.keys(c.records[0]!.fields!)).toEqual(['__proto__', 'b']);
    const kv = recorder();
    keyValueDecoder.decode({ rx: RX, key: 'k', bytes: enc('__proto__=x') }, kv.out, {});
    expect(Object.keys(kv.records[0]!.fields!)).toEqual(['__proto__']);
  });

  it('a 1 MB line of 500k values is refused, not turned into 500k channels (CSV, kv and plotter had no bound)', () => {
    const f = frames({ candidates: serialCandidates, channelPath: (_k, path) => path });
    pushOne(f, 'line', enc('1,'.repeat(500_000)));
    pushOne(f, 'line', enc('a:1 '.repeat(250_000)));
    const g = frames({ choose: () => 'kv' });
    pushOne(g, 'line', enc(Array.from({ length: 20_000 }, (_, i) => `k${i}=1`).join(' ')));
    const h = frames({ choose: () => 'csv' });
    pushOne(h, 'line', enc('1,'.repeat(MAX_VALUES_PER_FRAME)));
    expect([...f.quarantined, ...g.quarantined, ...h.quarantined].map((q) => q.reason)).toEqual([
      `plotter: more than ${MAX_VALUES_PER_FRAME} values in one line`,
      `plotter: more than ${MAX_VALUES_PER_FRAME} values in one line`,
      `kv: more than ${MAX_VALUES_PER_FRAME} key=value pairs in one line`,
      `CSV line of ${MAX_VALUES_PER_FRAME + 1} columns: more than ${MAX_VALUES_PER_FRAME}`,
    ]);
    expect(f.names).toEqual([]);
    // At the bound, a line is read.
    const k = frames({ choose: () => 'csv' });
    expect(pushOne(k, 'line', enc(Array(MAX_VALUES_PER_FRAME).fill(1).join(',')))).toBe(csvDecoder);
  });

  it('kv: a line of only a timestamp is refused with a reason (it was accepted with nothing written)', () => {
    const c = recorder();
    expect(keyValueDecoder.decode({ rx: RX, key: 'k', bytes: enc('ts=1764072000') }, c.out, {})).toEqual({
      ok: false,
      reason: 'only a timestamp, no values',
    });
  });

  it('kv: an unclosed quote is a bare value, kept whole (its first and last characters were cut off)', () => {
    const c = recorder();
    keyValueDecoder.decode({ rx: RX, key: 'k', bytes: enc('state="open n=1') }, c.out, {});
    expect(c.records[0]!.fields).toEqual({ state: '"open' });
  });

  it('Sparkplug B: 25 nested templates decode at once (the library took seconds, doubling per level)', () => {
    let value: unknown = { metrics: [{ name: 'rpm', type: 'Double', value: 1450 }] };
    for (let i = 0; i < 25; i++) value = { metrics: [{ name: `level${i}`, type: 'Template', value }] };
    const bytes = encodeSparkplug({ metrics: [{ name: 'motor', type: 'Template', value }] });
    const c = recorder();
    const result = completes(
      () => sparkplugDecoder.decode({ rx: RX, key: 'spBv1.0/plant/DBIRTH/edge1/motor', bytes }, c.out, {}),
      'nested templates',
    );
    expect(result).toEqual({ ok: true });
    const motor = c.records.find((r) => r.fields?.['metric'] === 'motor')!;
    expect(motor.message).toBe('DBIRTH plant/edge1/motor: Template motor');
    expect(JSON.stringify(motor.fields!['value'])).toContain('"rpm"');
  });

  it('Sparkplug B: templates nested past the limit are refused, naming it', () => {
    let value: unknown = { metrics: [{ name: 'rpm', type: 'Double', value: 1 }] };
    for (let i = 0; i < 40; i++) value = { metrics: [{ name: 'x', type: 'Template', value }] };
    const bytes = encodeSparkplug({ metrics: [{ name: 'motor', type: 'Template', value }] });
    expect(completes(() => decodeSparkplugPayload(bytes), 'nested templates')).toEqual({
      ok: false,
      reason: `Sparkplug B payload nested deeper than ${MAX_NESTING_DEPTH} levels`,
    });
  });

  it('Sparkplug B: property sets nested 40 deep do not hang (the library decoded each level twice)', () => {
    let properties: Record<string, unknown> = { leaf: { type: 'Int32', value: 1 } };
    for (let i = 0; i < 40; i++) properties = { inner: { type: 'PropertySet', value: properties } };
    const bytes = encodeSparkplug({
      metrics: [{ name: 'p', type: 'Double', value: 2.5, properties } as never],
    });
    const c = recorder();
    expect(
      completes(
        () => sparkplugDecoder.decode({ rx: RX, key: SPARKPLUG_KEY, bytes }, c.out, {}),
        'property sets',
      ),
    ).toEqual({ ok: true });
    expect(c.samples).toEqual([['p', 2.5, RX]]);
  });

  it('Sparkplug B: a UInt32 of 2^31 or more is positive (the library read it as a signed int)', () => {
    const bytes = encodeSparkplug({ metrics: [{ name: 'count', type: 'UInt32', value: 4_000_000_000 }] });
    const c = recorder();
    sparkplugDecoder.decode({ rx: RX, key: SPARKPLUG_KEY, bytes }, c.out, {});
    expect(c.samples).toEqual([['count', 4_000_000_000, RX]]);
  });

  it('Sparkplug B: a data message whose second metric has an unknown alias learns nothing from the first', () => {
    const memo: Record<string, unknown> = {};
    const bad = encodeSparkplug({
      metrics: [
        { name: 'a', alias: 1, type: 'Double', value: 1 },
        { alias: 9, type: 'Double', value: 2 },
      ],
    });
    expect(sparkplugDecoder.decode({ rx: RX, key: SPARKPLUG_KEY, bytes: bad }, recorder().out, memo)).toEqual(
      {
        ok: false,
        reason: 'metric alias 9 was never named in a birth certificate',
      },
    );
    expect([...edgeNodeOf(memo).aliases.entries()]).toEqual([]);
  });
});
