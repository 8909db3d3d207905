// test/helpers/ingest-child.ts bundled for node (beside the build, so its imports resolve), for
// tests that kill a real engine process with SIGKILL.
import path from 'node:path';
import { build } from 'vite';
import { root } from './cli';

export async function bundleIngestChild(): Promise<string> {
  const outDir = path.join(root, 'out', 'test');
  await build({
    configFile: false,
    logLevel: 'silent',
    root,
    build: {
      ssr: path.join(root, 'test/helpers/ingest-child.ts'),
      outDir,
      emptyOutDir: false,
      target: 'node20',
      rolldownOptions: { output: { format: 'es', entryFileNames: 'ingest-child.mjs' } },
    },
  });
  return path.join(outDir, 'ingest-child.mjs');
}
