// Runs an engine as the owner of a workspace: opens it, serves the API on loopback (and the
// renderer, for `opsdeck serve`), and leaves a lock naming the address so the CLI and a second
// window talk to this engine instead of fighting over the DuckDB file.
import { Engine, type EngineOptions } from '../engine';
import { checkOwner, ownedError, WorkspaceLock } from '../lock';
import { serve, type RunningServer, type ServeOptions } from '../server/http';

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
  // Everything the owner writes is the user's alone. DuckDB creates its database, WAL and spill
  // files itself, so the process's umask is the only say we have over their modes.
  process.umask(0o077);
  const owner = await checkOwner(dir);
  if (owner.state === 'owned' || owner.state === 'elsewhere') throw ownedError(dir, owner);
  const engine = await Engine.open(dir, engineOptions).catch(async (error: Error) => {
    // Another engine that started at the same moment holds the database: name it when it answers.
    const now = await checkOwner(dir).catch(() => owner);
    throw now.state === 'owned' ? ownedError(dir, now) : error;
  });
  let server: RunningServer | undefined;
  let claim: Awaited<ReturnType<typeof WorkspaceLock.claim>>;
  try {
    server = await serve(engine, serveOptions);
    // Claimed once the server answers: another process judging the lock asks this address.
    claim = await WorkspaceLock.claim(engine.dir, { url: server.apiUrl, token: server.token });
  } catch (error) {
    await server?.close();
    await engine.close();
    throw error;
  }
  if (claim.tookOver) engine.notice('warn', `took over the workspace lock of ${claim.tookOver.message}`);
  const { lock } = claim;
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
