// CEF and LEEF, alone (test/fixtures/logs, see SOURCES.md) and inside syslog lines.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Decoder } from '../../electron/engine/decode/decoder';
import { cefDecoder, leefDecoder, parseCef } from '../../electron/engine/decode/logs/cef';
import { syslogDecoder } from '../../electron/engine/decode/logs/syslog';
import { enc, recorder } from './fuzz-support';

const RX = Date.UTC(2026, 10, 30, 12);
const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/logs/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter(Boolean);

function decode(d: Decoder, line: string, memo: Record<string, unknown> = {}) {
  const w = recorder();
  const result = d.decode({ rx: RX, key: 'f', bytes: enc(line) }, w.out, memo);
  return { result, record: w.records[0] };
}

describe('CEF', () => {
  it('reads Forcepoint CEF lines: header, extension values with spaces and escapes, rt as event time', () => {
    const lines = fixture('cef-forcepoint.log');
    for (const l of lines) expect(cefDecoder.detect(enc(l))).toBe(0.95);
    const first = decode(cefDecoder, lines[0]!).record!;
    expect(first.message).toBe('Generic');
    expect(first.severity).toBe('info');
    expect(first.fields).toMatchObject({
      deviceVendor: 'FORCEPOINT',
      deviceProduct: 'Firewall',
      deviceVersion: '6.6.1',
      signatureId: '0',
      deviceExternalId: 'Master FW node 1',
      msg: 'log server connection established',
      deviceFacility: 'Logging System',
      rt: 'Jan 17 2020 08:52:10',
    });
    expect(first.ts).toBe(Date.UTC(2020, 0, 17, 8, 52, 10));
    const allowed = decode(cefDecoder, lines[2]!).record!;
    expect(allowed.fields).toMatchObject({
      msg: 'Referred connection: 10.1.1.40 -> 10.37.133.35 frag=0x4000 TCP 47413->3020',
      app: 'Dest. Unreachable (Host Unreachable)',
      cs1Label: 'RuleID',
      cs1: '2097157.1',
    });
  });

  it('maps severity and unescapes header pipes', () => {
    const sev = (s: string) => decode(cefDecoder, `CEF:0|v|p|1|id|n|${s}|`).record!.severity;
    expect(['0', '3', '4', '6', '7', '8', '9', '10', 'Low', 'Medium', 'High', 'Very-High'].map(sev)).toEqual([
      'info',
      'info',
      'warning',
      'warning',
      'error',
      'error',
      'critical',
      'critical',
      'info',
      'warning',
      'error',
      'critical',
    ]);
    const parsed = parseCef('CEF:0|a\\|b|p|1|id|name|5|src=1.2.3.4');
    expect(parsed.ok && parsed.event.fields).toMatchObject({ deviceVendor: 'a|b', src: '1.2.3.4' });
    expect(decode(cefDecoder, 'CEF:0|short|header').result).toEqual({
      ok: false,
      reason: 'CEF header has fewer than 7 "|" separated fields',
    });
  });

  it('inside syslog: header fields and CEF fields together, CEF severity and time', () => {
    const line =
      '<134>Nov 30 10:00:00 fw01 CEF:0|Acme|NGFW|2.1|100|Port scan|8|src=10.0.0.1 dst=10.0.0.2 rt=1764496800000';
    expect(syslogDecoder.detect(enc(line))).toBe(0.9);
    const r = decode(syslogDecoder, line).record!;
    expect(r.message).toBe('Port scan');
    expect(r.severity).toBe('error');
    expect(r.fields).toMatchObject({
      facility: 'local0',
      host: 'fw01',
      deviceVendor: 'Acme',
      src: '10.0.0.1',
    });
    expect(r.ts).toBe(1764496800000);
    expect(decode(syslogDecoder, '<134>Nov 30 10:00:00 fw01 CEF:0|broken').result).toEqual({
      ok: false,
      reason: 'CEF in syslog: CEF header has fewer than 7 "|" separated fields',
    });
  });
});

describe('LEEF', () => {
  it('reads LEEF 1.0 (tab-delimited) with devTime and sev, and keeps what is not key=value', () => {
    const [cyberark, junk, empty] = fixture('leef-tenzir.log').map((l) => decode(leefDecoder, l));
    const r = cyberark!.record!;
    expect(r.message).toBe('1');
    expect(r.fields).toMatchObject({
      deviceVendor: 'CyberArk',
      deviceProduct: 'PTA',
      userName: 'mike',
      dst: '192.168.0.1',
      devTime: '1388577600000',
    });
    expect(r.ts).toBe(1388577600000);
    expect(junk!.record!.fields).toMatchObject({ unparsed: 'just some random junk' });
    expect(empty!.record!.fields).toMatchObject({ key: '' });
  });

  it('reads LEEF 2.0 with its own delimiter, alone and inside syslog', () => {
    const line =
      'LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^devTime=2026-11-30T09:00:00Z';
    const r = decode(leefDecoder, line).record!;
    expect(r.fields).toMatchObject({ src: '10.0.1.8', dst: '10.0.0.5', sev: '5' });
    expect(r.severity).toBe('warning');
    expect(r.ts).toBe(Date.UTC(2026, 10, 30, 9));
    const hex = decode(leefDecoder, 'LEEF:2.0|V|P|1|e|x09|a=1\tb=2').record!;
    expect(hex.fields).toMatchObject({ a: '1', b: '2' });
    const wrapped = decode(syslogDecoder, `<13>Nov 30 09:00:00 sw1 ${line}`).record!;
    expect(wrapped.fields).toMatchObject({ host: 'sw1', deviceVendor: 'Lancope', dst: '10.0.0.5' });
  });
});
