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
import { isAppUrl, secureWebPreferences } from './window-options';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererIndex = path.join(here, '../renderer/index.html');
const rendererUrl = pathToFileURL(rendererIndex).href;
const statePath = () => path.join(app.getPath('userData'), 'state.json');

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

let engine: UtilityProcess | null = null;
let engineReady: Promise<void> | null = null;

function startEngine(dir: string): Promise<void> {
  engine = utilityProcess.fork(path.join(here, 'engine-process.js'), [], {
    serviceName: 'OpsDeck engine',
    stdio: 'inherit',
  });
  engineReady = new Promise((resolve, reject) => {
    engine!.on('message', (message: { type: string; message?: string; dir?: string }) => {
      if (message.type === 'ready') {
        fs.mkdirSync(app.getPath('userData'), { recursive: true });
        fs.writeFileSync(statePath(), JSON.stringify({ lastWorkspace: message.dir }));
        resolve();
      } else if (message.type === 'error') reject(new Error(message.message));
    });
    engine!.on('exit', (code) => reject(new Error(`engine exited with code ${code}`)));
  });
  engine.postMessage({ type: 'open', dir });
  return engineReady;
}

function connectRenderer(win: BrowserWindow): void {
  const { port1, port2 } = new MessageChannelMain();
  engine!.postMessage({ type: 'connect' }, [port1]);
  win.webContents.postMessage('opsdeck:engine-port', null, [port2]);
}

async function createWindow(): Promise<void> {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    backgroundColor: '#0f1115',
    title: 'OpsDeck',
    webPreferences: secureWebPreferences(path.join(here, '../preload/index.cjs')),
  });
  win.webContents.on('did-finish-load', () => {
    engineReady!
      .then(() => connectRenderer(win))
      .catch((error: Error) => win.webContents.send('opsdeck:engine-error', error.message));
  });
  await win.loadURL(rendererUrl);
}

app.on('web-contents-created', (_event, contents) => {
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://') || url.startsWith('http://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, rendererUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

// One desktop instance per user: a second launch opens another window on the same engine, which
// owns the workspace (DuckDB allows one writing process per file).
if (!app.requestSingleInstanceLock()) app.quit();
app.on('second-instance', () => {
  if (engine) void createWindow();
});

app.whenReady().then(async () => {
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) =>
    callback(permission === 'notifications'),
  );
  // Nothing remote: every request the renderer makes must stay on file:// (the engine is over a port).
  session.defaultSession.webRequest.onBeforeRequest((details, callback) =>
    callback({ cancel: !details.url.startsWith('file:') && !details.url.startsWith('devtools:') }),
  );
  void startEngine(workspaceDir()).catch((error: Error) => console.error(`OpsDeck engine: ${error.message}`));
  await createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow();
  });
});

app.on('window-all-closed', () => {
  engine?.postMessage({ type: 'close' });
  if (process.platform !== 'darwin') app.quit();
});
