// The first pass's counts (import/quick-counts.ts) against the decoder itself: every line of a
// generated file counted under the minute and severity the syslog decoder gives it (quarantined
// when it refuses it), whichever way the file is cut into chunks. The lines mix the shape the
// counter reads by index with every neighbour it must leave to the decoder.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Severity } from '../../electron/engine/batch';
import { SEVERITIES } from '../../electron/engine/batch';
import type { DecodeOutput, Decoder } from '../../electron/engine/decode/decoder';
import { syslogDecoder } from '../../electron/engine/decode/logs/syslog';
import { jsonDecoder } from '../../electron/engine/decode/formats';
import { JsonQuickCounter, SyslogQuickCounter } from '../../electron/engine/import/quick-counts';

/** The file's modification time: the year reference of its 3164 times. */
const MODIFIED = Date.UTC(2026, 10, 20, 12, 0, 0);
const RX = Date.UTC(2026, 10, 30, 9, 0, 0);

/** What the import stores: (minute, severity) → records, and lines quarantined. */
function byDecoder(
  input: string | Buffer,
  decoder: Decoder = syslogDecoder,
): { counts: Map<string, number>; quarantined: number } {
  const counts = new Map<string, number>();
  let quarantined = 0;
  const got: [Severity, number][] = [];
  const out: DecodeOutput = {
    sample: () => undefined,
    record: (severity, _m, _f, ts) => got.push([severity, ts]),
    // As FrameDecoder's output: the json decoder takes its flat-object path with it.
    recordJson: (severity, _m, _f, ts) => got.push([severity, ts]),
  };
  // Lines as bytes, as the import frames them: split at LF, a CR before it dropped, empty ones skipped.
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const lines: Buffer[] = [];
  for (let start = 0; start < bytes.length;) {
    let lf = bytes.indexOf(0x0a, start);
    if (lf < 0) lf = bytes.length;
    lines.push(bytes.subarray(start, lf > start && bytes[lf - 1] === 0x0d ? lf - 1 : lf));
    start = lf + 1;
  }
  for (const line of lines) {
    if (line.length === 0) continue;
    got.length = 0;
    const memo = { yearReference: MODIFIED };
    let r;
    try {
      r = decoder.decode({ rx: RX, key: 'f', bytes: line }, out, memo);
    } catch {
      r = { ok: false };
    }
    if (!r.ok) quarantined++;
    else
      for (const [severity, ts] of got) {
        const key = `${Math.floor(ts / 60_000)}/${severity}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
  }
  return { counts, quarantined };
}

function byCounter(bytes: Buffer, cuts: number[], json = false) {
  const options = {
    yearReference: MODIFIED,
    rx: RX,
    decoder: json ? jsonDecoder : syslogDecoder,
    memo: { yearReference: MODIFIED },
    key: 'f',
  };
  const counter = json ? new JsonQuickCounter(options) : new SyslogQuickCounter(options);
  let at = 0;
  for (const cut of [...cuts.filter((c) => c < bytes.length)].sort((a, b) => a - b)) {
    counter.push(bytes.subarray(at, cut));
    at = cut;
  }
  counter.push(bytes.subarray(at));
  const result = counter.end()!;
  const counts = new Map<string, number>();
  for (const [k, n] of result.byMinute) counts.set(`${Math.floor(k / 8)}/${SEVERITIES[k % 8]}`, n);
  return { counts, quarantined: result.quarantined, quick: result.quick, lines: result.lines };
}

/**
 * Files of generated lines (LF or CRLF, with or without a last LF) in random chunks: the counter
 * agrees with its decoder on each, and reads many of the lines by index (not a vacuous pass).
 */
function agreesWithDecoder(lines: fc.Arbitrary<string>, json: boolean): void {
  let quick = 0;
  let all = 0;
  fc.assert(
    fc.property(
      fc.array(lines, { minLength: 1, maxLength: 60, size: 'large' }),
      fc.array(fc.nat(4000), { maxLength: 5 }),
      fc.boolean(),
      (generated, cuts, crlf) => {
        const text = generated.join(crlf ? '\r\n' : '\n') + (cuts.length % 2 ? '\n' : '');
        const expected = byDecoder(text, json ? jsonDecoder : syslogDecoder);
        const got = byCounter(Buffer.from(text, 'utf8'), cuts, json);
        quick += got.quick;
        all += got.lines;
        expect(got.counts).toEqual(expected.counts);
        expect(got.quarantined).toBe(expected.quarantined);
      },
    ),
    { numRuns: 400 },
  );
  expect(quick).toBeGreaterThan(all / 8);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** Words the severity guess reads, in any case and with neighbours that make or unmake a word. */
const word = fc
  .tuple(
    fc.constantFrom(
      'error',
      'err',
      'errors',
      'failed',
      'failure',
      'fails',
      'warn',
      'warning',
      'warned',
      'notice',
      'critical',
      'crit',
      'fatal',
      'emergency',
      'panic',
      'alert',
      'alerting',
      'debug',
      'trace',
      'exception',
      'terror',
      'info',
      'request',
      'ok',
      'éclair',
      'naïve',
    ),
    fc.constantFrom('', '', '', '_', '2', '-', '.', ':', 'x', 'é'),
    fc.constantFrom('', '', '', '_', '2', '-', '(', 'x', 'ü'),
    fc.constantFrom('lower', 'upper', 'title', 'mixed'),
  )
  .map(([w, before, after, casing]) => {
    const cased =
      casing === 'upper'
        ? w.toUpperCase()
        : casing === 'title'
          ? w[0]!.toUpperCase() + w.slice(1)
          : casing === 'mixed'
            ? [...w].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('')
            : w;
    return `${before}${cased}${after}`;
  });

/** A field's usual values nine times in ten, else the odd ones. */
function mostly<T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 9, arbitrary: usual }, { weight: 1, arbitrary: odd });
}

const message = fc
  .array(fc.oneof(word, fc.constantFrom('from', '10.0.0.1', 'took', '5', 'ms', '\t', 'CEF:0|x')), {
    minLength: 0,
    maxLength: 6,
  })
  .map((words) => words.join(' '));

const line = fc.oneof(
  {
    weight: 20,
    arbitrary: fc
      .record({
        pri: fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined, freq: 3 }),
        month: fc.integer({ min: 0, max: 11 }),
        day: mostly(fc.integer({ min: 1, max: 28 }), fc.constantFrom(0, 29, 30, 31, 32)),
        hour: mostly(fc.integer({ min: 0, max: 23 }), fc.constant(24)),
        minute: fc.integer({ min: 0, max: 59 }),
        second: mostly(fc.integer({ min: 0, max: 59 }), fc.constant(60)),
        host: mostly(fc.constantFrom('web-1', 'db_2.local', 'fw'), fc.constantFrom('h:x', '')),
        app: mostly(fc.constantFrom('sshd', 'nginx', 'kernel', 'a/b', 'CRON'), fc.constant('x'.repeat(65))),
        pid: fc.option(mostly(fc.constantFrom('42', '9'), fc.constantFrom('', 'x1', '9'.repeat(33))), {
          nil: undefined,
        }),
        spaceAfterColon: mostly(fc.constant(' '), fc.constantFrom('', '  ')),
        message,
        trailing: mostly(fc.constant(''), fc.constantFrom(' ', '\t', '\r')),
      })
      .map((l) => {
        const day = l.day < 10 ? ` ${l.day}` : String(l.day);
        const pri = l.pri === undefined ? '' : `<${l.pri}>`;
        const tag = l.pid === undefined ? l.app : `${l.app}[${l.pid}]`;
        const host = l.host ? `${l.host} ` : '';
        return `${pri}${MONTHS[l.month]} ${day} ${two(l.hour)}:${two(l.minute)}:${two(l.second)} ${host}${tag}:${l.spaceAfterColon}${l.message}${l.trailing}`;
      }),
  },
  // Neighbours for the decoder: RFC 5424, rsyslog's RFC 3339 time, no time, garbage, empty.
  { weight: 1, arbitrary: message.map((m) => `<34>1 2026-11-20T10:00:00.000Z web-1 su - ID47 - ${m}`) },
  { weight: 1, arbitrary: message.map((m) => `2026-11-20T10:00:00+01:00 web-1 sshd[1]: ${m}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', 'garbage', 'Nov 31 10:00:00 h a: x', 'Feb 29 10:00:00 h a: leap'),
  },
);

describe('SyslogQuickCounter', () => {
  it('counts every line under the minute and severity the decoder gives it, whatever the chunking', () => {
    agreesWithDecoder(line, false);
  });

  it('reads the common shape by index and leaves CEF, bad UTF-8 and other years to the decoder', () => {
    const lines = [
      'Nov 20 10:00:01 web-1 sshd[42]: Failed password for root',
      '<11>Nov 20 10:00:02 web-1 sshd[42]: all fine', // PRI 11: error, whatever the words
      'Nov 20 10:00:03 web-1 app: CEF:0|V|P|1|100|name|9|src=10.0.0.1',
      'Dec 31 23:59:59 web-1 app: last year (a month after the reference)',
    ];
    const bytes = Buffer.concat([
      Buffer.from(lines.join('\n') + '\n'),
      Buffer.from([0x4e, 0x6f, 0x76, 0x20, 0x32, 0x30, 0x20, 0xff, 0x0a]), // not UTF-8
    ]);
    const got = byCounter(bytes, []);
    expect(got.quick).toBe(3);
    expect(got.quarantined).toBe(1);
    const minute = (iso: string) => Math.floor(Date.parse(iso) / 60_000);
    expect(got.counts).toEqual(
      new Map([
        [`${minute('2026-11-20T10:00:00Z')}/error`, 2],
        [`${minute('2026-11-20T10:00:00Z')}/critical`, 1], // CEF severity 9, by the decoder
        [`${minute('2025-12-31T23:59:00Z')}/info`, 1],
      ]),
    );
  });
});

/** A JSON value for a member: strings (escapes too), numbers, literals, now and then nested. */
const jsonValue = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom('"web-1"', '"GET /a b"', '"tab\\there"', '"\\u0041"', '"é ü"', '""'),
  },
  { weight: 3, arbitrary: fc.constantFrom('42', '-1.5', '0', '1e400', '3.14e2') },
  { weight: 2, arbitrary: fc.constantFrom('true', 'false', 'null') },
  { weight: 1, arbitrary: fc.constantFrom('{"a":1}', '["x",2]', '[]') },
);

