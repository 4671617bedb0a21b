import { defineConfig } from 'vitest/config';

// The unit tests of the pure modules that npm run mutation mutates: no daemons, no globalSetup.
export default defineConfig({
  test: {
    include: [
      'test/unit/state.test.ts',
      'test/unit/seat-policy.test.ts',
      'test/unit/usb.test.ts',
      'test/unit/transfer.test.ts',
      'test/unit/bundle-manifest.test.ts',
      'test/unit/create-plan.test.ts',
      'test/unit/rebuild-plan.test.ts',
    ],
  },
});
