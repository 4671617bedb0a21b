import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Debian packages first; then a temporary folder of the run's own, left with nothing of ours in it.
    globalSetup: ['test/support/preflight.ts', 'test/support/temp-dir-check.ts'],
    include: ['test/**/*.test.ts'],
    // test/e2e needs a running GNOME Shell: test/shell/run-e2e.sh runs it with vitest.e2e.config.ts.
    // test/harness tests our test harness, not the product: vitest.harness.config.ts runs it apart.
    exclude: ['test/e2e/**', 'test/harness/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file starts its own buses and daemons; two cores, so not too many at once.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
