// Mutation testing of the pure logic (npm run mutation): how many deliberate
// faults in each module its unit tests catch. Only the pure modules whose
// answers decide what happens to a guest: states, the seats' rule, USB rules,
// the bundle format and the creation plan. Target: at least 80 % killed.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'service/guests/state.ts',
    'service/access/policy.ts',
    'service/usb/rules.ts',
    'service/bundle/manifest.ts',
    'service/create/plan.ts',
  ],
  coverageAnalysis: 'perTest',
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: '.cache/artifacts/mutation/index.html' },
  tempDirName: '.cache/stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 80, break: 80 },
  concurrency: 2,
};
