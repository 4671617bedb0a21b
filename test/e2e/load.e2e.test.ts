// A thousand guests in the real GNOME Shell 48 (libvirt's test driver):
// enabling never stalls the Shell's main loop long, the menu stays within
// the screen and scrolls, the launcher and shortcuts stay usable, and ten
// enable/disable cycles give back the memory and every actor. The bounds
// are generous for a loaded two-core machine; `npm run bench -- shell-load`
// prints the figures themselves.

import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ServiceStack } from '../support/stack.js';
import { createInputDevices, pressChord } from './input.js';
import { defineGuests, LoadProbe } from './load.js';
import { INDICATOR } from './menu.js';
import { ShellDriver } from './shell.js';

const GUESTS = 1000; // 999 of ours and the test driver's own 'test'
const MB = 1024 * 1024;

let stack: ServiceStack;
let shell: ShellDriver;
let probe: LoadProbe;
let logStart = 0;

beforeAll(async () => {
  const address = process.env.DBUS_SESSION_BUS_ADDRESS;
  const log = process.env.SHELL_TEST_LOG;
  if (!address || !log) throw new Error('run through test/shell/run-e2e.sh');
  logStart = statSync(log).size;
  stack = await ServiceStack.start({ busAddress: address, withService: false });
  shell = new ShellDriver(stack.client);
  probe = new LoadProbe(shell);
  await probe.install();
  await createInputDevices(shell);
  await defineGuests(stack, GUESTS - 1);
  await probe.disable();
  await stack.startService();
}, 180_000);

afterAll(async () => {
  await shell?.setEnabled(true);
  await shell?.stopSpying().catch(() => undefined);
  await stack?.stop();
});

it('enables with a thousand guests without a long stall of the Shell', async () => {
  const figures = await probe.enable(GUESTS);
  console.log(
    `load: enable -> ${GUESTS} listed in ${figures.ms.toFixed(0)} ms, longest stall ${figures.stall.toFixed(1)} ms`,
  );
  expect(figures.ms).toBeLessThan(10_000);
  // Before: one stall of 5.5 to 6.2 s. Our work goes in small idle steps.
  expect(figures.stall).toBeLessThan(250);
});

it('opens a menu that stays within the screen and scrolls, its rows made as it scrolls', async () => {
  const figures = await probe.openMenu(GUESTS);
  console.log(
    `load: menu open ${figures.ms.toFixed(1)} ms, stall ${figures.stall.toFixed(1)} ms, height ${figures.menuHeight}/${figures.monitorHeight}`,
  );
  expect(figures.menuHeight).toBeLessThanOrEqual(figures.monitorHeight);
  expect(figures.stall).toBeLessThan(250);
  const first = await shell.eval<number>(`${INDICATOR}.rowCount`);
  expect(first).toBeGreaterThan(0);
  expect(first).toBeLessThan(100);
  const scrolled = await probe.scrollToEnd(5);
  console.log(`load: scrolled to the end 5 times: ${scrolled.rows} rows, stall ${scrolled.stall.toFixed(1)} ms`);
  expect(scrolled.rows).toBeGreaterThan(first);
  expect(scrolled.stall).toBeLessThan(250);
  await probe.closeMenu();
  // The scrolled list is what is taller than the screen, not the menu.
  const log = readFileSync(process.env.SHELL_TEST_LOG as string, 'utf8').slice(logStart);
  expect(log).not.toMatch(/invalid value \(typically too big\)|Failed to create offscreen effect framebuffer/);
});

