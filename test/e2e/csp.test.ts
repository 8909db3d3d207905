// The console under the desktop window's Content-Security-Policy (renderer/index.html: no
// 'unsafe-inline' styles). `opsdeck serve` adds its own header policy; a browser enforces both, so
// the page here runs under the stricter one. React's `style` prop goes through the CSSOM, which
// style-src does not govern; a <style> element or a style attribute string would be refused, and
// this test would see it. Needs the build (`npm test` runs `electron-vite build` first).
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageErrors, launchChromium } from '../helpers/browser';
import { assertBuilt, root, startServe, type ServedConsole } from '../helpers/cli';
import { tempDir, waitFor } from '../helpers/tmp';

interface Violation {
  directive: string;
  blocked: string;
  sample: string;
}

const violations = (page: Page) =>
  page.evaluate(() => (window as unknown as { __cspViolations: Violation[] }).__cspViolations);
/**
 * Style violations only: zod probes whether it may compile parsers with `Function('')` inside a
 * try/catch, which script-src refuses and reports (caught, harmless; zod falls back).
 */
const styleViolations = async (page: Page) =>
  (await violations(page)).filter((v) => v.directive.startsWith('style-src'));

describe('the console under the desktop CSP', () => {
  const tmp = tempDir('opsdeck-e2e-csp-');
  let served: ServedConsole | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    assertBuilt();
    served = await startServe(['serve', '--workspace', path.join(tmp.dir, 'ws'), '--port', '0']);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await context.addInitScript(() => {
      const w = window as unknown as { __cspViolations: Violation[] };
      w.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        w.__cspViolations.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample }),
      );
    });
    page = await context.newPage();
    collectPageErrors(page, pageErrors);
    await page.goto(served.url);
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    tmp.cleanup();
  });

  it('the built page carries the policy, without unsafe-inline styles', () => {
    const html = fs.readFileSync(path.join(root, 'out/renderer/index.html'), 'utf8');
    const policy = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(policy).toContain("style-src 'self';");
    expect(policy).not.toContain('unsafe-inline');
  });

  it('draws, opens its panels and forms, and nothing is refused', async () => {
    await waitFor(
      'points on the vibration plot',
      async () => Number(await page.getByTestId('plot-vibration').getAttribute('data-points')) > 0,
    );
    await page.getByTestId('alerts-button').click();
    await page.getByTestId('alerts-panel').waitFor();
    await page.getByTestId('rule-add').click();
    await page.getByTestId('rule-editor-kind').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('add-source').click();
    await page.getByTestId('source-form-kind').waitFor();
    await page.getByTestId('source-form-kind').selectOption('serial');
    await page.getByTestId('serial-device').waitFor();
    await page.keyboard.press('Escape');
    expect(await page.locator('.swatch[style]').count()).toBeGreaterThan(0); // React style props, via CSSOM
    expect(await styleViolations(page)).toEqual([]);
    // zod runs jitless (renderer/src/main.tsx), so it never probes for eval either.
    expect(await violations(page), JSON.stringify(await violations(page))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('the check can fail: a <style> element is refused and seen', async () => {
    await page.evaluate(() => {
      const style = document.createElement('style');
      style.textContent = 'body { outline: 1px solid red }';
      document.head.append(style);
    });
    await waitFor('the violation reported', async () => (await styleViolations(page)).length > 0);
    // Reported once per policy that refuses it: the page's own and `opsdeck serve`'s header.
    const seen = await styleViolations(page);
    expect(seen.length).toBeGreaterThan(0);
    for (const v of seen) expect(v).toMatchObject({ directive: 'style-src-elem', blocked: 'inline' });
  });
});
