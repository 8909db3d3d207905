// A secret given in the console, the desktop way: through the API to the engine, from the engine to
// the main process's vault over the control messages of shared/host.ts (validated both ways), kept
// there as ciphertext (a fake cipher stands in for safeStorage under Node). A real Mosquitto that
// wants the password shows the engine really uses it, in this session and the next. Then every byte
// of the workspace and of the vault's folder is searched for the secret.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEngineHost, type EngineHost } from '../../electron/engine/host/run';
import { HostVault } from '../../electron/engine/host/vault';
import { connectWebSocket } from '../../electron/engine/lock';
import { verifyBundle } from '../../electron/engine/evidence/bundle';
import { publicKeyFromPem } from '../../electron/engine/evidence/signing';
import { answerSecretRequest, FileSecretVault } from '../../electron/main/secret-vault';
import { EngineToMain, MainToEngine } from '../../shared/host';
import { defaultWorkspace, writeWorkspaceConfig } from '../../electron/engine/workspace';
import { FakeXorCipherForTests } from '../helpers/fake-cipher';
import { TestBroker } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

const SECRET = 'Vault-Test-Secret-7f3a9c';

/** The engine's HostVault joined to a main-process vault as over the utility process's port. */
function desktopVault(vault: FileSecretVault): HostVault {
  const host: HostVault = new HostVault((message) => {
    const request = EngineToMain.parse(structuredClone(message));
    if (!request.type.startsWith('secret-')) return;
    void answerSecretRequest(vault, request as Parameters<typeof answerSecretRequest>[1]).then((reply) => {
      const back = MainToEngine.parse(structuredClone(reply));
      if (back.type === 'secret-reply') host.receive(back);
    });
  });
  return host;
}

/** Every file under `dir`, with its bytes. */
function filesUnder(dir: string): { file: string; bytes: Buffer }[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).flatMap((entry) => {
    const file = path.join(entry.parentPath, entry.name);
    return entry.isFile() ? [{ file, bytes: fs.readFileSync(file) }] : [];
  });
}

/** The secret as it could sit in a file: UTF-8, UTF-16, hex, and base64 at each of its 3 alignments. */
const encodings = (secret: string) => {
  const bytes = Buffer.from(secret, 'utf8');
  const base64 = [0, 1, 2].map((shift) => {
    const text = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    return Buffer.from(text.slice(shift ? 4 : 0, -4)); // only the characters the secret alone decides
  });
  return [bytes, Buffer.from(secret, 'utf16le'), Buffer.from(bytes.toString('hex')), ...base64];
};

