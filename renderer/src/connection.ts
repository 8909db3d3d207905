// Owns the one RpcClient the console talks through, and how it gets (and re-gets) one: a WebSocket
// with reconnect and backoff in the browser, or the MessagePort Electron posts into the page.
import { PROTOCOL_VERSION, type WorkspaceInfo } from '../../shared/api';
import { RpcClient } from '../../shared/rpc';
import { backoffDelay } from '../../shared/backoff';
import { listenForElectronBridge, messagePortTransport, openWebSocket } from './transport';

export type ConnectionState =
  | { phase: 'connecting' }
  | { phase: 'connected'; info: WorkspaceInfo }
  | { phase: 'reconnecting'; reason: string; attempt: number; retryAt: number }
  | { phase: 'waiting-for-engine'; reason: string | null }
  | { phase: 'failed'; reason: string };

export interface ConnectionSnapshot {
  client: RpcClient | null;
  state: ConnectionState;
}

const TOKEN_KEY = 'opsdeck.token';
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;
const SILENCE_LIMIT_MS = 8_000;

/**
 * Takes the access token out of the address bar (so it is not left in history, bookmarks or
 * screenshots) and keeps it for this tab only, so a reload still connects.
 */
export function takeAccessToken(): string | null {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export class EngineConnection {
  private snapshot: ConnectionSnapshot = { client: null, state: { phase: 'connecting' } };
  private readonly listeners = new Set<() => void>();
  private retryTimer: number | undefined;
  private stopped = false;
  private stopElectron: (() => void) | null = null;

  /** Chooses the transport: Electron loads the page from a file and posts a port; a browser uses the WebSocket. */
  start(): void {
    if (location.protocol === 'file:') {
      this.set(null, { phase: 'waiting-for-engine', reason: null });
      this.stopElectron = listenForElectronBridge({
        onPort: (port) =>
          void this.adopt(new RpcClient(messagePortTransport(port)), (reason) => this.waitForPort(reason)),
        onEngineError: (message) => this.set(null, { phase: 'waiting-for-engine', reason: message }),
      });
      return;
    }
    const token = takeAccessToken();
    if (!token) {
      this.set(null, {
        phase: 'failed',
        reason: 'no access token: open the full address printed by "opsdeck serve" (it ends in ?token=…)',
      });
      return;
    }
    void this.connectWebSocket(token, 0);
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.retryTimer);
    this.stopElectron?.();
    this.snapshot.client?.close();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ConnectionSnapshot => this.snapshot;

  private set(client: RpcClient | null, state: ConnectionState): void {
    this.snapshot = { client, state };
    for (const listener of this.listeners) listener();
  }

  private async connectWebSocket(token: string, attempt: number): Promise<void> {
    const address = `ws://${location.host}/api`;
    let client: RpcClient;
    try {
      const transport = await openWebSocket(`${address}?token=${encodeURIComponent(token)}`, address);
      client = new RpcClient(transport);
    } catch (error) {
      this.scheduleReconnect(token, attempt + 1, (error as Error).message);
      return;
    }
    await this.adopt(client, (reason) => this.scheduleReconnect(token, 1, reason));
  }

  /** Greets the engine over a fresh client and makes it current; `onLost` runs when it drops. */
  private async adopt(client: RpcClient, onLost: (reason: string) => void): Promise<void> {
    if (this.stopped) {
      client.close();
      return;
    }
    let lost = false;
    let silence: string | null = null;
    let watchdog: number | undefined;
    client.onClose((reason) => {
      lost = true;
      window.clearInterval(watchdog);
      if (!this.stopped && this.snapshot.client === client) onLost(silence ?? reason);
    });
    // Made current before the old one closes, so the old one's close is not taken for a lost link.
    const previous = this.snapshot.client;
    this.set(client, { phase: 'connecting' });
    previous?.close();
    try {
      const info = await client.call('hello', {});
      if (lost || this.snapshot.client !== client) return;
      if (info.protocol !== PROTOCOL_VERSION) {
        client.close();
        this.set(null, {
          phase: 'failed',
          reason: `the engine speaks protocol ${info.protocol}, this console speaks ${PROTOCOL_VERSION}: update OpsDeck`,
        });
        return;
      }
      this.set(client, { phase: 'connected', info });
      // The engine pushes status every second. A port whose engine died, or a socket left half-open
      // by a sleeping laptop, may never report closing: silence is the signal then.
      let lastHeard = Date.now();
      client.on('status', () => (lastHeard = Date.now()));
      watchdog = window.setInterval(() => {
        if (Date.now() - lastHeard <= SILENCE_LIMIT_MS) return;
        silence = `the engine sent nothing for ${SILENCE_LIMIT_MS / 1000} s`;
        client.close();
      }, 1_000);
    } catch (error) {
      if (!lost && this.snapshot.client === client) {
        silence = `engine greeting failed: ${(error as Error).message}`;
        client.close();
      }
    }
  }

  private scheduleReconnect(token: string, attempt: number, reason: string): void {
    if (this.stopped) return;
    const delay = backoffDelay(attempt - 1, { firstMs: FIRST_RETRY_MS, maxMs: MAX_RETRY_MS, jitter: 0.2 });
    this.set(null, { phase: 'reconnecting', reason, attempt, retryAt: Date.now() + delay });
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => void this.connectWebSocket(token, attempt), delay);
  }

  /** Electron posts a new port when the window reloads; until then there is nothing to retry. */
  private waitForPort(reason: string): void {
    this.set(null, { phase: 'waiting-for-engine', reason: `engine disconnected: ${reason}` });
  }
}
