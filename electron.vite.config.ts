import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

// One build for everything: the Electron main side (main process, the engine's utility process,
// the CLI and the benchmarks share the engine code), the preload script, and the renderer.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      target: 'node20',
      // The benchmark drives Chromium through playwright-core; load it from node_modules, never bundle it.
      externalizeDeps: { include: ['playwright-core'] },
      rolldownOptions: {
        input: {
          index: resolve('electron/main/index.ts'),
          'engine-process': resolve('electron/engine/host/utility-process.ts'),
          cli: resolve('electron/cli/main.ts'),
          bench: resolve('bench/main.ts'),
          // An import's first pass reads a large file in worker threads (engine/import/scan.ts).
          'scan-worker': resolve('electron/engine/import/scan-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload must be one CommonJS file.
      externalizeDeps: false,
      isolatedEntries: true,
      rolldownOptions: {
        input: { index: resolve('electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    plugins: [react()],
    build: {
      outDir: 'out/renderer',
      minify: true,
      rolldownOptions: { input: { index: resolve('renderer/index.html') } },
    },
  },
});
