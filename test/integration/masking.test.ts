// Masking before storage, on real files and a real DuckDB: after tailing and importing a capture full of planted
// secrets (and sending them to the syslog receiver), none of them is anywhere in the workspace
// folder's bytes — database, write-ahead log, configuration — while an unmasked marker line is
// (so the search can see stored text), and the same capture without masking leaves every secret
// findable. The scan finds every planted secret with its line, and `opsdeck scan` exits non-zero.
// A pathological user pattern is refused, and ingest goes on.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { rulesFor } from '../../electron/engine/pipeline/masking';
import { scanFiles } from '../../electron/engine/pipeline/scan';
import { MASK_RULE_NAMES, MaskingOptions } from '../../shared/masking';
import { parseOrThrow, SourceConfig, type SourceConfig as SourceConfigType } from '../../shared/schemas';
import { assertBuilt, runCli } from '../helpers/cli';
import { freePort } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

/** Secrets as they appear in real logs, each with the rule that must catch it. */
const PLANTED: { rule: string; secret: string; line: (s: string) => string }[] = [
  { rule: 'email', secret: 'dana.whitfield@plant-north.example', line: (s) => `login ok user=${s}` },
  { rule: 'ipv4', secret: '10.42.17.201', line: (s) => `peer ${s} connected` },
  { rule: 'ipv6', secret: '2001:db8:85a3::8a2e:370:7334', line: (s) => `peer ${s} connected` },
  { rule: 'card', secret: '4012 8888 8888 1881', line: (s) => `payment card ${s} accepted` },
  {
    rule: 'bearer',
    secret: 'mF_9.B5f-4.1JqMzRuQkZ2aGFiY2RlZg',
    line: (s) => `GET /api Authorization: Bearer ${s}`,
  },
  {
    rule: 'jwt',
    secret:
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcGVyYXRvci03NyIsInJvbGUiOiJhZG1pbiJ9.kQ2wR8m3fZ1vYtP0sXcL9aJ4hN6bE5uD7gH2iK8oMnA',
    line: (s) => `session token=${s}`,
  },
  { rule: 'aws-key', secret: 'AKIAZ7QW3RTY5UIOP2LK', line: (s) => `s3 upload with key ${s}` },
  {
    rule: 'url-password',
    secret: 'Tr0ub4dor-and-3',
    line: (s) => `fetching https://backup:${s}@files.plant-north.example/dump.tar`,
  },
  { rule: 'badge', secret: 'EMP-493817', line: (s) => `door 4 opened by ${s}` },
];
const KEY_BODY = [
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7qSecretKeyBody',
  'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6',
];
const MARKER = 'unmasked-marker-line-kept-verbatim';

/** The capture: filler, every planted secret on its own line, a private key over several lines. */
function capture(): { text: string; lines: Map<string, number> } {
  const out: string[] = [];
  const lines = new Map<string, number>();
  for (let i = 0; i < 40; i++) out.push(`pump ${i} pressure nominal`);
  out.push(MARKER);
  for (const p of PLANTED) {
    out.push(p.line(p.secret));
    lines.set(p.rule, out.length);
    out.push('filler between secrets');
  }
  out.push('dumping key: -----BEGIN RSA PRIVATE KEY-----');
  lines.set('private-key', out.length);
  out.push(...KEY_BODY, '-----END RSA PRIVATE KEY-----', 'after the key');
  return { text: out.join('\n') + '\n', lines };
}

const SECRETS = [...PLANTED.map((p) => p.secret), ...KEY_BODY];
const MASKING = {
  rules: [...MASK_RULE_NAMES],
  custom: [{ name: 'badge', pattern: 'EMP-[0-9]{6}' }],
};

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

/** Every file's bytes under a folder, as Latin-1 text (the stored UTF-8 of ASCII secrets is the same). */
function folderBytes(dir: string): { name: string; text: string }[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).flatMap((e) => {
    if (!e.isFile()) return [];
    const name = path.join(e.parentPath, e.name);
    return [{ name, text: fs.readFileSync(name).toString('latin1') }];
  });
}

