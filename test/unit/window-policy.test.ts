// The desktop window's decisions as pure functions, under Node (no window can open here). That
// electron/main/index.ts wires each one to its event is checked in electron-shell.test.ts.
import { describe, expect, it } from 'vitest';
import {
  ALLOWED_PERMISSIONS,
  allowNavigation,
  createAppWindow,
  EXTERNAL_LINKS,
  isAllowedExternalLink,
  permissionAllowed,
  windowOpenDecision,
} from '../../electron/main/window-options';

const app = 'file:///opt/OpsDeck/resources/app/out/renderer/index.html';
const allowList = ['https://docs.example.org/opsdeck/', 'https://example.org/licence.html'];

describe('external links', () => {
  it('the console declares none: nothing opens outside the app', () => {
    expect(EXTERNAL_LINKS).toEqual([]);
    for (const url of ['https://example.org/', 'http://example.org/', 'mailto:a@b.c', 'file:///etc/passwd'])
      expect(windowOpenDecision(url)).toEqual({ action: 'deny', openExternally: null });
  });

  it('opens only what the allow-list names, in the browser, and never a window', () => {
    expect(windowOpenDecision('https://docs.example.org/opsdeck/alerts.html', allowList)).toEqual({
      action: 'deny',
      openExternally: 'https://docs.example.org/opsdeck/alerts.html',
    });
    expect(windowOpenDecision('https://example.org/licence.html', allowList).openExternally).toBe(
      'https://example.org/licence.html',
    );
  });

  it.each([
    ['http instead of https', 'http://docs.example.org/opsdeck/'],
    ['outside the prefix', 'https://docs.example.org/other/'],
    ['a prefix of the prefix', 'https://docs.example.org/opsdeck'],
    ['dot segments climbing out', 'https://docs.example.org/opsdeck/../admin'],
    ['an exact entry with more after it', 'https://example.org/licence.html/x'],
    ['a look-alike host', 'https://docs.example.org.evil.example/opsdeck/'],
    ['credentials in the URL', 'https://user:pw@docs.example.org/opsdeck/'],
    ['another port', 'https://docs.example.org:8443/opsdeck/'],
    ['another scheme', 'javascript:alert(1)'],
    ['not a URL', 'docs.example.org/opsdeck/'],
  ])('refuses %s', (_why, url) => {
    expect(isAllowedExternalLink(url, allowList)).toBe(false);
    expect(windowOpenDecision(url, allowList).openExternally).toBeNull();
  });
});

describe('navigation and redirects', () => {
  it('stay on the app page', () => {
    expect(allowNavigation(app, app)).toBe(true);
    expect(allowNavigation(`${app}#alerts`, app)).toBe(true);
    expect(allowNavigation('file:///etc/passwd', app)).toBe(false);
    expect(allowNavigation('file:///opt/OpsDeck/resources/app/out/renderer/other.html', app)).toBe(false);
    expect(allowNavigation('https://example.org/', app)).toBe(false);
    expect(allowNavigation('http://127.0.0.1:7780/', app)).toBe(false);
    expect(allowNavigation('not a url', app)).toBe(false);
  });
});

describe('permissions', () => {
  it('grants notifications and nothing else', () => {
    expect([...ALLOWED_PERMISSIONS]).toEqual(['notifications']);
    expect(permissionAllowed('notifications')).toBe(true);
    for (const p of [
      'geolocation',
      'media',
      'midiSysex',
      'clipboard-read',
      'hid',
      'serial',
      'usb',
      'openExternal',
      'unknown',
      '',
    ])
      expect(permissionAllowed(p), p).toBe(false);
  });
});

describe('the window', () => {
  it('is created with contextIsolation, sandbox, no Node and no webviews', () => {
    const created: unknown[] = [];
    class FakeBrowserWindow {
      constructor(options: unknown) {
        created.push(options);
      }
    }
    createAppWindow(FakeBrowserWindow as never, '/app/out/preload/index.cjs');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      webPreferences: {
        preload: '/app/out/preload/index.cjs',
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        navigateOnDragDrop: false,
      },
    });
  });
});
