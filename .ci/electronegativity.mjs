#!/usr/bin/env node
// The desktop shell's audit with electronegativity, offline, as a pass/fail step of `npm test`.
// The tool always exits 0 and fetches from the internet (translations, Electron's release list),
// so this runs its scanner directly: translations come from the package's own files, the check
// that downloads releases is excluded, and every finding not listed as known in
// .ci/electronegativity.json fails the step, as does a known one that no longer appears. A known
// finding is named by its check, file and exact line (or CSP), so any change to it is reviewed again.
//
//   node .ci/electronegativity.mjs [--config FILE]   (input paths are relative to the config's "root")
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { config: { type: 'string' } },
});
/** Downloads Electron's release list from GitHub: never run, whatever the config says. */
const OFFLINE_EXCLUDED = ['AvailableSecurityFixesGlobalCheck'];
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const configFile = path.resolve(values.config ?? path.join(here, 'electronegativity.json'));
const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
const shownConfig = configFile.startsWith(repo + path.sep) ? path.relative(repo, configFile) : configFile;
const root = path.resolve(path.dirname(configFile), config.root ?? '..');

const require = createRequire(path.join(repo, 'package.json'));
const packageDir = path.dirname(require.resolve('@doyensec/electronegativity/package.json'));
const fromPackage = createRequire(path.join(packageDir, 'package.json'));

// The runner loads its translations through this module, which first asks a web server for
// newer ones; put a local-only version in its place before the runner is loaded.
const i18nModule = path.join(packageDir, 'dist/locales/i18n.js');
const i18n = fromPackage('i18n');
fromPackage.cache[i18nModule] = {
  id: i18nModule,
  filename: i18nModule,
  loaded: true,
  exports: {
    __esModule: true,
    default: async () => {
      i18n.configure({
        locales: ['en-US'],
        defaultLocale: 'en-US',
        directory: path.dirname(i18nModule),
        updateFiles: false,
        objectNotation: true,
        register: globalThis,
      });
      i18n.setLocale('en-US');
    },
  },
};
const run = fromPackage(path.join(packageDir, 'dist/runner.js'));

// The scanner takes one folder: stage the files the audit covers, keeping their relative paths.
const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'opsdeck-electronegativity-'));
try {
  for (const entry of config.input) {
    const from = path.join(root, entry);
    if (!fs.existsSync(from)) throw new Error(`${configFile}: input "${entry}" does not exist under ${root}`);
    fs.cpSync(from, path.join(stage, entry), { recursive: true });
  }
  const electronVersion = JSON.parse(
    fs.readFileSync(require.resolve('electron/package.json'), 'utf8'),
  ).version;
  const result = await run(
    {
      input: stage,
      isRelative: true,
      customScan: [],
      excludeFromScan: [...OFFLINE_EXCLUDED, ...Object.keys(config.excludeChecks ?? {})],
      electronVersionOverride: electronVersion,
      parserPlugins: [],
    },
    false,
  );
  const problems = [];
  for (const error of result.errors)
    if (!error.tolerable) problems.push(`cannot parse ${path.relative(stage, error.file)}: ${error.message}`);
  const known = (config.known ?? []).map((k) => ({ ...k, seen: 0 }));
  for (const issue of result.issues) {
    const file = issue.file;
    const match = known.find(
      (k) => k.check === issue.id && k.file === file && k.sample === (issue.sample ?? '').trim(),
    );
    if (match) match.seen++;
    else
      problems.push(
        `${issue.id} (${issue.severity.name}, ${issue.confidence.name}) at ${file}:${issue.location.line}:${issue.location.column}` +
          `${issue.sample && issue.sample !== 'N/A' ? `: ${issue.sample}` : ''}\n    ${issue.description} ${issue.shortenedURL}`,
      );
  }
  for (const k of known)
    if (k.seen === 0)
      problems.push(
        `${k.check} at ${k.file} is listed as known in ${shownConfig} but no longer found: remove it`,
      );
  const checks = result.globalChecks + result.atomicChecks;
  if (problems.length > 0) {
    process.stderr.write(
      `electronegativity ${electronVersion ? `(Electron ${electronVersion}) ` : ''}found ${problems.length} problem(s) with ${checks} checks:\n` +
        problems.map((p) => `  ${p}`).join('\n') +
        '\n',
    );
    process.exitCode = 1;
  } else {
    process.stdout.write(
      `electronegativity: ${checks} checks over ${config.input.join(', ')}: no findings beyond ${known.length} known (${known.map((k) => k.check).join(', ') || 'none'})\n`,
    );
  }
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