/** A time value: ISO forms the counter reads, and every neighbour it leaves to the decoder. */
const timeValue = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        day: fc.integer({ min: 1, max: 31 }),
        hour: fc.integer({ min: 0, max: 24 }),
        minute: fc.integer({ min: 0, max: 59 }),
        second: fc.option(fc.integer({ min: 0, max: 99 }), { nil: undefined }),
        fraction: fc.constantFrom('', '.010', ',5', '.123456789', '.'),
        zone: fc.constantFrom('Z', 'Z', '', 'z', '+01:00', ' Z'),
        sep: fc.constantFrom('T', 'T', ' ', 't'),
        year: fc.constantFrom('2026', '2026', '1970', '2099', '0099'),
        month: fc.constantFrom('11', '11', '02', '13'),
      })
      .map((v) => {
        const time = `${two(v.hour)}:${two(v.minute)}${v.second === undefined ? '' : `:${two(v.second)}${v.fraction}`}`;
        return `"${v.year}-${v.month}-${two(v.day)}${v.sep}${time}${v.zone}"`;
      }),
  },
  { weight: 1, arbitrary: fc.constantFrom('1764500000', '1764500000000', '"1764500000"', 'null', '"soon"') },
);

const jsonLine = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .record({
        time: fc.option(fc.tuple(fc.constantFrom('ts', 'time', 'timestamp', 'Time', 'TS'), timeValue), {
          nil: undefined,
          freq: 6,
        }),
        members: fc.array(
          fc.tuple(fc.constantFrom('host', 'level', 'msg', 'n', 'a.b', 'ts', '1x', 'host'), jsonValue),
          { maxLength: 4 },
        ),
        spaced: fc.boolean(),
      })
      .map(({ time, members, spaced }) => {
        const all = time ? [time, ...members] : members;
        const sep = spaced ? ', ' : ',';
        return `{${all.map(([k, v]) => `"${k}":${spaced ? ' ' : ''}${v}`).join(sep)}}`;
      }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      'not json',
      '{"a":',
      '[1,2]',
      '{}',
      '  {"ts":"2026-11-20T10:00:00Z","x":"y"}  ',
    ),
  },
);

