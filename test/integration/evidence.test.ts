// Evidence (issue 20): every change is an audit entry and `opsdeck audit verify` names a row edited
// in the database file; exports (CSV, JSON Lines, Parquet flat and hive-partitioned) read back in
// DuckDB with the rows stored; an evidence bundle verifies against its signer's key, and a bundle
// with a byte changed, a file removed or added, or a manifest re-signed by another key does not.
import { sign } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main, VERIFY_EXIT } from '../../electron/cli/main';
import { Engine } from '../../electron/engine/engine';
import { loadSigningKey, writeKeyPair } from '../../electron/engine/evidence/signing';
import { AlertRule } from '../../shared/alerts';
import { WorkspaceConfig } from '../../shared/schemas';
import { tempDir } from '../helpers/tmp';

const tmp = tempDir('opsdeck-evidence-');
const ws = path.join(tmp.dir, 'ws');
const keys = path.join(tmp.dir, 'keys');
let engine: Engine;
/** Two days of samples, 10 a day per channel, and a few records: the data every test reads. */
const DAY = 86_400_000;
const t0 = Date.UTC(2026, 10, 20, 12, 0, 0);
const range = { from: t0 - DAY, to: t0 + 2 * DAY };

const rule = AlertRule.parse({ id: 'hot', kind: 'threshold', channel: 'feed/a', above: 5, lateness: 0 });

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

