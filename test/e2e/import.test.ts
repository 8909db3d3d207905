// Import captures from the browser console: `opsdeck serve` on a fresh workspace, headless
// Chromium. A folder of three files is picked in the engine's file browser; the job's progress
// bar moves and shows rows; a second, bigger import is cancelled from its Cancel button; the ended
// jobs list their files with format and rows. Needs the build (`npx electron-vite build`).
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageErrors, launchChromium, saveScreenshot } from '../helpers/browser';
import { assertBuilt, runCli, startServe, type ServedConsole } from '../helpers/cli';
import { tempDir, waitFor } from '../helpers/tmp';

function writeJsonLines(file: string, count: number, tag: string): void {
  const fd = fs.openSync(file, 'w');
  const t0 = Date.now() - 3_600_000;
  for (let start = 0; start < count; start += 10_000) {
    const out: string[] = [];
    for (let i = start; i < Math.min(count, start + 10_000); i++)
      out.push(JSON.stringify({ ts: new Date(t0 + i).toISOString(), tag, n: `${i}` }));
    fs.writeSync(fd, out.join('\n') + '\n');
  }
  fs.closeSync(fd);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 3164 lines over the last hour: `errors` say "error", `warnings` "warning", the rest neither. */
function writeSyslog(file: string, errors: number, warnings: number, infos: number): void {
  const t0 = Date.now() - 3_600_000;
  const words = [
    ...new Array<string>(errors).fill('error'),
    ...new Array<string>(warnings).fill('warning'),
    ...new Array<string>(infos).fill('accepted'),
  ];
  const lines = words.map((word, i) => {
    const d = new Date(t0 + i * 60_000);
    const day = String(d.getUTCDate()).padStart(2, ' ');
    return `${MONTHS[d.getUTCMonth()]} ${day} ${d.toISOString().slice(11, 19)} web-1 sshd[7]: ${word} #${i}`;
  });
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

describe('import in the browser console', () => {
  const tmp = tempDir('opsdeck-e2e-import-');
  const workspace = path.join(tmp.dir, 'ws');
  const evidence = path.join(tmp.dir, 'evidence');
  const big = path.join(tmp.dir, 'big', 'huge.jsonl');
  let served: ServedConsole | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    assertBuilt();
    fs.mkdirSync(path.join(evidence, 'host2'), { recursive: true });
    writeJsonLines(path.join(evidence, 'a.jsonl'), 60_000, 'a');
    writeJsonLines(path.join(evidence, 'host2', 'b.jsonl'), 60_000, 'b');
    fs.writeFileSync(path.join(evidence, 'host2', 'c.log'), 'first\nsecond\n');
    writeSyslog(path.join(evidence, 'host2', 'messages'), 5, 3, 12);
    fs.mkdirSync(path.dirname(big));
    writeJsonLines(big, 2_000_000, 'big');
    served = await startServe(['serve', '--workspace', workspace, '--port', '0']);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    collectPageErrors(page, pageErrors);
    await page.goto(served.url);
    await waitFor(
      'the connection',
      async () => (await page.getByTestId('connection-state').textContent()) === 'connected',
    );
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    tmp.cleanup();
  });

  it('imports a folder picked in the file browser, with progress, and cancels a big import', async () => {
    await page.getByTestId('import-open').click();
    const dialog = page.getByTestId('import-dialog');
    await dialog.getByTestId('import-browser').waitFor();
    // Browse to the evidence folder's parent by its path, then open the folder from the listing.
    const listing = dialog.getByTestId('import-browser');
    await dialog.getByTestId('import-paths').fill(tmp.dir);
    await dialog.getByTestId('import-browse').click();
    await waitFor(
      'the temp folder listed',
      async () => (await listing.locator('code').textContent()) === tmp.dir,
    );
    await dialog.getByTestId('import-paths').fill('');
    await listing.getByRole('button', { name: 'evidence/', exact: true }).click();
    await waitFor(
      'the evidence folder listed',
      async () => (await listing.locator('code').textContent()) === evidence,
    );
    await dialog.getByTestId('import-add-folder').click();
    expect(await dialog.getByTestId('import-paths').inputValue()).toBe(evidence);
    await dialog.getByTestId('import-start').click();

    const first = dialog.getByTestId('job-list').locator('li[data-state]').first();
    await waitFor(
      'the folder imported',
      async () => (await first.getAttribute('data-state')) === 'done',
      60_000,
    );
    expect(await first.getByTestId('job-figures').textContent()).toContain('120,022 rows');
    // The first answers, counted before the rows: the syslog file's by severity and over time,
    // the JSON Lines files' too (the json decoder's records are all info); none for plain text.
    const counts = first.getByTestId('first-counts');
    expect(await counts.count()).toBe(3);
    const syslog = counts.filter({ hasText: 'messages:' });
    expect(await syslog.textContent()).toContain('messages: 20 lines · error 5 · warning 3 · info 12');
    expect(await syslog.locator('svg rect').count()).toBeGreaterThan(1);
    expect(await counts.filter({ hasText: 'a.jsonl:' }).textContent()).toContain(
      'a.jsonl: 60,000 lines · info 60,000',
    );
    await first.locator('summary').click();
    const summary = (await first.textContent()) ?? '';
    expect(summary).toContain('a.jsonl — done, json');
    expect(summary).toContain('c.log — done, text');
    expect(summary).toContain('messages — done, syslog');
    expect(summary).toContain('4 of 4 files imported');

    // A big file: its bar moves, then Cancel stops it; what it took in stays.
    await dialog.getByTestId('import-paths').fill(big);
    await dialog.getByTestId('import-start').click();
    const second = dialog.getByTestId('job-list').locator('li[data-state]').first();
    // One read of one element: the new job (its file named) running, with rows and its bar moved.
    await waitFor('the big import running with rows', () =>
      second.evaluate((li) => {
        const value = Number(li.querySelector('progress')?.getAttribute('value'));
        const rows = /([\d,]+) rows/.exec(li.textContent ?? '')?.[1] ?? '0';
        return (
          li.getAttribute('data-state') === 'running' &&
          (li.textContent ?? '').includes('huge.jsonl') &&
          value > 0 &&
          Number(rows.replaceAll(',', '')) > 0
        );
      }),
    );
    await saveScreenshot(page, 'import-progress.png');
    await second.getByTestId('job-cancel').click();
    await waitFor(
      'the big import cancelled',
      async () => (await second.getAttribute('data-state')) === 'cancelled',
    );
    const counted = await runCli([
      'query',
      workspace,
      `SELECT count(*) FROM records WHERE origin = '${big}'`,
      '--format',
      'csv',
    ]);
    const kept = Number(counted.stdout.trim().split('\n')[1]);
    // What the cancelled job says it took in is exactly what is stored.
    const shown = /([\d,]+) rows/.exec((await second.getByTestId('job-figures').textContent()) ?? '');
    expect(kept).toBe(Number(shown![1]!.replaceAll(',', '')));
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(2_000_000);
    // Imports ingest under a name of their own: listed apart from the configured sources, with
    // nothing to switch, edit or remove (it showed as a connected source with a switch).
    const importRow = page.getByTestId('source-import');
    await importRow.waitFor();
    expect(await importRow.getAttribute('class')).toContain('source-internal');
    expect(await importRow.getByRole('switch').count()).toBe(0);
    expect(await page.getByTestId('source-demo').getByRole('switch').count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });

  it('scans files for sensitive data from the console, without importing them', async () => {
    const leaky = path.join(tmp.dir, 'leaky');
    fs.mkdirSync(leaky);
    fs.writeFileSync(
      path.join(leaky, 'app.log'),
      ['all quiet', 'login by ana@example.org ok', 'nothing here', 'paid with 4111 1111 1111 1111', ''].join(
        '\n',
      ),
    );
    await page.getByTestId('import-dialog').getByRole('button', { name: 'Close this dialog' }).click();
    await page.getByTestId('scan-open').click();
    await page.getByTestId('scan-paths').fill(leaky);
    await page.getByTestId('scan-run').click();
    await expect
      .poll(() => page.getByTestId('scan-result').textContent(), { timeout: 30_000 })
      .toMatch(/^2 findings in 4 lines of 1 file\./);
    const rows = await page.getByTestId('scan-finding').allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('app.log:2');
    expect(rows[0]).toContain('email');
    expect(rows[0]).not.toContain('ana@example.org'); // the excerpt is masked
    expect(rows[1]).toContain('app.log:4');
    expect(rows[1]).toContain('card');
    await saveScreenshot(page, 'scan-dialog.png');
    expect(pageErrors).toEqual([]);
  });
});
