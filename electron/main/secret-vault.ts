// The desktop's secret vault, kept by the main process: one file of ciphertext in the user's data
// folder (never in a workspace, so a copied workspace carries no secrets). The cipher is the OS key
// store through Electron's safeStorage (safe-storage.ts); this module imports no Electron, so the
// tests run it under Node with a fake cipher.
import fs from 'node:fs';
import path from 'node:path';
import type { MainToEngine, SecretReply, SecretRequest } from '../../shared/host';
import type { SecretVault } from '../engine/secrets';

/** Encrypts with a key the OS keeps (Keychain, DPAPI, libsecret/KWallet). */
export interface SecretCipher {
  /** Why secrets cannot be kept here (no key store), or null when they can. */
  unavailable(): Promise<string | null>;
  encrypt(plain: string): Promise<Buffer>;
  decrypt(data: Buffer): Promise<string>;
}

export const VAULT_FILE = 'secrets.json';

/** On disk: `{ "version": 1, "secrets": { name: base64 ciphertext } }`. */
type VaultFile = { version: 1; secrets: Record<string, string> };

export class FileSecretVault implements SecretVault {
  readonly file: string;
  /** Writes one at a time, so two sets never lose one another. */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly cipher: SecretCipher,
  ) {
    this.file = path.join(dir, VAULT_FILE);
  }

  async get(name: string): Promise<string | undefined> {
    const stored = this.read().secrets[name];
    if (stored === undefined) return undefined;
    return this.cipher.decrypt(Buffer.from(stored, 'base64'));
  }

  async set(name: string, value: string): Promise<void> {
    const why = await this.cipher.unavailable();
    if (why) throw new Error(`no key store to keep it in (${why})`);
    const sealed = (await this.cipher.encrypt(value)).toString('base64');
    await this.update((secrets) => {
      secrets[name] = sealed;
    });
  }

  async delete(name: string): Promise<void> {
    await this.update((secrets) => {
      delete secrets[name];
    });
  }

  private read(): VaultFile {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, secrets: {} };
      throw error;
    }
    const parsed = JSON.parse(text) as Partial<VaultFile>;
    if (parsed.version !== 1 || typeof parsed.secrets !== 'object' || parsed.secrets === null)
      throw new Error(`${this.file}: not a secret vault this OpsDeck can read`);
    return parsed as VaultFile;
  }

  private update(change: (secrets: Record<string, string>) => void): Promise<void> {
    const next = this.writing.then(() => {
      const vault = this.read();
      change(vault.secrets);
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(vault, null, 2) + '\n', { mode: 0o600 });
      fs.renameSync(tmp, this.file);
    });
    this.writing = next.catch(() => undefined);
    return next;
  }
}

/** Does what the engine asked of the vault and says how it went, as the reply to send back. */
export async function answerSecretRequest(vault: SecretVault, request: SecretRequest): Promise<MainToEngine> {
  const reply: SecretReply = { type: 'secret-reply', id: request.id };
  try {
    if (request.type === 'secret-get') reply.value = (await vault.get(request.name)) ?? null;
    else if (request.type === 'secret-set') await vault.set(request.name, request.value);
    else await vault.delete(request.name);
  } catch (error) {
    reply.error = (error as Error).message;
  }
  return reply;
}

/** The reply to a secret request that failed validation, so the engine is not left waiting; null for anything else. */
export function refusalOf(raw: unknown, why: string): MainToEngine | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { type, id } = raw as { type?: unknown; id?: unknown };
  if (typeof type !== 'string' || !type.startsWith('secret-')) return null;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) return null;
  return { type: 'secret-reply', id, error: why };
}
