// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'build/', 'dist/', '.cache/', 'extension/build/'] },
  eslint.configs.recommended,
  ...tseslint.configs.strict,
  {
    // Build tools run on Node.
    files: ['tools/**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
  {
    // Evaluated inside GNOME Shell, where GJS provides these.
    files: ['bench/shell-measure.js'],
    languageOptions: { globals: { imports: 'readonly', global: 'readonly', Main: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
);
