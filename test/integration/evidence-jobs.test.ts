// Exports and bundles as jobs: on the jobs board with progress, cancel and an audit entry; a
// cancelled one leaves nothing at the path (not even a partial file under the chosen name). The
// signing key from the desktop's vault (never a file in the workspace). A bundle of a real
// imported capture lists the capture's SHA-256 and verifies; one byte changed, a file removed or a
// manifest re-signed with another key fail with the reason.
import { createHash, sign } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { verifyBundle, type Manifest } from '../../electron/engine/evidence/bundle';
import { exportData } from '../../electron/engine/store/export';
import { loadSigningKey, publicKeyFromPem, writeKeyPair } from '../../electron/engine/evidence/signing';
import type { SecretVault } from '../../electron/engine/secrets';
import type { ExportRequest } from '../../shared/api';
import { tempDir } from '../helpers/tmp';

const FIXTURE = path.resolve('test/fixtures/logs/suricata-eve.json');
const tmp = tempDir('opsdeck-evidence-jobs-');
const ws = path.join(tmp.dir, 'ws');
const out = path.join(tmp.dir, 'out');
/** The desktop's vault as the engine sees it: values by name, kept outside every workspace. */
const vaultValues = new Map<string, string>();
const vault: SecretVault = {
  get: async (name) => vaultValues.get(name),
  set: async (name, value) => void vaultValues.set(name, value),
  delete: async (name) => void vaultValues.delete(name),
};
let engine: Engine;
/** The imported capture's records span this range. */
let range: { from: number; to: number };

beforeAll(async () => {
  fs.mkdirSync(ws);
  fs.mkdirSync(out);
  engine = await Engine.open(ws, { startSources: false, flushIntervalMs: 50, vault });
  const imported = await engine.jobs.wait(await engine.importFiles({ paths: [FIXTURE], again: false }));
  expect(imported).toMatchObject({ state: 'done', rows: 3 });
  await engine.store.flush();
  const [[from, to]] = (await engine.store.read(
    `SELECT epoch_ms(min(ts))::DOUBLE, epoch_ms(max(ts))::DOUBLE FROM records`,
  )) as [[number, number]];
  range = { from, to: to + 1 };
});

afterAll(async () => {
  await engine?.close();
  tmp.cleanup();
});

const leftovers = () => fs.readdirSync(out).filter((f) => f.includes('partial') || f.startsWith('.opsdeck'));

describe('exports as jobs', () => {
  it('runs an export on the jobs board, with rows counted ahead, an entry for what it wrote and one for its end', async () => {
    const file = path.join(out, 'records.jsonl');
    const result = await engine.export(
      { ...range, table: 'records', format: 'jsonl', path: file },
      undefined,
      'tester',
    );
    expect(result).toMatchObject({ path: file, rows: 3, job: expect.stringMatching(/^export-/) });
    expect(engine.jobs.get(result.job!)).toMatchObject({
      kind: 'export',
      state: 'done',
      rows: 3,
      rowsTotal: 3,
    });
    expect(fs.readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(3);
    const audit = (await engine.audit!.rows()).slice(-2);
    expect(audit.map((r) => [r.actor, r.action])).toEqual([
      ['tester', 'export'],
      ['opsdeck', 'job.export.done'],
    ]);
  });

  it('leaves nothing at the path when cancelled part-way, flat or partitioned, and audits the cancel', async () => {
    const cases: [string, Pick<ExportRequest, 'format' | 'partitionBy'>][] = [
      ['cancelled.csv', { format: 'csv' }],
      ['cancelled.parquet', { format: 'parquet' }],
      ['cancelled-hive', { format: 'parquet', partitionBy: ['day'] }],
    ];
    for (const [name, extra] of cases) {
      const target = path.join(out, name);
      let cancelled = '';
      // Cancel at the first progress: rows are counted and the first chunk is written by then.
      const exporting = engine.export({ ...range, table: 'records', path: target, ...extra }, () => {
        const job = engine.jobs.list().find((j) => j.kind === 'export' && j.state === 'running');
        if (job && !cancelled) engine.jobs.cancel((cancelled = job.id));
      });
      await expect(exporting).rejects.toThrow(/export cancelled/);
      expect(engine.jobs.get(cancelled)).toMatchObject({ state: 'cancelled' });
      expect(fs.existsSync(target)).toBe(false);
      expect(leftovers()).toEqual([]);
      expect((await engine.audit!.rows()).at(-1)).toMatchObject({
        action: 'job.export.cancelled',
        detail: { job: cancelled },
      });
    }
  });

  it('a job resumed after a crash removes the partial file its first run left', async () => {
    const target = path.join(out, 'resumed.csv');
    const stale = path.join(out, '.resumed.csv.partial-export-1234');
    fs.writeFileSync(stale, 'ts,channel\nhalf a row');
    const rows = await exportData(
      engine.store,
      { ...range, table: 'records', format: 'csv', path: target },
      undefined,
      undefined,
      'export-1234',
    );
    expect(rows).toBe(3);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.readFileSync(target, 'utf8').trim().split('\n')).toHaveLength(4);
    expect(leftovers()).toEqual([]);
  });
});

