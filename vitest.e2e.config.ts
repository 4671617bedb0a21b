import { defineConfig } from 'vitest/config';

// The end-to-end suite needs a running GNOME Shell: test/shell/run-e2e.sh starts one and runs this.
export default defineConfig({
  test: {
    // Debian packages first; then a temporary folder of the run's own, left with nothing of ours in it.
    globalSetup: ['test/support/preflight.ts', 'test/support/temp-dir-check.ts'],
    include: ['test/e2e/**/*.e2e.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
