// Electron main: lifecycle, window, the engine's utility process, and the MessagePort that joins the
// renderer straight to the engine. Kept thin: it parses no payloads and holds no data.
import {
  app,
  BrowserWindow,
  MessageChannelMain,
  session,
  shell,
  utilityProcess,
  type UtilityProcess,
} from 'electron';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EngineToMain, type MainToEngine } from '../../shared/host';
import { describeZodError } from '../../shared/schemas';
import { safeStorageCipher } from './safe-storage';
import { answerSecretRequest, FileSecretVault, refusalOf } from './secret-vault';
import { allowNavigation, createAppWindow, permissionAllowed, windowOpenDecision } from './window-options';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererUrl = pathToFileURL(path.join(here, '../renderer/index.html')).href;
const statePath = () => path.join(app.getPath('userData'), 'state.json');
/** An engine that keeps dying is not restarted in a loop: the window shows the error instead. */
const MAX_RESTARTS_PER_MINUTE = 3;

function workspaceDir(): string {
  const flag = process.argv.find((a) => a.startsWith('--workspace='));
  if (flag) return path.resolve(flag.slice('--workspace='.length));
  try {
    const last = (JSON.parse(fs.readFileSync(statePath(), 'utf8')) as { lastWorkspace?: string })
      .lastWorkspace;
    if (last && fs.existsSync(last)) return last;
  } catch {
    // first start
  }
  return path.join(app.getPath('userData'), 'workspaces', 'default');
}

/** Secrets the console is given, kept as safeStorage ciphertext in the user's data folder. */
let vault: FileSecretVault | null = null;
const secretVault = () =>
  (vault ??= new FileSecretVault(path.join(app.getPath('userData'), 'secrets'), safeStorageCipher));

let engine: UtilityProcess | null = null;
let engineReady: Promise<void> = Promise.reject(new Error('engine not started'));
engineReady.catch(() => undefined);
let quitting = false;
const restarts: number[] = [];

function startEngine(dir: string): void {
  const child = utilityProcess.fork(path.join(here, 'engine-process.js'), [], {
    serviceName: 'OpsDeck engine',
    stdio: 'inherit',
  });
  engine = child;
  engineReady = new Promise((resolve, reject) => {
    child.on('message', (raw: unknown) => {
      const parsed = EngineToMain.safeParse(raw);
      if (!parsed.success) {
        const why = `engine sent a bad control message: ${describeZodError(parsed.error)}`;
        const reply = refusalOf(raw, why);
        if (reply) child.postMessage(reply);
        else reject(new Error(why));
        return;
      }
      const message = parsed.data;
      if (message.type === 'ready') {
        fs.mkdirSync(app.getPath('userData'), { recursive: true });
        fs.writeFileSync(statePath(), JSON.stringify({ lastWorkspace: message.dir }));
        resolve();
      } else if (message.type === 'error') reject(new Error(message.message));
      else void answerSecretRequest(secretVault(), message).then((reply) => child.postMessage(reply));
    });
    child.on('exit', (code) => {
      reject(new Error(`the engine exited (code ${code})`));
      if (quitting || engine !== child) return;
      const now = Date.now();
      restarts.push(now);
      while (restarts[0]! < now - 60_000) restarts.shift();
      if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
        for (const win of BrowserWindow.getAllWindows())
          reportEngineError(win, `the engine exited (code ${code}) and keeps failing; not restarting`);
        return;
      }
      startEngine(dir);
      for (const win of BrowserWindow.getAllWindows()) connectWhenReady(win);
    });
  });
  engineReady.catch(() => undefined);
  child.postMessage({ type: 'open', dir } satisfies MainToEngine);
}

function reportEngineError(win: BrowserWindow, message: string): void {
  win.webContents.send('opsdeck:engine-error', message);
}

/** A fresh port pair per page load and per engine start; the old ports close with their ends. */
function connectWhenReady(win: BrowserWindow): void {
  engineReady
    .then(() => {
      const { port1, port2 } = new MessageChannelMain();
      engine!.postMessage({ type: 'connect' } satisfies MainToEngine, [port1]);
      win.webContents.postMessage('opsdeck:engine-port', null, [port2]);
    })
    .catch((error: Error) => reportEngineError(win, error.message));
}

async function createWindow(): Promise<void> {
  const win = createAppWindow(BrowserWindow, path.join(here, '../preload/index.cjs'));
  win.webContents.on('did-finish-load', () => connectWhenReady(win));
  await win.loadURL(rendererUrl);
}

app.on('web-contents-created', (_event, contents) => {
  contents.setWindowOpenHandler(({ url }) => {
    const decision = windowOpenDecision(url);
    if (decision.openExternally) void shell.openExternal(decision.openExternally);
    return { action: decision.action };
  });
  const stayInApp = (event: { preventDefault(): void }, url: string) => {
    if (!allowNavigation(url, rendererUrl)) event.preventDefault();
  };
  contents.on('will-navigate', stayInApp);
  contents.on('will-redirect', stayInApp);
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

// One desktop instance per user: a second launch opens another window on the same engine, which
// owns the workspace (DuckDB allows one writing process per file).
if (!app.requestSingleInstanceLock()) app.quit();
app.on('second-instance', () => void createWindow());

app.whenReady().then(async () => {
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) =>
    callback(permissionAllowed(permission)),
  );
  session.defaultSession.setPermissionCheckHandler((_wc, permission) => permissionAllowed(permission));
  // Serial ports and USB devices are the engine's, never the page's.
  session.defaultSession.setDevicePermissionHandler(() => false);
  // Nothing remote: every request the renderer makes stays on file:// (the engine is over a port).
  session.defaultSession.webRequest.onBeforeRequest((details, callback) =>
    callback({ cancel: !details.url.startsWith('file:') && !details.url.startsWith('devtools:') }),
  );
  startEngine(workspaceDir());
  await createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow();
  });
});

// Let the engine flush and close DuckDB before the app goes; a hung engine gets 5 s.
app.on('before-quit', (event) => {
  if (quitting || !engine) return;
  quitting = true;
  event.preventDefault();
  const child = engine;
  const timer = setTimeout(() => child.kill(), 5_000);
  child.once('exit', () => {
    clearTimeout(timer);
    app.quit();
  });
  child.postMessage({ type: 'close' } satisfies MainToEngine);
});
app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
