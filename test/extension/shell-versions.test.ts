// metadata.json claims exactly the GNOME Shells the e2e suite runs in: the
// table test/shell/shells.txt, whose every row CI runs (test/run-all.sh).
// A version is added to both once the whole suite has passed in it.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

it('claims exactly the Shells of test/shell/shells.txt', () => {
  const table = readFileSync(resolve(ROOT, 'test/shell/shells.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
    .map((line) => line.trim().split(/\s+/));
  const metadata = JSON.parse(readFileSync(resolve(ROOT, 'extension/metadata.json'), 'utf8')) as {
    'shell-version': string[];
  };
  expect(metadata['shell-version']).toEqual(table.map(([shell]) => shell));
  // One suite per Shell, and a Debian suite name for each.
  expect(new Set(table.map(([, suite]) => suite)).size).toBe(table.length);
  for (const [shell, suite] of table) {
    expect(shell).toMatch(/^[1-9][0-9]$/);
    expect(suite).toMatch(/^[a-z]+$/);
  }
});
