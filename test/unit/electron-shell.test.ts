// What can be tested of the desktop shell without opening a window: the built bundles keep Electron
// out of the engine, and the main process creates its window hardened.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { isAppUrl } from '../../electron/main/window-options';
import { assertBuilt, root } from '../helpers/cli';

/** Every module a built entry loads, following its relative imports through the chunks. */
function bundleClosure(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const code = fs.readFileSync(file, 'utf8');
    seen.set(file, code);
    for (const m of code.matchAll(/(?:from\s*|import\s*\(\s*|require\s*\(\s*)["'](\.[^"']+)["']/g))
      visit(path.resolve(path.dirname(file), m[1]!));
  };
  visit(entry);
  return seen;
}
const importsElectron = (code: string) =>
  /(?:from\s*|import\s*\(\s*|require\s*\(\s*)["']electron(?:\/[^"']*)?["']/.test(code);

describe('built bundles', () => {
  it('the engine process and the CLI never load Electron', () => {
    assertBuilt();
    for (const entry of ['out/main/engine-process.js', 'out/main/cli.js', 'out/main/bench.js']) {
      const files = bundleClosure(path.join(root, entry));
      expect(files.size, entry).toBeGreaterThan(0);
      for (const [file, code] of files)
        expect(importsElectron(code), `${path.relative(root, file)} (from ${entry})`).toBe(false);
    }
    // The check can fail: the main process bundle does import Electron.
    expect(importsElectron(fs.readFileSync(path.join(root, 'out/main/index.js'), 'utf8'))).toBe(true);
  });

  it('the preload is one sandbox-compatible CommonJS file that only requires electron', () => {
    const code = fs.readFileSync(path.join(root, 'out/preload/index.cjs'), 'utf8');
    expect([...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(code).not.toMatch(/^\s*import\s/m);
  });
});

describe('desktop window', () => {
  it('is created hardened, keeps to the app, grants only notifications, and keeps secrets in the vault', async () => {
    const windows: { options: { webPreferences: Record<string, unknown> }; url?: string }[] = [];
    const handlers: Record<string, (...args: unknown[]) => void> = {};
    const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'opsdeck-electron-'));
    const defaultSession = {
      setPermissionRequestHandler: vi.fn(),
      setPermissionCheckHandler: vi.fn(),
      setDevicePermissionHandler: vi.fn(),
      webRequest: { onBeforeRequest: vi.fn() },
    };
    const openExternal = vi.fn();
    const engineProcess = { on: vi.fn(), postMessage: vi.fn() };
    // safeStorage as a desktop with a key store has it; the bytes only need to differ from the secret.
    const safeStorage = {
      isAsyncEncryptionAvailable: async () => true,
      getSelectedStorageBackend: () => 'gnome_libsecret',
      encryptStringAsync: vi.fn(async (plain: string) => Buffer.from(plain).reverse()),
      decryptStringAsync: async (data: Buffer) => ({
        shouldReEncrypt: false,
        result: Buffer.from(data).reverse().toString(),
      }),
    };
    vi.doMock('electron', () => {
      class BrowserWindow {
        static getAllWindows = () => windows;
        webContents = { on: vi.fn(), postMessage: vi.fn(), send: vi.fn() };
        constructor(public options: { webPreferences: Record<string, unknown> }) {
          windows.push(this);
        }
        async loadURL(url: string) {
          windows.at(-1)!.url = url;
        }
      }
      return {
        app: {
          whenReady: () => Promise.resolve(),
          requestSingleInstanceLock: () => true,
          on: (event: string, handler: (...args: unknown[]) => void) => (handlers[event] = handler),
          getPath: () => userData,
          quit: vi.fn(),
        },
        BrowserWindow,
        MessageChannelMain: class {
          port1 = {};
          port2 = {};
        },
        session: { defaultSession },
        shell: { openExternal },
        safeStorage,
        utilityProcess: { fork: () => engineProcess },
      };
    });
    try {
      await import('../../electron/main/index');
      await vi.waitFor(() => expect(windows).toHaveLength(1));
      const prefs = windows[0]!.options.webPreferences;
      expect(prefs).toMatchObject({
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        webviewTag: false,
      });
      expect(String(prefs['preload'])).toMatch(/preload[\\/]index\.cjs$/);
      expect(windows[0]!.url).toMatch(/^file:.*renderer\/index\.html$/);

      // New windows are denied and nothing opens outside (the console links nowhere); navigation
      // and redirects away from the app are prevented.
      const contents = { setWindowOpenHandler: vi.fn(), on: vi.fn() };
      handlers['web-contents-created']!({}, contents);
      const openHandler = contents.setWindowOpenHandler.mock.calls[0]![0] as (d: { url: string }) => {
        action: string;
      };
      expect(openHandler({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
      expect(openHandler({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
      expect(openExternal).not.toHaveBeenCalled();
      for (const name of ['will-navigate', 'will-redirect']) {
        const listener = contents.on.mock.calls.find((c) => c[0] === name)?.[1] as (
          e: { preventDefault(): void },
          url: string,
        ) => void;
        expect(listener, name).toBeTypeOf('function');
        const away = { preventDefault: vi.fn() };
        listener(away, 'https://example.com/');
        expect(away.preventDefault, name).toHaveBeenCalled();
        const home = { preventDefault: vi.fn() };
        listener(home, windows[0]!.url!);
        expect(home.preventDefault, name).not.toHaveBeenCalled();
      }

      // Permissions: notifications only, whether the page asks or Chromium checks; no devices.
      const request = defaultSession.setPermissionRequestHandler.mock.calls[0]![0] as (
        wc: unknown,
        permission: string,
        callback: (granted: boolean) => void,
      ) => void;
      const check = defaultSession.setPermissionCheckHandler.mock.calls[0]![0] as (
        wc: unknown,
        permission: string,
      ) => boolean;
      for (const [permission, granted] of [
        ['notifications', true],
        ['geolocation', false],
        ['media', false],
        ['clipboard-read', false],
        ['serial', false],
        ['openExternal', false],
      ] as const) {
        const callback = vi.fn();
        request(null, permission, callback);
        expect(callback, permission).toHaveBeenCalledWith(granted);
        expect(check(null, permission), permission).toBe(granted);
      }
      const device = defaultSession.setDevicePermissionHandler.mock.calls[0]![0] as () => boolean;
      expect(device()).toBe(false);

      // The engine asks main's vault for secrets; main keeps safeStorage ciphertext in its user data.
      const fromEngine = engineProcess.on.mock.calls.find((c) => c[0] === 'message')![1] as (
        raw: unknown,
      ) => void;
      fromEngine({ type: 'secret-set', id: 7, name: 'bench.password', value: 'hunter2' });
      await vi.waitFor(() =>
        expect(engineProcess.postMessage).toHaveBeenCalledWith({ type: 'secret-reply', id: 7 }),
      );
      expect(safeStorage.encryptStringAsync).toHaveBeenCalledWith('hunter2');
      const stored = fs.readFileSync(path.join(userData, 'secrets', 'secrets.json'), 'utf8');
      expect(stored).toContain('"bench.password"');
      expect(stored).not.toContain('hunter2');
      fromEngine({ type: 'secret-get', id: 8, name: 'bench.password' });
      await vi.waitFor(() =>
        expect(engineProcess.postMessage).toHaveBeenCalledWith({
          type: 'secret-reply',
          id: 8,
          value: 'hunter2',
        }),
      );
      // A request the contract refuses is answered with why, not left waiting.
      fromEngine({ type: 'secret-get', id: 9, name: '../secrets.json' });
      expect(engineProcess.postMessage).toHaveBeenCalledWith({
        type: 'secret-reply',
        id: 9,
        error: expect.stringMatching(/bad control message: name/),
      });
    } finally {
      vi.doUnmock('electron');
      fs.rmSync(userData, { recursive: true, force: true });
    }
  });

  it('recognises only the app page as the app', () => {
    expect(isAppUrl('file:///app/out/renderer/index.html', 'file:///app/out/renderer/index.html')).toBe(true);
    expect(isAppUrl('file:///etc/passwd', 'file:///app/out/renderer/index.html')).toBe(false);
    expect(isAppUrl('http://127.0.0.1/', 'file:///app/out/renderer/index.html')).toBe(false);
  });
});
