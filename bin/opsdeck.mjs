#!/usr/bin/env node
// Thin launcher: the CLI is built into out/main by `npm run build` (npm start builds first).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../out/main/cli.js');
if (!existsSync(cli)) {
  process.stderr.write('opsdeck: not built yet. Run "npm run build" (or "npm start", which builds first).\n');
  process.exit(1);
}
const { main } = await import(pathToFileURL(cli).href);
process.exitCode = await main(process.argv.slice(2));
