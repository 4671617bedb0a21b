// Everyday things in a real GNOME Shell 48, on real QEMU guests (libvirtd
// sandbox) and our service: live figures in the menu and on the launcher's
// tiles only while they are open (the service's libvirt calls counted by the
// bus), the overview's search, "Start with the Host" as libvirt's own flag,
// and a notification when a guest's QEMU process is killed behind our back.
// Run by test/shell/run-e2e.sh inside test/shell/run-shell.sh.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CallCounter } from '../support/bus-monitor.js';
import { GUEST } from '../support/dbus-client.js';
import {
  libvirtAutostart as libvirtAutostartOf,
  libvirtCall,
  libvirtState,
  tinyQemuGuestXml,
  warmUpDomainStats,
} from '../support/libvirt.js';
import { type ServiceStack } from '../support/stack.js';
import { ARTIFACTS } from '../support/artifacts.js';
import { createInputDevices, pressChord, typeText } from './input.js';
import { clickItem, INDICATOR } from './menu.js';
import { realGuestsInShell, type ShellDriver } from './shell.js';
import { waitFor } from '../support/wait.js';

const QEMU = '/org/libvirt/QEMU';
const FIGURES = /^Running · \d+(\.\d)?% CPU · \d+ MiB$/;

let stack: ServiceStack;
let shell: ShellDriver;
let libvirtCalls: CallCounter;
const paths: Record<string, string> = {};

/** The service's readings of statistics the bus has routed so far (the monitor caught up first). */
async function readingsSoFar(): Promise<number> {
  await libvirtCalls.caughtUp(stack.client);
  return libvirtCalls.count('GetAllDomainStats');
}

/** What a guest's row in the menu says after its name (its state, and its figures when known). */
const rowDetails = (name: string): Promise<string | null> =>
  shell.eval<string | null>(
    `(() => { const a = ${INDICATOR}.rowFor(${JSON.stringify(name)})?.accessible_name; return a ? a.slice(${name.length + 2}) : null; })()`,
  );

const LAUNCHER = `Main.uiGroup.get_children().find((c) => c.has_style_class_name?.('phyllome-launcher'))`;
/** The launcher's tiles: name and details line. */
const TILES = `(() => {
  const launcher = ${LAUNCHER};
  if (!launcher) return null;
  const tiles = [];
  const walk = (a) => {
    if (a.has_style_class_name?.('phyllome-launcher-tile')) {
      const [, name, details] = a.get_child().get_children();
      tiles.push({ name: name.text, details: details.text });
    }
    for (const c of a.get_children()) walk(c);
  };
  walk(launcher);
  return tiles;
})()`;

const NOTIFICATIONS = `Main.messageTray.getSources().flatMap((s) => s.notifications.map((n) => ({ title: n.title, body: n.body, actions: n.actions.map((a) => a.label) })))`;

/** Our provider's results in the overview's search: the names shown and each result's state icon. */
const SEARCH_RESULTS = `(() => {
  const provider = Main.overview.searchController._searchResults._providers.find((p) => p.id === 'phyllome-switcher');
  if (!provider?.display?.visible) return [];
  const grid = provider.display._grid;
  return grid.get_children().filter((r) => r.visible).map((r) => ({
    name: r.icon.label.text,
    state: r.icon.icon?.get_children?.()[1]?.icon_name ?? null,
  }));
})()`;

const libvirtAutostart = (name: string): Promise<boolean> => libvirtAutostartOf(stack, name, QEMU);

beforeAll(async () => {
  ({ stack, shell } = await realGuestsInShell());
  for (const [name, running] of [
    ['delta', true],
    ['echo-lab', false],
    ['foxtrot', true],
  ] as const) {
    const [path] = await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [
      tinyQemuGuestXml(name, { display: true }),
    ]);
    if (running) await libvirtCall(stack, path as string, 'org.libvirt.Domain', 'Create', 'u', [0]);
    paths[name] = await stack.client.waitForGuest(name);
  }
  await warmUpDomainStats(stack);
  await createInputDevices(shell);
  await shell.waitFor<number>(
    `${INDICATOR}.describe().guests.filter((g) => g.state === 'running').length`,
    (n) => n === 2,
  );
  libvirtCalls = await CallCounter.start(
    stack.group,
    stack.client,
    stack.bus.address,
    stack.service?.pid as number,
    'org.libvirt',
  );
}, 180_000);

