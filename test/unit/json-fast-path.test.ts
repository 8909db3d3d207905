// The json decoder's flat-object fast path (decode/flat-json.ts) must write exactly what the general
// path writes: the same samples, the same record, its fields the same JSON text, the same verdict.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldsJson } from '../../electron/engine/batch';
import type { ClockNote, DecodeOutput, DecodeResult } from '../../electron/engine/decode/decoder';
import { jsonDecoder } from '../../electron/engine/decode/formats';
import { FrameDecoder } from '../../electron/engine/decode/registry';

const RX = Date.UTC(2026, 10, 29, 12, 0, 0);
const enc = (s: string) => new TextEncoder().encode(s);

interface Outcome {
  result: DecodeResult;
  samples: [string, number, number][];
  records: [string, string, string | null, number][];
  clock: ClockNote[];
  fast: number;
}

/** The frame's own members put first, as FrameDecoder does for a record it is handed as an object. */
function withFrameFields(json: string | null, frameFields: string | undefined): string | null {
  if (frameFields === undefined) return json;
  return json === null || json === '{}' ? `{${frameFields}}` : `{${frameFields},${json.slice(1)}`;
}

/**
 * Decodes `text` with an output that takes JSON text (`fast`) or only objects (the general path);
 * `frameFields`: the frame's own members (Kafka's), in the record's fields either way.
 */
function decode(
  text: string,
  fast: boolean,
  memo: Record<string, unknown> = {},
  frameFields?: string,
): Outcome {
  const o: Outcome = { result: { ok: true }, samples: [], records: [], clock: [], fast: 0 };
  const out: DecodeOutput = {
    sample: (path, value, ts) => o.samples.push([path, value, ts]),
    record: (severity, message, fields, ts) =>
      o.records.push([severity, message, withFrameFields(fieldsJson(fields), frameFields), ts]),
    clock: (note) => o.clock.push(note),
  };
  if (fast)
    out.recordJson = (severity, message, fields, ts, framed) => {
      o.fast++;
      o.records.push([severity, message, framed ? fields : withFrameFields(fields, frameFields), ts]);
    };
  const frame = {
    rx: RX,
    key: 'site/log',
    bytes: enc(text),
    ...(frameFields ? { fields: frameFields } : {}),
  };
  o.result = jsonDecoder.decode(frame, out, { ...memo });
  return o;
}

function sameAsGeneralPath(text: string, memo: Record<string, unknown> = {}, frameFields?: string): Outcome {
  const fast = decode(text, true, memo, frameFields);
  const { fast: _, ...general } = decode(text, false, memo, frameFields);
  const { fast: used, ...got } = fast;
  expect(got, text).toEqual(general);
  return { ...got, fast: used };
}

// Keys and strings with what needs escaping in JSON or in a channel path, unicode and lookalikes.
const awkward = fc.constantFrom(
  '.',
  '/',
  '[',
  ']',
  '\\',
  '"',
  '\n',
  '\u0001',
  '\u001f',
  'é',
  '😀',
  '\u2028',
  '0',
);
const text = fc
  .array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 4 }), awkward), { maxLength: 4 })
  .map((parts) => parts.join(''));
