// The Kafka cluster browser in the browser console: a real Kafka (test/helpers/kafka.ts) holding a
// topic produced by kcat with keys and headers, and a consumer group (a kafkajs consumer of the
// test's own, a client the console did not start) that committed part of it, so it lags; `opsdeck
// serve` on a workspace with an inspect-mode Kafka source, and the built renderer in headless
// Chromium. The panel shows the topic's partitions and offsets, the group with its member and its
// lag per partition, and the topic's recent messages with key, headers and decoded value; the
// groups the cluster lists are the same before and after browsing (no group joined to read them).
// With the broker stopped the panel says no broker answers. Needs the build.
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageErrors, launchChromium, saveScreenshot } from '../helpers/browser';
import { assertBuilt, startServe, type ServedConsole } from '../helpers/cli';
import { KafkaBroker } from '../helpers/kafka';
import { tempDir } from '../helpers/tmp';

describe('the Kafka cluster browser in the browser console', () => {
  const tmp = tempDir('opsdeck-e2e-kafka-cluster-');
  const workspace = path.join(tmp.dir, 'ws');
  let broker: KafkaBroker | undefined;
  let served: ServedConsole | undefined;
  let browser: Browser | undefined;
  let consumer: Consumer | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  const listGroups = async (): Promise<string[]> => {
    const admin = new Kafka({ brokers: [broker!.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      return (await admin.listGroups()).groups.map((g) => g.groupId).sort();
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    assertBuilt();
    broker = await KafkaBroker.start({ version: '3.9.1' });
    broker.createTopic('alarms', 2);
    broker.produce(
      'alarms',
      Array.from({ length: 20 }, (_, i) => `line-${i}\t{"pressure":${i + 0.5},"site":"north"}`),
      { keyed: true, partition: 0 },
    );
    broker.produce(
      'alarms',
      Array.from({ length: 12 }, (_, i) => `line-${i}\t{"pressure":${100 + i},"site":"south"}`),
      { keyed: true, partition: 1 },
    );

    // One more with headers, from a client of our own (the helper's kcat line format has none).
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({
      topic: 'alarms',
      messages: [
        {
          partition: 1,
          key: 'with-headers',
          value: '{"pressure":7.25,"site":"east"}',
          headers: { origin: 'scanner', trace: '7' },
        },
      ],
    });
    await producer.disconnect();

    // A group that committed offsets 5 and 2 on alarms (lag 15 and 11), set while it is empty, and
    // then a member of it consuming another topic: nothing of the group ever fetches alarms, so
    // nothing can move those offsets (a consumer of alarms itself, paused in its first batch, left
    // the lag at 0 in two CI runs of three).
    broker.createTopic('heartbeats', 1);
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.setOffsets({
        groupId: 'dashboard',
        topic: 'alarms',
        partitions: [
          { partition: 0, offset: '5' },
          { partition: 1, offset: '2' },
        ],
      });
    } finally {
      await admin.disconnect();
    }
    consumer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).consumer({
      groupId: 'dashboard',
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
    });
    const joined = new Promise<void>((resolve) => consumer!.on(consumer!.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topics: ['heartbeats'] });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
    await joined;

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
            options: {
              brokers: [broker.bootstrap],
              topics: ['alarms'],
              start: { from: 'latest' },
              decoders: [{ topic: 'alarms', decoder: 'json' }],
              reconnectMinMs: 200,
              reconnectMaxMs: 1_000,
            },
          },
        ],
      }),
    );
    served = await startServe(['serve', '--workspace', workspace, '--port', '0']);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    collectPageErrors(page, pageErrors);
    await page.goto(served.url);
  }, 300_000);

  afterAll(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await browser?.close();
    await served?.stop();
    await broker?.close();
    tmp.cleanup();
  });

  it('shows topics with offsets, the lagging group with its member, and recent messages, joining no group', async () => {
    await expect
      .poll(() => page.getByTestId('source-state-plant').textContent(), { timeout: 30_000 })
      .toBe('connected');
    const before = await listGroups();
    expect(before).toEqual(['dashboard']);

    await page.getByTestId('source-menu-plant').click();
    await page.getByTestId('source-cluster-plant').click();
    const panel = page.getByTestId('kafka-cluster');
    await panel.waitFor();
    await page.getByTestId('kafka-topic-alarms').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('kafka-topic-messages-alarms').textContent()).toBe('33');

    // The group, its member, and its lag per partition.
    await expect
      .poll(() => page.getByTestId('kafka-group-lag-dashboard').getAttribute('data-value'), {
        timeout: 20_000,
      })
      .toBe('26');
    await page.getByTestId('kafka-group-dashboard').click();
    const group = page.getByTestId('kafka-group-detail-dashboard');
    await group.waitFor();
    expect(await group.textContent()).toContain('on /127.0.0.1');
    expect(await page.getByTestId('kafka-lag-dashboard-alarms-0').getAttribute('data-value')).toBe('15');
    expect(await page.getByTestId('kafka-lag-dashboard-alarms-1').getAttribute('data-value')).toBe('11');

    // The topic's partitions and recent messages (the last ten of each), decoded as the source would.
    await page.getByTestId('kafka-topic-alarms').click();
    await page.getByTestId('kafka-partitions').waitFor();
    // partition, leader, earliest, latest, messages
    const cells = (p: number) =>
      page.getByTestId(`kafka-partition-alarms-${p}`).locator('td').allTextContents();
    expect(await cells(0)).toEqual(['0', '1', '0', '20', '20']);
    expect(await cells(1)).toEqual(['1', '1', '0', '13', '13']);
    const recent = page.getByTestId('kafka-recent-message');
    await expect.poll(() => recent.count(), { timeout: 20_000 }).toBe(20);
    const texts = await recent.allTextContents();
    const last = texts.find((t) => t.startsWith('0@19'))!;
    expect(last).toContain('key line-19');
    expect(last).toContain('{"pressure":19.5,"site":"north"}');
    expect(last).toContain('pressure = 19.5');
    expect(texts.some((t) => t.startsWith('1@11') && t.includes('pressure = 111'))).toBe(true);
    const withHeaders = recent.filter({ hasText: 'key with-headers' });
    expect(await withHeaders.getByTestId('kafka-recent-headers').textContent()).toBe(
      'origin: scannertrace: 7',
    );
    expect(await withHeaders.getByTestId('kafka-recent-decoded').textContent()).toBe('pressure = 7.25');
    expect(await withHeaders.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(texts.some((t) => t.startsWith('0@9'))).toBe(false); // older than the last ten

    await saveScreenshot(page, 'kafka-cluster.png');
    // Browsing joined no group.
    expect(await listGroups()).toEqual(before);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('says no broker answers when the broker is down', async () => {
    await broker!.stop();
    await page.getByTestId('kafka-cluster-refresh').click();
    const error = page.getByTestId('kafka-cluster-error');
    await error.waitFor({ timeout: 30_000 });
    expect(await error.textContent()).toMatch(
      /Cannot read the cluster\. no broker answers at 127\.0\.0\.1:\d+/,
    );
    // What was read before stays, marked as such.
    expect(await error.textContent()).toContain('from the last successful look');
    await page.getByTestId('kafka-topic-alarms').waitFor();
  }, 120_000);
});
