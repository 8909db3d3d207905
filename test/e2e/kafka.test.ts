// The Kafka source in the browser console: a real Kafka (test/helpers/kafka.ts), `opsdeck serve` on
// a workspace with an inspect-mode Kafka source, and the built renderer in headless Chromium
// sending a test message with a key and headers from the publish dialog; kcat (a client we did not
// write) reads it back, and the source's topic tree shows it. Needs the build.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageErrors, launchChromium } from '../helpers/browser';
import { assertBuilt, startServe, type ServedConsole } from '../helpers/cli';
import { KafkaBroker, KCAT } from '../helpers/kafka';
import { tempDir } from '../helpers/tmp';

describe('Kafka in the browser console', () => {
  const tmp = tempDir('opsdeck-e2e-kafka-');
  const workspace = path.join(tmp.dir, 'ws');
  let broker: KafkaBroker | undefined;
  let served: ServedConsole | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    assertBuilt();
    broker = await KafkaBroker.start({ version: '3.9.1' });
    broker.createTopic('commands');
    fs.mkdirSync(workspace, { recursive: true });
    fs.writeFileSync(
      path.join(workspace, 'opsdeck.json'),
      JSON.stringify({
        version: 1,
        sources: [
          {
            id: 'plant',
            kind: 'kafka',
            name: 'Plant cluster',
            options: { brokers: [broker.bootstrap], topics: ['commands'], start: { from: 'earliest' } },
          },
        ],
      }),
    );
    served = await startServe(['serve', '--workspace', workspace, '--port', '0']);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    collectPageErrors(page, pageErrors);
    await page.goto(served.url);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    await broker?.close();
    tmp.cleanup();
  });

  it('sends a test message with key and headers, which kcat reads back and the topic tree shows', async () => {
    await expect
      .poll(() => page.getByTestId('source-state-plant').textContent(), { timeout: 30_000 })
      .toBe('connected');
    await page.getByTestId('source-menu-plant').click();
    await page.getByTestId('source-publish-plant').click();
    await page.getByTestId('publish-dialog').waitFor();
    await page.getByTestId('publish-topic').fill('commands');
    await page.getByTestId('publish-key').fill('line-4');
    await page.getByTestId('publish-headers').fill('origin: opsdeck\ntrace: 42');
    await page.getByTestId('publish-payload').fill('{"setpoint":21.5,"by":"e2e"}');
    await page.getByTestId('publish-send').click();
    await expect
      .poll(() => page.getByTestId('publish-result').textContent(), { timeout: 20_000 })
      .toContain('Published to commands partition 0 offset 0');
    await page.getByTestId('publish-close').click();

    const read = execFileSync(
      KCAT,
      ['-C', '-b', broker!.bootstrap, '-t', 'commands', '-o', 'beginning', '-e', '-q', '-f', '%k|%h|%s\\n'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(read.trim()).toBe('line-4|origin=opsdeck,trace=42|{"setpoint":21.5,"by":"e2e"}');
    await page.getByTestId('topic-commands').waitFor({ timeout: 20_000 });
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
