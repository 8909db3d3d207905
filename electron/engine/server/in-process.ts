// The contract bound to an engine in this same process: an `RpcClient` whose transport hands each
// message to `bindConnection` and back. The CLI uses it on a workspace it opened read-only itself,
// so every command is written once against the client, whether an engine elsewhere answers or this
// process does; calls are validated on both sides exactly as over a WebSocket.
import { RpcClient, type Transport } from '../../../shared/rpc';
import type { Engine } from '../engine';
import { bindConnection, type ServerTransport } from './bind';

export function connectInProcess(engine: Engine): RpcClient {
  type Handler = (data: string | ArrayBuffer) => void;
  const toServer: Handler[] = [];
  const toClient: Handler[] = [];
  const closeHandlers: ((reason: string) => void)[] = [];
  let closed = false;
  // Delivered on a later turn, as a socket would: a caller never re-enters its own handler.
  const deliver = (handlers: Handler[], data: string | ArrayBuffer) =>
    queueMicrotask(() => {
      if (!closed) for (const h of handlers) h(data);
    });

  const server: ServerTransport = {
    send: (data) => deliver(toClient, data),
    onMessage: (handler) => void toServer.push(handler),
    onClose: (handler) => void closeHandlers.push(handler),
    backlog: () => 0,
  };
  const client: Transport = {
    send: (data) => deliver(toServer, data),
    onMessage: (handler) => void toClient.push(handler),
    onClose: (handler) => void closeHandlers.push(handler),
    close: () => {
      if (closed) return;
      closed = true;
      for (const h of closeHandlers) h('closed by this process');
    },
  };
  bindConnection(engine, server);
  return new RpcClient(client);
}
