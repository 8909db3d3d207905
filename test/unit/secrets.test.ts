// Secrets: which names a workspace refers to, the desktop's vault file (with a fake cipher: no
// safeStorage under Node), and the engine asking the main process for them over the validated
// control messages of shared/host.ts.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HostVault } from '../../electron/engine/host/vault';
import { Secrets, secretRefs } from '../../electron/engine/secrets';
import { sourceFactories } from '../../electron/engine/sources/registry';
import {
  answerSecretRequest,
  FileSecretVault,
  refusalOf,
  VAULT_FILE,
} from '../../electron/main/secret-vault';
import { EngineToMain, MainToEngine } from '../../shared/host';
import { WorkspaceConfig } from '../../shared/schemas';
import { FakeXorCipherForTests } from '../helpers/fake-cipher';
import { tempDir } from '../helpers/tmp';

describe('secret names in a workspace', () => {
  it('are the values where a schema expects a secret, and nothing else', () => {
    const mqtt = {
      url: 'mqtts://broker:8883',
      username: 'tech',
      password: 'bench.password',
      clientId: 'bench.password.not', // a string, but not where a secret goes
      tls: { caFile: '/ca.pem', keyPassphrase: 'bench.key' },
      subscriptions: [{ filter: 'bench.key', qos: 0 }],
    };
    expect(secretRefs(sourceFactories.mqtt.options, mqtt).sort()).toEqual(['bench.key', 'bench.password']);
    expect(
      secretRefs(sourceFactories['mqtt-broker'].options, { port: 1883, password: 'laptop.broker' }),
    ).toEqual(['laptop.broker']);
    expect(secretRefs(sourceFactories.mqtt.options, { url: 'mqtt://x' })).toEqual([]);
    expect(secretRefs(WorkspaceConfig, WorkspaceConfig.parse({ version: 1 }))).toEqual([]);
  });
});

describe('desktop vault', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));
  const folder = () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    return path.join(t.dir, 'secrets');
  };

  it('keeps ciphertext only, in a private file, and reads it back in a new session', async () => {
    const dir = folder();
    const vault = new FileSecretVault(dir, new FakeXorCipherForTests());
    await Promise.all([vault.set('bench.password', 'hunter2-bench'), vault.set('bench.key', 'hunter2-key')]);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, VAULT_FILE)).mode & 0o777).toBe(0o600);
    const bytes = fs.readFileSync(path.join(dir, VAULT_FILE));
    expect(bytes.includes('hunter2')).toBe(false);
    expect(bytes.includes(Buffer.from('hunter2', 'utf16le'))).toBe(false);
    expect(bytes.includes('bench.password')).toBe(true); // names are not secret

    const later = new FileSecretVault(dir, new FakeXorCipherForTests());
    expect(await later.get('bench.password')).toBe('hunter2-bench');
    expect(await later.get('bench.key')).toBe('hunter2-key');
    expect(await later.get('other')).toBeUndefined();
    await later.delete('bench.key');
    expect(await new FileSecretVault(dir, new FakeXorCipherForTests()).get('bench.key')).toBeUndefined();
  });

  it('refuses to keep a secret without a key store, and writes nothing', async () => {
    const dir = folder();
    const cipher = new FakeXorCipherForTests();
    cipher.unavailableBecause = 'this Linux desktop has no key store (libsecret or KWallet)';
    await expect(new FileSecretVault(dir, cipher).set('a', 'b')).rejects.toThrow(
      /no key store to keep it in .*libsecret/,
    );
    expect(fs.existsSync(dir)).toBe(false);
  });
});

describe('engine asking the main process', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  /** Engine and main joined as over the utility process's port: every message validated on arrival. */
  function joined(vault: FileSecretVault) {
    const seen: unknown[] = [];
    const host: HostVault = new HostVault((message) => {
      const raw: unknown = structuredClone(message);
      seen.push(raw);
      const parsed = EngineToMain.safeParse(raw);
      const answer = parsed.success
        ? answerSecretRequest(vault, parsed.data as Parameters<typeof answerSecretRequest>[1])
        : Promise.resolve(refusalOf(raw, 'engine sent a bad control message'));
      void answer.then((reply) => {
        const back = MainToEngine.parse(structuredClone(reply));
        if (back.type === 'secret-reply') host.receive(back);
      });
    });
    return { host, seen };
  }

  it('gets, sets and deletes through the vault, and reports its errors', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const cipher = new FakeXorCipherForTests();
    const { host, seen } = joined(new FileSecretVault(t.dir, cipher));
    expect(await host.get('bench.password')).toBeUndefined();
    await host.set('bench.password', 'hunter2');
    expect(await host.get('bench.password')).toBe('hunter2');
    await host.delete('bench.password');
    expect(await host.get('bench.password')).toBeUndefined();
    expect(seen.map((m) => (m as { type: string }).type)).toEqual([
      'secret-get',
      'secret-set',
      'secret-get',
      'secret-delete',
      'secret-get',
    ]);
    cipher.unavailableBecause = 'no key store';
    await expect(host.set('bench.password', 'x')).rejects.toThrow(/no key store/);
    // A name the contract refuses is answered, not left waiting.
    await expect(host.get('../../etc/passwd')).rejects.toThrow(/bad control message/);
  });

  it('sources get vault secrets at start; a secret the vault cannot keep lasts the session, with a warning', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const cipher = new FakeXorCipherForTests();
    const { host } = joined(new FileSecretVault(t.dir, cipher));
    await host.set('bench.password', 'from-the-vault');

    const warnings: string[] = [];
    const secrets = new Secrets({
      OPSDECK_SECRET_BENCH_PASSWORD: 'from-env',
      OPSDECK_SECRET_OTHER: 'env-only',
    });
    await secrets.useVault(host, ['bench.password', 'missing'], (m) => warnings.push(m));
    expect(secrets.get('bench.password')).toBe('from-the-vault');
    expect(secrets.get('other')).toBe('env-only');
    expect(secrets.get('missing')).toBeUndefined();
    expect(warnings).toEqual([]);

    cipher.unavailableBecause = 'this Linux desktop has no key store (libsecret or KWallet)';
    await secrets.set('bench.key', 'session-only');
    expect(secrets.get('bench.key')).toBe('session-only');
    expect(warnings).toEqual([
      'secret "bench.key" is kept for this session only: no key store to keep it in (this Linux desktop has no key store (libsecret or KWallet))',
    ]);
  });
});
