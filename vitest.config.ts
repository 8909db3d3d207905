import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration and e2e tests start real processes and DuckDB files: keep them off each other's toes on 2 cores.
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