describe('JsonQuickCounter', () => {
  it('counts lines as the decoder reads them: a key twice, numbers only, a time not believed', () => {
    const text = [
      '{"ts":"2026-11-20T10:00:30Z","host":"a","host":1}', // the last host wins: numbers only, no record
      '{"ts":"2026-11-20T10:00:30Z","n":1}', // numbers only: samples, no record
      '{"ts":"1970-01-01T00:00:01Z","msg":"x"}', // not believed: at receive time
      '{"time":"2026-11-20T10:01:00Z","ts":"2026-11-20T10:02:00.5Z","msg":"y"}', // ts before time
      '{"msg":"no time"}',
      '{"a":', // quarantined
    ].join('\n');
    const got = byCounter(Buffer.from(text), [7, 60], true);
    expect(got.counts).toEqual(byDecoder(text, jsonDecoder).counts);
    const minute = (iso: string) => Math.floor(Date.parse(iso) / 60_000);
    expect(got.counts).toEqual(
      new Map([
        [`${Math.floor(RX / 60_000)}/info`, 2],
        [`${minute('2026-11-20T10:02:00Z')}/info`, 1],
      ]),
    );
    expect(got.quarantined).toBe(1);
  });

  it('counts every line where the json decoder puts its record, whatever the chunking', () => {
    agreesWithDecoder(jsonLine, true);
  });
});

