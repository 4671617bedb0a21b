// A guest's display in a real GNOME Shell 48 with two monitors, on real QEMU
// guests (libvirtd sandbox) shown by real virt-viewers inside the Shell's
// root: heads and resolution set from the guest's submenu into libvirt's own
// definition; a guest with two heads shown full-screen with one head on each
// monitor, all coming up when switched to and hidden when another guest
// takes one of their monitors, following a monitor that goes and comes
// back; a UEFI guest at a resolution larger than the monitor shown scaled to
// fit it; a change while it runs said to wait for its next start; the 3D
// switch saying why it is off here; and the preferences' Displays page,
// driven from the keyboard, each key's effect awaited as accessibility
// (AT-SPI, ./atspi.ts) tells it.
// Run by test/shell/run-e2e.sh inside test/shell/run-shell.sh.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GUEST } from '../support/dbus-client.js';
import { libvirtCall, libvirtDomainPath, tinyQemuGuestXml } from '../support/libvirt.js';
import { ROOT, type ServiceStack } from '../support/stack.js';
import { createInputDevices, pressChord } from './input.js';
import { INDICATOR } from './menu.js';
import { realGuestsInShell, type ShellDriver } from './shell.js';
import { waitFor } from '../support/wait.js';
import { Accessibility, pages, type ComboRowView } from './atspi.js';

const ARTIFACTS = join(ROOT, '.cache/artifacts');
const QEMU = '/org/libvirt/QEMU';
const PREFS_TITLE = 'Phyllome Switcher';
/** What AT-SPI calls a guest's row on the Displays page (libadwaita's expander row). */
const EXPANDER_ROLE = 'list item';

/** A UEFI guest with a bochs display: OVMF draws at the resolution its EDID prefers. */
const WIDE_XML = `<domain type='qemu'>
  <name>wide</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <graphics type='spice'><listen type='none'/></graphics>
    <video><model type='bochs' primary='yes'/></video>
  </devices>
</domain>`;

interface WindowView {
  title: string;
  monitor: number;
  fullscreen: boolean;
  minimized: boolean;
  focused: boolean;
  width: number;
  height: number;
}

let stack: ServiceStack;
let shell: ShellDriver;
const paths: Record<string, string> = {};
let prefsPid = 0;
let a11y: Accessibility | undefined;

const property = (name: string, property: string): Promise<unknown> =>
  stack.client.property(paths[name] as string, GUEST, property);
const viewerPid = async (name: string): Promise<number> => (await property(name, 'ViewerPid')) as number;

/** Every window of a guest's viewer, head by head as their titles say. */
async function viewerWindows(name: string): Promise<WindowView[]> {
  const pid = await viewerPid(name);
  if (pid === 0) return [];
  return shell.eval<WindowView[]>(`(() => global.get_window_actors().map((a) => a.get_meta_window())
    .filter((w) => w.get_pid() === ${pid})
    .map((w) => { const r = w.get_frame_rect(); return { title: w.get_title(), monitor: w.get_monitor(), fullscreen: w.is_fullscreen(),
      minimized: w.minimized, focused: global.display.focus_window === w, width: r.width, height: r.height }; })
    .sort((a, b) => a.title < b.title ? -1 : 1))()`);
}

async function waitForWindows(
  name: string,
  check: (windows: WindowView[]) => boolean,
  timeoutMs = 30_000,
): Promise<WindowView[]> {
  let last: WindowView[] = [];
  return waitFor(
    async () => {
      last = await viewerWindows(name);
      return check(last) ? last : undefined;
    },
    { what: () => `${name}'s viewer windows (they are ${JSON.stringify(last)})`, timeoutMs, pollMs: 100 },
  );
}

/** The texts of a guest's open submenu, its display section filled (it comes a moment after opening). */
async function openSubmenu(guest: string, waitFor = 'Display'): Promise<void> {
  // Opened again on each look: a monitor change the test before made can still close the menu meanwhile.
  await shell.waitFor<boolean>(
    `(() => {
      const i = ${INDICATOR};
      if (!i.menu.isOpen) i.menu.open(false);
      const row = i.rowFor(${JSON.stringify(guest)});
      if (!row.menu.isOpen) row.setSubmenuShown(true);
      return row.menu._getMenuItems().flatMap((s) => s._getMenuItems()).some((i) => i.label?.text === ${JSON.stringify(waitFor)});
    })()`,
    (found) => found,
    // The first DescribeDisplay after libvirtd started has it probe QEMU.
    30_000,
  );
}

