// The checkout's root, whether this runs from test/ or from build/test/ (the bench).

import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

function projectRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(resolve(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

export const ROOT = projectRoot();
