// The workbench end to end, as a technician uses it on a broker with many devices: `opsdeck serve`
// on a workspace with an MQTT source (a real Mosquitto), the built console in headless Chromium.
// Panels are added, filled from the topic tree and renamed, and a reload shows the same layout.
// Needs the build (`npx electron-vite build`).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageErrors, launchChromium, saveScreenshot } from '../helpers/browser';
import { assertBuilt, startServe, type ServedConsole } from '../helpers/cli';
import { TestBroker } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

const SOURCE = 'plant';
const TEMP = `${SOURCE}/line1/env/temp`;
const PRESSURE = `${SOURCE}/line1/env/pressure`;

describe('the workbench in the browser console', () => {
  const tmp = tempDir('opsdeck-e2e-workbench-');
  const workspace = path.join(tmp.dir, 'ws');
  let broker: TestBroker | undefined;
  let served: ServedConsole | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let publisher: mqtt.MqttClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  const pageErrors: string[] = [];
  let round = 0;
  let largestChannelList = 0;
  /** A local webhook receiver for the notifier test. */
  let receiver: http.Server | undefined;
  let receiverUrl = '';
  const webhooks: { path: string; body: unknown }[] = [];
  let publish: () => void = () => undefined;

  const config = () => JSON.parse(fs.readFileSync(path.join(workspace, 'opsdeck.json'), 'utf8'));

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
            id: SOURCE,
            kind: 'mqtt',
            name: 'Plant broker',
            options: { url: broker.url, subscriptions: [{ filter: '#', qos: 0 }] },
          },
        ],
        channels: [
          { name: TEMP, unit: '°C' },
          { name: PRESSURE, unit: 'hPa' },
        ],
      }),
    );
    receiver = http.createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        webhooks.push({ path: req.url ?? '', body: JSON.parse(text) });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    served = await startServe(['serve', '--workspace', workspace, '--port', '0']);
    publisher = await mqtt.connectAsync(broker.url);
    publish = () => {
      round++;
      const env = { temp: 21 + Math.sin(round / 4), pressure: 1013 + Math.cos(round / 5) };
      void publisher!.publishAsync('line1/env', JSON.stringify(env));
      // A GPS fix wandering in the fifth decimal.
      void publisher!.publishAsync(
        'line1/gps',
        JSON.stringify({ lat: 48.137154 + 1e-4 * Math.sin(round / 3) }),
      );
    };
    publish();
    timer = setInterval(publish, 250);

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    collectPageErrors(page, pageErrors);
    // The most channels of the big device any one message to the page named: the browser pages.
    page.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        if (typeof payload !== 'string') return;
        const n = payload.split(`"${SOURCE}/fleet/big/m`).length - 1;
        largestChannelList = Math.max(largestChannelList, n);
      }),
    );
    await page.goto(served.url);
    await waitFor(
      'the connection',
      async () => (await page.getByTestId('connection-state').textContent()) === 'connected',
    );
  });

  afterAll(async () => {
    clearInterval(timer);
    await publisher?.endAsync();
    await browser?.close();
    await served?.stop();
    await broker?.close();
    await new Promise((r) => (receiver ? receiver.close(r) : r(undefined)));
    tmp.cleanup();
  });

  /** Clicks a numeric field of line1/env and plots it into `panel` (a panel id, or a new one). */
  async function plotField(field: string, panel: string): Promise<void> {
    await page.getByTestId(`topic-field-${field}`).click({ timeout: 20_000 });
    await page.getByTestId('plot-target').waitFor();
    await page.getByTestId(panel === 'new' ? 'plot-target-new' : `plot-target-${panel}`).click();
    await page.getByTestId('plot-target').waitFor({ state: 'hidden' });
  }

  it('adds a panel, plots two channels of different units into it, renames it; a reload shows the same', async () => {
    await page.getByTestId('panel-add').click();
    await page.getByTestId('panel-panel-1').waitFor();

    await page.getByTestId('topic-line1').click({ timeout: 20_000 });
    await page.getByTestId('topic-line1/env').click({ timeout: 10_000 });
    await plotField('temp', 'panel-1');
    await plotField('pressure', 'panel-1');

    await page.getByTestId('panel-title-panel-1').click();
    await page.getByTestId('panel-title-input-panel-1').fill('Line 1 climate');
    await page.keyboard.press('Enter');

    const host = page.getByTestId('plot-panel-1');
    await expect.poll(() => host.getAttribute('data-axes'), { timeout: 20_000 }).toBe('["°C","hPa"]');
    await waitFor('points drawn', async () => Number(await host.getAttribute('data-points')) > 0);
    await waitFor('the layout saved in opsdeck.json', () => {
      const panel = config().layouts?.[0]?.panels?.[0];
      return panel?.title === 'Line 1 climate' && panel.channels.length === 2;
    });
    expect(config().layouts[0].panels[0].channels).toEqual([TEMP, PRESSURE]);

    await page.reload();
    await expect
      .poll(() => page.getByTestId('panel-title-panel-1').textContent(), { timeout: 20_000 })
      .toBe('Line 1 climate');
    await expect.poll(() => host.getAttribute('data-axes'), { timeout: 20_000 }).toBe('["°C","hPa"]');
    await waitFor(
      'points drawn after the reload',
      async () => Number(await host.getAttribute('data-points')) > 0,
    );
    expect(await page.locator('section.plot-panel').count()).toBe(1);
    await saveScreenshot(page, 'workbench-layout.png');
  });

  it('resizes and reorders panels, and keeps them', async () => {
    await page.getByTestId('panel-add').click();
    await page.getByTestId('panel-panel-2').waitFor();
    await page.getByTestId('panel-up-panel-2').click();
    const resize = page.getByTestId('panel-resize-panel-1');
    await resize.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await waitFor('order and height saved', () => {
      const panels = config().layouts[0].panels as { id: string; height: number }[];
      return panels.map((p) => p.id).join() === 'panel-2,panel-1' && panels[1]!.height === 280 + 80;
    });
    await page.reload();
    await page.getByTestId('panel-panel-2').waitFor({ timeout: 20_000 });
    const ids = await page
      .locator('section.plot-panel')
      .evaluateAll((s) => s.map((e) => e.getAttribute('data-testid')));
    expect(ids).toEqual(['panel-panel-2', 'panel-panel-1']);
    const box = await page.getByTestId('panel-panel-1').boundingBox();
    expect(box?.height).toBe(360);
  });

  it('breaks the line where the devices went quiet, live and in history', async () => {
    const host = page.getByTestId('plot-panel-1');
    await waitFor('points drawn', async () => Number(await host.getAttribute('data-points')) > 0);
    expect(Number(await host.getAttribute('data-gaps'))).toBe(0);
    // Four seconds without a message: 16 times the usual 250 ms.
    clearInterval(timer);
    await new Promise((r) => setTimeout(r, 4_000));
    timer = setInterval(publish, 250);
    await waitFor('a gap in the live plot', async () => Number(await host.getAttribute('data-gaps')) >= 2);
    // Zoomed into stored data around it: the same gap, from the store this time.
    await host.focus();
    await page.keyboard.press('+');
    await page.getByTestId('plot-range-panel-1').waitFor();
    await waitFor('a gap in the history plot', async () => {
      const loaded = (await page.getByTestId('panel-panel-1').locator('.loading').count()) === 0;
      return loaded && Number(await host.getAttribute('data-gaps')) >= 2;
    });
    await saveScreenshot(page, 'workbench-gap.png');
    // With gaps set never to break, none is drawn.
    await page.getByTestId('panel-gaps-panel-1').selectOption('0');
    await expect.poll(() => host.getAttribute('data-gaps')).toBe('0');
    await page.getByTestId('panel-gaps-panel-1').selectOption('5');
    await page.keyboard.press('Escape');
  });

  it('finds a channel by search among 2,000 of one device, without the page ever holding the list', async () => {
    const fields: Record<string, number> = {};
    for (let i = 0; i < 2_000; i++) fields[`m${i}`] = i / 10;
    await publisher!.publishAsync('fleet/big', JSON.stringify(fields));
    await page.getByTestId('picker-panel-2').click();
    const search = page.getByTestId('pick-panel-2-search');
    await search.fill('big m1234');
    const found = page.getByTestId(`pick-panel-2-${SOURCE}/fleet/big/m1234`);
    await found.waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('pick-panel-2-count').getAttribute('data-value')).toBe('1');
    // Units and last values beside each channel.
    await expect.poll(() => page.getByTestId('pick-panel-2').textContent()).toContain('123.4');
    await found.check();
    await page.keyboard.press('Escape');
    await waitFor('the channel saved in the panel', () =>
      (config().layouts[0].panels as { id: string; channels: string[] }[])
        .find((p) => p.id === 'panel-2')
        ?.channels.includes(`${SOURCE}/fleet/big/m1234`),
    );
    // Browsing the tree: the device's level pages (100 at a time), it does not list all 2,000.
    await page.getByTestId('picker-panel-2').click();
    await search.fill('');
    await page.getByTestId(`pick-panel-2-open-${SOURCE}`).click();
    await page.getByTestId(`pick-panel-2-open-${SOURCE}/fleet`).click();
    await page.getByTestId(`pick-panel-2-open-${SOURCE}/fleet/big`).click();
    await page.getByTestId(`pick-panel-2-${SOURCE}/fleet/big/m0`).waitFor();
    expect(await page.getByTestId('pick-panel-2').locator('input[type="checkbox"]').count()).toBe(100);
    await expect.poll(() => page.getByTestId('pick-panel-2-more').textContent()).toContain('1,900 left');
    await saveScreenshot(page, 'workbench-browser.png');
    await page.keyboard.press('Escape');
    expect(largestChannelList).toBeLessThanOrEqual(500);
  });

  it('exports a channel chosen in the browser to a file', async () => {
    const out = path.join(tmp.dir, 'temp.csv');
    await page.getByTestId('export-open').click();
    await page.getByTestId('export-channels-search').fill('line1 temp');
    await page.getByTestId(`export-channels-${TEMP}`).check({ timeout: 20_000 });
    expect(await page.getByTestId('export-chosen').textContent()).toBe(TEMP);
    await page.getByTestId('export-path').fill(out);
    await page.getByTestId('export-run').click();
    await expect
      .poll(() => page.getByTestId('export-result').textContent(), { timeout: 20_000 })
      .toMatch(/^Wrote \d+ rows to /);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.slice(1).every((l) => l.includes(TEMP))).toBe(true);
    await page.keyboard.press('Escape');
  });

  it('edits a channel in the console; the legend shows as many decimals as the values need', async () => {
    // A latitude gets six decimals from its range alone.
    await page.getByTestId('topic-line1').click();
    await page.getByTestId('topic-line1/gps').click({ timeout: 20_000 });
    await plotField('lat', 'panel-1');
    const lat = page.getByTestId(`readout-value-panel-1-${SOURCE}/line1/gps/lat`);
    await expect.poll(() => lat.getAttribute('data-decimals'), { timeout: 20_000 }).toBe('6');
    expect(await lat.textContent()).toMatch(/^48\.\d{6}( … 48\.\d{6})?$/);

    await page.getByTestId(`channel-settings-${TEMP}`).click();
    await page.getByTestId('channel-settings').waitFor();
    // An error shows once the field is touched, in words.
    await page.getByTestId('channel-scale').fill('');
    await expect
      .poll(() => page.getByTestId('channel-error-scale').textContent())
      .toBe('enter a number, e.g. 1 or 0.01');
    await page.getByTestId('channel-scale').fill('1');
    await page.getByTestId('channel-displayName').fill('Supply air');
    await page.getByTestId('channel-decimals').selectOption('1');
    await page.getByTestId('channel-save').click();
    await page.getByTestId('channel-settings').waitFor({ state: 'hidden' });
    await expect.poll(() => page.getByTestId(`channel-settings-${TEMP}`).textContent()).toBe('Supply air');
    const temp = page.getByTestId(`readout-value-panel-1-${TEMP}`);
    await expect.poll(() => temp.getAttribute('data-decimals')).toBe('1');
    const saved = (config().channels as { name: string }[]).find((c) => c.name === TEMP);
    expect(saved).toMatchObject({ unit: '°C', displayName: 'Supply air', decimals: 1, scale: 1 });
    expect(config().version).toBe(2);
    await saveScreenshot(page, 'workbench-channel.png');
  });

  it('adds a rule in plain words, channel from the browser, labels on several lines; the table reads well', async () => {
    await page.getByTestId('alerts-button').click();
    await page.getByTestId('rule-add').click();
    const editor = page.getByTestId('rule-editor');
    await editor.waitFor();
    // Nothing is wrong before a field is touched.
    expect(await editor.locator('.form-error').allTextContents()).toEqual([]);
    await page.getByTestId('field-id').fill('');
    await expect.poll(() => editor.locator('.form-error').first().textContent()).toBe('enter a name');
    expect(await page.getByTestId('rule-editor-problems').textContent()).toContain('Name: enter a name');
    await page.getByTestId('field-id').fill('supply-air-hot-on-line-1-of-the-north-plant-building');
    await page.getByTestId('rule-channel-browse').click();
    await page.getByTestId('rule-channels-search').fill('line1 temp');
    await page.getByTestId(`rule-channels-${TEMP}`).click({ timeout: 20_000 });
    expect(await page.getByTestId('field-channel').inputValue()).toBe(TEMP);
    await page.getByTestId('field-above').fill('twenty');
    await expect.poll(() => editor.textContent()).toContain('enter a number');
    await page.getByTestId('field-above').fill('25');
    const labels = page.getByTestId('field-labels');
    expect(await labels.evaluate((e) => e.tagName)).toBe('TEXTAREA');
    await labels.fill('site=north\nline=1');
    await page.getByTestId('rule-editor-save').click();
    await editor.waitFor({ state: 'hidden' });
    const rule = (config().rules as { id: string; labels: Record<string, string> }[])[0]!;
    expect(rule.labels).toEqual({ site: 'north', line: '1' });

    const table = page.getByTestId('rule-table');
    const row = table.locator('tr[data-rule="supply-air-hot-on-line-1-of-the-north-plant-building"]');
    await row.waitFor();
    expect(
      await page
        .getByTestId('rule-condition-supply-air-hot-on-line-1-of-the-north-plant-building')
        .textContent(),
    ).toBe(`${TEMP} > 25`);
    await expect
      .poll(
        () =>
          page
            .getByTestId('rule-state-supply-air-hot-on-line-1-of-the-north-plant-building')
            .getAttribute('data-value'),
        { timeout: 20_000 },
      )
      .toBe('normal');
    // The table fits its panel: long names and conditions are cut, not scrolled.
    const fits = await table.evaluate((t) => t.scrollWidth <= (t.parentElement?.clientWidth ?? 0) + 1);
    expect(fits).toBe(true);
    await saveScreenshot(page, 'workbench-rules.png');
  });

  it('creates a notifier in the console, tests it (the local receiver gets it), and a rule picks it', async () => {
    await page.getByTestId('notifier-add').click();
    const editor = page.getByTestId('notifier-editor');
    await editor.waitFor();
    await page.getByTestId('notifier-id').fill('control-room');
    await page.getByTestId('notifier-url').fill('ftp://nowhere');
    await expect
      .poll(() => page.getByTestId('notifier-error-url').textContent())
      .toBe('an http:// or https:// URL');
    await page.getByTestId('notifier-url').fill(`${receiverUrl}/opsdeck`);
    await page.getByTestId('notifier-send-test').click();
    await expect
      .poll(() => page.getByTestId('notifier-test-result').getAttribute('data-value'), { timeout: 20_000 })
      .toBe('delivered');
    expect(await page.getByTestId('notifier-test-result').textContent()).toMatch(
      /^Test delivered: the receiver took it/,
    );
    expect(webhooks).toHaveLength(1);
    expect(webhooks[0]).toMatchObject({
      path: '/opsdeck',
      body: { status: 'firing', labels: { alertname: 'opsdeck-test', notifier: 'control-room' } },
    });
    await page.getByTestId('notifier-save').click();
    await editor.waitFor({ state: 'hidden' });
    await waitFor('the notifier saved', () =>
      (config().alerting?.notifiers ?? []).some(
        (n: { id: string; url: string }) => n.id === 'control-room' && n.url === `${receiverUrl}/opsdeck`,
      ),
    );
    await page.getByTestId('notifier-table').locator('tr[data-notifier="control-room"]').waitFor();

    // The rule's notify list offers it (and nothing typed).
    await page.getByTestId('rule-edit-supply-air-hot-on-line-1-of-the-north-plant-building').click();
    await page.getByTestId('notify-control-room').check({ timeout: 10_000 });
    await page.getByTestId('rule-editor-save').click();
    await page.getByTestId('rule-editor').waitFor({ state: 'hidden' });
    await waitFor('the rule notifies it', () => config().rules[0].notify?.includes('control-room'));
    await saveScreenshot(page, 'workbench-notifiers.png');
  });

  it('picks up an edit of opsdeck.json: a rule’s threshold applies; an invalid edit is refused naming the field', async () => {
    const RULE = 'supply-air-hot-on-line-1-of-the-north-plant-building';
    const edit = (above: unknown) => {
      const doc = config();
      doc.rules[0].above = above;
      fs.writeFileSync(path.join(workspace, 'opsdeck.json'), JSON.stringify(doc, null, 2));
    };
    edit(30);
    await expect
      .poll(() => page.getByTestId(`rule-condition-${RULE}`).textContent(), { timeout: 20_000 })
      .toBe(`${TEMP} > 30`);
    await expect
      .poll(() => page.getByTestId('notices').textContent())
      .toContain('opsdeck.json was edited: alert rules now as in the file');
    edit('thirty');
    await expect
      .poll(() => page.getByTestId('notices').textContent(), { timeout: 20_000 })
      .toMatch(
        /opsdeck\.json was edited but not applied \(the running configuration is kept\): rules\.0\.above/,
      );
    expect(await page.getByTestId(`rule-condition-${RULE}`).textContent()).toBe(`${TEMP} > 30`);
    edit(30);
  });

  it('two consoles: the later save wins, and the other console is told', async () => {
    const other = await browser!.newPage({ viewport: { width: 1440, height: 900 } });
    collectPageErrors(other, pageErrors);
    await other.goto(served!.url);
    await other.getByTestId('panel-title-panel-1').waitFor({ timeout: 20_000 });
    await other.getByTestId('panel-title-panel-1').click();
    await other.getByTestId('panel-title-input-panel-1').fill('Renamed elsewhere');
    await other.keyboard.press('Enter');
    await expect
      .poll(() => page.getByTestId('panel-title-panel-1').textContent(), { timeout: 20_000 })
      .toBe('Renamed elsewhere');
    await expect
      .poll(() => page.getByTestId('notices').textContent())
      .toContain('another console changed plot layouts: showing its version');
    // This console saves after it: its name wins, in the file and in the other console.
    await page.getByTestId('panel-title-panel-1').click();
    await page.getByTestId('panel-title-input-panel-1').fill('Line 1 climate');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => other.getByTestId('panel-title-panel-1').textContent(), { timeout: 20_000 })
      .toBe('Line 1 climate');
    await waitFor(
      'the later save in the file',
      () => config().layouts[0].panels[1].title === 'Line 1 climate',
    );
    await other.close();
  });

  it('logs no errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
