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

// --- The extension's floors (kept apart from the service's list above). ---

const EXTENSION = resolve(import.meta.dirname, '../../extension/src');

/**
 * The Shell's process, lowest first: the GI barrels, the client of the
 * service, the pure model, the Shell's windows, the flows, the widgets,
 * and extension.ts, which wires them.
 */
const EXTENSION_FLOORS = [
  ['gi-shared.ts', 'types'],
  ['gi.ts'],
  ['client'],
  ['model'],
  ['windows'],
  ['flows'],
  ['ui'],
  ['extension.ts'],
];
/** The other processes' own parts, and the barrel each has: apart from the Shell's and from each other. */
const PROCESSES: Record<string, string[]> = {
  prefs: ['prefs.ts', 'prefs', 'gi-prefs.ts'],
  'new-guest': ['new-guest', 'gi-app.ts'],
  'folder-chooser': ['folder-chooser', 'gi-app.ts'],
};
/** What every process shares: the client (on the barrel all of them have) and the pure model. */
const SHARED = ['gi-shared.ts', 'client', 'model'];

const topOf = (file: string): string => relative(EXTENSION, file).split('/')[0] as string;
const processOf = (top: string): string | undefined =>
  Object.keys(PROCESSES).find((name) => PROCESSES[name]?.includes(top));

function extensionFloorOf(top: string): number {
  const floor = EXTENSION_FLOORS.findIndex((names) => names.includes(top));
  if (floor < 0) throw new Error(`extension/src/${top} is on no floor: add it to EXTENSION_FLOORS or PROCESSES`);
  return floor;
}

/** Why `file` may not import `target` ('' when it may). */
function extensionWrong(file: string, target: string): string {
  const [from, to] = [topOf(file), topOf(target)];
  if (from === to) return '';
  const process = processOf(from);
  if (process) return [...SHARED, ...(PROCESSES[process] ?? [])].includes(to) ? '' : 'leaves its process';
  if (processOf(to)) return "reaches another process's part";
  // The client is every process's: it stands on the barrel they all have. The model is pure: no GI at all.
  if (from === 'client' && to !== 'gi-shared.ts') return 'is more than the shared GI';
  if (from === 'model' && extensionFloorOf(to) <= 1) return 'takes GI into the pure model';
  return extensionFloorOf(to) > extensionFloorOf(from) ? 'is on a higher floor' : '';
}

it('has every module of the extension import only its floor and those below, each process apart', () => {
  const wrong: string[] = [];
  for (const file of sources(EXTENSION)) {
    const text = readFileSync(file, 'utf8');
    for (const [, spec] of text.matchAll(/^(?:import|export)[^;]*?from '(\.[^']+)'/gms)) {
      const target = resolve(dirname(file), (spec as string).replace(/\.js$/, '.ts'));
      const why = extensionWrong(file, target);
      if (why) wrong.push(`${relative(EXTENSION, file)} imports ${relative(EXTENSION, target)}: ${why}`);
    }
  }
  expect(wrong).toEqual([]);
});

it("uses the Shell's String.prototype.format only in the Shell's own parts", () => {
  // GNOME Shell installs GJS's format in its process alone: the preferences, the GTK programs, and
  // the client and model they share, would throw on a translated sentence's .format().
  const filled = /['"`],?\s*\)\s*\.format\(/;
  const wrong = sources(EXTENSION)
    .filter((file) => {
      const top = topOf(file);
      return processOf(top) !== undefined || SHARED.includes(top);
    })
    .filter((file) => filled.test(readFileSync(file, 'utf8')))
    .map((file) => relative(EXTENSION, file));
  expect(wrong).toEqual([]);
});
