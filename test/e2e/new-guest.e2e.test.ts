// "New Guest…" in a real GNOME Shell 48: the menu item opens the New Guest
// window (its own GTK 4 process), a person types the path of a prepared
// installer ISO and presses Enter, the window shows the OS libosinfo
// recognises on it, Enter again creates the guest through the service on a
// real libvirtd (software emulation, OVMF, swtpm), and the guest is in the
// menu; Switch To then starts it and shows its installer.
// Run by test/shell/run-e2e.sh inside test/shell/run-shell.sh.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GUEST } from '../support/dbus-client.js';
import { installerIso, WINDOWS_11_LABEL } from '../support/installer-iso.js';
import { highlightedRows, readPng } from '../support/png.js';
import { ROOT, ServiceStack } from '../support/stack.js';
import { ARTIFACTS } from '../support/artifacts.js';
import { waitOnGuest } from '../support/wait.js';
import { domainCpuSeconds, libvirtDomainPath } from '../support/libvirt.js';
import { QEMU } from '../support/guest-files.js';
import { createInputDevices, pressChord, typeText } from './input.js';
import { clickItem, INDICATOR } from './menu.js';
import { ShellDriver, viewerInShellArgs } from './shell.js';

const GUEST_NAME = 'Windows-11';

interface WindowView {
  title: string;
  pid: number;
  focused: boolean;
}

let stack: ServiceStack;
let shell: ShellDriver;
let iso: string;

const WINDOWS = `global.get_window_actors().map((a) => a.get_meta_window()).map((w) => ({ title: w.get_title() ?? '', pid: w.get_pid(), focused: global.display.focus_window === w }))`;
const windows = (): Promise<WindowView[]> => shell.eval<WindowView[]>(WINDOWS);
const waitForWindow = (check: (w: WindowView) => boolean, timeoutMs = 30_000): Promise<WindowView[]> =>
  shell.waitFor<WindowView[]>(WINDOWS, (list) => list.some(check), timeoutMs);
const menuGuests = (): Promise<string[]> => shell.eval<string[]>(`${INDICATOR}.describe().guests.map((g) => g.name)`);

beforeAll(async () => {
  const address = process.env.DBUS_SESSION_BUS_ADDRESS;
  if (!address || !process.env.SHELL_TEST_STATE) throw new Error('run through test/shell/run-e2e.sh');
  iso = installerIso('win11-shaped', WINDOWS_11_LABEL);
  stack = await ServiceStack.start({ busAddress: address, realLibvirtd: true, withService: false });
  shell = new ShellDriver(stack.client);
  await stack.startService('qemu:///session', [
    ...viewerInShellArgs(stack.libvirtdNamespacePid as number, ROOT),
    '--virt-type',
    'qemu',
  ]);
  await stack.client.watch();
  await createInputDevices(shell);
  await shell.waitFor<string | undefined>(
    `${INDICATOR}.describe().status`,
    (s) => s === undefined || /no guests/i.test(s),
  );
}, 180_000);

afterAll(async () => {
  await shell
    ?.eval(
      `(() => { for (const w of global.get_window_actors().map((a) => a.get_meta_window())) if ((w.get_title() ?? '').startsWith('New Guest')) w.delete(global.get_current_time()); return true; })()`,
    )
    .catch(() => undefined);
  await stack?.stop();
});

it('opens the New Guest window from the menu, in a process of its own', async () => {
  const opened = await shell.eval<boolean>(`(() => {
    const item = ${INDICATOR}.menu._getMenuItems().find((i) => i.label?.text === 'New Guest…');
    if (!item?.visible) return false;
    item.activate(null);
    return true;
  })()`);
  expect(opened).toBe(true);
  const list = await waitForWindow((w) => w.title === 'New Guest' && w.focused);
  const window = list.find((w) => w.title === 'New Guest') as WindowView;
  expect(window.pid).not.toBe(await shell.eval<number>('imports.gi.Gio.Credentials.new().get_unix_pid()'));
});

it('shows the OS on the ISO a person types in, then creates the guest, which appears in the menu', async () => {
  await typeText(shell, iso);
  await pressChord(shell, ['Return']);
  // The window names the OS libosinfo recognised on the ISO in its title.
  await waitForWindow((w) => w.title === 'New Guest: Microsoft Windows 11' && w.focused);
  await shell.screenshot(join(ARTIFACTS, 'new-guest-window.png'));
  // The name (proposed from the OS) has the focus: Enter creates.
  await pressChord(shell, ['Return']);
  await shell.waitFor<string[]>(
    `${INDICATOR}.describe().guests.map((g) => g.name)`,
    (names) => names.includes(GUEST_NAME),
    60_000,
  );
  expect(await menuGuests()).toContain(GUEST_NAME);
  // Created, the window closes.
  await shell.waitFor<WindowView[]>(WINDOWS, (list) => !list.some((w) => w.title.startsWith('New Guest')), 10_000);
  const path = await stack.client.guestByName(GUEST_NAME);
  expect(await stack.client.properties(path)).toMatchObject({
    State: 'shutoff',
    OsId: 'http://microsoft.com/win/11',
    MemoryMiB: 4096n,
  });
}, 120_000);

it('Switch To starts the new guest and shows its installer', async () => {
  const path = await stack.client.guestByName(GUEST_NAME);
  const clicked = await clickItem(shell, GUEST_NAME, 'Switch To');
  expect(clicked).toBe(true);
  await stack.client.waitForProperty(path, 'State', 'running', 60_000);
  const pid = await stack.client.waitForPropertyThat<number>(path, 'ViewerPid', (p) => p > 0, { timeoutMs: 30_000 });
  expect(pid).toBeGreaterThan(0);
  await waitForWindow((w) => w.pid === pid);
  // The viewer fills the first monitor; under emulation the firmware takes some seconds to reach
  // the installer's menu, which then shows in the Shell's own screenshot (GRUB's highlighted entry).
  const shot = join(ARTIFACTS, 'new-guest-switched-to.png');
  const monitorWidth = await shell.eval<number>('global.display.get_monitor_geometry(0).width');
  const domain = await libvirtDomainPath(stack, GUEST_NAME, QEMU);
  const rows = await waitOnGuest(
    async () => {
      await shell.screenshot(shot);
      const highlighted = highlightedRows(readPng(readFileSync(shot)), 0, monitorWidth);
      return highlighted.length > 0 ? highlighted : undefined;
    },
    {
      what: "the installer's menu on the guest's screen",
      cpuSeconds: () => domainCpuSeconds(stack, domain),
      pollMs: 2_000,
    },
  );
  expect(rows).not.toEqual([]);
  expect((await windows()).some((w) => w.pid === pid)).toBe(true);
  await stack.client.service(path, GUEST, 'ForceOff', '', [], 30_000);
}, 360_000);
