// Replay end to end: `opsdeck serve` on a workspace holding ten minutes of a rig's temperature at
// 10 Hz and a log line a second (stored through the engine's own ingest path), with a rule that the
// temperature crosses at minute 3. In headless Chromium: scrub the timeline to just before it, play
// at 10×; the plot shows the minute ending at the replay's cursor, the log view that minute's lines,
// the replay's alert list the firing; then one click returns every panel to live. Needs the build.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordBatch } from '../../electron/engine/batch';
import { Engine } from '../../electron/engine/engine';
import { defaultWorkspace, writeWorkspaceConfig } from '../../electron/engine/workspace';
import { collectPageErrors, launchChromium, saveScreenshot } from '../helpers/browser';
import { assertBuilt, startServe, type ServedConsole } from '../helpers/cli';
import { tempDir, waitFor } from '../helpers/tmp';

const MINUTE = 60_000;
/** Two hours ago, on a whole minute: recent enough for the workspace's retention to keep it. */
const T0 = Math.floor((Date.now() - 120 * MINUTE) / MINUTE) * MINUTE;
const SPAN = 10 * MINUTE;
/** 22 °C, then 35 °C from minute 3 to minute 5. */
const temperatureAt = (t: number) => (t >= 3 * MINUTE && t < 5 * MINUTE ? 35 : 22);
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 30_000 });

