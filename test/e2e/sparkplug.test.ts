// Sparkplug B and connection errors in the browser console: `opsdeck serve` on a workspace with an
// MQTT source reading a real Mosquitto where an edge node (Tahu's codec, its own connection)
// publishes births, data by alias and a device death, and a second source whose key passphrase is
// wrong. The edge node list shows the node online and its device offline; the topic detail plots
// an alias-only DDATA; the failing source says why in plain words, with OpenSSL's text behind
// "details", and its topic tree says why it is not running.
// Needs the build (`npm test` runs `electron-vite build` first).
import fs from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSparkplug } from '../../electron/engine/decode/sparkplug';
import { collectPageErrors, launchChromium, saveScreenshot } from '../helpers/browser';
import { assertBuilt, startServe, type ServedConsole } from '../helpers/cli';
import { makePki, TestBroker } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

describe('Sparkplug and connection errors in the browser console', () => {
  const tmp = tempDir('opsdeck-e2e-sparkplug-');
  const workspace = path.join(tmp.dir, 'ws');
  let broker: TestBroker | undefined;
  let edge: MqttClient | undefined;
  let served: ServedConsole | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  const send = (type: string, seq: number, metrics: unknown[], device?: string) =>
    edge!.publishAsync(
      `spBv1.0/Plant1/${type}/Edge1${device ? `/${device}` : ''}`,
      Buffer.from(encodeSparkplug({ timestamp: Date.now(), seq, metrics: metrics as never })),
      { qos: 1 },
    );

  beforeAll(async () => {
    assertBuilt();
    const pki = makePki(
      fs.mkdirSync(path.join(tmp.dir, 'pki'), { recursive: true }) ?? path.join(tmp.dir, 'pki'),
    );
    broker = await TestBroker.start();
    fs.mkdirSync(workspace, { recursive: true });
    fs.writeFileSync(
      path.join(workspace, 'opsdeck.json'),
      JSON.stringify({
        version: 1,
        sources: [
          {
            id: 'plant',
            kind: 'mqtt',
            name: 'Plant broker',
            options: {
              url: broker.url,
              subscriptions: [{ filter: 'spBv1.0/#', qos: 1 }],
              sparkplug: { allowPublish: true },
            },
          },
          {
            id: 'locked',
            kind: 'mqtt',
            name: 'Locked broker',
            options: {
              url: 'mqtts://127.0.0.1:8883',
              tls: {
                caFile: pki.caFile,
                certFile: pki.clientCert,
                keyFile: pki.clientKeyEncrypted,
                keyPassphrase: 'locked.key',
              },
            },
          },
        ],
      }),
    );
    served = await startServe(['serve', '--workspace', workspace, '--port', '0'], {
      ...process.env,
      OPSDECK_SECRET_LOCKED_KEY: 'not the passphrase',
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    collectPageErrors(page, pageErrors);
    await page.goto(served.url);
    await waitFor(
      'the plant source connected',
      async () => (await page.getByTestId('source-state-plant').textContent()) === 'connected',
    );

    edge = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
    await send('NBIRTH', 0, [{ name: 'bdSeq', type: 'UInt64', value: 0 }]);
    await send(
      'DBIRTH',
      1,
      [
        {
          name: 'Temperature',
          alias: 2,
          type: 'Float',
          value: 21.5,
          properties: { engUnit: { type: 'String', value: '°C' } },
        },
      ],
      'Press1',
    );
    await send('DDATA', 2, [{ alias: 2, type: 'Float', value: 22.5 }], 'Press1');
    await send('DBIRTH', 3, [{ name: 'Flow', alias: 3, type: 'Double', value: 1 }], 'Pump1');
    await send('DDEATH', 4, [], 'Pump1');
  });

  afterAll(async () => {
    if (page) await saveScreenshot(page, 'sparkplug.png').catch(() => undefined);
    await edge?.endAsync(true);
    await browser?.close();
    await served?.stop();
    await broker?.close();
    tmp.cleanup();
  });

  it('lists the edge node online, with one device online and one offline after its DDEATH', async () => {
    const node = page.getByTestId('sparkplug-node-Plant1/Edge1');
    await expect.poll(() => node.textContent(), { timeout: 20_000 }).toContain('online · bdSeq 0');
    await expect
      .poll(() => page.getByTestId('sparkplug-device-Plant1/Edge1/Pump1').textContent(), { timeout: 10_000 })
      .toBe('Pump1offline');
    expect(await page.getByTestId('sparkplug-device-Plant1/Edge1/Press1').textContent()).toBe('Press1online');
    // Publishing is allowed for this source: the button asks for a rebirth.
    await node.getByRole('button', { name: 'Rebirth' }).click();
    await expect.poll(() => node.textContent(), { timeout: 10_000 }).toMatch(/asked to rebirth 1×/);
  });

  it('plots a metric of an alias-only DDATA from the topic detail', async () => {
    for (const level of ['spBv1.0', 'spBv1.0/Plant1', 'spBv1.0/Plant1/DDATA', 'spBv1.0/Plant1/DDATA/Edge1'])
      await page.getByTestId(`topic-${level}`).click({ timeout: 10_000 });
    const row = page.getByTestId('topic-spBv1.0/Plant1/DDATA/Edge1/Press1');
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('Temperature 22.5 °C');
    await row.click();
    const field = page.getByTestId('topic-field-Temperature');
    await field.waitFor({ timeout: 10_000 });
    expect(await field.textContent()).toContain('22.5');
    await field.click();
    // "Plot" asks which panel: a new one.
    await page.getByTestId('plot-target-new').click();
    await page.getByTestId('plot-target').waitFor({ state: 'hidden' });
    await expect.poll(() => field.getAttribute('aria-pressed')).toBe('true');
  });

  it('says in one line why a source cannot connect, with OpenSSL’s text behind "details"', async () => {
    const error = page.getByTestId('source-error-locked');
    await expect
      .poll(() => error.textContent(), { timeout: 20_000 })
      .toContain('tls.keyPassphrase does not decrypt tls.keyFile');
    expect(await error.textContent()).not.toContain('bad decrypt');
    await page.getByTestId('source-error-details-locked').click();
    await expect.poll(() => error.textContent()).toContain('bad decrypt');
  });

  it('says why a source in error is not running, in place of its topics', async () => {
    expect(await page.getByTestId('source-state-locked').textContent()).toBe('error');
    expect(await page.getByTestId('topics-not-running-locked').textContent()).toBe(
      'Not running: tls.keyPassphrase does not decrypt tls.keyFile. Fix it in Edit…, and it starts again.',
    );
  });

  it('logs no errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
