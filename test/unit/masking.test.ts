import { describe, expect, it } from 'vitest';
import { recordBatch, recordRows } from '../../electron/engine/batch';
import type { IngestBatch } from '../../electron/engine/bus';
import { Masker, maskText, rulesFor, type KeyBlockState } from '../../electron/engine/pipeline/masking';
import { MASK_RULE_NAMES, MaskingOptions, regexHazard } from '../../shared/masking';

const ALL = rulesFor({ rules: [...MASK_RULE_NAMES], custom: [] });

function mask(
  text: string,
  rules = ALL,
  state: KeyBlockState | null = null,
): { out: string; found: string[] } {
  const found: string[] = [];
  const out = maskText(text, rules, state, (rule) => found.push(rule));
  return { out, found };
}

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

describe('masking rules', () => {
  it.each([
    ['user alice.smith+ops@example.co.uk logged in', 'email', 'alice.smith+ops@example.co.uk'],
    ['client 192.168.10.254 connected', 'ipv4', '192.168.10.254'],
    ['from fe80::1ff:fe23:4567:890a port 22', 'ipv6', 'fe80::1ff:fe23:4567:890a'],
    ['from 2001:db8::8a2e:370:7334 ok', 'ipv6', '2001:db8::8a2e:370:7334'],
    ['peer ::1 connected', 'ipv6', '::1'],
    ['paid with 4111 1111 1111 1111 today', 'card', '4111 1111 1111 1111'],
    ['card=5500-0000-0000-0004;', 'card', '5500-0000-0000-0004'],
    ['Authorization: Bearer abcDEF123456789.xyz', 'bearer', 'abcDEF123456789.xyz'],
    [`token=${JWT} end`, 'jwt', JWT],
    ['key AKIAIOSFODNN7EXAMPLE used', 'aws-key', 'AKIAIOSFODNN7EXAMPLE'],
    [
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'aws-key',
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    ],
    ['GET https://deploy:s3cr3tPa55@git.example.com/repo', 'url-password', 's3cr3tPa55'],
    [
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7x\nQ2Fz==\n-----END RSA PRIVATE KEY----- after',
      'private-key',
      'MIIEowIBAAKCAQEA7x',
    ],
  ])('%s → %s', (text, rule, secret) => {
    const { out, found } = mask(text);
    expect(found).toContain(rule);
    expect(out).not.toContain(secret);
    expect(out).toContain(`[masked:${rule}]`);
  });

  it('leaves what only looks like a secret', () => {
    for (const text of [
      'order 4111 1111 1111 1112 shipped', // fails Luhn
      'version 1.2.3.4.5 released',
      'at 12:30:45 the pump stopped',
      'mailto nobody at example dot com',
      'Bearer of bad news',
      'v=300.1.2.3',
      'at 1764466000000 and 1764466000000000', // epoch ms and µs, whatever Luhn says
      'SD-ID origin@32473.site', // an enterprise number, not an address
    ]) {
      expect(mask(text).out, text).toBe(text);
    }
  });

  it('keeps the fields JSON valid and the text around a match', () => {
    const fields = JSON.stringify({ user: 'bob@example.com', url: 'ftp://u:hunter2@h/x', n: 1 });
    const { out } = mask(fields);
    expect(JSON.parse(out)).toEqual({
      user: '[masked:email]',
      url: 'ftp://u:[masked:url-password]@h/x',
      n: 1,
    });
  });

  it('masks a private key split over several records until its END line', () => {
    const state: KeyBlockState = { inKey: false };
    const lines = [
      'config dump: -----BEGIN OPENSSH PRIVATE KEY-----',
      'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
      'QyNTUxOQAAACDl',
      '-----END OPENSSH PRIVATE KEY-----',
      'service restarted',
    ];
    const out = lines.map((l) => mask(l, ALL, state).out);
    expect(out[1]).toBe('[masked:private-key]');
    expect(out[2]).toBe('[masked:private-key]');
    expect(out[3]).toBe('[masked:private-key]');
    expect(out[4]).toBe('service restarted');
    expect(state.inKey).toBe(false);
  });

  it('takes time linear in a long hostile line', () => {
    // Shapes that make naive patterns backtrack: long runs of the characters they repeat.
    const hostile = [
      'a'.repeat(200_000) + '@',
      '1 '.repeat(100_000),
      'a.'.repeat(100_000),
      ':'.repeat(100_000) + 'x',
      '-----BEGIN PRIVATE KEY-----' + 'A'.repeat(200_000) + '"',
      'x://' + 'a:'.repeat(50_000),
    ];
    for (const text of hostile) expect(typeof mask(text).out).toBe('string');
  });
});

describe('user patterns', () => {
  it('refuses patterns that can backtrack catastrophically, naming why', () => {
    for (const pattern of ['(a+)+$', '(\\w*x)*y', '(a|ab)*c', '(.*a){20}', '(a+)\\1', '((ab)*)+'])
      expect(regexHazard(pattern), pattern).not.toBeNull();
    const parsed = MaskingOptions.safeParse({ custom: [{ name: 'bad', pattern: '(x+x+)+y' }] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['custom', 0, 'pattern']);
    expect(parsed.error?.issues[0]?.message).toMatch(/refused: .*nested quantifiers/);
  });

  it('takes the usual ones and masks with them', () => {
    for (const pattern of ['EMP-[0-9]{6}', 'user=(\\w+)', '(?:GET|POST) /admin', 'a{2,5}b', '[a-z]+@corp'])
      expect(regexHazard(pattern), pattern).toBeNull();
    const options = MaskingOptions.parse({
      rules: [],
      custom: [{ name: 'employee', pattern: 'EMP-[0-9]{6}' }],
    });
    const { out, found } = mask('badge EMP-123456 at door 3', rulesFor(options));
    expect(out).toBe('badge [masked:employee] at door 3');
    expect(found).toEqual(['employee']);
  });
});

describe('the masking step', () => {
  it('masks records, quarantine and recordings in place, and counts per rule', () => {
    const masker = Masker.of(MaskingOptions.parse({}));
    const batch: IngestBatch = {
      source: 's',
      samples: { n: 0, ts: new Float64Array(0), channel: new Uint32Array(0), value: new Float64Array(0) },
      records: recordBatch([
        {
          ts: 1,
          rx: 1,
          source: 's',
          severity: 'info',
          message: 'login bob@example.com from 10.0.0.1',
          fields: { token: JWT },
        },
      ]),
      quarantine: [
        {
          rx: 1,
          source: 's',
          reason: 'bad',
          where: 'f',
          raw: new Uint8Array(Buffer.from('\xff carol@example.org')),
        },
      ],
      raw: [{ rx: 1, key: 'f', payload: new Uint8Array(Buffer.from('AKIAIOSFODNN7EXAMPLE\n')), meta: {} }],
      soon: false,
    };
    masker.apply(batch);
    const [row] = recordRows(batch.records);
    expect(row!.message).toBe('login [masked:email] from 10.0.0.1'); // ipv4 is off by default
    expect(row!.fields).toEqual({ token: '[masked:jwt]' });
    expect(Buffer.from(batch.quarantine[0]!.raw).toString('latin1')).toBe('\xc3\xbf [masked:email]');
    expect(Buffer.from(batch.raw[0]!.payload).toString()).toBe('[masked:aws-key]\n');
    expect(masker.counts).toEqual({ email: 2, jwt: 1, 'aws-key': 1 });
  });
});
