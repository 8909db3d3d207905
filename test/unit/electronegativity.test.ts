// The electronegativity step of `npm test` (.ci/electronegativity.mjs) on small fixtures: a new
// finding fails it, a known one passes, a known one that is gone fails it. The tool itself always
// exits 0, so this is what makes the audit a gate. Runs offline, like the step.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { root } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';

const script = path.join(root, '.ci/electronegativity.mjs');
const hardenedWindow = `import { app, BrowserWindow, session } from 'electron';
export const win = new BrowserWindow({
  webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, disableBlinkFeatures: 'Auxclick' },
});
app.on('web-contents-created', (_event, contents) => {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event) => event.preventDefault());
});
session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
`;
const policy = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-AAAA'" />`;

describe('electronegativity step', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  function audit(files: Record<string, string>, known: unknown[] = []) {
    const t = tempDir('opsdeck-eng-');
    cleanups.push(t.cleanup);
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(t.dir, file)), { recursive: true });
      fs.writeFileSync(path.join(t.dir, file), text);
    }
    const config = path.join(t.dir, 'electronegativity.json');
    fs.writeFileSync(config, JSON.stringify({ root: '.', input: ['app'], known }));
    const r = spawnSync(process.execPath, [script, '--config', config], { encoding: 'utf8' });
    return { code: r.status, out: r.stdout + r.stderr };
  }

  it('passes a window with nothing to report', () => {
    const r = audit({ 'app/main.ts': hardenedWindow, 'app/index.html': policy });
    expect(r.out).toMatch(/no findings beyond 0 known/);
    expect(r.code).toBe(0);
  });

  it('fails on a new finding, naming it and where it is', () => {
    const r = audit({
      'app/main.ts': hardenedWindow.replace('sandbox: true', 'sandbox: false'),
      'app/index.html': policy,
    });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/SANDBOX_JS_CHECK \(MEDIUM, FIRM\) at app\/main\.ts:3:/);
  });

  it('passes a known finding named by its check, file and line, and fails once it is gone', () => {
    const files = {
      'app/main.ts': hardenedWindow + 'shell.openExternal(url);\n',
      'app/index.html': policy,
    };
    const known = [
      { check: 'OPEN_EXTERNAL_JS_CHECK', file: 'app/main.ts', sample: 'shell.openExternal(url);', why: 'x' },
    ];
    expect(audit(files).code).toBe(1);
    expect(audit(files, known)).toMatchObject({ code: 0, out: expect.stringMatching(/beyond 1 known/) });
    // The same check on a changed line is a new finding: it is reviewed again.
    const changed = { ...files, 'app/main.ts': hardenedWindow + 'shell.openExternal(otherUrl);\n' };
    const r = audit(changed, known);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/OPEN_EXTERNAL_JS_CHECK .* at app\/main\.ts:10:.*openExternal\(otherUrl\)/);
    expect(r.out).toMatch(/listed as known .* but no longer found/);
  });
});
