// Control messages between the Electron main process and the engine's utility process. Data never
// travels here (it goes over the MessagePort straight to the renderer); each side validates what
// it receives.
import { z } from 'zod';
import { SecretRef } from './schemas';

/** A secret's value, as the console's setSecret takes it. */
const SecretValue = z.string().max(4096);
/** Matches a reply to its request; one engine process numbers its own requests. */
const RequestId = z.number().int().nonnegative();

export const MainToEngine = z.discriminatedUnion('type', [
  /** Open (or create) the workspace in `dir`; answered by `ready` or `error`. */
  z.object({ type: z.literal('open'), dir: z.string().min(1) }),
  /** A renderer's MessagePort travels with this message. */
  z.object({ type: z.literal('connect') }),
  /** Flush, close the database, exit. */
  z.object({ type: z.literal('close') }),
  /**
   * The answer to a `secret-*` request: `value` for a get (null when the vault has none), or
   * `error` saying why the vault could not do it.
   */
  z.object({
    type: z.literal('secret-reply'),
    id: RequestId,
    value: SecretValue.nullable().optional(),
    error: z.string().max(2000).optional(),
  }),
]);
export type MainToEngine = z.infer<typeof MainToEngine>;

export const EngineToMain = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), dir: z.string(), apiUrl: z.string() }),
  z.object({ type: z.literal('error'), message: z.string() }),
  /** The desktop's secret vault (safeStorage ciphertext in the user's data folder), by name. */
  z.object({ type: z.literal('secret-get'), id: RequestId, name: SecretRef }),
  z.object({ type: z.literal('secret-set'), id: RequestId, name: SecretRef, value: SecretValue }),
  z.object({ type: z.literal('secret-delete'), id: RequestId, name: SecretRef }),
]);
export type EngineToMain = z.infer<typeof EngineToMain>;

export type SecretRequest = Extract<EngineToMain, { type: `secret-${string}` }>;
export type SecretReply = Extract<MainToEngine, { type: 'secret-reply' }>;
