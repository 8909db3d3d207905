// Control messages between the Electron main process and the engine's utility process. Data never
// travels here (it goes over the MessagePort straight to the renderer); each side validates what
// it receives.
import { z } from 'zod';

export const MainToEngine = z.discriminatedUnion('type', [
  /** Open (or create) the workspace in `dir`; answered by `ready` or `error`. */
  z.object({ type: z.literal('open'), dir: z.string().min(1) }),
  /** A renderer's MessagePort travels with this message. */
  z.object({ type: z.literal('connect') }),
  /** Flush, close the database, exit. */
  z.object({ type: z.literal('close') }),
]);
export type MainToEngine = z.infer<typeof MainToEngine>;

export const EngineToMain = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), dir: z.string(), apiUrl: z.string() }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type EngineToMain = z.infer<typeof EngineToMain>;
