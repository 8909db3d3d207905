// The browser console end to end: `opsdeck serve` on a fresh workspace running the demo rig, the
// built renderer opened in headless Chromium, and the API's guards (token, Origin) probed with `ws`.
// Needs the build (`npm test` runs `electron-vite build` first).
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { collectPageErrors, launchChromium, saveScreenshot } from '../helpers/browser';
import { assertBuilt, startServe, type ServedConsole } from '../helpers/cli';
import { tempDir, waitFor } from '../helpers/tmp';

/** Opens a WebSocket and reports whether the server accepted it, and the HTTP status when it did not. */
function tryWebSocket(
  url: string,
  options: WebSocket.ClientOptions = {},
): Promise<{ opened: boolean; status?: number }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, options);
    socket.once('open', () => {
      socket.close();
      resolve({ opened: true });
    });
    socket.once('unexpected-response', (_req, res) => {
      resolve({ opened: false, status: res.statusCode });
      socket.terminate();
    });
    socket.once('error', () => resolve({ opened: false }));
  });
}

describe('browser console served by "opsdeck serve"', () => {
  const tmp = tempDir('opsdeck-e2e-');
  let served: ServedConsole | undefined;
  let url = '';
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    assertBuilt();
    served = await startServe(['serve', '--workspace', path.join(tmp.dir, 'ws'), '--port', '0']);
    url = served.url;

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    collectPageErrors(page, pageErrors);
    await page.goto(url);
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    tmp.cleanup();
  });

  it('takes the token out of the address bar', async () => {
    await waitFor('the token removed from the URL', () => !page.url().includes('token='));
    expect(new URL(page.url()).pathname).toBe('/');
  });

  it('shows the demo source connected', async () => {
    await expect
      .poll(() => page.getByTestId('source-state-demo').textContent(), { timeout: 20_000 })
      .toBe('connected');
    await expect(page.getByTestId('source-demo').textContent()).resolves.toContain('Demo rig');
  });

  it('draws live data that moves', async () => {
    const plot = page.getByTestId('plot-vibration');
    const first = await waitFor('a first bucket drawn on the vibration plot', async () => {
      const t = Number(await plot.getAttribute('data-last-t'));
      return t > 0 ? t : undefined;
    });
    await waitFor('newer buckets drawn on the vibration plot', async () => {
      const t = Number(await plot.getAttribute('data-last-t'));
      return t > first;
    });
    expect(Number(await plot.getAttribute('data-points'))).toBeGreaterThan(0);
    await waitFor(
      'points drawn on the climate plot',
      async () => Number(await page.getByTestId('plot-climate').getAttribute('data-points')) > 0,
    );
  });

  it('shows what the README says the demo shows: the door sensor’s panel and the log stream’s records', async () => {
    const door = page.getByTestId('panel-door');
    await door.waitFor();
    expect(await door.textContent()).toContain('Cold-room door');
    // Closed (0) from the start, or open (1) once it moved: a whole number, as its decimals say.
    await expect
      .poll(() => page.getByTestId('readout-value-door-demo/door').textContent(), { timeout: 20_000 })
      .toMatch(/^[01]( … [01])?$/);
    // The rig's log lines are stored as records (about two a second).
    await waitFor(
      'log records stored',
      async () => Number(await page.getByTestId('stored-records').getAttribute('data-value')) > 0,
    );
  });

  it('shows the stored sample count growing', async () => {
    const stored = page.getByTestId('stored-samples');
    const readStored = async () => Number((await stored.getAttribute('data-value')) || NaN);
    const first = await waitFor('a stored sample count', async () => {
      const n = await readStored();
      return Number.isFinite(n) ? { n } : undefined;
    });
    await waitFor('more stored samples', async () => (await readStored()) > first.n);
    await expect(page.getByTestId('status-bar').textContent()).resolves.toContain('stored samples');

    // For the humans' screenshot: a few seconds of the 1 Hz climate channels on screen.
    await waitFor(
      'some climate history drawn',
      async () => Number(await page.getByTestId('plot-climate').getAttribute('data-points')) >= 10,
    );
    await saveScreenshot(page, 'console.png');
  });

  it('refuses API connections without the token or from another origin', async () => {
    const { host, searchParams } = new URL(url);
    const api = `ws://${host}/api`;
    const token = searchParams.get('token')!;

    // The control: the right token and no Origin (a non-browser client) is let in.
    expect(await tryWebSocket(`${api}?token=${token}`)).toEqual({ opened: true });
    expect(await tryWebSocket(api)).toEqual({ opened: false, status: 401 });
    const wrongToken = token.slice(0, -1) + (token.endsWith('a') ? 'b' : 'a');
    expect(await tryWebSocket(`${api}?token=${wrongToken}`)).toEqual({ opened: false, status: 401 });
    expect(await tryWebSocket(`${api}?token=${token}`, { origin: 'http://evil.example' })).toEqual({
      opened: false,
      status: 403,
    });
  });

  it('logs no errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
