// The MQTT console end to end: a real Mosquitto, `opsdeck serve` on a workspace with an MQTT source
// subscribed to `#`, messages published with `mosquitto_pub` (a client we did not write), and the
// built renderer in headless Chromium browsing the topic tree, plotting a field, publishing, and
// adding and removing a password-protected source through the generated form.
// Needs the build (`npm test` runs `electron-vite build` first).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageErrors, launchChromium, saveScreenshot } from '../helpers/browser';
import { assertBuilt, startServe, type ServedConsole } from '../helpers/cli';
import { mosquittoPub, TestBroker } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

const ENV_PAYLOAD = '{"temp":21.5,"hum":40,"status":"ok"}';
const PLOTTED = 'bench/lab/bench1/env/temp';

describe('MQTT in the browser console', () => {
  const tmp = tempDir('opsdeck-e2e-mqtt-');
  const workspace = path.join(tmp.dir, 'ws');
  let broker: TestBroker | undefined;
  let lockedBroker: TestBroker | undefined;
  let served: ServedConsole | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let publisher: NodeJS.Timeout | undefined;
  const pageErrors: string[] = [];
  /** Once the detail has been checked against ENV_PAYLOAD, the temperature moves, for a livelier plot. */
  let wave = false;
  let round = 0;

  const publishBench = () => {
    if (!broker) return;
    round++;
    const env = wave
      ? JSON.stringify({ temp: Number((21.5 + Math.sin(round / 3)).toFixed(2)), hum: 40, status: 'ok' })
      : ENV_PAYLOAD;
    mosquittoPub(broker, ['-t', 'lab/bench1/temperature', '-m', '23.5']);
    mosquittoPub(broker, ['-t', 'lab/bench1/env', '-m', env]);
  };

  beforeAll(async () => {
    assertBuilt();
    broker = await TestBroker.start();
    fs.mkdirSync(workspace, { recursive: true });
    fs.writeFileSync(
      path.join(workspace, 'opsdeck.json'),
      JSON.stringify({
        version: 1,
        sources: [
          {
            id: 'bench',
            kind: 'mqtt',
            name: 'Bench broker',
            options: { url: broker.url, subscriptions: [{ filter: '#', qos: 0 }] },
          },
        ],
      }),
    );
    served = await startServe(['serve', '--workspace', workspace, '--port', '0']);

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    collectPageErrors(page, pageErrors);
    await page.goto(served.url);

    // The bench keeps publishing, a few messages a second, for as long as the tests run.
    publishBench();
    publisher = setInterval(publishBench, 400);
  });

  afterAll(async () => {
    clearInterval(publisher);
    await browser?.close();
    await served?.stop();
    await broker?.close();
    await lockedBroker?.close();
    tmp.cleanup();
  });

  it('shows the MQTT source connected, with its endpoint', async () => {
    await expect
      .poll(() => page.getByTestId('source-state-bench').textContent(), { timeout: 20_000 })
      .toBe('connected');
    await expect(page.getByTestId('source-bench').textContent()).resolves.toContain('Bench broker');
  });

  it('browses the topic tree: lab → bench1 → both topics', async () => {
    await page.getByTestId('topic-lab').click({ timeout: 20_000 });
    await page.getByTestId('topic-lab/bench1').click({ timeout: 10_000 });
    const temperature = page.getByTestId('topic-lab/bench1/temperature');
    const env = page.getByTestId('topic-lab/bench1/env');
    await temperature.waitFor({ timeout: 10_000 });
    await env.waitFor({ timeout: 10_000 });
    // Leaf rows preview the last payload; parents are marked expanded.
    await expect.poll(() => temperature.textContent()).toContain('23.5');
    await expect.poll(() => env.textContent()).toContain('"status":"ok"');
    expect(await page.getByTestId('topic-lab').getAttribute('aria-expanded')).toBe('true');
    expect(await page.getByTestId('topic-lab/bench1').getAttribute('aria-expanded')).toBe('true');
  });

  it('filters topics with the search box', async () => {
    const search = page.getByTestId('topic-search-bench');
    await search.fill('temper');
    await waitFor('only the matching topic listed', async () => {
      const rows = await page.getByTestId('topics-bench').locator('[role="treeitem"]').count();
      return rows === 1 && (await page.getByTestId('topic-lab/bench1/temperature').isVisible());
    });
    await search.fill('');
    await page.getByTestId('topic-lab/bench1/env').waitFor({ timeout: 10_000 });
  });

  it('shows the detail of lab/bench1/env: pretty JSON and its numeric fields', async () => {
    await page.getByTestId('topic-lab/bench1/env').click();
    const detail = page.getByTestId('topic-detail');
    await expect.poll(() => detail.textContent(), { timeout: 10_000 }).toContain('"temp": 21.5');
    const payload = await page.getByTestId('topic-detail-payload').textContent();
    expect(payload).toBe(JSON.stringify(JSON.parse(ENV_PAYLOAD), null, 2));
    await page.getByTestId('topic-field-temp').waitFor();
    await page.getByTestId('topic-field-hum').waitFor();
    expect(await page.getByTestId('topic-field-status').count()).toBe(0);
    await expect(detail.textContent()).resolves.toContain('json');
    wave = true;
  });

  it('plots a field when it is clicked, in the panel chosen', async () => {
    const field = page.getByTestId('topic-field-temp');
    await field.click();
    // It asks which panel: a new one, titled after the channel.
    await page.getByTestId('plot-target-new').click();
    await expect.poll(() => field.getAttribute('aria-pressed')).toBe('true');
    const panel = page.locator('section.plot-panel').filter({ hasText: PLOTTED });
    await panel.waitFor({ timeout: 10_000 });
    const host = panel.locator('.plot-host');
    await waitFor(
      `points drawn for ${PLOTTED}`,
      async () => Number(await host.getAttribute('data-points')) > 0,
    );
    // The channel list of the panel names it too.
    await panel.locator('summary', { hasText: 'Channels' }).click();
    expect(await panel.locator('fieldset').textContent()).toContain(PLOTTED);
    await page.keyboard.press('Escape');

    // For the humans: the tree expanded, the detail open and a few seconds of the field drawn.
    await waitFor(
      'a few seconds of buckets drawn',
      async () => Number(await host.getAttribute('data-points')) >= 12,
      30_000,
    );
    await saveScreenshot(page, 'mqtt.png');
  });

  it('publishes from the dialog, and the message arrives', async () => {
    // An independent subscriber (mosquitto_sub) sees the message at the broker too.
    const sub: ChildProcess = spawn(
      'mosquitto_sub',
      ['-h', '127.0.0.1', '-p', String(broker!.port), '-t', 'lab/bench1/fromui', '-C', '1', '-W', '30'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let received = '';
    sub.stdout!.on('data', (d: Buffer) => (received += d.toString()));
    const subExited = new Promise<void>((resolve) => sub.once('exit', () => resolve()));
    // mosquitto_sub is subscribed once it has connected; give it the time to do so.
    await new Promise((r) => setTimeout(r, 500));

    await page.getByTestId('source-menu-bench').click();
    await page.getByTestId('source-publish-bench').click();
    const dialog = page.getByTestId('publish-dialog');
    await dialog.waitFor();
    await page.getByTestId('publish-topic').fill('lab/bench1/fromui');
    await page.getByTestId('publish-payload').fill('42');
    await page.getByTestId('publish-send').click();
    await expect
      .poll(() => page.getByTestId('publish-result').textContent(), { timeout: 10_000 })
      .toContain('Published to lab/bench1/fromui');

    // A wildcard topic is refused before it is sent.
    await page.getByTestId('publish-topic').fill('lab/+/x');
    expect(await page.getByTestId('publish-send').isDisabled()).toBe(true);
    await page.getByTestId('publish-close').click();
    await dialog.waitFor({ state: 'hidden' });

    const row = page.getByTestId('topic-lab/bench1/fromui');
    await row.waitFor({ timeout: 10_000 });
    await expect.poll(() => row.textContent()).toContain('42');
    await subExited;
    expect(received.trim()).toBe('42');
  });

  it('adds a password-protected source with the form, keeping the password out of the workspace', async () => {
    lockedBroker = await TestBroker.start({ users: { opsdeck: 'pa55-word' } });
    await page.getByTestId('add-source').click();
    const form = page.getByTestId('source-form');
    await form.waitFor();

    // Validation as the user types, under the field.
    await page.getByTestId('field-id').fill('locked');
    await page.getByTestId('field-name').fill('Locked broker');
    await page.getByTestId('field-options.url').fill('mqtt:/nohost');
    await expect.poll(() => form.textContent()).toContain('an mqtt://, mqtts://, ws:// or wss:// address');
    await page.getByTestId('field-options.url').fill(lockedBroker.url);
    await expect.poll(() => form.textContent()).not.toContain('an mqtt://, mqtts://');
    await page.getByTestId('field-id').fill('bench');
    await expect.poll(() => form.textContent()).toContain('a source with id "bench" exists already');
    await page.getByTestId('field-id').fill('locked');

    await page.getByTestId('field-options.username').fill('opsdeck');
    await page.getByTestId('field-options.password').fill('pa55-word');
    await page.getByTestId('field-options.subscriptions.0.filter').fill('locked/#');
    await page.getByTestId('source-form-save').click();
    await form.waitFor({ state: 'hidden', timeout: 20_000 });

    await expect
      .poll(() => page.getByTestId('source-state-locked').textContent(), { timeout: 20_000 })
      .toBe('connected');
    const saved = fs.readFileSync(path.join(workspace, 'opsdeck.json'), 'utf8');
    expect(saved).not.toContain('pa55-word');
    const config = JSON.parse(saved) as { sources: { id: string; options: Record<string, unknown> }[] };
    expect(config.sources.find((s) => s.id === 'locked')?.options).toMatchObject({
      username: 'opsdeck',
      password: 'locked.password',
    });

    // Its topics arrive in its own tree.
    mosquittoPub(lockedBroker, ['-t', 'locked/door', '-m', 'closed'], {
      user: 'opsdeck',
      password: 'pa55-word',
    });
    await page.getByTestId('topic-locked').waitFor({ timeout: 15_000 });
  });

  it('removes a source after a confirmation', async () => {
    await page.getByTestId('source-menu-locked').click();
    await page.getByTestId('source-remove-locked').click();
    await page.getByTestId('source-remove-confirm-locked').click();
    await page.getByTestId('source-locked').waitFor({ state: 'detached', timeout: 15_000 });
    const config = JSON.parse(fs.readFileSync(path.join(workspace, 'opsdeck.json'), 'utf8')) as {
      sources: { id: string }[];
    };
    expect(config.sources.map((s) => s.id)).toEqual(['bench']);
  });

  it('logs no errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
