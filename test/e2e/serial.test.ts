// A serial device end to end: a socat pty pair plays the device, `opsdeck serve` runs on a fresh
// workspace (the demo rig stays in), and the built renderer in headless Chromium adds the serial
// source through the "+ Source" form as a user would, watches the raw traffic in the console view,
// sends a command that the test reads at the device's end, plots the decoded channels, and sees
// the device go away and come back.
// Needs the build (`npm test` runs `electron-vite build` first).
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageErrors, launchChromium, saveScreenshot } from '../helpers/browser';
import { assertBuilt, startServe, type ServedConsole } from '../helpers/cli';
import { PtyPair } from '../helpers/pty';
import { tempDir, waitFor } from '../helpers/tmp';

const SOURCE = 'bench';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a serial source in the browser console', () => {
  const tmp = tempDir('opsdeck-e2e-serial-');
  let pty: PtyPair | undefined;
  let served: ServedConsole | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  let feeding = false;
  let feeder: Promise<void> | undefined;
  let sent = 0;

  /** The device prints Arduino plotter lines, a few at a time with pauses, each burst after a newline. */
  const startFeeding = () => {
    if (feeding) return;
    feeding = true;
    feeder = (async () => {
      while (feeding) {
        const lines: string[] = [];
        for (let k = 0; k < 3; k++) {
          sent++;
          const temp = (21.5 + Math.sin(sent / 8)).toFixed(2);
          const hum = (40 + 5 * Math.cos(sent / 13)).toFixed(1);
          lines.push(`temp:${temp} hum:${hum}`);
        }
        try {
          await pty!.write(`\n${lines.join('\n')}\n`, { burst: 32, pauseMs: 2 });
        } catch {
          // The device is unplugged for a while (a test stops socat): keep trying.
        }
        await sleep(120);
      }
    })();
  };

  beforeAll(async () => {
    assertBuilt();
    pty = await PtyPair.start(tmp.dir, 'ttyBench');
    served = await startServe(['serve', '--workspace', path.join(tmp.dir, 'ws'), '--port', '0']);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    collectPageErrors(page, pageErrors);
    await page.goto(served.url);
  });

  afterAll(async () => {
    feeding = false;
    await feeder;
    await browser?.close();
    await served?.stop();
    await pty?.stop();
    tmp.cleanup();
  });

  it('adds a serial source with the "+ Source" form', async () => {
    await page.getByTestId('add-source').click();
    const form = page.getByTestId('source-form');
    await form.waitFor();
    await page.getByTestId('source-form-kind').selectOption('serial');

    // The port list is the engine's (a pty is not in it); it says so either way, never "undefined".
    await waitFor('the port list or its empty note', async () => {
      const text = (await form.textContent()) ?? '';
      return /No serial ports found|\/dev\//.test(text) && text.includes('listed');
    });
    expect(await form.textContent()).not.toContain('undefined');

    await page.getByTestId('field-id').fill(SOURCE);
    await page.getByTestId('field-name').fill('Bench Uno');
    await page.getByTestId('field-options.path').fill(pty!.dev);
    await page.getByTestId('field-serial-format').selectOption('plotter');
    // Any baud rate: a pty ignores it, but the form must take one that is not in the list.
    await page.getByTestId('field-options.baudRate-choice').selectOption('other');
    await page.getByTestId('field-options.baudRate').fill('250000');
    await page.getByTestId('source-form-save').click();
    await form.waitFor({ state: 'hidden', timeout: 20_000 });

    const saved = JSON.parse(fs.readFileSync(path.join(tmp.dir, 'ws', 'opsdeck.json'), 'utf8')) as {
      sources: { id: string; kind: string; options: Record<string, unknown> }[];
    };
    expect(saved.sources.find((s) => s.id === SOURCE)).toMatchObject({
      kind: 'serial',
      options: { path: pty!.dev, baudRate: 250000, lineDecoder: 'plotter' },
    });
  });

  it('shows the source connected', async () => {
    await expect
      .poll(() => page.getByTestId(`source-state-${SOURCE}`).textContent(), { timeout: 20_000 })
      .toBe('connected');
    await expect(page.getByTestId(`source-${SOURCE}`).textContent()).resolves.toContain('Bench Uno');
    startFeeding();
  });

  it('shows the received text in the console view', async () => {
    await page.getByTestId(`console-toggle-${SOURCE}`).click();
    const output = page.getByTestId('source-console').getByTestId('console-output');
    await expect.poll(() => output.textContent(), { timeout: 20_000 }).toMatch(/temp:\d+\.\d+ hum:\d+/);
    await expect(page.getByTestId('console-state').textContent()).resolves.toBe('connected');

    // Hex shows the same bytes ("temp" is 74 65 6d 70), and back to text.
    await page.getByTestId('console-hex').click();
    await expect.poll(() => output.textContent(), { timeout: 10_000 }).toContain('74 65 6d 70');
    await page.getByTestId('console-hex').click();
    await expect.poll(() => output.textContent(), { timeout: 10_000 }).toContain('temp:');
  });

  it('sends a command from the console line, and the device receives it', async () => {
    const command = 'PING 42';
    const expected = `${command}\r\n`;
    // The test reads the device's end of the pair: start reading before anything is sent.
    const reading = pty!.read(Buffer.byteLength(expected));
    await sleep(500);

    await page.getByTestId('console-input').fill(command);
    await page.getByTestId('console-line-ending').selectOption('crlf');
    await page.getByTestId('console-send').click();
    await expect
      .poll(() => page.getByTestId('console-send-result').textContent(), { timeout: 10_000 })
      .toBe(`sent ${Buffer.byteLength(expected)} bytes`);

    const received = await Promise.race([
      reading,
      sleep(15_000).then(() => {
        throw new Error('the device did not receive the command');
      }),
    ]);
    expect(received.toString()).toBe(expected);

    // The console marks it as sent (→), with the line ending it went with.
    const sentLine = page.getByTestId('console-output').locator('.console-tx', { hasText: command });
    await sentLine.waitFor({ timeout: 10_000 });
    expect(await sentLine.textContent()).toBe(`→ ${command}CR LF`);
    expect(await page.getByTestId('console-input').inputValue()).toBe('');
  });

  it('plots the decoded channels', async () => {
    const plotButton = page.getByTestId('console-plot-channels');
    await expect
      .poll(() => page.getByTestId('console-channels').textContent(), { timeout: 20_000 })
      .toContain(`${SOURCE}/temp`);
    await plotButton.click();
    // It asks which panel: a new one (the demo's two have names; this is the first numbered one).
    await page.getByTestId('plot-target-new').click();

    const host = page.getByTestId('plot-panel-1');
    await waitFor(
      `points drawn for ${SOURCE}/temp`,
      async () => Number(await host.getAttribute('data-points')) > 0,
    );
    const panel = page.locator('section.plot-panel').filter({ has: host });
    await expect.poll(() => panel.textContent()).toContain(`${SOURCE}/temp`);
    await expect(panel.textContent()).resolves.toContain(`${SOURCE}/hum`);
    await expect.poll(() => plotButton.textContent()).toBe('Plotted');

    // The demo's own panels find them in their channel browser too.
    await page.getByTestId('picker-vibration').click();
    await page.getByTestId('pick-vibration-search').fill(`${SOURCE}/temp`);
    await page.getByTestId(`pick-vibration-${SOURCE}/temp`).waitFor({ timeout: 20_000 });
    await page.keyboard.press('Escape');

    // For the humans: the console open and a few seconds of the serial channels drawn.
    await waitFor(
      'a few seconds of the serial channels drawn',
      async () => Number(await host.getAttribute('data-points')) >= 10,
      30_000,
    );
    await saveScreenshot(page, 'serial.png');
  });

  it('shows the device going away with the reason, and coming back', async () => {
    await pty!.stop();
    await expect
      .poll(() => page.getByTestId(`source-state-${SOURCE}`).textContent(), { timeout: 20_000 })
      .toBe('disconnected');
    const reason = (await page.getByTestId(`source-error-${SOURCE}`).textContent()) ?? '';
    expect(reason).toContain(pty!.dev);
    expect(reason).not.toContain('undefined');
    await expect.poll(() => page.getByTestId('console-reason').textContent()).toContain(pty!.dev);

    // Sending now fails with the engine's reason, shown as text.
    await page.getByTestId('console-input').fill('STATUS');
    await page.getByTestId('console-send').click();
    const result = page.getByTestId('console-send-result');
    await expect.poll(() => result.textContent(), { timeout: 10_000 }).toContain('Not sent:');
    expect(await result.textContent()).toContain('not connected');
    expect(await result.textContent()).not.toContain('undefined');

    await pty!.run();
    await expect
      .poll(() => page.getByTestId(`source-state-${SOURCE}`).textContent(), { timeout: 30_000 })
      .toBe('connected');
    const before = sent;
    await waitFor('new lines after the device came back', () => sent > before + 6);
    await expect
      .poll(async () => (await page.getByTestId('console-output').textContent())?.length ?? 0, {
        timeout: 10_000,
      })
      .toBeGreaterThan(0);
  });

  it('logs no errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
