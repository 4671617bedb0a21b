// The service's folders are floors: each module uses only its own folder and
// the floors below it (../shared/STYLE.md), so there are no import cycles
// between folders and the typed errors live on the ground floor.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';

const SERVICE = resolve(import.meta.dirname, '../../service');

/** Lowest first. A top-level file is its own floor, named by its file. */
const FLOORS = [
  ['clock.ts', 'errors.ts', 'log.ts', 'owned-process.ts', 'readable.ts'],
  ['xml'],
  ['dbus'],
  ['guest-files'],
  ['contract'],
  ['libvirt'],
  ['guests'],
  ['viewers'],
  ['usb'],
  ['seats'],
  ['access'],
  ['copy'],
  ['jobs'],
  ['create'],
  ['bundle'],
  ['transfer'],
  ['display'],
  ['sharing'],
  ['stats'],
  ['api'],
  ['worker'],
  ['helper'],
  ['daemon.ts'],
  ['cli.ts', 'main.ts'],
];

function floorOf(file: string): number {
  const [top] = relative(SERVICE, file).split('/') as [string];
  const floor = FLOORS.findIndex((names) => names.includes(top));
  if (floor < 0) throw new Error(`${relative(SERVICE, file)} is on no floor: add its folder to FLOORS`);
  return floor;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sources(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

it('has every module import only its own folder and the floors below', () => {
  const wrong: string[] = [];
  for (const file of sources(SERVICE)) {
    const text = readFileSync(file, 'utf8');
    for (const [, spec] of text.matchAll(/^(?:import|export)[^;]*?from '(\.[^']+)'/gms)) {
      const target = resolve(dirname(file), (spec as string).replace(/\.js$/, '.ts'));
      if (floorOf(target) > floorOf(file)) {
        wrong.push(`${relative(SERVICE, file)} imports ${relative(SERVICE, target)}`);
      }
    }
  }
  expect(wrong).toEqual([]);
});
