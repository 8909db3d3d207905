// The desktop window's hardening in one place: its options and every decision its handlers make
// (new windows, navigation, redirects, external links, permissions). Free of Electron at run time
// (type imports only), so the tests check it under Node; electron/main/index.ts only wires it up.
import type { BrowserWindow as ElectronBrowserWindow } from 'electron';

/**
 * What the console may open in the user's browser: exact https URLs, or https prefixes ending in
 * "/". The console links nowhere today (it works offline); a link added to the renderer is added
 * here, or clicking it does nothing.
 */
export const EXTERNAL_LINKS: readonly string[] = [];

/** The only permission the page gets: notifications, for firing alerts. Everything else is denied. */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['notifications']);

/**
 * Creates the app's window. The BrowserWindow class is passed in so this module needs no Electron
 * at run time; the options are written out literally so electronegativity can read them.
 */
export function createAppWindow(BrowserWindow: typeof ElectronBrowserWindow, preloadPath: string) {
  return new BrowserWindow({
    width: 1440,
    height: 900,
    backgroundColor: '#0f1115',
    title: 'OpsDeck',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
}

/** Pages the window may show: only the app's own bundle. */
export function isAppUrl(url: string, rendererIndexUrl: string): boolean {
  try {
    const u = new URL(url);
    const app = new URL(rendererIndexUrl);
    return u.protocol === 'file:' && u.pathname === app.pathname;
  } catch {
    return false;
  }
}

/** `will-navigate`, `will-redirect`: the window stays on the app's page, whatever asks. */
export function allowNavigation(url: string, rendererIndexUrl: string): boolean {
  return isAppUrl(url, rendererIndexUrl);
}

/** Whether `url` is on the allow-list: https, no credentials, the default port, an exact entry or under a "/" prefix. */
export function isAllowedExternalLink(url: string, allowList: readonly string[] = EXTERNAL_LINKS): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:' || u.username || u.password || u.port) return false;
  return allowList.some((entry) => {
    const allowed = new URL(entry);
    if (allowed.origin !== u.origin) return false;
    return allowed.pathname.endsWith('/') ? u.pathname.startsWith(allowed.pathname) : u.href === allowed.href;
  });
}

/**
 * `setWindowOpenHandler`: never a new window. A link on the allow-list opens in the user's browser
 * (`openExternally`); anything else, from `window.open` to a middle click, does nothing.
 */
export function windowOpenDecision(
  url: string,
  allowList: readonly string[] = EXTERNAL_LINKS,
): { action: 'deny'; openExternally: string | null } {
  return { action: 'deny', openExternally: isAllowedExternalLink(url, allowList) ? new URL(url).href : null };
}

/**
 * `setPermissionRequestHandler` and `setPermissionCheckHandler`: notifications only. The window
 * cannot leave the app's page, so the permission is all there is to judge.
 */
export function permissionAllowed(permission: string): boolean {
  return ALLOWED_PERMISSIONS.has(permission);
}