/** The titles and bodies of the notifications on screen (a refusal would be one). */
const notifications = (): Promise<string[]> =>
  shell.eval<string[]>(
    'Main.messageTray.getSources().flatMap((s) => s.notifications.map((n) => `${n.title}: ${n.body}`))',
  );

const closeMenu = (): Promise<unknown> => shell.eval(`${INDICATOR}.menu.close(false); true`);

interface ItemView {
  label: string;
  checked: boolean;
  sensitive: boolean;
  state?: boolean;
}

/** The open submenu's items, section by section. */
function items(guest: string): Promise<ItemView[][]> {
  return shell.eval<
    ItemView[][]
  >(`${INDICATOR}.rowFor(${JSON.stringify(guest)}).menu._getMenuItems().map((s) => s._getMenuItems().map((i) => ({
    label: i.label?.text ?? '', checked: i._ornamentIcon?.icon_name === 'ornament-check-symbolic', sensitive: i.reactive,
    ...(typeof i.state === 'boolean' ? { state: i.state } : {}) })))`);
}

/** The section whose separator says `title`. */
async function section(guest: string, title: string): Promise<ItemView[]> {
  const all = await items(guest);
  return all.find((s) => s[0]?.label === title) ?? [];
}

/** Clicks an item of the open submenu: in the section titled `within`, the first whose text `label` matches. */
async function click(guest: string, within: string, label: string | RegExp): Promise<void> {
  const pattern = typeof label === 'string' ? `^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` : label.source;
  const clicked = await shell.eval<boolean>(`(() => {
    const sections = ${INDICATOR}.rowFor(${JSON.stringify(guest)}).menu._getMenuItems().map((s) => s._getMenuItems());
    const items = sections.find((s) => s[0]?.label?.text === ${JSON.stringify(within)}) ?? [];
    const item = items.slice(1).find((i) => new RegExp(${JSON.stringify(pattern)}).test(i.label?.text ?? ''));
    if (!item) return false;
    item.activate(null);
    return true;
  })()`);
  expect(clicked, `${within} › ${String(label)}`).toBe(true);
}

/** The definition libvirt starts the guest with next. */
async function definition(name: string): Promise<string> {
  const domain = await libvirtDomainPath(stack, name, QEMU);
  const [xml] = await libvirtCall(stack, domain, 'org.libvirt.Domain', 'GetXMLDesc', 'u', [2]);
  return xml as string;
}