async function duck<T = unknown[]>(sql: string): Promise<T[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowsJson() as T[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

beforeAll(async () => {
  fs.mkdirSync(ws);
  fs.mkdirSync(keys);
  fs.writeFileSync(
    path.join(ws, 'opsdeck.json'),
    JSON.stringify({ version: 1, rules: [rule], retention: { maxAgeHours: 0 } }),
  );
  engine = await Engine.open(ws, { flushIntervalMs: 50 });
  const feed = engine.ingestContext('feed', 'test');
  const [a, b] = [feed.channel('a'), feed.channel('b')];
  const ts: number[] = [];
  const channel: number[] = [];
  const value: number[] = [];
  for (let day = 0; day < 2; day++)
    for (let i = 0; i < 10; i++)
      for (const ch of [a, b]) {
        ts.push(t0 + day * DAY + i * 1000);
        channel.push(ch);
        value.push(day * 100 + i + (ch === b ? 0.5 : 0));
      }
  await feed.emitSamples({
    n: ts.length,
    ts: Float64Array.from(ts),
    channel: Uint32Array.from(channel),
    value: Float64Array.from(value),
  });
  await feed.emitRecords({
    n: 2,
    ts: Float64Array.from([t0, t0 + DAY]),
    rx: Float64Array.from([t0, t0 + DAY]),
    source: Uint32Array.from([0, 0]),
    sources: ['feed'],
    severity: Uint8Array.from([3, 4]),
    message: ['door opened', 'door "closed", late'],
    fields: ['{"door":1}', null],
  });
  await engine.store.flush();
}, 60_000);

afterAll(async () => {
  await engine?.close();
  tmp.cleanup();
});

describe('exports', () => {
  it('writes flat and hive-partitioned Parquet that read back in DuckDB with the same rows', async () => {
    const stored = (await engine.store.read(
      `SELECT epoch_ms(ts)::DOUBLE, source, channel, value FROM samples_v ORDER BY ts, channel`,
    )) as [number, string, string, number][];
    expect(stored).toHaveLength(40);

    const flat = path.join(tmp.dir, 'flat.parquet');
    expect(await engine.export({ ...range, format: 'parquet', path: flat })).toEqual({
      path: flat,
      rows: 40,
      job: expect.stringMatching(/^export-/),
    });
    const hive = path.join(tmp.dir, 'hive');
    await engine.export({ ...range, format: 'parquet', path: hive, partitionBy: ['day', 'source'] });
    expect(fs.readdirSync(hive).sort()).toEqual(['day=2026-11-20', 'day=2026-11-21']);
    expect(fs.readdirSync(path.join(hive, 'day=2026-11-20'))).toEqual(['source=feed']);

    const rowsOf = (from: string) =>
      duck(`SELECT epoch_ms(ts)::DOUBLE AS t, source, channel, value FROM ${from} ORDER BY t, channel`);
    const expected = stored.map(([t, s, c, v]) => [t, s, c, v]);
    expect(await rowsOf(`'${flat}'`)).toEqual(expected);
    expect(await rowsOf(`read_parquet('${hive}/**/*.parquet', hive_partitioning = true)`)).toEqual(expected);
    // The partition keys come back as columns: each row's day is its UTC day.
    expect(
      await duck(
        `SELECT DISTINCT day::VARCHAR, source FROM read_parquet('${hive}/**/*.parquet', hive_partitioning = true) ORDER BY 1`,
      ),
    ).toEqual([
      ['2026-11-20', 'feed'],
      ['2026-11-21', 'feed'],
    ]);
  });

  it('writes records as JSON Lines and CSV, and refuses a partitioned export into a folder with files', async () => {
    const jsonl = path.join(tmp.dir, 'records.jsonl');
    await engine.export({ ...range, table: 'records', format: 'jsonl', path: jsonl });
    const lines = fs
      .readFileSync(jsonl, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { source: string; message: string; fields: unknown });
    expect(lines.map((l) => [l.source, l.message, l.fields])).toEqual([
      ['feed', 'door opened', { door: 1 }],
      ['feed', 'door "closed", late', null],
    ]);
    const csv = path.join(tmp.dir, 'records.csv');
    await engine.export({ ...range, table: 'records', format: 'csv', path: csv });
    expect(await duck(`SELECT message FROM read_csv('${csv}') ORDER BY ts`)).toEqual([
      ['door opened'],
      ['door "closed", late'],
    ]);
    await expect(
      engine.export({ ...range, format: 'parquet', path: path.join(tmp.dir, 'hive'), partitionBy: ['day'] }),
    ).rejects.toThrow(/hive is not empty/);
    await expect(
      engine.export({
        ...range,
        table: 'transitions',
        format: 'parquet',
        path: path.join(tmp.dir, 't'),
        partitionBy: ['source'],
      }),
    ).rejects.toThrow('export: transitions have no source to partition by');
  });
});

describe('audit log', () => {
  it('has an entry for a rule edit and for an export, and names a row edited in the file', async () => {
    const before = (await engine.audit!.rows()).length;
    engine.configChanges.by('c9', 'console', () =>
      engine.saveRules([AlertRule.parse({ ...rule, above: 50 })]),
    );
    await engine.export(
      { ...range, format: 'csv', path: path.join(tmp.dir, 'audited.csv') },
      undefined,
      'tester',
    );
    const rows = (await engine.audit!.rows()).slice(before);
    // The export is a job: its entry says what was written, the job's that it ended.
    expect(rows.map((r) => [r.actor, r.action])).toEqual([
      ['console c9', 'config.change'],
      ['tester', 'export'],
      ['opsdeck', 'job.export.done'],
    ]);
    expect(rows[0]!.detail).toMatchObject({
      sections: ['rules'],
      changes: {
        rules: {
          added: [],
          removed: [],
          changed: [{ key: 'hot', before: { above: 5 }, after: { above: 50 } }],
        },
      },
    });
    expect(rows[1]!.detail).toMatchObject({ table: 'samples', format: 'csv', rows: 40 });
    expect(rows[0]!.detail).not.toHaveProperty('changes.layouts');
    expect(await engine.verifyAudit()).toEqual({ ok: true, count: rows.at(-1)!.seq });
  });
});

describe('audit of file edits', () => {
  it('records an edit of opsdeck.json as the file, with secret-looking values redacted', async () => {
    const next = WorkspaceConfig.parse({
      ...engine.config,
      alerting: {
        ...engine.config.alerting,
        notifiers: [
          {
            id: 'hook',
            kind: 'webhook',
            url: 'http://127.0.0.1:9/',
            headers: { Authorization: 'Bearer s3cret' },
          },
        ],
      },
    });
    await engine.adoptEditedConfig(next);
    const entry = (await engine.audit!.rows()).at(-1)!;
    expect(entry).toMatchObject({
      actor: 'opsdeck.json',
      action: 'config.change',
      detail: {
        sections: ['alerting'],
        changes: { notifiers: { added: [{ id: 'hook', headers: '[redacted]' }] } },
      },
    });
    expect(JSON.stringify(entry.detail)).not.toContain('s3cret');
  });
});

describe('quarantine', () => {
  it('clears quarantined input of a source, as an audit entry with the count', async () => {
    for (const raw of ['not a number', 'neither'])
      engine.store.appendQuarantine({
        rx: Date.now(),
        source: 'feed',
        reason: 'bad payload',
        where: '',
        raw: Buffer.from(raw),
      });
    await engine.store.flush();
    await expect(engine.clearQuarantine({ source: 'nope', actor: 'ana' })).rejects.toThrow(
      'clearQuarantine: no source "nope"',
    );
    expect(await engine.clearQuarantine({ actor: 'ana' })).toEqual({ removed: 2 });
    expect(await engine.store.read('SELECT count(*)::INT FROM quarantine')).toEqual([[0]]);
    expect((await engine.audit!.rows()).at(-1)).toMatchObject({
      actor: 'ana',
      action: 'quarantine.clear',
      detail: { source: null, before: null, removed: 2 },
    });
  });
});

describe('annotations', () => {
  it('adds, lists and deletes notes on instants and ranges; a delete is an audit entry; they export', async () => {
    const instant = await engine.annotations.add({
      ts: t0 + 5_000,
      text: 'valve swapped',
      author: 'ana',
      channels: ['feed/a'],
    });
    const span = await engine.annotations.add({ ts: t0, tsEnd: t0 + DAY, text: 'test run 7', author: 'bo' });
    const mistake = await engine.annotations.add({ ts: t0 + 1, text: 'typo', author: 'bo' });
    await engine.annotations.delete(mistake.id, 'bo');
    await expect(engine.annotations.delete(mistake.id, 'bo')).rejects.toThrow(
      `annotation: no annotation with id "${mistake.id}"`,
    );
    await expect(
      engine.annotations.add({ ts: t0, tsEnd: t0 - 1, text: 'backwards', author: 'bo' }),
    ).rejects.toThrow('annotation: the end of a range must be after its start');
    expect((await engine.annotations.list()).map((a) => a.text)).toEqual(['test run 7', 'valve swapped']);
    // A range overlapping the span's end but after the instant finds the span only.
    expect(
      (await engine.annotations.list({ from: t0 + DAY - 1, to: t0 + 2 * DAY })).map((a) => a.id),
    ).toEqual([span.id]);
    expect(instant).toMatchObject({ tsEnd: null, channels: ['feed/a'] });

    const audit = await engine.audit!.rows();
    expect(audit.at(-1)).toMatchObject({
      actor: 'bo',
      action: 'annotation.delete',
      detail: { id: mistake.id, text: 'typo', author: 'bo' },
    });

    const jsonl = path.join(tmp.dir, 'annotations.jsonl');
    expect(
      await engine.export({ ...range, table: 'annotations', format: 'jsonl', path: jsonl }),
    ).toMatchObject({
      rows: 2,
    });
    const lines = fs
      .readFileSync(jsonl, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string; channels: string[] });
    expect(lines.map((l) => [l.text, l.channels])).toEqual([
      ['test run 7', []],
      ['valve swapped', ['feed/a']],
    ]);
  });
});

describe('evidence bundles', () => {
  let bundle: string;
  let keyFile: string;
  let pubFile: string;

  it('keygen writes a private key only its owner can read, and a key inside the workspace is refused', async () => {
    const made = await cli(['keygen', '--out', path.join(keys, 'me.pem')]);
    expect(made.code).toBe(0);
    keyFile = path.join(keys, 'me.pem');
    pubFile = `${keyFile}.pub`;
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(made.stdout).toMatch(/fingerprint: SHA256:[0-9a-f]{64}\n/);
    const inside = path.join(ws, 'key.pem');
    fs.copyFileSync(keyFile, inside);
    await expect(
      engine.bundle({ ...range, keyFile: inside, out: path.join(tmp.dir, 'refused') }),
    ).rejects.toThrow(`signing key ${inside} is inside the workspace ${ws}`);
    fs.rmSync(inside);
    expect(fs.existsSync(path.join(tmp.dir, 'refused'))).toBe(false);
  });

  it('writes a bundle that verifies against its signer, and says when no trusted key was given', async () => {
    bundle = path.join(tmp.dir, 'bundle');
    const made = await engine.bundle({ ...range, keyFile, out: bundle }, 'tester');
    expect(made.audited).toBe(true);
    // No file was imported: the captures list is there, empty.
    expect(made.rows).toMatchObject({ samples: 40, records: 2, annotations: 2, captures: 0 });
    expect(fs.readdirSync(bundle).sort()).toEqual([
      'annotations.parquet',
      'audit.jsonl',
      'captures.jsonl',
      'manifest.json',
      'manifest.sig',
      'records.parquet',
      'rules.json',
      'samples.parquet',
      'signer.pub.pem',
      'transitions.parquet',
    ]);
    const audit = await engine.audit!.rows();
    // A bundle is a job: its entry says what was signed, the job's that it ended.
    expect(audit.slice(-2)).toMatchObject([
      { actor: 'tester', action: 'bundle.create' },
      { actor: 'opsdeck', action: 'job.bundle.done' },
    ]);

    const ok = await cli(['verify', bundle, '--key', pubFile]);
    expect(ok.code).toBe(VERIFY_EXIT.verified);
    expect(ok.stdout).toContain('ok: samples.parquet:');
    expect(ok.stdout).toContain(`ok: the signer is the trusted key ${made.fingerprint}`);
    const byFingerprint = await cli(['verify', bundle, '--key', made.fingerprint]);
    expect(byFingerprint.code).toBe(VERIFY_EXIT.verified);
    const untrusted = await cli(['verify', bundle]);
    expect(untrusted.code).toBe(VERIFY_EXIT.untrusted);
    expect(untrusted.stderr).toContain(
      `signed by ${made.fingerprint}, but NOT checked against a trusted key`,
    );
  });

  const tampered = (name: string, change: (dir: string) => void): string => {
    const copy = path.join(tmp.dir, name);
    fs.cpSync(bundle, copy, { recursive: true });
    change(copy);
    return copy;
  };

  it('fails a bundle with one byte changed, a file removed, or a file added, saying which', async () => {
    const changed = tampered('byte', (d) => {
      const file = path.join(d, 'rules.json');
      const bytes = fs.readFileSync(file);
      bytes[10] = bytes[10]! ^ 1;
      fs.writeFileSync(file, bytes);
    });
    const r1 = await cli(['verify', changed, '--key', pubFile]);
    expect(r1.code).toBe(VERIFY_EXIT.failed);
    expect(r1.stdout).toMatch(
      /FAILED: rules\.json: SHA-256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64} \(same size: changed in place\)/,
    );

    const removed = tampered('removed', (d) => fs.rmSync(path.join(d, 'records.parquet')));
    const r2 = await cli(['verify', removed, '--key', pubFile]);
    expect(r2.code).toBe(VERIFY_EXIT.failed);
    expect(r2.stdout).toContain(
      'FAILED: records.parquet: listed in the manifest but missing (removed after signing)',
    );

    const added = tampered('added', (d) => fs.writeFileSync(path.join(d, 'extra.csv'), 'a,b\n'));
    const r3 = await cli(['verify', added, '--key', pubFile]);
    expect(r3.code).toBe(VERIFY_EXIT.failed);
    expect(r3.stdout).toContain('FAILED: extra.csv: not in the manifest (added after signing)');
  });

  it('fails a manifest re-signed with another key, naming both keys', async () => {
    const other = writeKeyPair(path.join(keys, 'mallory.pem'));
    const resigned = tampered('resigned', (d) => {
      // Mallory edits the manifest, signs it with her key and puts her public key beside it.
      const manifest = JSON.parse(fs.readFileSync(path.join(d, 'manifest.json'), 'utf8')) as {
        signer: { fingerprint: string };
      };
      manifest.signer.fingerprint = other.fingerprint;
      const bytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
      fs.writeFileSync(path.join(d, 'manifest.json'), bytes);
      const key = loadSigningKey(other.privateKeyFile, ws);
      fs.writeFileSync(path.join(d, 'manifest.sig'), sign(null, bytes, key).toString('base64'));
      fs.copyFileSync(other.publicKeyFile, path.join(d, 'signer.pub.pem'));
    });
    const r = await cli(['verify', resigned, '--key', pubFile]);
    expect(r.code).toBe(VERIFY_EXIT.failed);
    expect(r.stdout).toContain(`FAILED: signed by ${other.fingerprint}, not by the trusted key`);
    // Its own signature holds: only the trusted key tells it apart.
    expect((await cli(['verify', resigned])).code).toBe(VERIFY_EXIT.untrusted);
  });
});

