// A MessagePort as a ServerTransport: Electron's MessagePortMain (events carry `.data`) and Node's
// worker_threads MessagePort (listeners get the value itself) both fit.
import type { ServerTransport } from './bind';

export interface PortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: unknown) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  start?(): void;
  close(): void;
}

function payload(event: unknown): string | ArrayBuffer | null {
  const value =
    typeof event === 'string' || event instanceof ArrayBuffer ? event : (event as { data?: unknown })?.data;
  if (typeof value === 'string' || value instanceof ArrayBuffer) return value;
  if (ArrayBuffer.isView(value))
    return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) as ArrayBuffer;
  return null;
}

export function portTransport(port: PortLike): ServerTransport {
  return {
    send: (data) => port.postMessage(data),
    onMessage: (handler) => {
      port.on('message', (event) => {
        const data = payload(event);
        if (data !== null) handler(data);
      });
      port.start?.();
    },
    onClose: (handler) => port.on('close', handler),
    // A port has no visible queue; frames are small and the renderer drains them at 30/s.
    backlog: () => 0,
  };
}
