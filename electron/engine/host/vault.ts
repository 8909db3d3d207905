// The engine's side of the desktop's secret vault. The engine runs in a utility process with no
// key store of its own: it asks the Electron main process, which keeps safeStorage ciphertext in
// the user's data folder, with the control messages of shared/host.ts, and waits for the reply.
import type { EngineToMain, SecretReply, SecretRequest } from '../../../shared/host';
import type { SecretVault } from '../secrets';

type Request = SecretRequest extends infer R ? (R extends SecretRequest ? Omit<R, 'id'> : never) : never;

/** A keyring that asks its user to unlock it can take a while; past this the request fails. */
const REPLY_TIMEOUT_MS = 60_000;

export class HostVault implements SecretVault {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(reply: SecretReply): void; reject(e: Error): void }>();

  /** `post` sends a message to the main process; its replies come back through `receive`. */
  constructor(
    private readonly post: (message: EngineToMain) => void,
    private readonly timeoutMs = REPLY_TIMEOUT_MS,
  ) {}

  async get(name: string): Promise<string | undefined> {
    return (await this.request({ type: 'secret-get', name })).value ?? undefined;
  }

  async set(name: string, value: string): Promise<void> {
    await this.request({ type: 'secret-set', name, value });
  }

  async delete(name: string): Promise<void> {
    await this.request({ type: 'secret-delete', name });
  }

  /** A reply from the main process (already validated against MainToEngine). */
  receive(reply: SecretReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return; // timed out already
    this.pending.delete(reply.id);
    if (reply.error !== undefined) waiting.reject(new Error(reply.error));
    else waiting.resolve(reply);
  }

  private request(request: Request): Promise<SecretReply> {
    const id = this.nextId++;
    return new Promise<SecretReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the desktop's key store did not answer within ${this.timeoutMs / 1000} s`));
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(id, {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.post({ ...request, id } as EngineToMain);
    });
  }
}
