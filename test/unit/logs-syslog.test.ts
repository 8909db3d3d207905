// The syslog decoder on real lines (test/fixtures/logs, see SOURCES.md) and on the forms rsyslog
// and `logger` send: fields, severity, and event time, including the year and zone RFC 3164 leaves out.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSyslog, syslogDecoder } from '../../electron/engine/decode/logs/syslog';
import { enc, recorder } from './fuzz-support';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/logs/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter(Boolean);

function decode(line: string, memo: Record<string, unknown> = {}, rx = Date.UTC(2026, 10, 30, 12)) {
  const w = recorder();
  const result = syslogDecoder.decode({ rx, key: 'f', bytes: enc(line) }, w.out, memo);
  return { result, records: w.records };
}

describe('syslog decoder', () => {
  it('reads RFC 3164 auth.log lines: host, app, procid, message; the year from yearReference', () => {
    const lines = fixture('syslog-3164-auth.log');
    const memo = { yearReference: Date.UTC(2026, 2, 1) };
    const all = lines.map((l) => decode(l, memo, Date.UTC(2026, 10, 30)));
    for (const { result } of all) expect(result).toEqual({ ok: true });
    const first = all[0]!.records[0]!;
    expect(first.fields).toMatchObject({
      host: 'localhost',
      app: 'sshd',
      procid: '3402',
      yearInferred: 2026,
    });
    expect(first.message).toMatch(/^Accepted publickey for vagrant/);
    expect(first.ts).toBe(Date.UTC(2026, 1, 21, 21, 54, 44));
    const sudo = all[4]!.records[0]!;
    expect(sudo.fields).toMatchObject({ host: 'localhost', app: 'sudo' });
    expect(sudo.fields).not.toHaveProperty('procid');
    expect(all[3]!.records[0]!.severity).toBe('error'); // "Failed password": guessed, no PRI
    for (const l of lines) expect(syslogDecoder.detect(enc(l))).toBeGreaterThan(0.5);
  });

  it('reads RFC 5424 with PRI, version and structured data', () => {
    const [start, dhcp, cron] = fixture('syslog-5424-rsyslog.log').map((l) => decode(l).records[0]!);
    expect(start!.fields).toEqual({
      facility: 'syslog',
      host: 'logserver',
      app: 'rsyslogd',
      'origin.software': 'rsyslogd',
      'origin.swVersion': '8.4.2',
      'origin.x-pid': '900',
      'origin.x-info': 'http://www.rsyslog.com',
    });
    expect(start!.severity).toBe('info'); // <46>: syslog.info
    expect(start!.message).toBe('start');
    expect(start!.ts).toBe(Date.UTC(2017, 3, 27, 5, 50, 47, 381));
    expect(dhcp!.fields).toEqual({ facility: 'daemon', host: 'nextcloud', app: 'dhclient' });
    expect(dhcp!.message).toBe('DHCPREQUEST on eth0 to 192.168.1.1 port 67');
    expect(cron!.fields).toMatchObject({ facility: 'cron', procid: '1472' });
    expect(cron!.severity).toBe('info');
  });

  it('reads RFC 5424 fields written to a file without PRI and version', () => {
    const [nsx, cron, arp] = fixture('syslog-5424-nopri.log').map((l) => decode(l).records[0]!);
    expect(nsx!.fields).toMatchObject({
      host: 'space01.global-acme.entp',
      app: 'NSX',
      procid: '3106',
      'abc@6876.comp': 'abc-edge',
      'abc@6876.level': 'INFO',
    });
    expect(nsx!.ts).toBe(Date.UTC(2022, 7, 27, 14, 22, 1, 613));
    expect(cron!.ts).toBe(Date.UTC(2022, 7, 27, 14, 22, 1, 694));
    expect(cron!.message).toMatch(/^\(root\) CMD/);
    expect(arp!.fields).toMatchObject({ msgid: 'SWITCHING', 'abc@6876.tname': 'dp-learning3' });
  });

  it('maps every PRI severity to ours', () => {
    const got = [0, 1, 2, 3, 4, 5, 6, 7].map(
      (s) => decode(`<${8 + s}>Nov 29 18:10:43 host app: x`).records[0]!.severity,
    );
    expect(got).toEqual(['critical', 'critical', 'critical', 'error', 'warning', 'notice', 'info', 'debug']);
  });

  it('accepts what logger sends to the local socket: PRI, no host', () => {
    const { records } = decode('<13>Nov 29 18:10:43 alice: hello there');
    expect(records[0]!.fields).toEqual({ facility: 'user', app: 'alice', yearInferred: 2026 });
    expect(records[0]!.message).toBe('hello there');
    expect(records[0]!.severity).toBe('notice');
  });

  it("accepts rsyslog's file format: an RFC 3339 time with a 3164 host and tag", () => {
    const { records } = decode('2026-11-29T18:10:43.123456+01:00 web1 nginx[812]: upstream timed out');
    expect(records[0]!.fields).toEqual({ host: 'web1', app: 'nginx', procid: '812' });
    expect(records[0]!.ts).toBe(Date.UTC(2026, 10, 29, 17, 10, 43, 123));
  });

  it('drops the NUL and line end some senders put after a datagram', () => {
    const { records } = decode('<14>Nov 29 18:10:43 h app: datagram\u0000\n');
    expect(records[0]!.message).toBe('datagram');
  });

  it('puts a December line of a January file in the previous year, and says so', () => {
    const memo = { yearReference: Date.UTC(2027, 0, 3) };
    const dec = decode('Dec 31 23:59:58 h app: late', memo, Date.UTC(2027, 0, 5)).records[0]!;
    expect(dec.ts).toBe(Date.UTC(2026, 11, 31, 23, 59, 58));
    expect(dec.fields).toMatchObject({ yearInferred: 2026 });
    const jan = decode('Jan  2 00:00:01 h app: early', memo, Date.UTC(2027, 0, 5)).records[0]!;
    expect(jan.ts).toBe(Date.UTC(2027, 0, 2, 0, 0, 1));
  });

  it('takes a year the user set as it is, and the zone from timeZone', () => {
    const memo = { year: 2019, timeZone: 'Europe/Berlin' };
    const r = decode('Jul  4 12:00:00 h app: x', memo).records[0]!;
    expect(r.ts).toBe(Date.UTC(2019, 6, 4, 10)); // CEST is UTC+2
    expect(r.fields).toMatchObject({ yearInferred: 2019 });
  });

  it('stores an implausible time at receive time and keeps it as written', () => {
    const rx = Date.UTC(2026, 10, 30, 12);
    const r = decode('<14>1 1999-01-01T00:00:00Z h app - - - old', {}, rx).records[0]!;
    expect(r.ts).toBe(rx);
    expect(r.fields).toMatchObject({ timestamp: '1999-01-01T00:00:00Z' });
    const nilTime = decode('<14>1 - h app - - - no time', {}, rx).records[0]!;
    expect(nilTime.ts).toBe(rx);
  });

  it('reads escapes in structured data, and refuses broken structured data with where', () => {
    const ok = parseSyslog('<14>1 - h a - - [x@1 q="a\\"b\\]c\\\\"] m', {}, 0);
    expect(ok.ok && ok.msg.sd).toEqual([['x@1.q', 'a"b]c\\']]);
    const broken = parseSyslog('<14>1 - h a - - [x@1 q="open', {}, 0);
    expect(broken).toEqual({ ok: false, reason: 'structured data value at column 25 does not close' });
    expect(decode('<999>Nov 29 18:10:43 h a: x').result).toEqual({
      ok: false,
      reason: 'PRI is not <0> to <191>',
    });
    expect(syslogDecoder.detect(enc('hello world'))).toBe(0);
    expect(syslogDecoder.detect(enc('Nov 29 18:10:43 just some words'))).toBe(0);
  });
});