describe('bundles as jobs, signed with a key from the vault', () => {
  let publicKey: string;

  it('makes a key in the vault (never replacing one) and nothing of it in the workspace', async () => {
    const made = await engine.keygenVault('evidence');
    publicKey = made.publicKey;
    expect(made.fingerprint).toMatch(/^SHA256:[0-9a-f]{64}$/);
    expect(vaultValues.get('evidence')).toContain('BEGIN PRIVATE KEY');
    await expect(engine.keygenVault('evidence')).rejects.toThrow('the key store has a "evidence" already');
    for (const f of fs.readdirSync(ws)) {
      const p = path.join(ws, f);
      if (fs.statSync(p).isFile()) expect(fs.readFileSync(p).includes('PRIVATE KEY')).toBe(false);
    }
  });

  it('bundles an imported capture: the manifest lists its SHA-256, and it verifies against the vault key', async () => {
    const bundle = path.join(out, 'bundle');
    const result = await engine.bundle({ ...range, keyVault: 'evidence', out: bundle }, 'tester');
    expect(result).toMatchObject({ path: bundle, audited: true, job: expect.stringMatching(/^bundle-/) });
    expect(engine.jobs.get(result.job!)).toMatchObject({ kind: 'bundle', state: 'done' });
    const sha256 = createHash('sha256').update(fs.readFileSync(FIXTURE)).digest('hex');
    const manifest = JSON.parse(fs.readFileSync(path.join(bundle, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.captures).toEqual([{ path: FIXTURE, sha256, size: fs.statSync(FIXTURE).size }]);
    expect(manifest.rows).toMatchObject({ records: 3, captures: 1 });
    expect(fs.readFileSync(path.join(bundle, 'captures.jsonl'), 'utf8')).toContain(sha256);

    const trusted = { publicKey: publicKeyFromPem(publicKey, 'the vault key'), from: 'the vault key' };
    const intact = verifyBundle(bundle, trusted);
    expect(intact).toMatchObject({ ok: true, problems: [] });
    expect(intact.checked).toContain(
      `the signer is the trusted key ${manifest.signer.fingerprint} (the vault key)`,
    );
    expect(intact.checked).toContain(
      `original capture ${FIXTURE}: ${fs.statSync(FIXTURE).size} bytes, SHA-256 ${sha256} (as signed)`,
    );

    const copy = (name: string, change: (dir: string) => void) => {
      const dir = path.join(tmp.dir, name);
      fs.cpSync(bundle, dir, { recursive: true });
      change(dir);
      return verifyBundle(dir, trusted);
    };
    const byte = copy('one-byte', (d) => {
      const f = path.join(d, 'records.parquet');
      const bytes = fs.readFileSync(f);
      const at = bytes.length >> 1;
      bytes[at] = bytes[at]! ^ 0x01;
      fs.writeFileSync(f, bytes);
    });
    expect(byte.ok).toBe(false);
    expect(byte.problems).toEqual([
      expect.stringMatching(/^records\.parquet: SHA-256 is .* \(same size: changed in place\)$/),
    ]);
    const removed = copy('removed', (d) => fs.rmSync(path.join(d, 'captures.jsonl')));
    expect(removed.problems).toEqual([
      'captures.jsonl: listed in the manifest but missing (removed after signing)',
    ]);
    const other = writeKeyPair(path.join(tmp.dir, 'mallory.pem'));
    const resigned = copy('resigned', (d) => {
      // The capture's hash changed to hide a swapped file, and the manifest signed again by another key.
      const m = JSON.parse(fs.readFileSync(path.join(d, 'manifest.json'), 'utf8')) as Manifest;
      m.captures[0]!.sha256 = '0'.repeat(64);
      m.signer.fingerprint = other.fingerprint;
      const bytes = Buffer.from(JSON.stringify(m, null, 2) + '\n');
      fs.writeFileSync(path.join(d, 'manifest.json'), bytes);
      const key = loadSigningKey(other.privateKeyFile, ws);
      fs.writeFileSync(path.join(d, 'manifest.sig'), sign(null, bytes, key).toString('base64'));
      fs.copyFileSync(other.publicKeyFile, path.join(d, 'signer.pub.pem'));
    });
    expect(resigned.ok).toBe(false);
    expect(resigned.problems).toEqual([
      `signed by ${other.fingerprint}, not by the trusted key ${manifest.signer.fingerprint} (the vault key)`,
    ]);
  });

  it('refuses a key the vault does not have, and leaves nothing when a bundle is cancelled', async () => {
    await expect(
      engine.bundle({ ...range, keyVault: 'nobody', out: path.join(out, 'nokey') }),
    ).rejects.toThrow('the key store has no key "nobody" (make one with "opsdeck keygen --vault nobody")');
    expect(fs.existsSync(path.join(out, 'nokey'))).toBe(false);

    let cancelled = '';
    const off = engine.jobs.onChange(() => {
      const job = engine.jobs.list().find((j) => j.kind === 'bundle' && j.state === 'running');
      if (job && job.detail.startsWith('writing') && !cancelled) engine.jobs.cancel((cancelled = job.id));
    });
    const target = path.join(out, 'cancelled-bundle');
    await expect(engine.bundle({ ...range, keyVault: 'evidence', out: target })).rejects.toThrow(
      /bundle cancelled|export cancelled/,
    );
    off();
    expect(engine.jobs.get(cancelled)).toMatchObject({ state: 'cancelled' });
    expect(fs.existsSync(target)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('has no vault where the engine was given none: the key file is the way there', async () => {
    const other = await Engine.open(path.join(tmp.dir, 'ws2'), { startSources: false });
    try {
      await expect(other.keygenVault('evidence')).rejects.toThrow('no key store here');
      await expect(
        other.bundle({ ...range, keyVault: 'evidence', out: path.join(out, 'novault') }),
      ).rejects.toThrow('no key store here to take the key "evidence" from');
    } finally {
      await other.close();
    }
  });
});
