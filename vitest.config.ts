import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file starts its own buses and daemons; two cores, so not too many at once.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
