// The alerts panel end to end: `opsdeck serve` on a fresh workspace (the demo rule
// `demo-temperature-high` goes pending, then firing, within about a minute), the built renderer in
// headless Chromium with notifications granted and the Notification constructor recorded.
// Needs the build (`npm test` runs `electron-vite build` first).
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageErrors, launchChromium, saveScreenshot } from '../helpers/browser';
import { assertBuilt, startServe, type ServedConsole } from '../helpers/cli';
import { tempDir, waitFor } from '../helpers/tmp';

const RULE = 'demo-temperature-high';
/** The rule fires about 45 s after start; a loaded machine may take longer. */
const FIRING_TIMEOUT_MS = 120_000;

describe('alerts panel in the browser console', () => {
  const tmp = tempDir('opsdeck-e2e-alerts-');
  let served: ServedConsole | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    assertBuilt();
    served = await startServe(['serve', '--workspace', path.join(tmp.dir, 'ws'), '--port', '0']);
    const url = served.url;

    browser = await launchChromium();
    const context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      permissions: ['notifications'],
    });
    // Records every notification the page makes, whether or not headless Chromium can show it.
    await context.addInitScript(() => {
      const w = window as unknown as { Notification?: typeof Notification; __notified: string[] };
      w.__notified = [];
      const Real = w.Notification;
      if (!Real) return;
      w.Notification = class extends Real {
        constructor(title: string, options?: NotificationOptions) {
          w.__notified.push(title);
          super(title, options);
        }
      };
    });
    page = await context.newPage();
    collectPageErrors(page, pageErrors);
    await page.goto(url);
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    tmp.cleanup();
  });

  it('opens the alerts panel from the keyboard and turns on desktop notifications', async () => {
    await waitFor(
      'the connection',
      async () => (await page.getByTestId('connection-state').textContent()) === 'connected',
    );
    await waitFor(
      'a firing count',
      async () => (await page.getByTestId('alerts-firing-count').getAttribute('data-value')) !== '',
    );
    await page.getByTestId('alerts-button').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('alerts-panel').waitFor();
    expect(await page.getByTestId('alerts-button').getAttribute('aria-pressed')).toBe('true');

    const toggle = page.getByTestId('alerts-notifications');
    await toggle.click();
    await waitFor('notifications switched on', () => toggle.isChecked());
  });

  it(
    'shows the demo rule go pending, then firing, with a count and markers on the plot',
    async () => {
      const row = page.getByTestId(`alert-${RULE}`);
      await waitFor(
        `${RULE} firing`,
        async () => (await row.getAttribute('data-state')) === 'firing',
        FIRING_TIMEOUT_MS,
      );
      await waitFor(
        'a firing count of at least 1',
        async () =>
          Number((await page.getByTestId('alerts-firing-count').getAttribute('data-value')) || 0) >= 1,
      );
      await page
        .locator(
          `[data-testid="alert-transitions"] li[data-rule="${RULE}"][data-from="pending"][data-state="firing"]`,
        )
        .first()
        .waitFor();
      await expect(row.textContent()).resolves.toContain('demo/temperature at');
      await expect(row.textContent()).resolves.toContain('site=demo');

      // The climate panel plots demo/temperature: its transitions are drawn on it.
      await waitFor(
        'alert markers on the climate plot',
        async () => Number(await page.getByTestId('plot-climate').getAttribute('data-alert-marks')) >= 1,
      );
      await waitFor('a desktop notification', () =>
        page.evaluate(() => (window as unknown as { __notified: string[] }).__notified.length > 0),
      );
      const titles = await page.evaluate(() => (window as unknown as { __notified: string[] }).__notified);
      expect(titles.some((t) => t.includes(RULE))).toBe(true);

      await saveScreenshot(page, 'alerts.png');
    },
    FIRING_TIMEOUT_MS + 60_000,
  );

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
