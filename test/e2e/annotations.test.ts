// Annotations on the plot (issue 20): one added from the command line through the running engine
// shows on the demo's climate plot as a shaded range, and hovering it shows its text and author.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { collectPageErrors, launchChromium } from '../helpers/browser';
import { assertBuilt, runCli, startServe, type ServedConsole } from '../helpers/cli';
import { tempDir, waitFor } from '../helpers/tmp';

const tmp = tempDir();
const ws = path.join(tmp.dir, 'ws');
let served: ServedConsole;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  assertBuilt();
  served = await startServe(['serve', '--workspace', ws, '--port', '0']);
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  collectPageErrors(page, pageErrors);
  await page.goto(served.url);
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  tmp.cleanup();
});

it('draws an annotation added from the command line, with its text on hover', async () => {
  const plot = page.getByTestId('plot-climate');
  await plot.waitFor();
  const added = await runCli([
    'annotate',
    'add',
    ws,
    '--at',
    '-10m',
    '--to',
    String(Date.now() + 3_600_000),
    '--text',
    'valve swapped',
    '--author',
    'ana',
    '--channels',
    'demo/temperature',
  ]);
  expect(added.stderr).toContain('using the running engine');
  expect(added.code).toBe(0);
  // A live plot looks for annotations again every 10 s.
  await waitFor(
    'the annotation drawn',
    async () => Number(await plot.getAttribute('data-annotations')) >= 1,
    30_000,
  );
  const over = plot.locator('.u-over');
  const box = (await over.boundingBox())!;
  await over.hover({ position: { x: box.width - 40, y: box.height / 2 }, timeout: 5_000 });
  await over.hover({ position: { x: box.width - 30, y: box.height / 2 }, timeout: 5_000 });
  await waitFor('its text on hover', async () => (await plot.getAttribute('title')) === 'ana: valve swapped');
  expect(pageErrors).toEqual([]);
});
