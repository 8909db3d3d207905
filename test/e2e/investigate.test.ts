// The investigate views end to end: `opsdeck serve` on a workspace of a million records made in
// DuckDB with range() (no import) and an MQTT source on a real Mosquitto, the console in headless
// Chromium. Scroll to the end, search, filter from the field sidebar, brush the histogram, open a
// record and its surrounding lines, save a search and reopen it, run SQL and plot it, cancel a long
// query, and see malformed payloads in the quarantine browser. Needs the build.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../electron/engine/store/store';
import { defaultWorkspace, writeWorkspaceConfig } from '../../electron/engine/workspace';
import { StoreSettings } from '../../shared/schemas';
import { collectPageErrors, launchChromium, saveScreenshot } from '../helpers/browser';
import { assertBuilt, startServe, type ServedConsole } from '../helpers/cli';
import { GENERATED_T0, generateRecords } from '../helpers/generated-records';
import { mosquittoPub, TestBroker } from '../helpers/mosquitto';
import { tempDir, waitFor } from '../helpers/tmp';

const COUNT = 1_000_000;
/** Queries over a million rows on a shared two-core machine: wait for them, never time them. */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 30_000 });
const ERRORS = Math.ceil(COUNT / 97);

describe('investigate views in the browser console', () => {
  const tmp = tempDir('opsdeck-e2e-investigate-');
  const workspace = path.join(tmp.dir, 'ws');
  let broker: TestBroker | undefined;
  let served: ServedConsole | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  const count = async () => Number(await page.getByTestId('log-count').getAttribute('data-value'));
  const savedSearches = () =>
    (
      JSON.parse(fs.readFileSync(path.join(workspace, 'opsdeck.json'), 'utf8')) as {
        investigate?: { savedSearches?: { name: string; filter: string }[] };
      }
    ).investigate?.savedSearches ?? [];

  async function openLogs(): Promise<void> {
    await waitFor(
      'connected',
      async () => (await page.getByTestId('connection-state').textContent()) === 'connected',
    );
    await page.getByTestId('view-logs').click();
    await poll(count).toBe(COUNT);
  }

  async function filterBy(text: string): Promise<void> {
    await page.getByTestId('log-filter').fill(text);
    await page.getByTestId('log-filter').press('Enter');
  }

  beforeAll(async () => {
    assertBuilt();
    broker = await TestBroker.start();
    fs.mkdirSync(workspace, { recursive: true });
    writeWorkspaceConfig(workspace, {
      ...defaultWorkspace(),
      sources: [
        {
          id: 'bench',
          kind: 'mqtt',
          name: 'Bench',
          enabled: true,
          options: {
            url: `mqtt://127.0.0.1:${broker.port}`,
            subscriptions: [{ filter: 'lab/#', qos: 1 }],
            maxPayloadBytes: 1024,
          } as never,
        },
      ],
      rules: [],
    });
    const store = await Store.open(path.join(workspace, 'data.duckdb'), {
      settings: StoreSettings.parse({}),
      flushIntervalMs: 60_000,
    });
    await generateRecords(store, COUNT);
    await store.close();
    served = await startServe(['serve', '--workspace', workspace, '--port', '0']);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1600, height: 950 }, timezoneId: 'UTC' });
    page = await context.newPage();
    collectPageErrors(page, pageErrors);
    await page.goto(served.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('shows a million records and scrolls to the last one', async () => {
    await openLogs();
    await page.getByTestId('log-row').first().waitFor();
    await poll(() => page.getByTestId('log-row').first().textContent()).toContain('request 0 ');
    await saveScreenshot(page, 'investigate-logs.png');
    // The scrollbar dragged to the very end: one seek, the tail page.
    await page.getByTestId('log-scroller').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await poll(() =>
      page.locator(`[data-testid="log-row"][data-row="${COUNT - 1}"]`).textContent(),
    ).toContain(`request ${COUNT - 1} `);
    // g and G from the keyboard, as in lnav.
    await page.getByTestId('log-table').focus();
    await page.keyboard.press('g');
    await poll(() => page.locator('[data-testid="log-row"][data-row="0"]').textContent()).toContain(
      'request 0 ',
    );
    await page.keyboard.press('G');
    await poll(() => page.locator('[aria-selected="true"]').textContent()).toContain(`request ${COUNT - 1} `);
    await page.keyboard.press('k');
    await poll(() => page.locator('[aria-selected="true"]').textContent()).toContain(`request ${COUNT - 2} `);
  });

  it('finds with / and n, and filters by text', async () => {
    await page.keyboard.press('g');
    await page.keyboard.press('/');
    await page.getByTestId('log-find').fill('timeout');
    await page.getByTestId('log-find').press('Enter');
    await poll(() => page.locator('[aria-selected="true"]').textContent()).toContain(
      'request 97 failed: timeout',
    );
    await page.keyboard.press('n');
    await poll(() => page.locator('[aria-selected="true"]').textContent()).toContain('request 194 failed');
    await page.keyboard.press('N');
    await poll(() => page.locator('[aria-selected="true"]').textContent()).toContain('request 97 failed');

    await filterBy('TIMEOUT');
    await poll(count).toBe(ERRORS);
    await page.getByTestId('log-filter').fill('latency_ms > fast');
    await expect(page.getByTestId('log-filter-error').textContent()).resolves.toBe(
      '"fast" is not a number to compare with (at character 14)',
    );
    await filterBy('timeout');
  });

  it('filters by a value from the field sidebar', async () => {
    await page.getByTestId('field-host').click();
    const web1 = page.locator('[data-testid="field-value"][data-value="web-1"]');
    await web1.waitFor();
    const shown = Number((await web1.locator('.field-value-count').textContent())!.replace(/\D/g, ''));
    expect(shown).toBeGreaterThan(0);
    await web1.getByTestId('field-value-include').click();
    await poll(() => page.getByTestId('log-filter').inputValue()).toBe('timeout host=web-1');
    await poll(count).toBe(shown);
    await poll(() => page.getByTestId('log-row').first().textContent()).toContain('failed: timeout');
    await saveScreenshot(page, 'investigate-field-filter.png');
  });

  it('saves the search and reopens it after a reload', async () => {
    await page.getByTestId('save-search-name').fill('db timeouts on web-1');
    await page.getByTestId('save-search').click();
    await waitFor('the search in opsdeck.json', () =>
      savedSearches().some((s) => s.name === 'db timeouts on web-1' && s.filter === 'timeout host=web-1'),
    );
    await page.reload();
    await openLogs();
    await page.getByTestId('saved-searches').selectOption('db timeouts on web-1');
    await poll(() => page.getByTestId('log-filter').inputValue()).toBe('timeout host=web-1');
    await poll(count).toBeLessThan(ERRORS);
    await filterBy('');
    await poll(count).toBe(COUNT);
  });

  it('brushes the histogram: the table shows that range only', async () => {
    const box = (await page.getByTestId('log-histogram').locator('svg').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.getByTestId('log-range-reset').waitFor();
    await poll(count).toBeLessThan(COUNT * 0.15);
    expect(await count()).toBeGreaterThan(COUNT * 0.05);
    await poll(() => page.getByTestId('log-row').first().textContent()).toMatch(/request \d+ /);
    const first = await page.getByTestId('log-row').first().textContent();
    expect(first).not.toContain('request 0 ');
    await saveScreenshot(page, 'investigate-brushed.png');
  });

  it('opens a record with its fields and the lines around it from its source', async () => {
    await page.getByTestId('log-row').nth(3).click();
    const detail = page.getByTestId('record-detail');
    await detail.waitFor();
    const raw = (await page.getByTestId('record-raw').textContent())!;
    expect(raw).toMatch(/^request \d+ /);
    await expect(detail.textContent()).resolves.toContain('latency_ms');
    await page.getByTestId('record-context-open').click();
    await page.getByTestId('record-context').waitFor();
    expect(await page.getByTestId('record-context-self').textContent()).toContain(raw);
    expect(await page.getByTestId('record-context-line').count()).toBe(20);
    // Same source: the neighbours are two requests apart.
    const n = Number(/^request (\d+)/.exec(raw)![1]);
    await expect(page.getByTestId('record-context-line').nth(9).textContent()).resolves.toContain(
      `request ${n - 2} `,
    );
    await saveScreenshot(page, 'investigate-record.png');
    await page.getByTestId('log-range-reset').click();
    await poll(count).toBe(COUNT);
  });

  it('shares one time range and cursor with the plots: brush and zoom are the same range', async () => {
    const box = (await page.getByTestId('log-histogram').locator('svg').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.getByTestId('log-range-reset').waitFor();
    await page.getByTestId('log-row').nth(2).click();
    const raw = (await page.getByTestId('record-raw').textContent())!;
    const n = Number(/^request (\d+)/.exec(raw)![1]);
    await page.getByTestId('view-plots').click();
    // The plot shows the brushed range, and the record's time as its cursor line.
    const range = page.getByTestId('plot-range-vibration').locator('time');
    await poll(() => range.count()).toBe(2);
    const [from, to] = await Promise.all(
      [0, 1].map(async (i) => Date.parse((await range.nth(i).getAttribute('datetime'))!)),
    );
    const recordTs = GENERATED_T0 + n;
    expect(from).toBeLessThan(recordTs);
    expect(to).toBeGreaterThan(recordTs);
    await poll(() => page.getByTestId('plot-vibration').getAttribute('data-cursor')).toBe(String(recordTs));
    await saveScreenshot(page, 'investigate-plot-cursor.png');
    // Live on the plot is the whole range again in the log view.
    await page.getByRole('button', { name: 'Live' }).first().click();
    await page.getByTestId('view-logs').click();
    await poll(count).toBe(COUNT);
  });

  it('runs SQL, shows rows and time, plots the result', async () => {
    await page.getByTestId('view-sql').click();
    const editor = page.getByTestId('sql-editor');
    await editor.fill(
      'SELECT time_bucket(INTERVAL 1 MINUTE, ts) AS t, count(*) AS n, avg(length(message)) AS len FROM records_',
    );
    await poll(() => page.getByTestId('sql-completions').textContent()).toContain('records_v');
    await editor.press('Tab');
    await expect(editor.inputValue()).resolves.toMatch(/FROM records/);
    await editor.fill(
      'SELECT time_bucket(INTERVAL 1 MINUTE, ts) AS t, count(*) AS n, avg(length(message)) AS len FROM records_v GROUP BY ALL ORDER BY t',
    );
    await page.getByTestId('sql-run').click();
    await poll(() => page.getByTestId('sql-summary').textContent()).toMatch(/^17 rows in \d+ ms/);
    await page.getByTestId('sql-plot').click();
    await poll(() => page.getByTestId('sql-plot-chart').getAttribute('data-points')).toBe('17');
    await saveScreenshot(page, 'investigate-sql.png');
  });

  it('cancels a long query with the interruption error, and the next query runs', async () => {
    await page
      .getByTestId('sql-editor')
      .fill('SELECT count(*) FROM range(1000000000) a, range(1000000000) b');
    await page.getByTestId('sql-run').click();
    await page.getByTestId('sql-running').waitFor();
    await page.getByTestId('sql-cancel').click();
    await poll(() => page.getByTestId('sql-error').textContent()).toBe('query: cancelled');
    await page.getByTestId('sql-editor').fill('SELECT 42 AS answer');
    await page.getByTestId('sql-run').click();
    await poll(() => page.getByTestId('sql-row').first().textContent()).toBe('42');
    await expect(page.getByTestId('sql-error').count()).resolves.toBe(0);
  });

  it('shows malformed MQTT payloads in the quarantine browser with their reasons', async () => {
    await waitFor(
      'the MQTT source connected',
      async () => (await page.getByTestId('source-state-bench').textContent()) === 'connected',
    );
    const file = (name: string, bytes: Uint8Array) => {
      const f = path.join(tmp.dir, name);
      fs.writeFileSync(f, bytes);
      return f;
    };
    mosquittoPub(broker!, ['-t', 'lab/rig/env', '-m', '{"temp": 22.', '-q', '1']);
    mosquittoPub(broker!, [
      '-t',
      'lab/bin',
      '-f',
      file('garbage.bin', Uint8Array.of(0xff, 0xfe, 0x00, 0x81, 0xc3)),
      '-q',
      '1',
    ]);
    mosquittoPub(broker!, [
      '-t',
      'lab/big',
      '-f',
      file('big.txt', new Uint8Array(2048).fill(0x41)),
      '-q',
      '1',
    ]);
    await page.getByTestId('view-quarantine').click();
    await poll(() => page.getByTestId('quarantine-item').count()).toBe(3);
    const reasons = await page.getByTestId('quarantine-reason').allTextContents();
    const wheres = await page.getByTestId('quarantine-where').allTextContents();
    expect(wheres.sort()).toEqual(['lab/big', 'lab/bin', 'lab/rig/env']);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^json: invalid JSON/),
        expect.stringMatching(/^binary payload: not valid UTF-8/),
        'payload of 2048 bytes is over the 1024-byte cap',
      ]),
    );
    await page.getByTestId('quarantine-item').filter({ hasText: 'lab/bin' }).click();
    await expect(page.getByTestId('quarantine-hex').textContent()).resolves.toContain('ff fe 00 81 c3');
    await saveScreenshot(page, 'investigate-quarantine.png');
    await page.getByTestId('quarantine-source-bench').click();
    // Re-decoding is a job whose rows go to a derived source; the items stay until cleared.
    await page.getByTestId('quarantine-redecode-decoder').selectOption('text');
    await page.getByTestId('quarantine-redecode').click();
    await expect(page.getByTestId('quarantine-redecode-job').textContent()).resolves.toContain(
      'bench~redecoded',
    );
    await poll(() => page.getByTestId('quarantine-item').count()).toBe(3);
    await page.getByTestId('quarantine-clear').click();
    await poll(() => page.getByTestId('quarantine-item').count()).toBe(0);
    // What text could not take (the binary payload) is quarantined under the derived source.
    await poll(() => page.getByTestId('quarantine-source-bench~redecoded').count()).toBe(1);
    await page.getByTestId('quarantine-source-bench~redecoded').click();
    await page.getByTestId('quarantine-clear').click();
    await poll(() => page.getByTestId('quarantine-item').count()).toBe(0);
    await poll(() => page.getByTestId('status-bar').textContent()).toMatch(/(^|\D)0 quarantined/);
    // Clearing is an audit entry, read back through the SQL console.
    await page.getByTestId('view-sql').click();
    await page
      .getByTestId('sql-editor')
      .fill(
        `SELECT action, detail->>'source' AS source, detail->>'removed' AS removed FROM audit WHERE action = 'quarantine.clear' ORDER BY seq`,
      );
    await page.getByTestId('sql-run').click();
    await poll(() => page.getByTestId('sql-row').first().textContent()).toBe('quarantine.clearbench3');
    // The broken JSON payload, re-decoded as text, is a record of the derived source.
    await page
      .getByTestId('sql-editor')
      .fill(`SELECT message FROM records_v WHERE source = 'bench~redecoded' AND message LIKE '{"temp"%'`);
    await page.getByTestId('sql-run').click();
    await poll(() => page.getByTestId('sql-row').first().textContent()).toBe('{"temp": 22.');
  });

  it('had no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
