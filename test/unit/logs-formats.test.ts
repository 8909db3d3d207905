// Access logs, Zeek (TSV and JSON), Suricata eve.json, Falco, journald and timestamped text: real
// lines from test/fixtures/logs (see SOURCES.md) and generated edge cases.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Decoder } from '../../electron/engine/decode/decoder';
import { accessLogDecoder } from '../../electron/engine/decode/logs/access';
import { falcoDecoder } from '../../electron/engine/decode/logs/falco';
import { journaldDecoder } from '../../electron/engine/decode/logs/journald';
import { suricataDecoder } from '../../electron/engine/decode/logs/suricata';
import { timestampedDecoder } from '../../electron/engine/decode/logs/timestamped';
import { zeekDecoder, zeekJsonDecoder } from '../../electron/engine/decode/logs/zeek';
import { csvDecoder, jsonDecoder } from '../../electron/engine/decode/formats';
import { enc, recorder } from './fuzz-support';

const RX = Date.UTC(2026, 10, 30, 12);
const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/logs/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter(Boolean);

function decode(d: Decoder, line: string, memo: Record<string, unknown> = {}, rx = RX) {
  const w = recorder();
  const result = d.decode({ rx, key: 'f', bytes: enc(line) }, w.out, memo);
  return { result, record: w.records[0], records: w.records };
}