afterAll(async () => {
  await shell
    ?.eval(`(() => { ${INDICATOR}?.menu.close(false); Main.overview.hide(); return true; })()`)
    .catch(() => undefined);
  await stack?.stop();
});

it('shows live figures beside the state while the menu is open, and they change', async () => {
  await shell.eval(`${INDICATOR}.menu.open(false); true`);
  const seen = new Set<string>();
  const calls = libvirtCalls.count();
  // The row follows delta's figures, which the service announces about once a second.
  await waitFor(
    async () => {
      const details = await rowDetails('delta');
      if (details && FIGURES.test(details)) seen.add(details);
      return seen.size >= 2;
    },
    { what: () => `two figures in delta's row (saw ${[...seen].join(' | ')})`, timeoutMs: 15_000, pollMs: 200 },
  );
  expect([...seen].length, [...seen].join(' | ')).toBeGreaterThanOrEqual(2);
  expect(await rowDetails('foxtrot')).toMatch(FIGURES);
  // The guest that is off has a state and nothing else.
  expect(await rowDetails('echo-lab')).toBe('Off');
  expect(libvirtCalls.count()).toBeGreaterThan(calls);
  await shell.screenshot(join(ARTIFACTS, 'everyday-menu-figures.png'));
});

it('reads nothing from libvirt once the menu is closed, and the figures go', async () => {
  await shell.eval(`${INDICATOR}.menu.close(false); true`);
  // The figures going back to unknown is the service saying it stopped reading.
  await stack.client.waitForProperty(paths.delta as string, 'CpuPercent', -1);
  const stopped = await readingsSoFar();
  expect(await stack.client.property(paths.delta as string, GUEST, 'MemoryUsedMiB')).toBe(0n);
  // The row follows: the state alone.
  await waitFor(async () => (await rowDetails('delta')) === 'Running', {
    what: "delta's row to show its state alone",
    pollMs: 100,
  });
  // No timer runs once nobody watches (test/unit/stats-sampler.test.ts moves its clock on to show it).
  expect(await readingsSoFar()).toBe(stopped);
});

it("shows figures on the launcher's tiles while it is open, and reads nothing once it is closed", async () => {
  await pressChord(shell, ['Super_L', 'Alt_L', 'space']);
  const tiles = await shell.waitFor<{ name: string; details: string }[] | null>(
    TILES,
    (t) => (t ?? []).some((tile) => tile.name === 'delta' && /% CPU · \d+ MiB/.test(tile.details)),
    15_000,
  );
  expect(tiles?.find((t) => t.name === 'echo-lab')?.details).toBe('Off');
  await shell.screenshot(join(ARTIFACTS, 'everyday-launcher-figures.png'));
  await pressChord(shell, ['Escape']);
  await shell.waitFor<boolean>(`${LAUNCHER} === undefined`, (closed) => closed);
  await stack.client.waitForProperty(paths.delta as string, 'CpuPercent', -1);
  const stopped = await readingsSoFar();
  expect(await stack.client.property(paths.delta as string, GUEST, 'MemoryUsedMiB')).toBe(0n);
  expect(await readingsSoFar()).toBe(stopped);
});

