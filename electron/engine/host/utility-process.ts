// Entry of the Electron utility process that runs the engine (pure Node: it imports no Electron).
// The main process sends { type: 'open', dir } once, then a MessagePort per renderer window; live
// data goes straight from here to the renderer over that port and never crosses main. Secrets go
// the other way: this process asks main's vault for them (shared/host.ts).
import { EngineToMain, MainToEngine } from '../../../shared/host';
import { describeZodError } from '../../../shared/schemas';
import { bindConnection } from '../server/bind';
import { portTransport, type PortLike } from '../server/port';
import { startEngineHost, type EngineHost } from './run';
import { HostVault } from './vault';

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown; ports: PortLike[] }) => void): void;
  postMessage(message: EngineToMain): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!parentPort) throw new Error('engine-process must run in an Electron utility process');

let host: EngineHost | undefined;
/** Secrets given in the console are kept by the main process (safeStorage), asked for by name. */
const vault = new HostVault((message) => parentPort.postMessage(message));

parentPort.on('message', (event) => {
  const parsed = MainToEngine.safeParse(event.data);
  if (!parsed.success) {
    parentPort.postMessage({
      type: 'error',
      message: `engine control message: ${describeZodError(parsed.error)}`,
    });
    return;
  }
  const message = parsed.data;
  if (message.type === 'open' && !host) {
    startEngineHost(message.dir, { port: 0 }, { vault })
      .then((h) => {
        host = h;
        parentPort.postMessage(
          EngineToMain.parse({ type: 'ready', dir: h.engine.dir, apiUrl: h.server.apiUrl }),
        );
      })
      .catch((error: Error) => parentPort.postMessage({ type: 'error', message: error.message }));
  } else if (message.type === 'connect' && host && event.ports[0]) {
    bindConnection(host.engine, portTransport(event.ports[0]));
  } else if (message.type === 'secret-reply') {
    vault.receive(message);
  } else if (message.type === 'close') {
    void (host ? host.close() : Promise.resolve()).finally(() => process.exit(0));
  }
});
