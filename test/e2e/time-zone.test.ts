// Local time or UTC, end to end: `opsdeck serve` on a fresh demo workspace, the console in headless
// Chromium on a clock set to Asia/Kolkata (UTC+05:30, so every time differs from UTC in its hours
// and minutes). The switch is used from the keyboard, the plot's axis marker and a timestamp change,
// the choice lands in opsdeck.json and holds after a reload and in another window.
// Needs the build (`npx electron-vite build`).
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageErrors, launchChromium, saveScreenshot } from '../helpers/browser';
import { assertBuilt, startServe, type ServedConsole } from '../helpers/cli';
import { tempDir, waitFor } from '../helpers/tmp';

const BROWSER_ZONE = 'Asia/Kolkata';

describe('time zone switch in the browser console', () => {
  const tmp = tempDir('opsdeck-e2e-tz-');
  const workspace = path.join(tmp.dir, 'ws');
  let served: ServedConsole | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  /** "local (Asia/Kolkata)", named as the browser names the zone (Chromium says "Asia/Calcutta"). */
  let localLabel = '';

  async function openConsole(): Promise<Page> {
    const context = await browser!.newContext({
      viewport: { width: 1440, height: 900 },
      timezoneId: BROWSER_ZONE,
    });
    const opened = await context.newPage();
    collectPageErrors(opened, pageErrors);
    await opened.goto(served!.url);
    await waitForConsole(opened);
    return opened;
  }

  /** Connected, with the workspace read (the switch is enabled once it is). */
  async function waitForConsole(p: Page): Promise<void> {
    await waitFor(
      'the connection',
      async () => (await p.getByTestId('connection-state').textContent()) === 'connected',
    );
    await waitFor('the time zone switch enabled', async () => p.getByTestId('time-zone-utc').isEnabled());
  }

  const shownZone = (p: Page) => p.getByTestId('time-zone').getAttribute('data-value');
  const axisMarker = (p: Page) => p.getByTestId('plot-zone-vibration').textContent();

  /** Zooms the vibration plot in from the keyboard: it then shows a fixed stored range, dated in its badge. */
  async function showHistory(p: Page): Promise<void> {
    const plot = p.getByTestId('plot-vibration');
    await waitFor(
      'points on the vibration plot',
      async () => Number(await plot.getAttribute('data-points')) > 0,
    );
    await plot.focus();
    await p.keyboard.press('+');
    await p.getByTestId('plot-range-vibration').waitFor();
  }

  /** The two ends of the plot's history range: the text shown and its machine-readable time. */
  async function rangeEnds(p: Page): Promise<{ text: string; iso: string }[]> {
    const ends = p.getByTestId('plot-range-vibration').locator('time');
    await expect.poll(() => ends.count()).toBe(2);
    return Promise.all(
      [0, 1].map(async (i) => ({
        text: (await ends.nth(i).textContent()) ?? '',
        iso: (await ends.nth(i).getAttribute('datetime')) ?? '',
      })),
    );
  }

  /** What is shown is the time in the ISO stamp, on the same clock ("2024-06-01T18:04:05.123+05:30"). */
  function expectShownAsStamped(ends: { text: string; iso: string }[], offset: RegExp): void {
    for (const { text, iso } of ends) {
      expect(iso).toMatch(offset);
      expect(text).toMatch(/\d\d:\d\d:\d\d/);
      expect(iso.replace('T', ' ')).toContain(text);
    }
  }

  const savedZone = () =>
    (
      JSON.parse(fs.readFileSync(path.join(workspace, 'opsdeck.json'), 'utf8')) as {
        display?: { timeZone?: string };
      }
    ).display?.timeZone;

  beforeAll(async () => {
    assertBuilt();
    served = await startServe(['serve', '--workspace', workspace, '--port', '0']);
    browser = await launchChromium();
    page = await openConsole();
    const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(zone).toMatch(/^Asia\/(Kolkata|Calcutta)$/);
    localLabel = `local (${zone})`;
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    tmp.cleanup();
  });

  it('starts on the local clock, named by the plot’s time axis and in the status bar', async () => {
    expect(await shownZone(page)).toBe('local');
    expect(await axisMarker(page)).toBe(localLabel);
    await expect(page.getByTestId('status-bar').textContent()).resolves.toContain(localLabel);
    expect(await page.getByTestId('time-zone-local').isChecked()).toBe(true);
    expect(savedZone()).toBe('local');
  });

  it('switches to UTC from the keyboard: axis marker and timestamps follow, and the workspace keeps it', async () => {
    await showHistory(page);
    const local = await rangeEnds(page);
    expectShownAsStamped(local, /\+05:30$/);

    await page.getByTestId('time-zone-local').focus();
    await page.keyboard.press('ArrowRight');

    await expect.poll(() => shownZone(page)).toBe('utc');
    await expect.poll(() => axisMarker(page)).toBe('UTC');
    expect(await page.getByTestId('time-zone-utc').isChecked()).toBe(true);
    await expect.poll(async () => (await rangeEnds(page))[0]!.iso).toMatch(/Z$/);
    const inUtc = await rangeEnds(page);
    expectShownAsStamped(inUtc, /Z$/);
    // The same instants, shown 5 h 30 min apart.
    expect(inUtc.map((e) => Date.parse(e.iso))).toEqual(local.map((e) => Date.parse(e.iso)));
    expect(inUtc[0]!.text).not.toBe(local[0]!.text);

    await waitFor('"utc" saved in opsdeck.json', () => savedZone() === 'utc');
    await saveScreenshot(page, 'time-zone-utc.png');
  });

  it('still shows UTC after a reload', async () => {
    await page.reload();
    await waitForConsole(page);
    await expect.poll(() => shownZone(page)).toBe('utc');
    expect(await axisMarker(page)).toBe('UTC');
    await showHistory(page);
    expectShownAsStamped(await rangeEnds(page), /Z$/);
  });

  it('shows UTC in another window on the workspace, which can switch back to local time', async () => {
    const other = await openConsole();
    await expect.poll(() => shownZone(other)).toBe('utc');
    expect(await axisMarker(other)).toBe('UTC');

    await other.getByTestId('time-zone-utc').focus();
    await other.keyboard.press('ArrowLeft');
    await expect.poll(() => axisMarker(other)).toBe(localLabel);
    await waitFor('"local" saved in opsdeck.json', () => savedZone() === 'local');
    await other.context().close();
  });

  it('logs no errors in the pages', () => {
    expect(pageErrors).toEqual([]);
  });
});