/** The size of a head's framebuffer as the guest draws it (libvirt's screenshot, in the sandbox). */
function framebuffer(name: string, screen = 0): [number, number] {
  const dir = mkdtempSync(join(tmpdir(), 'phyllome-shot-'));
  try {
    const file = join(dir, 'shot.png');
    const run = spawnSync(
      'nsenter',
      ['--mount', '--target', String(stack.libvirtdNamespacePid), '--', 'virsh', '-c', 'qemu:///system'].concat([
        'screenshot',
        name,
        file,
        '--screen',
        String(screen),
      ]),
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (run.status !== 0) throw new Error(`virsh screenshot: ${run.stdout}${run.stderr}`);
    const png = readFileSync(file);
    return [png.readUInt32BE(16), png.readUInt32BE(20)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Mutter's current monitors, and a temporary configuration with or without one of them. */
async function applyMonitors(without?: string): Promise<void> {
  const dc = [
    'org.gnome.Mutter.DisplayConfig',
    '/org/gnome/Mutter/DisplayConfig',
    'org.gnome.Mutter.DisplayConfig',
  ] as const;
  const [serial, monitors] = (await stack.client.call(...dc, 'GetCurrentState')) as [
    number,
    [[string, string, string, string], [string, number, number, number, number, number[], Record<string, unknown>][]][],
  ];
  const logical = monitors
    .filter(([[connector]]) => connector !== without)
    .map(([[connector], modes], i) => {
      const mode = modes.find((m) => (m[6] as Record<string, { value?: boolean }>)['is-current']?.value) ?? modes[0];
      return [i * (mode?.[1] ?? 1280), 0, 1, 0, i === 0, [[connector, mode?.[0] ?? '', {}]]];
    });
  await stack.client.call(...dc, 'ApplyMonitorsConfig', 'uua(iiduba(ssa{sv}))a{sv}', [serial, 1, logical, {}]);
}

beforeAll(async () => {
  ({ stack, shell } = await realGuestsInShell());
  for (const xml of [
    tinyQemuGuestXml('duo', { display: 'spice' }),
    tinyQemuGuestXml('solo', { display: 'spice' }),
    WIDE_XML,
  ])
    await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [xml]);
  for (const name of ['duo', 'solo', 'wide']) paths[name] = await stack.client.waitForGuest(name);
  await stack.client.service(paths.solo as string, GUEST, 'SetMonitor', 's', ['Meta-0']);
  await stack.client.service(paths.wide as string, GUEST, 'SetMonitor', 's', ['Meta-1']);
  await createInputDevices(shell);
  a11y = Accessibility.start();
  await shell.waitFor<number>(`${INDICATOR}.describe().guests.length`, (n) => n === 3);
}, 120_000);

afterAll(async () => {
  if (prefsPid > 0) {
    await shell
      ?.eval(
        `global.get_window_actors().map((a) => a.get_meta_window()).filter((w) => w.get_pid() === ${prefsPid}).forEach((w) => w.delete(global.display.get_current_time_roundtrip())); true`,
      )
      .catch(() => undefined);
  }
  await a11y?.stop();
  await stack?.stop();
});

it("offers a guest's display in its submenu: following the window, sizes up to 5120 × 2880, 1 to 4 screens, 3D", async () => {
  await openSubmenu('duo');
  try {
    const display = await section('duo', 'Display');
    expect(display.map((i) => i.label)).toEqual([
      'Display',
      'Follow the Window',
      '1920 × 1080',
      '2560 × 1440',
      '3840 × 2160',
      '5120 × 2880',
      '1 Screen',
      '2 Screens',
      '3 Screens',
      '4 Screens',
      '3D Acceleration',
      expect.stringMatching(/no GPU render node/),
    ]);
    expect(display.filter((i) => i.checked).map((i) => i.label)).toEqual(['Follow the Window', '1 Screen']);
    // This host has no render node: the switch is off and insensitive, and the line under it says why.
    expect(display.find((i) => i.label === '3D Acceleration')).toMatchObject({ state: false, sensitive: false });
    await shell.screenshot(join(ARTIFACTS, 'displays-menu.png'));
  } finally {
    await closeMenu();
  }
});

it("sets two screens of 5120 × 2880 from the submenu, in libvirt's own definition", async () => {
  await openSubmenu('duo');
  await click('duo', 'Display', '2 Screens');
  await closeMenu();
  await stack.client.waitForProperty(paths.duo as string, 'Heads', 2);
  await openSubmenu('duo');
  await click('duo', 'Display', '5120 × 2880');
  await closeMenu();
  await stack.client.waitForPropertyThat<number[]>(paths.duo as string, 'Resolution', (r) => r[0] === 5120);
  expect(await property('duo', 'Resolution')).toEqual([5120, 2880]);
  expect(await definition('duo')).toMatch(
    /<model type='virtio' heads='2' primary='yes'>\s*<resolution x='5120' y='2880'\/>/,
  );
});

it('gives each head its monitor from the submenu, kept in the guest’s metadata', async () => {
  await openSubmenu('duo', 'Screen 2 On');
  try {
    expect((await section('duo', 'Screen 1 On')).map((i) => i.label)).toEqual([
      'Screen 1 On',
      'Where the Pointer Is',
      expect.stringMatching(/\(Meta-0\)$/),
      expect.stringMatching(/\(Meta-1\)$/),
    ]);
    await click('duo', 'Screen 1 On', /\(Meta-0\)$/);
  } finally {
    await closeMenu();
  }
  await stack.client.waitForProperty(paths.duo as string, 'Monitor', 'Meta-0');
  await openSubmenu('duo', 'Screen 2 On');
  await click('duo', 'Screen 2 On', /\(Meta-1\)$/);
  await closeMenu();
  await stack.client.waitForPropertyThat<string[]>(paths.duo as string, 'Monitors', (m) => m.length >= 2);
  expect(await property('duo', 'Monitors')).toEqual(['Meta-0', 'Meta-1']);
});

it('shows the guest with one full-screen viewer window per monitor, head 1 focused', async () => {
  await openSubmenu('duo', 'Switch To');
  await shell.eval(
    `${INDICATOR}.rowFor('duo').menu._getMenuItems().flatMap((s) => s._getMenuItems()).find((i) => i.label?.text === 'Switch To').activate(null); true`,
  );
  await closeMenu();
  const windows = await waitForWindows(
    'duo',
    (list) =>
      list.length === 2 &&
      list.every((w) => w.fullscreen) &&
      list.map((w) => w.monitor).join() === '0,1' &&
      list[0]?.focused === true,
    45_000,
  );
  expect(windows.map((w) => w.title)).toEqual([
    expect.stringMatching(/^duo \(1\)/),
    expect.stringMatching(/^duo \(2\)/),
  ]);
  // The viewer keeps the fixed resolution: it does not resize the guest to its windows.
  const pid = await viewerPid('duo');
  expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('--auto-resize=never');
  await shell.screenshot(join(ARTIFACTS, 'displays-two-heads.png'));
}, 90_000);

it('hides both heads when another guest takes one of their monitors, and brings both back', async () => {
  await pressChord(shell, ['Super_L', 'Alt_L', '2']); // solo, second by name, on Meta-0
  await waitForWindows('solo', (list) => list.length === 1 && list[0]?.monitor === 0 && list[0].focused, 60_000);
  await waitForWindows('duo', (list) => list.length === 2 && list.every((w) => w.minimized));
  await shell.screenshot(join(ARTIFACTS, 'displays-switched-away.png'));
  await pressChord(shell, ['Super_L', 'Alt_L', '1']); // duo
  await waitForWindows(
    'duo',
    (list) =>
      list.length === 2 &&
      list.every((w) => !w.minimized && w.fullscreen) &&
      list.map((w) => w.monitor).join() === '0,1' &&
      list[0]?.focused === true,
  );
});

it('follows a monitor that goes and comes back: each head back on its own', async () => {
  await applyMonitors('Meta-1');
  try {
    await shell.waitFor<number>('global.display.get_n_monitors()', (n) => n === 1);
    await waitForWindows('duo', (list) => list.length === 2 && list.every((w) => w.monitor === 0), 10_000);
  } finally {
    await applyMonitors();
  }
  await shell.waitFor<number>('global.display.get_n_monitors()', (n) => n === 2);
  await waitForWindows(
    'duo',
    (list) => list.map((w) => w.monitor).join() === '0,1' && list.every((w) => w.fullscreen),
    10_000,
  );
});

it('says that a change to a running guest waits for its next start', async () => {
  await openSubmenu('duo');
  await click('duo', 'Display', 'Follow the Window');
  await closeMenu();
  await stack.client.waitForPropertyThat<number[]>(paths.duo as string, 'Resolution', (r) => r[0] === 0, {
    timeoutMs: 10_000,
  });
  expect([await property('duo', 'Resolution'), await notifications()]).toEqual([[0, 0], []]);
  expect(Object.keys((await property('duo', 'RunningDisplay')) as Record<string, unknown>)).toEqual(['resolution']);
  await openSubmenu('duo', 'Changes take effect when it next starts');
  await closeMenu();
  // It still runs with its two heads at 5120 × 2880.
  expect(await viewerWindows('duo')).toHaveLength(2);
  await stack.client.service(paths.duo as string, GUEST, 'ForceOff', '', [], 30_000);
  await stack.client.waitForProperty(paths.duo as string, 'State', 'shutoff', 10_000);
});

it('shows a UEFI guest drawing at a resolution larger than its monitor, scaled to fit it', async () => {
  await openSubmenu('wide');
  try {
    // bochs takes one head: no screens to choose.
    expect((await section('wide', 'Display')).map((i) => i.label)).not.toContain('2 Screens');
    await click('wide', 'Display', '2560 × 1440');
  } finally {
    await closeMenu();
  }
  await stack.client.waitForPropertyThat<number[]>(paths.wide as string, 'Resolution', (r) => r[0] === 2560);
  await pressChord(shell, ['Super_L', 'Alt_L', '3']);
  const [window] = await waitForWindows(
    'wide',
    (list) => list[0]?.fullscreen === true && list[0].monitor === 1,
    60_000,
  );
  expect([window?.width, window?.height]).toEqual([1280, 800]);
  // OVMF sets the mode the guest's EDID prefers: its framebuffer is twice the monitor's size each way.
  // The guest's framebuffer announces nothing outside: read every second, up to the deadline.
  await waitFor(() => framebuffer('wide')[0] === 2560, {
    what: () => `wide's framebuffer 2560 wide (it is ${framebuffer('wide').join(' × ')})`,
    timeoutMs: 90_000,
    pollMs: 1_000,
  });
  expect(framebuffer('wide')).toEqual([2560, 1440]);
  await shell.screenshot(join(ARTIFACTS, 'displays-scaled.png'));
  await stack.client.service(paths.wide as string, GUEST, 'ForceOff', '', [], 30_000);
});

it("sets a guest's resolution from the preferences' Displays page", async () => {
  await shell.openPrefs();
  const list = await shell.waitFor<{ title: string; pid: number; focused: boolean }[]>(
    `global.get_window_actors().map((a) => a.get_meta_window()).map((w) => ({ title: w.get_title(), pid: w.get_pid(), focused: global.display.focus_window === w }))`,
    (windows) => windows.some((w) => w.title === PREFS_TITLE && w.focused),
  );
  prefsPid = list.find((w) => w.title === PREFS_TITLE)?.pid ?? 0;
  const prefs = a11y as Accessibility;
  const press = async (key: string, effect: () => Promise<unknown>): Promise<void> => {
    await pressChord(shell, [key]);
    await effect();
  };
  const focusOn = (role: string, name: string | RegExp) => (): Promise<unknown> =>
    prefs.waitForFocus(PREFS_TITLE, role, name);
  const resolution = (what: string, check: (row: ComboRowView) => boolean) => (): Promise<unknown> =>
    prefs.waitForComboRow(PREFS_TITLE, 'Resolution', what, check);
  // The focus is on the first row of the first page; the Displays page comes once the service answered.
  await focusOn('list item', 'Next Guest')();
  await prefs.waitFor(PREFS_TITLE, 'a Displays page', ({ tree }) => pages(tree).includes('Displays'));
  // The page switcher is one Shift+Tab back from the first row; Displays is the third page (one seat: no Seats).
  await press('ISO_Left_Tab', focusOn('page tab', 'Shortcuts'));
  await press('Right', focusOn('page tab', 'Guests'));
  await press('Right', focusOn('page tab', 'Displays'));
  await press('Return', () => prefs.waitForPage(PREFS_TITLE, 'Displays'));
  // Into the page: solo's row is the second (by name); open it: its rows come once the service described its display.
  await press('Tab', focusOn(EXPANDER_ROLE, /^duo/));
  await press('Down', focusOn(EXPANDER_ROLE, /^solo/));
  await press(
    'Return',
    resolution('shown', () => true),
  );
  await shell.screenshot(join(ARTIFACTS, 'prefs-displays.png'));
  // Its Resolution row, its choices: following the window, then 1920 × 1080, then 2560 × 1440.
  const openOn = (choice: string) => resolution(`open on ${choice}`, (r) => r.open && r.highlighted === choice);
  await press('Down', focusOn('combo box', 'Resolution'));
  await press('Return', openOn('Follow the Window'));
  await press('Down', openOn('1920 × 1080'));
  await press('Down', openOn('2560 × 1440'));
  await press(
    'Return',
    resolution('showing 2560 × 1440', (r) => !r.open && r.shows === '2560 × 1440'),
  );
  await stack.client.waitForPropertyThat<number[]>(paths.solo as string, 'Resolution', (r) => r[0] === 2560, {
    timeoutMs: 10_000,
  });
  expect(await property('solo', 'Resolution')).toEqual([2560, 1440]);
  await shell.screenshot(join(ARTIFACTS, 'prefs-displays-set.png'));
});

it('wrote no JS error or warning of ours to the Shell log', () => {
  expect(shell.extensionProblems()).toEqual([]);
});
