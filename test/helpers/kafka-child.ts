// An engine with the Kafka source of its workspace, run as its own process so that a test can kill
// it with SIGKILL mid-stream (test/integration/kafka-exactly-once.test.ts). Bundled by the test
// with Vite and run with node. Arguments: the workspace, and how long each flush waits before its
// transaction (the store's test hook), so that the stream lasts long enough to be cut. Prints the
// rows it has stored so far, a JSON line every 50 ms, until killed.
import { Engine } from '../../electron/engine/engine';

const [dir, slowFlushMs] = process.argv.slice(2) as [string, string];
const engine = await Engine.open(dir, { flushIntervalMs: 50 });
engine.store.flushDelayMsForTests = Number(slowFlushMs);
setInterval(() => {
  const status = engine.status();
  const source = status.sources[0];
  process.stdout.write(
    JSON.stringify({
      records: status.storedRecords,
      state: source?.state,
      error: source?.lastError ?? null,
    }) + '\n',
  );
}, 50);
