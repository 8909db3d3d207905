// Secrets by name. The workspace names a secret; its value comes from this session's memory (given
// by the console), the desktop's vault (the OS key store, through the Electron main process) or
// the environment, never from a file in the workspace.
import { z } from 'zod';
import { hintOf } from '../../shared/field-hints';
import { SecretRef, secretEnvName } from '../../shared/schemas';

export { secretEnvName };

/**
 * Keeps secrets across sessions. The desktop's vault lives in the Electron main process and stores
 * only ciphertext (safeStorage), outside any workspace; the CLI and `opsdeck serve` have none.
 * Every method may reject (no key store, a locked keyring): callers keep the value for the session.
 */
export interface SecretVault {
  /** The secret's value, or undefined when the vault has none by that name. */
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

export class Secrets {
  private readonly values = new Map<string, string>();
  private vault: SecretVault | null = null;
  private warn: (message: string) => void = () => undefined;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /**
   * Keeps secrets in `vault` from now on, and loads the ones named in `names` (sources read
   * secrets synchronously when they start, so they must be here first).
   */
  async useVault(
    vault: SecretVault,
    names: Iterable<string>,
    warn: (message: string) => void,
  ): Promise<void> {
    this.vault = vault;
    this.warn = warn;
    for (const name of new Set(names)) {
      if (this.values.has(name)) continue;
      try {
        const value = await vault.get(name);
        if (value !== undefined) this.values.set(name, value);
      } catch (error) {
        warn(`secret "${name}": cannot read it from the key store (${(error as Error).message})`);
      }
    }
  }

  /** Stores a secret for this session and, with a vault, for later ones. */
  async set(name: string, value: string): Promise<void> {
    this.values.set(name, value);
    if (!this.vault) return;
    try {
      await this.vault.set(name, value);
    } catch (error) {
      this.warn(`secret "${name}" is kept for this session only: ${(error as Error).message}`);
    }
  }

  async delete(name: string): Promise<void> {
    this.values.delete(name);
    await this.vault?.delete(name);
  }

  get(name: string): string | undefined {
    return this.values.get(name) ?? this.env[secretEnvName(name)];
  }
}

/** The wrapped schema of a wrapper (optional, default, …), or of a pipe's input side. */
function inner(schema: z.ZodType): z.ZodType | undefined {
  const def = schema.def as { innerType?: z.ZodType; in?: z.ZodType; getter?: () => z.ZodType };
  return def.innerType ?? def.in ?? def.getter?.();
}

/** The secret names `value` holds where `schema` expects a SecretRef (broker passwords, key passphrases). */
export function secretRefs(schema: z.ZodType, value: unknown, out: string[] = []): string[] {
  if (value === undefined || value === null) return out;
  // SecretRef itself, or a copy of it that `.meta()` labelled (it keeps SecretRef's `secret` mark).
  if (schema === SecretRef || hintOf(schema).secret === true) {
    if (typeof value === 'string') out.push(value);
    return out;
  }
  if (schema instanceof z.ZodObject) {
    if (typeof value !== 'object' || Array.isArray(value)) return out;
    for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>))
      secretRefs(field, (value as Record<string, unknown>)[key], out);
  } else if (schema instanceof z.ZodArray) {
    if (Array.isArray(value)) for (const item of value) secretRefs(schema.element as z.ZodType, item, out);
  } else if (schema instanceof z.ZodUnion) {
    // Only the variants the value is: a string elsewhere is not a secret's name.
    for (const option of schema.options as readonly z.ZodType[])
      if (option.safeParse(value).success) secretRefs(option, value, out);
  } else if (schema instanceof z.ZodRecord) {
    if (typeof value === 'object')
      for (const item of Object.values(value as object)) secretRefs(schema.valueType as z.ZodType, item, out);
  } else {
    const wrapped = inner(schema);
    if (wrapped) secretRefs(wrapped, value, out);
  }
  return out;
}
