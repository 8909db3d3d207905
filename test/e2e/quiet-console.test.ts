// A quiet console asks the engine nothing: with the topic tree of a busy MQTT source open and nobody
// touching the page, the engine pushes the tree's changes and the page sends no call for 10 s, only
// the acknowledgements of the pushes it took (shared/api.ts Subscriptions). Counted with Chromium's
// own view of the WebSocket (what the page really sent), against a real Mosquitto and `opsdeck serve`.
// After the engine froze long enough for the console to reconnect, the console subscribes again.
// Needs the build (`npm test` runs `electron-vite build` first).
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageErrors, launchChromium } from '../helpers/browser';
import { assertBuilt, startServe, type ServedConsole } from '../helpers/cli';
import { mosquittoPub, TestBroker } from '../helpers/mosquitto';
import { tempDir } from '../helpers/tmp';

const QUIET_MS = 10_000;

describe('a quiet console', () => {
  const tmp = tempDir('opsdeck-e2e-quiet-');
  const workspace = path.join(tmp.dir, 'ws');
  let broker: TestBroker | undefined;
  let served: ServedConsole | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let publisher: NodeJS.Timeout | undefined;
  const pageErrors: string[] = [];
  /** What the page sent over its WebSocket: calls by method, and acknowledgements of pushes. */
  const sent = { calls: [] as string[], acks: 0 };
  let pushes = 0;
  /** Calls by socket, one entry per WebSocket the page opened. */
  const sockets: string[][] = [];

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
            id: 'busy',
            kind: 'mqtt',
            name: 'Busy broker',
            options: { url: broker.url, subscriptions: [{ filter: '#', qos: 0 }] },
          },
        ],
      }),
    );
    served = await startServe(['serve', '--workspace', workspace, '--port', '0']);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    collectPageErrors(page, pageErrors);
    page.on('websocket', (ws) => {
      const calls: string[] = [];
      sockets.push(calls);
      ws.on('framesent', ({ payload }) => {
        if (typeof payload !== 'string') return;
        const message = JSON.parse(payload) as { t: string; method?: string };
        if (message.t === 'call') {
          sent.calls.push(message.method ?? '?');
          calls.push(message.method ?? '?');
        } else if (message.t === 'ack') sent.acks++;
      });
      ws.on('framereceived', ({ payload }) => {
        if (typeof payload === 'string' && payload.startsWith('{"t":"push"')) pushes++;
      });
    });
    await page.goto(served.url);

    // The source stays busy for as long as the test runs.
    let round = 0;
    const publish = () => {
      if (!broker) return;
      round++;
      mosquittoPub(broker, ['-t', 'plant/line1/temperature', '-m', String(20 + (round % 7))]);
      mosquittoPub(broker, ['-t', 'plant/line1/pressure', '-m', String(1 + round / 100)]);
    };
    publish();
    publisher = setInterval(publish, 200);
  });

  afterAll(async () => {
    clearInterval(publisher);
    await browser?.close();
    await served?.stop();
    await broker?.close();
    tmp.cleanup();
  });

  it('sends no call for 10 s with the topic tree of a busy source open, while the tree keeps moving', async () => {
    await expect
      .poll(() => page.getByTestId('source-state-busy').textContent(), { timeout: 20_000 })
      .toBe('connected');
    await page.getByTestId('topic-plant').click({ timeout: 20_000 });
    await page.getByTestId('topic-plant/line1').click({ timeout: 10_000 });
    const count = page.getByTestId('topic-count-plant/line1/temperature');
    await count.waitFor({ timeout: 10_000 });

    // Nobody touches the page from here on.
    const countBefore = Number(await count.getAttribute('data-value'));
    const callsBefore = sent.calls.length;
    const acksBefore = sent.acks;
    const pushesBefore = pushes;
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    const callsDuring = sent.calls.slice(callsBefore);
    const countAfter = Number(await count.getAttribute('data-value'));

    expect(callsDuring).toEqual([]);
    // The tree was kept current by pushes, each acknowledged.
    expect(countAfter).toBeGreaterThan(countBefore);
    expect(pushes - pushesBefore).toBeGreaterThan(0);
    expect(sent.acks - acksBefore).toBeGreaterThan(0);
    // Before the quiet window the page did subscribe (the tree's levels), and asked no topic level directly.
    expect(sent.calls.slice(0, callsBefore)).toContain('subscribe');
    expect(sent.calls).not.toContain('topics');
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('subscribes again after a reconnect, and the tree moves again', async () => {
    const count = page.getByTestId('topic-count-plant/line1/temperature');
    const socketsBefore = sockets.length;
    // The engine freezes: the console hears nothing, gives the connection up and reconnects once
    // the engine answers again (the same engine, so the same token).
    process.kill(served!.child.pid!, 'SIGSTOP');
    try {
      await expect
        .poll(() => page.getByTestId('connection-state').textContent(), { timeout: 30_000 })
        .toMatch(/reconnecting|connecting/i);
    } finally {
      process.kill(served!.child.pid!, 'SIGCONT');
    }
    await expect.poll(() => sockets.length, { timeout: 30_000 }).toBeGreaterThan(socketsBefore);
    const fresh = () => sockets[sockets.length - 1]!;
    // The tree's three open levels are subscribed on the new connection, none is asked for.
    await expect
      .poll(() => fresh().filter((m) => m === 'subscribe').length, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(3);
    expect(fresh()).not.toContain('topics');
    const after = Number(await count.getAttribute('data-value'));
    await expect
      .poll(async () => Number(await count.getAttribute('data-value')), { timeout: 20_000 })
      .toBeGreaterThan(after);
  }, 120_000);
});
