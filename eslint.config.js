// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Generated from the contract (tools/contract-types.mjs).
  {
    ignores: [
      'node_modules/',
      'build/',
      'dist/',
      '.cache/',
      'extension/build/',
      'service/contract/switcher1.ts',
      'extension/src/client/switcher1.ts',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.strict,
  {
    // Build tools run on Node.
    files: ['tools/**/*.mjs', 'test/**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
  {
    // Evaluated inside GNOME Shell, where GJS provides these.
    files: ['bench/shell-measure.js', 'bench/shell-load.js'],
    languageOptions: {
      globals: { imports: 'readonly', global: 'readonly', Main: 'readonly', TextDecoder: 'readonly' },
    },
  },
  {
    // Run by gjs inside the Shell's root (test/e2e/atspi.ts starts it).
    files: ['test/e2e/atspi-query.js'],
    languageOptions: { globals: { imports: 'readonly', print: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
);
