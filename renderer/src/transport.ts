// The two ways the console reaches the engine, both behind the shared `Transport` interface:
// a WebSocket when `opsdeck serve` hosts the page in a browser, and a MessagePort that the Electron
// preload hands over with window.postMessage (the page then has no other bridge to anything).
import type { Transport } from '../../shared/rpc';

export const ENGINE_PORT_MESSAGE = 'opsdeck:engine-port';
export const ENGINE_ERROR_MESSAGE = 'opsdeck:engine-error';

type MessageHandler = (data: string | ArrayBuffer) => void;
type CloseHandler = (reason: string) => void;

/** A connection attempt that neither opens nor fails by then (a blocked or half-open socket) is abandoned. */
const OPEN_TIMEOUT_MS = 10_000;

/** Opens `url` and resolves once the socket is open; rejects with a message naming the address. */
export function openWebSocket(url: string, shownAddress: string): Promise<Transport> {
  return new Promise((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch (error) {
      reject(new Error(`cannot open ${shownAddress}: ${(error as Error).message}`));
      return;
    }
    socket.binaryType = 'arraybuffer';
    const timer = window.setTimeout(() => {
      socket.removeEventListener('close', onEarlyClose);
      socket.close();
      reject(
        new Error(`cannot reach the engine at ${shownAddress} (no answer in ${OPEN_TIMEOUT_MS / 1000} s)`),
      );
    }, OPEN_TIMEOUT_MS);
    const onEarlyClose = (event: CloseEvent) => {
      window.clearTimeout(timer);
      reject(
        new Error(`cannot reach the engine at ${shownAddress} (connection ${describeClose(event, false)})`),
      );
    };
    socket.addEventListener('close', onEarlyClose, { once: true });
    socket.addEventListener(
      'open',
      () => {
        window.clearTimeout(timer);
        socket.removeEventListener('close', onEarlyClose);
        resolve(webSocketTransport(socket));
      },
      { once: true },
    );
  });
}

function describeClose(event: CloseEvent, wasOpen: boolean): string {
  // 1006 is all a page learns about a refused upgrade (wrong token, engine gone): say so plainly.
  if (event.code === 1006) return wasOpen ? 'lost' : 'refused or lost';
  return event.reason ? `closed: ${event.reason}` : `closed with code ${event.code}`;
}

function webSocketTransport(socket: WebSocket): Transport {
  const closeHandlers: CloseHandler[] = [];
  let closed = false;
  const fireClose = (reason: string) => {
    if (closed) return;
    closed = true;
    for (const handler of closeHandlers) handler(reason);
  };
  socket.addEventListener('close', (event) => fireClose(`engine connection ${describeClose(event, true)}`));
  return {
    send: (data) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(data);
    },
    onMessage: (handler: MessageHandler) =>
      socket.addEventListener('message', (event: MessageEvent<string | ArrayBuffer>) => handler(event.data)),
    onClose: (handler) => closeHandlers.push(handler),
    close: () => {
      socket.close(1000, 'console closed');
      fireClose('connection closed by the console');
    },
  };
}

export function messagePortTransport(port: MessagePort): Transport {
  const messageHandlers: MessageHandler[] = [];
  const closeHandlers: CloseHandler[] = [];
  let closed = false;
  const fireClose = (reason: string) => {
    if (closed) return;
    closed = true;
    for (const handler of closeHandlers) handler(reason);
  };
  port.onmessage = (event: MessageEvent<unknown>) => {
    const data = event.data;
    if (typeof data === 'string' || data instanceof ArrayBuffer) {
      for (const handler of messageHandlers) handler(data);
    }
  };
  port.onmessageerror = () => fireClose('engine port delivered a message that could not be read');
  // Chromium fires `close` on a MessagePort whose other end went away (the engine process exited).
  port.addEventListener('close', () => fireClose('engine process closed its port'));
  port.start();
  return {
    send: (data) => {
      if (!closed) port.postMessage(data);
    },
    onMessage: (handler) => messageHandlers.push(handler),
    onClose: (handler) => closeHandlers.push(handler),
    close: () => {
      port.close();
      fireClose('connection closed by the console');
    },
  };
}

export interface ElectronBridgeHandlers {
  onPort(port: MessagePort): void;
  onEngineError(message: string): void;
}

/**
 * Listens for what the Electron preload posts into the page: the engine's port (again after every
 * reload or engine restart) or the reason the engine could not start. Returns the unlisten function.
 */
export function listenForElectronBridge(handlers: ElectronBridgeHandlers): () => void {
  const onMessage = (event: MessageEvent<unknown>) => {
    // The preload posts from this very window; anything else (frames, extensions) is not the bridge.
    if (event.source !== window) return;
    const { data } = event;
    if (data === ENGINE_PORT_MESSAGE) {
      const port = event.ports[0];
      if (port) handlers.onPort(port);
      return;
    }
    if (
      typeof data === 'object' &&
      data !== null &&
      (data as { type?: unknown }).type === ENGINE_ERROR_MESSAGE
    ) {
      const message = (data as { message?: unknown }).message;
      handlers.onEngineError(typeof message === 'string' && message ? message : 'the engine failed to start');
    }
  };
  window.addEventListener('message', onMessage);
  return () => window.removeEventListener('message', onMessage);
}