describe('access logs', () => {
  it('reads Apache common, combined and vhost_combined lines', () => {
    const lines = fixture('access-apache.log');
    for (const l of lines) expect(accessLogDecoder.detect(enc(l))).toBe(0.9);
    const [common, combined, timeout, , , , vhost] = lines.map((l) => decode(accessLogDecoder, l).record!);
    expect(common!.fields).toEqual({
      client: '::1',
      method: 'GET',
      path: '/favicon.ico',
      protocol: 'HTTP/1.1',
      status: 404,
      bytes: 209,
    });
    expect(common!.severity).toBe('warning');
    expect(common!.ts).toBe(Date.UTC(2016, 11, 26, 14, 16, 29));
    expect(combined!.fields).toMatchObject({ userAgent: expect.stringMatching(/^Mozilla\/5.0 \(Macintosh/) });
    expect(combined!.fields).not.toHaveProperty('referrer'); // "-"
    expect(timeout!.fields).toEqual({ client: '::1', status: 408 });
    expect(vhost!.fields).toMatchObject({
      vhost: 'vhost1.domaine.fr',
      client: '123.123.123.123',
      status: 200,
    });
  });

  it('reads nginx lines with an X-Forwarded-For chain and the extra quoted field', () => {
    const [chain, extra] = fixture('access-nginx-xff.log').map((l) => decode(accessLogDecoder, l).record!);
    expect(chain!.fields).toMatchObject({ client: '10.0.0.2, 10.0.0.1, 127.0.0.1', status: 200, bytes: 571 });
    expect(extra!.fields).not.toHaveProperty('extra1'); // "-"
    const xff = decode(
      accessLogDecoder,
      '1.2.3.4 - bob [29/Nov/2026:18:10:43 +0000] "POST /a\\"b HTTP/2.0" 503 10 "https://r/" "ua" "9.9.9.9" 0.013',
    ).record!;
    expect(xff.fields).toMatchObject({
      user: 'bob',
      path: '/a"b',
      referrer: 'https://r/',
      extra1: '9.9.9.9',
      rest: '0.013',
    });
    expect(xff.severity).toBe('error');
    expect(decode(accessLogDecoder, '1.2.3.4 - - [29/Nov/2026:18:10:43 +0000] "GET /').result).toEqual({
      ok: false,
      reason: 'request at column 42 is not a closed quoted string',
    });
  });
});

describe('Zeek', () => {
  it('learns the TSV header and reads conn.log rows: types, unset, (empty), ts', () => {
    const lines = fixture('zeek-conn.log');
    expect(zeekDecoder.detect(enc(lines[0]!))).toBe(0.98);
    const memo: Record<string, unknown> = {};
    const records = lines.flatMap((l) => {
      const r = decode(zeekDecoder, l, memo);
      expect(r.result).toEqual({ ok: true });
      return r.records;
    });
    expect(records).toHaveLength(5);
    const first = records[0]!;
    expect(first.ts).toBe(1320279554496.3);
    expect(first.message).toBe('conn 192.168.2.76:52025 → 208.85.42.28:80 tcp');
    expect(first.fields).toMatchObject({
      uid: 'Cg9xqq3JAcZusspA86',
      'id.orig_p': 52025,
      duration: 2.12585,
      resp_bytes: 1092421,
      history: '^dAfFa',
      tunnel_parents: [],
      path: 'conn',
    });
    expect(first.fields).not.toHaveProperty('service'); // "-": unset
    expect(first.fields).not.toHaveProperty('local_orig');
    expect(memo['zeekFields']).toHaveLength(21);
  });

  it('refuses a data line before #fields, or with the wrong column count', () => {
    expect(decode(zeekDecoder, '1320279554.4\tx').result).toEqual({
      ok: false,
      reason: 'Zeek data line before a #fields header',
    });
    const memo = { zeekFields: ['ts', 'uid'] };
    expect(decode(zeekDecoder, '1320279554.4', memo).result).toEqual({
      ok: false,
      reason: 'Zeek line has 1 columns, #fields 2',
    });
  });

  it('reads Zeek JSON, epoch or ISO ts, and wins over generic JSON', () => {
    const line =
      '{"_path":"dns","ts":"2018-03-24T17:15:20.6Z","uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":53,"id.resp_h":"10.0.0.2","id.resp_p":53,"proto":"udp","query":"example.com"}';
    expect(zeekJsonDecoder.detect(enc(line))).toBeGreaterThan(jsonDecoder.detect(enc(line)));
    const r = decode(zeekJsonDecoder, line).record!;
    expect(r.ts).toBe(Date.UTC(2018, 2, 24, 17, 15, 20, 600));
    expect(r.message).toBe('dns 10.0.0.1:53 → 10.0.0.2:53 udp');
    expect(r.fields).toMatchObject({ query: 'example.com' });
    expect(decode(zeekJsonDecoder, '{"ts":1521911720.5,"uid":"C2"}').record!.ts).toBe(1521911720500);
  });
});

describe('JSON event formats', () => {
  it('reads Suricata eve.json events, and wins over generic JSON', () => {
    const lines = fixture('suricata-eve.json');
    for (const l of lines) expect(suricataDecoder.detect(enc(l))).toBeGreaterThan(jsonDecoder.detect(enc(l)));
    const [http, fileinfo, flow] = lines.map((l) => decode(suricataDecoder, l).record!);
    expect(http!.ts).toBe(Date.UTC(2011, 7, 12, 13, 0, 36, 378));
    expect(http!.message).toBe(
      'http /service/check2?appid=%7B430FD4D0-B729-4F61-AA34-91526481799D%7D&appversion=1.3.21.65&applang=&machine=0&version=1.3.21.65&osversion=5.1&servicepack=Service%20Pack%202 147.32.84.165:1027 → 74.125.232.202:80 TCP',
    );
    expect(http!.fields).toMatchObject({
      event_type: 'http',
      http: { hostname: 'cr-tools.clients.google.com' },
    });
    expect(fileinfo!.message).toMatch(/^fileinfo /);
    expect(flow!.fields).toMatchObject({ flow: { state: 'new' } });
    const alert = decode(
      suricataDecoder,
      '{"timestamp":"2026-11-29T18:10:43.1+0000","event_type":"alert","src_ip":"1.1.1.1","src_port":1,"dest_ip":"2.2.2.2","dest_port":2,"proto":"TCP","alert":{"signature":"ET SCAN","severity":1}}',
    ).record!;
    expect(alert.severity).toBe('critical');
    expect(alert.message).toBe('alert: ET SCAN 1.1.1.1:1 → 2.2.2.2:2 TCP');
  });

  it('reads Falco alerts: output as message, priority as severity, time in ns precision', () => {
    const [first] = fixture('falco.json').map((l) => decode(falcoDecoder, l).record!);
    expect(first!.message).toBe(
      '2016-08-04T16:17:57.881781397+0000: Warning An open was seen (command=cat /dev/null)',
    );
    expect(first!.severity).toBe('warning');
    expect(first!.ts).toBe(Date.UTC(2016, 7, 4, 16, 17, 57, 881));
    expect(first!.fields).toMatchObject({
      rule: 'open_from_cat',
      output_fields: { 'proc.cmdline': 'cat /dev/null' },
    });
    expect(falcoDecoder.detect(enc(fixture('falco.json')[0]!))).toBe(0.97);
  });

  it('reads journalctl -o json: µs time, PRIORITY, MESSAGE as text or bytes', () => {
    const [alert, info] = fixture('journald.json').map((l) => decode(journaldDecoder, l).record!);
    expect(alert!.ts).toBe(1534860261221.373);
    expect(alert!.severity).toBe('critical'); // PRIORITY 1
    expect(alert!.message).toBe('GPS Reference longitude: 7.358143333');
    expect(alert!.fields).toMatchObject({
      _HOSTNAME: 'imx6ul-medusa',
      _SYSTEMD_UNIT: 'medusa-GpsLocator.service',
    });
    expect(info!.severity).toBe('info');
    const bytes = decode(
      journaldDecoder,
      '{"__REALTIME_TIMESTAMP":"1764439843000000","PRIORITY":"3","MESSAGE":[104,105,233]}',
    ).record!;
    expect(bytes.message).toBe('hié'); // not UTF-8: Latin-1
    expect(bytes.severity).toBe('error');
    expect(bytes.ts).toBe(1764439843000);
  });

  it('keeps an implausible time as a field and stores receive time', () => {
    const r = decode(
      falcoDecoder,
      '{"output":"x","priority":"Error","rule":"r","time":"1970-01-02T00:00:00Z"}',
    ).record!;
    expect(r.ts).toBe(RX);
    expect(r.fields).toMatchObject({ time: '1970-01-02T00:00:00Z' });
  });
});

describe('timestamped text', () => {
  const cases: [string, number, string, string][] = [
    [
      '2026-11-29T18:10:43.123Z INFO started',
      Date.UTC(2026, 10, 29, 18, 10, 43, 123),
      'info',
      'INFO started',
    ],
    [
      '2026-11-29 18:10:43,5 [main] ERROR boom',
      Date.UTC(2026, 10, 29, 18, 10, 43, 500),
      'error',
      '[main] ERROR boom',
    ],
    ['Nov 29 18:10:43 plain words', Date.UTC(2026, 10, 29, 18, 10, 43), 'info', 'plain words'],
    [
      '2026/11/29 18:10:43 [warn] 12#0: disk',
      Date.UTC(2026, 10, 29, 18, 10, 43),
      'warning',
      '[warn] 12#0: disk',
    ],
    ['[10/Oct/2020:13:55:36 -0700] x failed', Date.UTC(2020, 9, 10, 20, 55, 36), 'error', 'x failed'],
    ['1764439843 epoch seconds', 1764439843000, 'info', 'epoch seconds'],
    ['1764439843123 epoch ms', 1764439843123, 'info', 'epoch ms'],
    [
      '29-Nov-2026 18:10:43.123 SEVERE tomcat',
      Date.UTC(2026, 10, 29, 18, 10, 43, 123),
      'error',
      'SEVERE tomcat',
    ],
  ];
  for (const [line, ts, severity, message] of cases)
    it(`reads "${line}"`, () => {
      expect(timestampedDecoder.detect(enc(line))).toBe(0.5);
      const r = decode(timestampedDecoder, line).record!;
      expect([r.ts, r.severity, r.message]).toEqual([ts, severity, message]);
    });

  it('reads a time without a zone in timeZone, and refuses a line without a time', () => {
    const r = decode(timestampedDecoder, '2026-07-01 12:00:00 x', { timeZone: 'America/New_York' }).record!;
    expect(r.ts).toBe(Date.UTC(2026, 6, 1, 16));
    expect(decode(timestampedDecoder, 'no time here').result).toEqual({
      ok: false,
      reason: 'no timestamp at the start of the line',
    });
    expect(timestampedDecoder.detect(enc('2026-13-01 00:00:00 bad month'))).toBe(0);
  });
});

describe('CSV and TSV logs (the csv decoder)', () => {
  it('reads a CSV log: quoted cells, time, message and level columns, text-only rows after the header', () => {
    const memo: Record<string, unknown> = {};
    const lines = [
      'timestamp,host,level,message,latency_ms',
      '2026-11-29T18:10:43Z,web1,ERROR,"disk full, retrying",12.5',
      'web2,web2,warn,"said ""hi""",',
    ];
    const w = recorder();
    for (const l of lines)
      expect(csvDecoder.decode({ rx: RX, key: 'f', bytes: enc(l) }, w.out, memo).ok).toBe(true);
    expect(w.records).toEqual([
      {
        severity: 'error',
        message: 'disk full, retrying',
        fields: { host: 'web1', level: 'ERROR' },
        ts: Date.UTC(2026, 10, 29, 18, 10, 43),
      },
      {
        severity: 'warning',
        message: 'said "hi"',
        fields: { timestamp: 'web2', host: 'web2', level: 'warn' },
        ts: RX,
      },
    ]);
    expect(w.samples).toEqual([['latency_ms', 12.5, Date.UTC(2026, 10, 29, 18, 10, 43)]]);
  });

  it('reads TSV, learning the tab from the header', () => {
    const memo: Record<string, unknown> = {};
    const w = recorder();
    csvDecoder.decode({ rx: RX, key: 'f', bytes: enc('time\tuser\taction') }, w.out, memo);
    csvDecoder.decode(
      { rx: RX, key: 'f', bytes: enc('2026-11-29 18:10:43\talice, bob\tlogin') },
      w.out,
      memo,
    );
    expect(memo['delimiter']).toBe('\t');
    expect(w.records[0]!.fields).toEqual({ user: 'alice, bob', action: 'login' });
    expect(w.records[0]!.ts).toBe(Date.UTC(2026, 10, 29, 18, 10, 43));
    expect(csvDecoder.detect(enc('time\tuser\taction'))).toBe(0.5);
  });

  it('takes a first row with a time in it as data, not as a header, and refuses an open quote', () => {
    const memo: Record<string, unknown> = {};
    const w = recorder();
    csvDecoder.decode({ rx: RX, key: 'f', bytes: enc('2026-11-29T18:10:43Z,web1,up') }, w.out, memo);
    expect(memo['header']).toBeUndefined();
    expect(w.records[0]!.fields).toEqual({ col0: '2026-11-29T18:10:43Z', col1: 'web1', col2: 'up' });
    expect(csvDecoder.decode({ rx: RX, key: 'f', bytes: enc('a,"open') }, w.out, {})).toEqual({
      ok: false,
      reason: 'quote at column 3 does not close',
    });
  });
});