async function ingestCapture(name: string, masking: object): Promise<string> {
  const dir = path.join(tmp.dir, name);
  const logs = path.join(tmp.dir, `${name}-logs`);
  fs.mkdirSync(dir);
  fs.mkdirSync(logs);
  const { text } = capture();
  // A line that is not UTF-8 goes to quarantine byte for byte: masked too.
  const bad = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(` quarantined ${PLANTED[0]!.secret}\n`)]);
  fs.writeFileSync(path.join(logs, 'app.log'), Buffer.concat([Buffer.from(text), bad]));
  const port = await freePort();
  const sources = [
    {
      id: 'files',
      kind: 'tail',
      name: 'Files',
      options: { path: path.join(logs, '*.log'), startAt: 'beginning', pollMs: 30, masking },
    },
    {
      id: 'syslog',
      kind: 'syslog',
      name: 'Syslog',
      options: { udpPort: null, tcpPort: port, decoder: 'auto', masking },
    },
  ];
  fs.writeFileSync(path.join(dir, 'opsdeck.json'), JSON.stringify({ version: 2, name, sources }));
  const engine = await Engine.open(dir, { flushIntervalMs: 50 });
  try {
    // The same lines, as structured data of RFC 5424 messages too.
    await waitFor(
      'the receiver',
      () => engine.status().sources.find((s) => s.id === 'syslog')?.state === 'connected',
    );
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    for (const p of PLANTED)
      socket.write(
        `<134>1 2026-11-30T01:00:00Z rig app - - [x@32473 v="${p.line(p.secret)}"] ${p.line(p.secret)}\n`,
      );
    socket.end();
    // And the same capture imported as a file (a job through the same ingest stage).
    const evidence = path.join(tmp.dir, `${name}-evidence`);
    fs.mkdirSync(evidence);
    fs.copyFileSync(path.join(logs, 'app.log'), path.join(evidence, 'app.log'));
    const job = await engine.importFiles({ paths: [evidence], masking });
    await waitFor('the import', () => ['done', 'failed'].includes(engine.jobs.get(job)?.state ?? ''));
    expect(engine.jobs.get(job)).toMatchObject({ state: 'done', error: null });
    expect(engine.jobs.get(job)!.rows).toBeGreaterThan(0);
    const expected = text.split('\n').length - 1 + 1 + PLANTED.length; // lines, the bad one, syslog
    await waitFor('everything stored', async () => {
      await engine.store.flush();
      const r = await engine.query(
        'SELECT (SELECT count(*) FROM records)::DOUBLE + (SELECT count(*) FROM quarantine)::DOUBLE',
      );
      return Number(r.rows[0]![0]) >= expected;
    });
    const status = engine.status().sources.find((s) => s.id === 'files')!;
    if (masking === MASKING)
      expect(Object.keys(status.masked).sort()).toEqual([...MASK_RULE_NAMES, 'badge'].sort());
    // Searched while the engine runs: the write-ahead log holds what was appended, uncompressed.
    return dir;
  } finally {
    // Looked at before closing (the WAL) and after (the checkpointed database).
    const open = folderBytes(dir);
    await engine.close();
    fs.writeFileSync(path.join(tmp.dir, `${name}.open.txt`), open.map((f) => f.text).join('\n'));
  }
}

