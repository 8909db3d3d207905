// Named recordings in the console (issue 20): "Record" starts one of the demo's sources, its badge
// shows while it runs, the running engine lists it to the command line, Stop ends it; the export
// dialog offers its span and sources, and the export runs as a job shown under the dialog.
import fs from 'node:fs';
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

it('starts and stops a named recording from the header, and exports its span as a job', async () => {
  await page.getByTestId('recording-open').click();
  const dialog = page.getByTestId('recording-dialog');
  await dialog.getByTestId('recording-name').fill('bench run');
  await dialog.getByTestId('recording-start').click();
  const badge = page.getByTestId('recording-bench run');
  await badge.waitFor();

  const running = await runCli(['record', 'list', ws]);
  expect(running.stderr).toContain('using the running engine');
  expect(running.stdout).toMatch(/^bench run: \S+ from \S+ \(recording\)\n$/);
  const [{ from }] = JSON.parse((await runCli(['record', 'list', ws, '--format', 'json'])).stdout) as [
    { from: number },
  ];
  // The demo stores samples inside the recording's span before it is stopped.
  await waitFor('samples stored since the recording began', async () => {
    const q = await runCli([
      'query',
      ws,
      `SELECT count(*) FROM samples WHERE ts >= make_timestamp(${from * 1000})`,
      '--format',
      'csv',
    ]);
    return Number(q.stdout.trim().split('\n')[1]) > 0;
  });
  await badge.getByTestId('recording-stop').click();
  await badge.waitFor({ state: 'detached' });
  const stopped = await runCli(['record', 'list', ws, '--format', 'json']);
  const [listed] = JSON.parse(stopped.stdout) as { name: string; from: number; to: number | null }[];
  expect(listed).toMatchObject({ name: 'bench run' });
  expect(listed!.to).toBeGreaterThan(listed!.from);

  await page.getByTestId('export-open').click();
  const exportDialog = page.getByTestId('export-dialog');
  await exportDialog.getByTestId('export-range').selectOption('rec:bench run');
  const file = path.join(tmp.dir, 'bench-run.csv');
  await exportDialog.getByTestId('export-path').fill(file);
  await exportDialog.getByTestId('export-run').click();
  await waitFor('the export written', async () =>
    /^Wrote [\d,]+ rows to /.test((await exportDialog.getByTestId('export-result').textContent()) ?? ''),
  );
  const job = exportDialog.getByTestId('export-jobs').locator('li[data-state="done"]');
  await job.first().waitFor();
  expect(await job.first().textContent()).toContain(`export samples as csv to ${file}`);
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  expect(lines[0]).toBe('ts,channel,unit,value');
  expect(lines.length).toBeGreaterThan(1);
  // Only what was stored inside the recording's span.
  for (const line of lines.slice(1)) {
    const ts = Date.parse(line.split(',')[0]!);
    expect(ts).toBeGreaterThanOrEqual(listed!.from);
    expect(ts).toBeLessThan(listed!.to!);
  }
  expect(pageErrors).toEqual([]);
});