it('keeps the launcher usable: its tiles come in small steps, and typing finds a guest', async () => {
  await shell.eval(`Main.extensionManager.lookup('switcher@phyllo.me').stateObj; true`);
  await pressChord(shell, ['Super_L', 'Alt_L', 'space']);
  const tiles = await shell.waitFor<number>(
    `Main.uiGroup.get_children().find((c) => c.has_style_class_name?.('phyllome-launcher')) ? 1 : 0`,
    (open) => open === 1,
  );
  expect(tiles).toBe(1);
  // Laid out in rows, no tile over another (the boxes of the first screenful, once allocated).
  type Box = { x: number; y: number; w: number; h: number };
  const boxes = await shell.waitFor<Box[]>(
    `(() => { const tiles = []; const walk = (a) => { if (a.has_style_class_name?.('phyllome-launcher-tile')) tiles.push(a); for (const c of a.get_children()) walk(c); }; walk(Main.uiGroup); return tiles.slice(0, 12).map((t) => { const [x, y] = t.get_transformed_position(); const [w, h] = t.get_transformed_size(); return { x, y, w, h }; }); })()`,
    (list) => list.length === 12 && list.every((b) => b.w > 0 && b.h > 0),
  );
  const overlapping = boxes.flatMap((a, i) =>
    boxes
      .slice(i + 1)
      .filter((b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h)
      .map((b) => `${JSON.stringify(a)} over ${JSON.stringify(b)}`),
  );
  expect(overlapping).toEqual([]);
  expect(new Set(boxes.map((b) => b.y)).size).toBeGreaterThan(1);
  await pressChord(shell, ['0']);
  await pressChord(shell, ['9']);
  await pressChord(shell, ['9']);
  await pressChord(shell, ['8']);
  const shown = await shell.waitFor<string[]>(
    `(() => { const l = Main.uiGroup.get_children().find((c) => c.has_style_class_name?.('phyllome-launcher')); const names = []; const walk = (a) => { if (a.has_style_class_name?.('phyllome-launcher-name')) names.push(a.text); for (const c of a.get_children()) walk(c); }; if (l) walk(l); return names; })()`,
    (names) => names.length === 1,
  );
  expect(shown).toEqual(['load-0998']);
  await pressChord(shell, ['Escape']);
  await pressChord(shell, ['Escape']);
});

it('keeps the shortcuts usable: Super+Alt+1 means the first guest by name', async () => {
  await shell.spyOnSwitcher('switchTo', 'arg.name');
  await pressChord(shell, ['Super_L', 'Alt_L', '1']);
  expect(await shell.waitFor<string[]>('globalThis.__phySpy ?? []', (l) => l.length > 0)).toEqual(['load-0000']);
  await shell.stopSpying();
});

it('gives back its memory and every actor after ten enable/disable cycles', async () => {
  await probe.disable();
  // Five rounds first: the Shell's own caches (glyphs, textures, styles, malloc's arenas) fill
  // over the first cycles, then stay (measured here: +54 MB RSS over the first five, then +0-11 MB).
  await probe.cycles(5, GUESTS);
  const before = await probe.rest();
  await probe.cycles(10, GUESTS);
  const after = await probe.rest();
  console.log(
    `load: heap ${(before.heap / MB).toFixed(1)} -> ${(after.heap / MB).toFixed(1)} MB, RSS ${(before.rss / MB).toFixed(1)} -> ${(after.rss / MB).toFixed(1)} MB, actors ${before.actors} -> ${after.actors}`,
  );
  const differences = Object.keys({ ...before.census, ...after.census })
    .filter((key) => before.census[key] !== after.census[key])
    .map((key) => `${key}: ${before.census[key] ?? 0} -> ${after.census[key] ?? 0}`);
  expect(differences).toEqual([]);
  expect(after.actors).toBe(before.actors);
  // Before: the heap grew by tens of MB a cycle, the RSS by about 40 MB a cycle.
  expect(after.heap - before.heap).toBeLessThan(4 * MB);
  // RSS is noisier (malloc keeps freed memory; other test files' windows came and went in this
  // Shell; GNOME Shell 50 grew 55 MB over the ten here once): the heap and the actors above are
  // the exact measures; this bounds the rest at a quarter of what the leak it guards against took
  // (10 MB a cycle, against about 40).
  expect(after.rss - before.rss).toBeLessThan(10 * 10 * MB);
  await probe.enable(GUESTS);
});