const key = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/) },
  { weight: 2, arbitrary: text },
  { weight: 1, arbitrary: fc.constantFrom('ts', 'timestamp', 'time', 'Time', '__proto__', '1', '', 'value') },
);
const timeValue = fc.oneof(
  fc.constantFrom('2026-11-29T11:59:58Z', '2026-11-29T12:00:01.5+01:00', '1970-01-01T00:00:01Z', 'soon'),
  fc.constantFrom(RX / 1000, RX, RX * 1000, 12, RX + 86_400_000, Number.POSITIVE_INFINITY, -0, true, null),
);
const flatValue = fc.oneof(
  { weight: 6, arbitrary: text },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
const object = fc
  .tuple(
    fc.array(fc.tuple(key, flatValue), { maxLength: 8 }),
    fc.option(fc.tuple(fc.constantFrom('ts', 'timestamp', 'time', 'Time'), timeValue)),
    fc.nat(),
  )
  .map(([members, time, at]) => {
    if (time) members.splice(at % (members.length + 1), 0, time);
    return members;
  });
/** Ways a peer writes the same object: compact, spaced, escaped differently, with a key twice. */
function written(members: [string, unknown][], style: number): string {
  const pairs = members.map(([k, v]) => [JSON.stringify(k), JSON.stringify(v) ?? 'null'] as const);
  switch (style % 5) {
    case 0:
      return `{${pairs.map(([k, v]) => `${k}:${v}`).join(',')}}`;
    case 1:
      return ` {\n  ${pairs.map(([k, v]) => `${k}: ${v}`).join(', ')}\t}\n`;
    case 2: // escapes JSON.stringify does not write
      return `{${pairs.map(([k, v]) => `${k}:${v.replace(/\//g, '\\/').replace(/é/g, '\\u00e9')}`).join(',')}}`;
    case 3: // the first key again, last
      return `{${[...pairs, ...pairs.slice(0, 1)].map(([k, v]) => `${k}:${v}`).join(',')}}`;
    default:
      return JSON.stringify(Object.fromEntries(members));
  }
}

describe('json decoder fast path', () => {
  it('writes what the general path writes, over generated objects and ways of writing them', () => {
    let fast = 0;
    fc.assert(
      fc.property(
        object,
        fc.nat(),
        fc.option(fc.constantFrom('time', 'at', 'ts')),
        fc.option(fc.constantFrom('"kafka":{"topic":"t","offset":7}', '"kafka":{"key":"é\\n"}')),
        (members, style, field, frameFields) => {
          fast += sameAsGeneralPath(
            written(members, style),
            field === null ? {} : { timestampField: field },
            frameFields ?? undefined,
          ).fast;
        },
      ),
      { numRuns: 3000 },
    );
    expect(fast).toBeGreaterThan(300); // the fast path was tried, not only the general one
  });

  it('takes the fast path for flat objects of strings, keeping their text', () => {
    const line = '{"host":"web-1","msg":"say \\"hi\\"\\n\\u0001 ünï 😀","ok":true,"none":null}';
    expect(sameAsGeneralPath(line)).toMatchObject({ fast: 1, records: [['info', 'site/log', line, RX]] });
    const timed = sameAsGeneralPath('{"a":"x","ts":"2026-11-29T11:59:58Z","b":"y"}');
    expect(timed).toMatchObject({ fast: 1, records: [['info', 'site/log', '{"a":"x","b":"y"}', RX - 2000]] });
    const last = sameAsGeneralPath(`{"a":"x", "ts": ${(RX - 2000) / 1000}}`);
    expect(last).toMatchObject({ fast: 1, records: [['info', 'site/log', '{"a":"x"}', RX - 2000]] });
    // A timestamp that is no time at all is dropped, as the general path drops it.
    expect(sameAsGeneralPath('{"ts":1e400,"a":"x"}')).toMatchObject({
      fast: 1,
      records: [['info', 'site/log', '{"a":"x"}', RX]],
    });
    // An implausible time stays in the record, after the other fields.
    const old = sameAsGeneralPath('{"ts":12,"a":"x"}');
    expect(old).toMatchObject({ fast: 1, records: [['info', 'site/log', '{"a":"x","ts":12}', RX]] });
  });

  it('takes numbers out as samples, in their order, and the rest as the record', () => {
    const mixed = sameAsGeneralPath('{"seq":7,"host":"web-1","value":-2.5e1,"ok":true}');
    expect(mixed).toMatchObject({
      fast: 1,
      samples: [
        ['seq', 7, RX],
        ['value', -25, RX],
      ],
      records: [['info', 'site/log', '{"host":"web-1","ok":true}', RX]],
    });
    // Numbers and an implausible time: the time is the record's only field.
    expect(sameAsGeneralPath('{"n":1,"ts":12}')).toMatchObject({
      fast: 1,
      samples: [['n', 1, RX]],
      records: [['info', 'site/log', '{"ts":12}', RX]],
    });
    const numbersOnly = sameAsGeneralPath('{"a":1, "ts":"2026-11-29T11:59:58Z", "b":2}');
    expect(numbersOnly).toMatchObject({
      fast: 0,
      records: [],
      samples: [
        ['a', 1, RX - 2000],
        ['b', 2, RX - 2000],
      ],
    });
  });

  it('reads decimal numbers as JSON.parse does, short (its own arithmetic) and long (Number)', () => {
    // Up to 15 digits the fast path divides the digits by a power of ten; beyond, it asks Number.
    const decimal = fc
      .tuple(fc.boolean(), fc.stringMatching(/^(0|[1-9][0-9]{0,17})$/), fc.stringMatching(/^[0-9]{0,17}$/))
      .map(
        ([negative, whole, fraction]) => `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`,
      );
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        const got = sameAsGeneralPath(`{"a":${a},"host":"h","b":${b}}`);
        expect(got.fast).toBe(1);
        expect(got.samples.map(([, v]) => v)).toEqual([JSON.parse(a) as number, JSON.parse(b) as number]);
      }),
      { numRuns: 3000 },
    );
    for (const n of ['0.1', '0.3', '-0', '9007199254740993', '123456789012345.6', '1.7976931348623157'])
      expect(sameAsGeneralPath(`{"n":${n},"s":"x"}`).samples[0]![1]).toBe(JSON.parse(n));
  });

  it('names the same channel for a key whatever the line before it held at that place', () => {
    const lines = ['{"seq":1,"s":"x"}', '{"sequence":2,"s":"x"}', '{"se":3,"s":"x"}', '{"seq":4,"s":"x"}'];
    expect(lines.map((l) => sameAsGeneralPath(l).samples[0]![0])).toEqual(['seq', 'sequence', 'se', 'seq']);
  });

  it('leaves to the general path what it cannot copy as it is', () => {
    for (const line of [
      '{"a":"x","n":1e400}', // a number that is no number: the general path drops it
      '{"a.b":"x"}', // a key a channel path escapes
      '{"b":"x","1":"y"}', // JSON.parse puts index keys first
      '{"a":"x","a":"y"}', // the last wins, at the first one's place
      '{"a":"\\/"}', // an escape JSON.stringify does not write
      '{"a":{"b":"x"}}',
      '{"":"x"}',
      '{"ts":"2026-11-29T11:59:58Z"}', // no values
      '{"a":"x"',
      '{"a":"x"} x',
    ])
      expect(sameAsGeneralPath(line).fast, line).toBe(0);
  });

  it('feeds a RecordBatch the line as it came', () => {
    const fd = new FrameDecoder('rig', { channel: () => 1, quarantine: () => undefined });
    const line = '{"host":"web-1","status":"ok"}';
    fd.push({ rx: RX, key: 'site/log', bytes: enc(line) });
    fd.push({ rx: RX, key: 'site/log', bytes: enc('{"host":"web-2","n":3}') });
    const { records, samples } = fd.take();
    expect(records.fields.slice(0, records.n)).toEqual([line, '{"host":"web-2"}']);
    expect(samples.n).toBe(1);
    // The frame's own members (Kafka's) first, built into the text once.
    const kafka = '"kafka":{"topic":"t","offset":7}';
    fd.push({ rx: RX, key: 't', bytes: enc('{"seq":1,"host":"web-3","rule":"r","value":2}'), fields: kafka });
    fd.push({ rx: RX, key: 't', bytes: enc('{"seq":2}'), fields: kafka });
    const next = fd.take();
    expect(next.records.fields.slice(0, next.records.n)).toEqual([`{${kafka},"host":"web-3","rule":"r"}`]);
    expect(next.samples.n).toBe(3);
  });
});
