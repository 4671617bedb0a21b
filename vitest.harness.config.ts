import { defineConfig } from 'vitest/config';
import product from './vitest.config.js';

// The tests of our test harness (test/harness: the fake logind and polkit, the
// USB lab, the Shell roots, the Shell log's reader), run and counted apart
// from the product's, with the product suite's preflight, temporary-folder
// check and limits: `npx vitest run --config vitest.harness.config.ts`.
export default defineConfig({
  test: { ...product.test, include: ['test/harness/**/*.test.ts'], exclude: ['node_modules/**'] },
});