it('sets "Start with the Host" from the menu as libvirt’s own autostart flag, and shows it', async () => {
  const checked = `(() => {
    const indicator = ${INDICATOR};
    indicator.menu.open(false);
    const row = indicator.rowFor('delta');
    row.setSubmenuShown(true);
    const item = row.menu._getMenuItems().flatMap((s) => s._getMenuItems()).find((i) => i.label?.text === 'Start with the Host');
    const icon = item ? item._ornamentIcon.icon_name || 'none' : null;
    indicator.menu.close(false);
    return icon;
  })()`;
  expect(await libvirtAutostart('delta')).toBe(false);
  expect(await shell.eval(checked)).toBe('none');
  expect(await clickItem(shell, 'delta', 'Start with the Host')).toBe(true);
  await stack.client.waitForProperty(paths.delta as string, 'Autostart', true);
  expect(await libvirtAutostart('delta')).toBe(true);
  expect(await shell.waitFor<string | null>(checked, (icon) => icon === 'ornament-check-symbolic')).toBe(
    'ornament-check-symbolic',
  );
  expect(await clickItem(shell, 'delta', 'Start with the Host')).toBe(true);
  await stack.client.waitForProperty(paths.delta as string, 'Autostart', false);
  expect(await libvirtAutostart('delta')).toBe(false);
});

it('says so when a guest is killed behind our back, and Start Again starts it', async () => {
  await shell.eval('Main.messageTray.getSources().forEach((s) => s.destroy()); true');
  const pidFile = `/proc/${stack.libvirtdNamespacePid}/root/run/libvirt/qemu/foxtrot.pid`;
  process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
  const [notification] = await shell.waitFor<{ title: string; body: string; actions: string[] }[]>(
    NOTIFICATIONS,
    (list) => list.some((n) => n.title.startsWith('foxtrot')),
    20_000,
  );
  expect(notification).toEqual({
    title: 'foxtrot was stopped by the host',
    body: 'Its virtual machine ended unexpectedly, for example because the host ran out of memory.',
    actions: ['Start Again'],
  });
  await stack.client.waitForProperty(paths.foxtrot as string, 'State', 'crashed');
  await shell.screenshot(join(ARTIFACTS, 'everyday-crash-notification.png'));
  await shell.eval(`(() => {
    for (const s of Main.messageTray.getSources())
      for (const n of s.notifications)
        if (n.title.startsWith('foxtrot')) n.actions.find((a) => a.label === 'Start Again').activate();
    return true;
  })()`);
  await stack.client.waitForProperty(paths.foxtrot as string, 'State', 'running', 30_000);
  expect(await libvirtState(stack, 'foxtrot', QEMU)).toBe(1);
});

it("finds a guest in the overview's search by part of its name, and switches to it, starting it", async () => {
  await shell.eval('Main.overview.show(); true');
  await shell.waitFor<boolean>('Main.overview.visible', (v) => v);
  await typeText(shell, 'cho-l');
  const results = await shell.waitFor<{ name: string; state: string | null }[]>(
    SEARCH_RESULTS,
    (r) => r.length > 0,
    10_000,
  );
  // Its state is the menu's own icon for it: off.
  expect(results).toEqual([{ name: 'echo-lab', state: 'system-shutdown-symbolic' }]);
  await shell.screenshot(join(ARTIFACTS, 'everyday-search.png'));
  // Enter activates the first result, ours.
  await pressChord(shell, ['Return']);
  await shell.waitFor<boolean>('Main.overview.visible', (v) => !v);
  await stack.client.waitForProperty(paths['echo-lab'] as string, 'State', 'running', 30_000);
  expect(await libvirtState(stack, 'echo-lab', QEMU)).toBe(1);
  // Switched to: its viewer's window is shown and focused.
  const viewer = async (): Promise<number> =>
    (await stack.client.property(paths['echo-lab'] as string, GUEST, 'ViewerPid')) as number;
  const pid = await stack.client.waitForPropertyThat<number>(paths['echo-lab'] as string, 'ViewerPid', (p) => p > 0, {
    timeoutMs: 30_000,
  });
  expect(await viewer()).toBe(pid);
  await shell.waitFor<boolean>(`global.display.focus_window?.get_pid() === ${pid}`, (focused) => focused, 30_000);
});

it('wrote no JS error or warning of ours to the Shell log', () => {
  expect(shell.extensionProblems()).toEqual([]);
});