describe('audit verify on the file', () => {
  it('names the entry whose detail was edited in the database', async () => {
    expect((await cli(['audit', 'verify', ws])).stdout).toMatch(/^audit log intact: \d+ entries\n$/);
    await engine.close();
    const db = await DuckDBInstance.create(path.join(ws, 'data.duckdb'));
    const c = await db.connect();
    await c.run(
      `UPDATE audit SET detail = '{"table":"samples","rows":1}' WHERE action = 'export' AND actor = 'tester'`,
    );
    const seq = Number(
      (
        await c.runAndReadAll(`SELECT seq FROM audit WHERE action = 'export' AND actor = 'tester'`)
      ).getRows()[0]![0],
    );
    c.closeSync();
    db.closeSync();
    const r = await cli(['audit', 'verify', ws]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`audit log BROKEN at entry ${seq} `);
    expect(r.stdout).toContain('its seq, ts, actor, action or detail changed after it was written');
    expect(r.stdout).toContain('detail {"rows":1,"table":"samples"}');
  });

  it('bundles, exports and lists annotations from the command line on the closed workspace', async () => {
    const out = path.join(tmp.dir, 'cli-bundle');
    const key = path.join(keys, 'me.pem');
    const iso = (t: number) => new Date(t).toISOString();
    const made = await cli([
      'bundle',
      ws,
      '--from',
      iso(range.from),
      '--to',
      iso(range.to),
      '--key',
      key,
      '--out',
      out,
    ]);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(
      /^bundle: .*\n\d+ files \(40 samples, 2 records, \d+ transitions, 2 annotations, \d+ audit, 0 captures\)/,
    );
    expect(made.stderr).toContain('the workspace was open read-only, so this bundle is not in its audit log');
    // The audit row edited above travels in the bundle as it is: creation warns, verify names it.
    expect(made.stderr).toContain("WARNING: the workspace's audit log is broken at entry ");
    const verified = await cli(['verify', out, '--key', `${key}.pub`]);
    expect(verified.code).toBe(VERIFY_EXIT.failed);
    expect(verified.stdout).toMatch(
      /FAILED: audit\.jsonl: entry \d+: its seq, ts, actor, action or detail changed/,
    );
    expect(verified.stdout).toContain('ok: the signer is the trusted key');

    const hive = path.join(tmp.dir, 'cli-hive');
    const exported = await cli([
      'export',
      ws,
      '--from',
      iso(range.from),
      '--to',
      iso(range.to),
      '--format',
      'parquet',
      '--table',
      'records',
      '--partition-by',
      'day,source',
      '--out',
      hive,
    ]);
    expect(exported.stdout).toBe(`exported 2 rows to ${hive}\n`);
    expect(fs.readdirSync(hive).sort()).toEqual(['day=2026-11-20', 'day=2026-11-21']);

    const listed = await cli(['annotate', 'list', ws]);
    expect(listed.stdout).toContain('2026-11-20T12:00:05.000Z  ana: valve swapped [feed/a]');
    const refused = await cli(['annotate', 'add', ws, '--at', 'now', '--text', 'x']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('annotations: the workspace is open read-only here');
  });
});