describe('masking before storage', () => {
  it('leaves no planted secret in the workspace folder, WAL included; without masking every one is there', async () => {
    const masked = await ingestCapture('masked', MASKING);
    const whileOpen = fs.readFileSync(path.join(tmp.dir, 'masked.open.txt'), 'latin1');
    expect(whileOpen).toContain(MARKER); // the search sees stored text
    expect(whileOpen).toContain('[masked:email]');
    for (const secret of SECRETS) expect(whileOpen, `${secret} while the engine ran`).not.toContain(secret);
    for (const f of folderBytes(masked))
      for (const secret of SECRETS) expect(f.text, `${secret} in ${f.name}`).not.toContain(secret);

    // The control: the same capture with masking off leaves the secrets in the bytes searched.
    await ingestCapture('plain', { rules: [], custom: [] });
    const plain = fs.readFileSync(path.join(tmp.dir, 'plain.open.txt'), 'latin1');
    for (const secret of SECRETS) expect(plain, secret).toContain(secret);
  }, 120_000);

  it('refuses a pathological user pattern with the reason; the source goes on with its other rules', async () => {
    expect(() =>
      parseOrThrow(
        SourceConfig,
        {
          id: 't',
          kind: 'tail',
          name: 'T',
          options: { path: '/x.log', masking: { custom: [{ name: 'evil', pattern: '^(a+)+$' }] } },
        },
        'source',
      ),
    ).toThrow(/options\.masking\.custom\.0\.pattern: refused: .*nested quantifiers/);

    // In a workspace file, the engine reports the source's options and runs its other sources.
    const dir = path.join(tmp.dir, 'evil');
    const logs = path.join(tmp.dir, 'evil-logs');
    fs.mkdirSync(dir);
    fs.mkdirSync(logs);
    fs.writeFileSync(path.join(logs, 'a.log'), `${'a'.repeat(50_000)}!\nuser ops@example.org\n`);
    const tail = (id: string, custom: unknown[]) => ({
      id,
      kind: 'tail',
      name: id,
      options: { path: path.join(logs, 'a.log'), startAt: 'beginning', pollMs: 30, masking: { custom } },
    });
    fs.writeFileSync(
      path.join(dir, 'opsdeck.json'),
      JSON.stringify({
        version: 2,
        name: 'evil',
        sources: [tail('good', [{ name: 'x', pattern: 'a{2,5}!' }])],
      }),
    );
    const engine = await Engine.open(dir, { flushIntervalMs: 50 });
    try {
      await engine
        .upsertSource(tail('evil', [{ name: 'evil', pattern: '(a|aa)*$' }]) as SourceConfigType)
        .catch(() => undefined); // refused by the configuration's schema, or started in error
      expect(engine.status().sources.find((x) => x.id === 'evil')?.state ?? 'absent').not.toBe('connected');
      const messages = await waitFor('the good source storing', async () => {
        await engine.store.flush();
        const r = await engine.query("SELECT message FROM records_v WHERE source = 'good' ORDER BY message");
        return r.rows.length === 2 ? r.rows.map((row) => String(row[0])) : null;
      });
      expect(messages).toEqual([`${'a'.repeat(49_995)}[masked:x]`, 'user [masked:email]']);
    } finally {
      await engine.close();
    }
  }, 60_000);
});

describe('the sensitive-data scan', () => {
  it('finds every planted secret with its line, masked in the excerpt', async () => {
    const file = path.join(tmp.dir, 'scan.log');
    const { text, lines } = capture();
    fs.writeFileSync(file, text);
    const summary = await scanFiles([file], rulesFor(MaskingOptions.parse(MASKING)));
    expect(summary.errors).toEqual([]);
    const found = new Map(summary.findings.map((f) => [f.rule, f]));
    for (const [rule, line] of lines) {
      expect(found.get(rule), rule).toMatchObject({ file, line, rule });
      expect(found.get(rule)!.excerpt).toContain(`[masked:${rule}]`);
    }
    expect(summary.findings).toHaveLength(lines.size); // the key's body lines belong to its BEGIN line
    for (const f of summary.findings) for (const s of SECRETS) expect(f.excerpt).not.toContain(s);
  });

  it('opsdeck scan exits 1 with findings, 0 on a clean file, 2 on a path it cannot read', async () => {
    assertBuilt();
    const dirty = path.join(tmp.dir, 'dirty.log');
    const clean = path.join(tmp.dir, 'clean.log');
    fs.writeFileSync(dirty, 'ok\nmail to ops@example.org\n');
    fs.writeFileSync(clean, 'nothing to see\n');
    const found = await runCli(['scan', dirty]);
    expect(found).toMatchObject({ code: 1, stdout: `${dirty}:2: email: mail to [masked:email]\n` });
    expect(await runCli(['scan', clean])).toMatchObject({ code: 0, stdout: '' });
    const missing = await runCli(['scan', path.join(tmp.dir, 'nope.log')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.log/);
  });
});
