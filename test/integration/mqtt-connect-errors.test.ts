// Connection failures against a real Mosquitto, each said in one line that names the option to
// fix, with what OpenSSL or the broker said kept as the detail (status and notices).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import type { SourceConfig } from '../../shared/schemas';
import { makePki, TestBroker, type Pki } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let pki: Pki;
let otherPki: Pki;
let mtls: TestBroker;
let login: TestBroker;
let engine: Engine;

const mkdir = (dir: string) => (fs.mkdirSync(dir, { recursive: true }), dir);
const source = (id: string, options: Record<string, unknown>): SourceConfig =>
  ({
    id,
    kind: 'mqtt',
    name: id,
    enabled: true,
    options: { reconnectMinMs: 200, ...options },
  }) as SourceConfig;
const status = (id: string) => engine.status().sources.find((s) => s.id === id)!;

beforeAll(async () => {
  tmp = tempDir();
  pki = makePki(mkdir(path.join(tmp.dir, 'site')));
  otherPki = makePki(mkdir(path.join(tmp.dir, 'other')));
  mtls = await TestBroker.start({ tls: { pki, requireClientCert: true } });
  login = await TestBroker.start({ users: { tech: 's3cret' } });
  process.env['OPSDECK_SECRET_ERRORS_KEY_WRONG'] = 'not the passphrase';
  process.env['OPSDECK_SECRET_ERRORS_PASSWORD_WRONG'] = 'not the password';
  const client = { certFile: pki.clientCert, keyFile: pki.clientKey };
  const dir = mkdir(path.join(tmp.dir, 'ws'));
  fs.writeFileSync(
    path.join(dir, 'opsdeck.json'),
    JSON.stringify({
      version: 1,
      sources: [
        source('wrongca', { url: mtls.url, tls: { caFile: otherPki.caFile, ...client } }),
        source('nocert', { url: mtls.url, tls: { caFile: pki.caFile } }),
        source('wrongpass', {
          url: mtls.url,
          tls: {
            caFile: pki.caFile,
            certFile: pki.clientCert,
            keyFile: pki.clientKeyEncrypted,
            keyPassphrase: 'errors.key.wrong',
          },
        }),
        source('mismatch', {
          url: mtls.url,
          tls: { caFile: pki.caFile, certFile: pki.clientCert, keyFile: otherPki.clientKey },
        }),
        source('wrongpw', { url: login.url, username: 'tech', password: 'errors.password.wrong' }),
      ],
    }),
  );
  engine = await Engine.open(dir, { flushIntervalMs: 50 });
});

afterAll(async () => {
  await engine?.close();
  await mtls?.close();
  await login?.close();
  tmp?.cleanup();
});

describe('a connection that fails says which field to fix', () => {
  it.each([
    [
      'wrongca',
      "the broker's certificate is not signed by the CA in tls.caFile",
      /self-signed certificate in certificate chain \(SELF_SIGNED_CERT_IN_CHAIN\)/,
    ],
    [
      'nocert',
      'the broker requires a client certificate: set tls.certFile and tls.keyFile',
      /ssl3_read_bytes:tlsv13 alert certificate required:.*\(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\)/,
    ],
    ['wrongpass', 'tls.keyPassphrase does not decrypt tls.keyFile', /bad decrypt \(ERR_OSSL_BAD_DECRYPT\)/],
    ['mismatch', 'tls.keyFile is not the key of the certificate in tls.certFile', /checkPrivateKey: false/],
    [
      'wrongpw',
      'user name or password refused: check username ("tech") and the secret named in password ("errors.password.wrong")',
      /^Connection refused: Not authorized \(135\)$/,
    ],
  ])('%s', async (id, message, detail) => {
    await waitFor(`${id} explained`, () => status(id).lastError === message, 30_000);
    const s = status(id);
    expect(s.state).not.toBe('connected');
    expect(s.lastError).not.toContain('\n');
    expect(s.lastErrorDetail).toMatch(detail);
    // The raw text is in the log too, next to the plain words.
    const logged = engine.notices().filter((n) => n.message.startsWith(`source ${id}: ${message} (`));
    expect(logged.length).toBe(1);
    expect(logged[0]!.message).toBe(`source ${id}: ${message} (${s.lastErrorDetail})`);
    // A source that keeps retrying logs the same failure once, not once per attempt.
    if (s.state === 'reconnecting') {
      const attempts = s.lastErrorAt!;
      await waitFor(`${id} retried`, () => status(id).lastErrorAt! > attempts, 30_000);
      expect(engine.notices().filter((n) => n.message.startsWith(`source ${id}: `)).length).toBe(1);
    }
  });
});