describe('secrets in the desktop vault', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('a secret set in the console is used, kept across sessions, and never on disk in clear', async () => {
    const broker = await TestBroker.start({ users: { tech: SECRET } });
    cleanups.push(() => broker.close());
    const t = tempDir('opsdeck-secrets-');
    cleanups.push(t.cleanup);
    const ws = path.join(t.dir, 'ws');
    const vaultDir = path.join(t.dir, 'user-data', 'secrets');
    fs.mkdirSync(ws);
    writeWorkspaceConfig(ws, {
      ...defaultWorkspace(),
      sources: [
        {
          id: 'bench',
          kind: 'mqtt',
          name: 'Bench',
          enabled: true,
          options: {
            url: broker.url,
            username: 'tech',
            password: 'bench.password',
            subscriptions: [],
          } as never,
        },
      ],
    });
    const state = (host: EngineHost) => host.engine.status().sources.find((s) => s.id === 'bench')!;
    const open = async () => {
      const vault = new FileSecretVault(vaultDir, new FakeXorCipherForTests()); // a fresh read of the file
      const host = await startEngineHost(ws, { port: 0 }, { vault: desktopVault(vault) });
      cleanups.push(() => host.close());
      return host;
    };

    // First session: no secret anywhere; the console gives it over the API.
    const first = await open();
    await waitFor('the missing secret reported', () =>
      /secret "bench.password" is not set/.test(state(first).lastError ?? ''),
    );
    const client = await connectWebSocket(first.server.apiUrl);
    await client.call('setSecret', { name: 'bench.password', value: SECRET });
    client.close();
    await waitFor('connected with the secret', () => state(first).state === 'connected');
    await first.close();

    // Second session: the engine asks the vault at start, before the source needs it.
    const second = await open();
    await waitFor('connected with the secret from the vault', () => state(second).state === 'connected');
    expect(second.engine.notices().filter((n) => n.level !== 'info')).toEqual([]);
    await second.close();

    const files = [...filesUnder(ws), ...filesUnder(vaultDir)];
    expect(files.map((f) => path.relative(t.dir, f.file))).toEqual(
      expect.arrayContaining(['ws/opsdeck.json', 'ws/data.duckdb', 'user-data/secrets/secrets.json']),
    );
    for (const { file, bytes } of files)
      for (const needle of encodings(SECRET))
        expect(bytes.includes(needle), `${file} holds the secret`).toBe(false);
    // The search can find it: the vault holds the name next to something sealed.
    expect(fs.readFileSync(path.join(vaultDir, 'secrets.json'), 'utf8')).toContain('"bench.password"');
  });

  it('without a key store the secret lasts the session, the console is told, and nothing is written', async () => {
    const t = tempDir('opsdeck-secrets-');
    cleanups.push(t.cleanup);
    const ws = path.join(t.dir, 'ws');
    const vaultDir = path.join(t.dir, 'user-data', 'secrets');
    const cipher = new FakeXorCipherForTests();
    cipher.unavailableBecause = 'this Linux desktop has no key store (libsecret or KWallet)';
    const host = await startEngineHost(
      ws,
      { port: 0 },
      { vault: desktopVault(new FileSecretVault(vaultDir, cipher)) },
    );
    cleanups.push(() => host.close());
    await host.engine.setSecret('bench.password', SECRET);
    expect(host.engine.secrets.get('bench.password')).toBe(SECRET);
    expect(host.engine.notices().map((n) => `${n.level}: ${n.message}`)).toContain(
      'warn: secret "bench.password" is kept for this session only: no key store to keep it in (this Linux desktop has no key store (libsecret or KWallet))',
    );
    expect(fs.existsSync(vaultDir)).toBe(false);
  });

  it('a signing key made in the desktop vault signs a bundle through the API, and its private half is in no file in clear', async () => {
    const t = tempDir('opsdeck-secrets-');
    cleanups.push(t.cleanup);
    const ws = path.join(t.dir, 'ws');
    const vaultDir = path.join(t.dir, 'user-data', 'secrets');
    const vault = new FileSecretVault(vaultDir, new FakeXorCipherForTests());
    const host = await startEngineHost(ws, { port: 0 }, { startSources: false, vault: desktopVault(vault) });
    cleanups.push(() => host.close());
    const client = await connectWebSocket(host.server.apiUrl);
    cleanups.push(() => client.close());
    const made = await client.call('keygenVault', { name: 'evidence' });
    await expect(client.call('keygenVault', { name: 'evidence' })).rejects.toThrow('a key is never replaced');
    const out = path.join(t.dir, 'bundle');
    const now = Date.now();
    const bundle = await client.call('bundle', { from: now - 3_600_000, to: now, keyVault: 'evidence', out });
    expect(bundle.fingerprint).toBe(made.fingerprint);
    const verdict = verifyBundle(out, { publicKey: publicKeyFromPem(made.publicKey, 'made'), from: 'made' });
    expect(verdict).toMatchObject({ ok: true, problems: [] });

    const privatePem = (await vault.get('evidence'))!;
    expect(privatePem).toContain('BEGIN PRIVATE KEY');
    // The key's secret part: the base64 body of the PEM, and the raw 32-byte seed at its end.
    const body = privatePem
      .split('\n')
      .filter((l) => l && !l.startsWith('-----'))
      .join('');
    const seed = Buffer.from(body, 'base64').subarray(-32);
    await host.close();
    for (const { file, bytes } of [...filesUnder(ws), ...filesUnder(vaultDir), ...filesUnder(out)]) {
      expect(bytes.includes(Buffer.from(body)), `${file} holds the private key`).toBe(false);
      expect(bytes.includes(seed), `${file} holds the private key's seed`).toBe(false);
    }
  });
});
