// Before any test: every Debian package the project lists is installed. A
// missing one is named here, once, instead of failing deep inside a test.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const LIST = resolve(import.meta.dirname, '../../tools/debian-packages.txt');

/** The packages of tools/debian-packages.txt that dpkg does not have installed. */
export function missingDebianPackages(): string[] {
  const wanted = readFileSync(LIST, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const query = spawnSync('dpkg-query', ['-W', '-f', '${Package} ${Status}\n', ...wanted], { encoding: 'utf8' });
  const installed = new Set(
    query.stdout
      .split('\n')
      .filter((line) => line.endsWith(' install ok installed'))
      .map((line) => line.split(' ')[0]),
  );
  return wanted.filter((name) => !installed.has(name));
}

export default function preflight(): void {
  const missing = missingDebianPackages();
  if (missing.length > 0) {
    throw new Error(
      `missing Debian packages: ${missing.join(' ')} (tools/setup.sh installs them; the list is tools/debian-packages.txt)`,
    );
  }
}
