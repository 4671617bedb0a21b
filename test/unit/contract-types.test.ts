// The TypeScript types of both sides are generated from the contract; they
// must be what the contract says now.

import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

it('has the generated contract types of both sides up to date', () => {
  const tool = resolve(import.meta.dirname, '../../tools/contract-types.mjs');
  const result = spawnSync(process.execPath, [tool, '--check'], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
});
