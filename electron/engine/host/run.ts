// Runs an engine as the owner of a workspace: opens it, serves the API on loopback (and the
// renderer, for `opsdeck serve`), and leaves a lock naming the address so the CLI and a second
// window talk to this engine instead of fighting over the DuckDB file.
import { Engine, type EngineOptions } from '../engine';
import { serve, type RunningServer, type ServeOptions } from '../server/http';
import { readLiveLock, WorkspaceLock } from '../workspace';

export interface EngineHost {
  engine: Engine;
  server: RunningServer;
  close(): Promise<void>;
}

export async function startEngineHost(
  dir: string,
  serveOptions: ServeOptions,
  engineOptions: EngineOptions = {},
): Promise<EngineHost> {
  const owner = readLiveLock(dir);
  if (owner && owner.pid !== process.pid) {
    throw new Error(
      `workspace ${dir} is already open in another OpsDeck engine (pid ${owner.pid}); its console: ${owner.url.replace(/^ws/, 'http').replace('/api?', '/?')}`,
    );
  }
  const engine = await Engine.open(dir, engineOptions);
  let server: RunningServer;
  try {
    server = await serve(engine, serveOptions);
  } catch (error) {
    await engine.close();
    throw error;
  }
  const lock = WorkspaceLock.acquire(engine.dir, { url: server.apiUrl, token: server.token });
  let closing: Promise<void> | undefined;
  return {
    engine,
    server,
    close: () =>
      (closing ??= (async () => {
        await server.close();
        await engine.close();
        lock.release();
      })()),
  };
}