describe('replay in the browser console', () => {
  const tmp = tempDir('opsdeck-e2e-replay-');
  const workspace = path.join(tmp.dir, 'ws');
  let served: ServedConsole | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  const plotEnd = async () => {
    const end = page.getByTestId('plot-range-rig').locator('time').last();
    return Date.parse((await end.getAttribute('datetime')) ?? '');
  };
  const replayCursor = async () => Number(await page.getByTestId('replay-cursor').getAttribute('data-value'));

  beforeAll(async () => {
    assertBuilt();
    fs.mkdirSync(workspace, { recursive: true });
    writeWorkspaceConfig(workspace, {
      ...defaultWorkspace(),
      name: 'Replay rig',
      sources: [],
      channels: [],
      rules: [{ id: 'rig-hot', kind: 'threshold', channel: 'rig/temp', above: 30, lateness: 0 } as never],
      layouts: [
        {
          name: 'Rig',
          panels: [
            { kind: 'plot', id: 'rig', title: 'Rig temperature', channels: ['rig/temp'], windowMs: MINUTE },
          ],
        } as never,
      ],
      activeLayout: 'Rig',
    });
    // The capture, through the engine's ingest path (as a live run would have stored it).
    const engine = await Engine.open(workspace, { startSources: false });
    const rig = engine.ingestContext('rig', 'test');
    const temp = rig.channel('temp');
    const n = SPAN / 100;
    await rig.emitSamples({
      n,
      ts: Float64Array.from({ length: n }, (_v, i) => T0 + i * 100),
      channel: new Uint32Array(n).fill(temp),
      value: Float64Array.from({ length: n }, (_v, i) => temperatureAt(i * 100)),
    });
    // Humidity, 1 Hz and 50 ms off the temperature's grid: another rate to align with.
    const hum = rig.channel('hum');
    await rig.emitSamples({
      n: SPAN / 1000,
      ts: Float64Array.from({ length: SPAN / 1000 }, (_v, s) => T0 + 50 + s * 1000),
      channel: new Uint32Array(SPAN / 1000).fill(hum),
      value: Float64Array.from({ length: SPAN / 1000 }, (_v, s) => 40 + (s % 10)),
    });
    await rig.emitRecords(
      recordBatch(
        Array.from({ length: SPAN / 1000 }, (_v, s) => ({
          ts: T0 + s * 1000,
          rx: T0 + s * 1000,
          source: 'rig',
          severity: 'info' as const,
          message: `reading ${s}`,
          fields: null,
        })),
      ),
    );
    await engine.store.flush();
    await engine.close();
    served = await startServe(['serve', '--workspace', workspace, '--port', '0']);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1600, height: 950 }, timezoneId: 'UTC' });
    page = await context.newPage();
    collectPageErrors(page, pageErrors);
    await page.goto(served.url);
    await waitFor(
      'connected',
      async () => (await page.getByTestId('connection-state').textContent()) === 'connected',
    );
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    tmp.cleanup();
  });

  it('shows the workspace on the timeline, live', async () => {
    await expect(page.getByTestId('mode-indicator').getAttribute('data-mode')).resolves.toBe('live');
    await page.locator('[data-testid="timeline-lanes"] path.lane-samples').waitFor();
    await page.locator('[data-testid="timeline-lanes"] path.lane-records').waitFor();
  });

  it('scrubs the timeline: the plot shows the minute ending at the cursor', async () => {
    const lanes = page.getByTestId('timeline-lanes');
    const box = (await lanes.boundingBox())!;
    // 2 min 50 s into the ten minutes.
    const x = box.x + (box.width * (2 * MINUTE + 50_000)) / (SPAN - 100);
    await page.mouse.click(x, box.y + box.height / 2);
    await page.getByTestId('timeline-cursor').waitFor({ state: 'attached' });
    const end = await plotEnd();
    expect(Math.abs(end - (T0 + 2 * MINUTE + 50_000))).toBeLessThan(2_000);
  });

  it('plays at 10×: the plot, the log view and the alert list follow the replay', async () => {
    await page.getByTestId('replay-speed').selectOption('10');
    await page.getByTestId('replay-play').click();
    await poll(() => page.getByTestId('mode-indicator').getAttribute('data-mode')).toBe('replay');
    await expect(page.getByTestId('mode-indicator').textContent()).resolves.toBe('REPLAY 10×');
    // The replay's rule fires at minute 3 of event time, on the replay's own list.
    await page.locator('[data-testid="replay-alert"][data-state="firing"]').waitFor({ timeout: 30_000 });
    await expect(
      page.locator('[data-testid="replay-alert"][data-state="firing"]').textContent(),
    ).resolves.toContain(`rig-hot ${new Date(T0 + 3 * MINUTE).toISOString().slice(11, 19)}.`);
    // The cursor moves on; the plot's window ends where it is.
    const first = await replayCursor();
    await poll(replayCursor).toBeGreaterThan(first);
    await poll(async () => Math.abs((await plotEnd()) - (await replayCursor()))).toBeLessThan(3_000);
    await saveScreenshot(page, 'replay-plot.png');

    // The log view shows the lines of the replay's minute: the newest is the cursor's second.
    await page.getByTestId('view-logs').click();
    await poll(async () =>
      Number(await page.getByTestId('log-count').getAttribute('data-value')),
    ).toBeLessThanOrEqual(61);
    await page.getByTestId('replay-play').click(); // pause, so the check below holds still
    await poll(() => page.getByTestId('replay-play').textContent()).toBe('Play');
    const cursor = await replayCursor();
    // The minute [cursor - 60 s, cursor): its first and last lines, one a second.
    const oldest = Math.ceil((cursor - MINUTE - T0) / 1000);
    const newest = Math.ceil((cursor - T0) / 1000) - 1;
    const count = async () => Number(await page.getByTestId('log-count').getAttribute('data-value'));
    await poll(count).toBe(newest - oldest + 1);
    await poll(() => page.getByTestId('log-row').first().textContent()).toContain(`reading ${oldest}`);
    await page.getByTestId('log-table').focus();
    await page.keyboard.press('G');
    await poll(() => page.locator('[aria-selected="true"]').textContent()).toContain(`reading ${newest}`);
    await saveScreenshot(page, 'replay-logs.png');
  });

  it('aligns channels of different rates over the replay minute', async () => {
    await page.getByTestId('view-align').click();
    await page.getByTestId('align-channels').fill('rig/temp, rig/hum');
    await page.getByTestId('align-tolerance').fill('500');
    await page.getByTestId('align-run').click();
    const table = page.getByTestId('align-table');
    await table.waitFor();
    await expect(table.locator('th').allTextContents()).resolves.toEqual(['ts', 'rig/temp', 'rig/hum']);
    // Ten temperature rows a second; humidity within 500 ms after its reading, else none.
    const humidity = await table.locator('tbody tr td:nth-child(3)').allTextContents();
    expect(humidity.length).toBeGreaterThan(500);
    expect(humidity.filter((h) => h === '—').length).toBeGreaterThan(humidity.length / 3);
    expect(humidity.filter((h) => h !== '—').length).toBeGreaterThan(humidity.length / 3);
  });

  it('returns to live in one click', async () => {
    await page.getByTestId('go-live').click();
    await poll(() => page.getByTestId('mode-indicator').getAttribute('data-mode')).toBe('live');
    await expect(page.getByTestId('replay-alerts').count()).resolves.toBe(0);
    await page.getByTestId('view-plots').click();
    await poll(() => page.getByTestId('plot-range-rig').count()).toBe(0); // the plot is live again
    expect(pageErrors).toEqual([]);
  });
});
