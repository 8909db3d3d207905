// Ed25519 keys for evidence bundles: the user's key pair, kept outside any workspace, and the
// fingerprint by which a verifier names the key it trusts. Only node:crypto; no key is ever logged.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** `SHA256:` and the hex SHA-256 of the (public) key's DER SubjectPublicKeyInfo; a private key gives its public half's. */
export function fingerprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(der).digest('hex')}`;
}

export function isFingerprint(text: string): boolean {
  return /^SHA256:[0-9a-f]{64}$/i.test(text);
}

/**
 * Writes a new key pair: the private key (PKCS#8 PEM) at `file`, readable by its owner only
 * (0600), and the public key at `file.pub`. Refuses to replace either.
 */
export function writeKeyPair(file: string): {
  privateKeyFile: string;
  publicKeyFile: string;
  fingerprint: string;
} {
  const privateKeyFile = path.resolve(file);
  const publicKeyFile = `${privateKeyFile}.pub`;
  if (!fs.existsSync(path.dirname(privateKeyFile)))
    throw new Error(`keygen: folder ${path.dirname(privateKeyFile)} does not exist`);
  for (const f of [privateKeyFile, publicKeyFile])
    if (fs.existsSync(f)) throw new Error(`keygen: ${f} exists; a key is never replaced`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // 'wx': created here, never an existing file; mode applies on creation.
  fs.writeFileSync(privateKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
    flag: 'wx',
  });
  fs.chmodSync(privateKeyFile, 0o600); // whatever the umask
  fs.writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }), { flag: 'wx' });
  return { privateKeyFile, publicKeyFile, fingerprint: fingerprint(publicKey) };
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The real path, following links, so a link into the workspace is seen for what it is. */
function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * The user's Ed25519 signing key from a PEM file outside `workspaceDir`: a key kept in the
 * workspace would travel with every copy of it, and anyone holding a copy could sign as the user.
 */
export function loadSigningKey(file: string, workspaceDir: string): KeyObject {
  const absolute = path.resolve(file);
  if (isInside(realPath(absolute), realPath(workspaceDir)))
    throw new Error(
      `signing key ${absolute} is inside the workspace ${workspaceDir}: keep the key outside it (a copy of the workspace would carry it)`,
    );
  if (!fs.existsSync(absolute)) throw new Error(`signing key ${absolute} does not exist`);
  return signingKeyFromPem(fs.readFileSync(absolute), `signing key ${absolute}`);
}

/** An Ed25519 private key from PEM (a key file's, or the vault's); `where` names it in errors. */
export function signingKeyFromPem(pem: string | Buffer, where: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new Error(`${where} is not a private key in PEM: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(
      `${where} is ${key.asymmetricKeyType ?? 'not'} an Ed25519 key (make one with "opsdeck keygen")`,
    );
  return key;
}

/** A new Ed25519 key pair as PEM text (the private key PKCS#8), for a key store rather than a file. */
export function newKeyPairPem(): { privateKey: string; publicKey: string; fingerprint: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    fingerprint: fingerprint(publicKey),
  };
}

/** A public key from PEM text (a private key's PEM gives its public half). */
export function publicKeyFromPem(pem: string | Buffer, where: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new Error(`${where} is not a public key in PEM: ${(error as Error).message}`, { cause: error });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${where} is not an Ed25519 key`);
  return key;
}