describe('quick counters on arbitrary bytes', () => {
  it('never throw and still agree with the decoders (bytes that are not UTF-8, NULs, stray quotes)', () => {
    const piece = fc.oneof(
      fc.uint8Array({ maxLength: 12 }),
      fc.constantFrom(
        'Nov 20 10:00:01 web-1 sshd[1]: ',
        '{"ts":"2026-11-20T10:00:00Z","m":"',
        '"}',
        '\n',
        '\r\n',
        'error ',
        '\\u12',
      ),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 40 }),
        fc.array(fc.nat(600), { maxLength: 4 }),
        (pieces, cuts) => {
          const bytes = Buffer.concat(
            pieces.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))),
          );
          for (const json of [false, true]) {
            const expected = byDecoder(bytes, json ? jsonDecoder : syslogDecoder);
            const got = byCounter(bytes, cuts, json);
            expect(got.counts).toEqual(expected.counts);
            expect(got.quarantined).toBe(expected.quarantined);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('quick counters on long lines', () => {
  const options = {
    yearReference: MODIFIED,
    rx: RX,
    decoder: syslogDecoder,
    memo: { yearReference: MODIFIED },
    key: 'f',
  };
  const ok = 'Nov 20 10:00:01 web-1 sshd[42]: error here\n';

  it('sends a line over 1 MiB to quarantine, as the import does, and counts on', () => {
    const counter = new SyslogQuickCounter(options);
    counter.push(Buffer.from(ok));
    counter.push(Buffer.from(`Nov 20 10:00:02 web-1 sshd[42]: ${'x'.repeat(1_200_000)}\n`));
    counter.push(Buffer.from(ok));
    const counts = counter.end()!;
    expect(counts.quarantined).toBe(1);
    expect(counts.lines).toBe(3);
    expect([...counts.byMinute.values()]).toEqual([2]);
    expect(counter.linesRead).toBe(3);
  });

  it('gives up counting (no counts) on a line longer than the import reads whole, still numbering lines', () => {
    const counter = new SyslogQuickCounter(options);
    counter.push(Buffer.from(ok));
    const mib = Buffer.alloc(1 << 20, 0x78);
    for (let i = 0; i < 3; i++) counter.push(mib); // 3 MiB and no LF: held no more than 2 MiB
    counter.push(Buffer.from(`x\n${ok}${ok}tail`));
    expect(counter.end()).toBeNull();
    expect(counter.linesRead).toBe(5);
  });
});
