// The CLI's way to reach a workspace: through the engine that owns it (its lock names the address
// and token), or, when none runs, by opening the DuckDB file read-only itself.
import { WebSocket } from 'ws';
import { RpcClient, type Transport } from '../../shared/rpc';
import { Engine } from '../engine/engine';
import { readLiveLock } from '../engine/workspace';

export function connectWebSocket(url: string): Promise<RpcClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { maxPayload: 256 * 1024 * 1024 });
    socket.binaryType = 'arraybuffer';
    const transport: Transport = {
      send: (data) => socket.send(data),
      onMessage: (handler) =>
        socket.on('message', (data, isBinary) =>
          handler(isBinary ? (data as ArrayBuffer) : (data as Buffer | ArrayBuffer).toString()),
        ),
      onClose: (handler) =>
        socket.on('close', (_code, reason) => handler(reason.toString() || 'engine connection closed')),
      close: () => socket.close(),
    };
    socket.once('open', () => resolve(new RpcClient(transport)));
    socket.once('error', (error) =>
      reject(
        new Error(`cannot reach the engine at ${url.replace(/token=[^&]+/, 'token=…')}: ${error.message}`),
      ),
    );
  });
}

export type WorkspaceAccess =
  | { via: 'engine'; pid: number; client: RpcClient; close(): Promise<void> }
  | { via: 'read-only'; engine: Engine; close(): Promise<void> };

export async function openWorkspace(dir: string): Promise<WorkspaceAccess> {
  const lock = readLiveLock(dir);
  if (lock) {
    const client = await connectWebSocket(lock.url.replace(/token=[^&]*/, `token=${lock.token}`));
    return { via: 'engine', pid: lock.pid, client, close: async () => client.close() };
  }
  const engine = await Engine.open(dir, { readOnly: true });
  return { via: 'read-only', engine, close: () => engine.close() };
}
