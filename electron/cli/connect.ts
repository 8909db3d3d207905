// The CLI's way to reach a workspace: through the engine that owns it (its lock names the address
// and token, and the engine must answer there), or, when none answers, by opening the DuckDB file
// read-only itself. Either way the caller gets the same typed client (shared/rpc.ts), so a command
// is written once.
import type { RpcClient } from '../../shared/rpc';
import { Engine } from '../engine/engine';
import { checkOwner, connectWebSocket, describeStale, ownerUrl } from '../engine/lock';
import { connectInProcess } from '../engine/server/in-process';

export { connectWebSocket };

export type WorkspaceAccess = { client: RpcClient; close(): Promise<void> } & (
  | { via: 'engine'; pid: number }
  | {
      via: 'read-only';
      /** Why the engine named in the lock was not used, when there was a lock. */
      staleLock: string | null;
    }
);

export async function openWorkspace(dir: string): Promise<WorkspaceAccess> {
  const owner = await checkOwner(dir);
  let staleLock: string | null = null;
  if (owner.state === 'owned') {
    try {
      const client = await connectWebSocket(ownerUrl(owner.lock));
      return { via: 'engine', pid: owner.lock.pid, client, close: async () => client.close() };
    } catch (error) {
      // It answered a moment ago and is gone now (stopped or killed): read the file instead.
      staleLock = `OpsDeck engine pid ${owner.lock.pid}: ${(error as Error).message}`;
    }
  } else if (owner.state === 'stale') {
    staleLock = describeStale(owner);
  } else if (owner.state === 'elsewhere') {
    staleLock = `the lock names an engine on ${owner.lock.host} (pid ${owner.lock.pid}), which cannot be asked from here`;
  }
  const engine = await Engine.open(dir, { readOnly: true });
  const client = connectInProcess(engine);
  return {
    via: 'read-only',
    client,
    staleLock,
    close: async () => {
      client.close();
      await engine.close();
    },
  };
}
