// Multi-seat in a real GNOME Shell 48 whose session is on seat1 of two (fake
// logind), logged in as GNOME 45+ logs in: the Shell has neither XDG_SEAT nor
// XDG_SESSION_ID, and logind knows no session of its PID, only its user's
// display session. The host-wide service runs on the Shell's system bus, the
// only client of libvirt; the extension finds it there and learns its seat
// from it. The guest assigned to seat1 is started and shown full-screen as
// the session begins, by a remote-viewer of the session on the display socket
// the service hands out; the switcher offers only seat1's guests and those of
// no seat, never seat0's.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CallCounter } from '../../support/bus-monitor.js';
import { GUEST, MANAGER, MANAGER_PATH, SERVICE, TestClient } from '../../support/dbus-client.js';
import { libvirtCall, tinyQemuGuestXml } from '../../support/libvirt.js';
import type { TrackedProcess } from '../../support/processes.js';
import { SERVICE_EXECUTABLE, ServiceStack, shebangFlags } from '../../support/stack.js';
import { ARTIFACTS } from '../../support/artifacts.js';
import { createInputDevices, pressChord } from '../input.js';
import { MENU } from '../menu.js';
import { ShellDriver, UUID } from '../shell.js';

let stack: ServiceStack;
let shell: ShellDriver;
/** Our service's bus: the Shell's system bus. */
let system: TestClient;
let service: TrackedProcess;

/** The Shell's windows of remote-viewer, with the guest each shows (from its command line). */
const VIEWERS = `global.get_window_actors().map((a) => a.get_meta_window()).filter((w) => w.get_wm_class() === 'remote-viewer').map((w) => ({ pid: w.get_pid(), fullscreen: w.is_fullscreen(), focused: global.display.focus_window === w }))`;

function systemAddress(): string {
  const address = process.env.SHELL_TEST_SYSTEM_BUS_ADDRESS;
  if (!address) throw new Error('run through test/shell/run-e2e.sh');
  return address;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

beforeAll(async () => {
  const session = process.env.DBUS_SESSION_BUS_ADDRESS;
  const systemAddress = process.env.SHELL_TEST_SYSTEM_BUS_ADDRESS;
  const state = process.env.SHELL_TEST_STATE;
  if (!session || !systemAddress || !state) throw new Error('run through test/shell/run-e2e.sh');
  // libvirt-dbus on the real libvirtd, on the Shell's session bus; users never call it, our service does.
  stack = await ServiceStack.start({ busAddress: session, realLibvirtd: true, withService: false });
  shell = new ShellDriver(stack.client);
  // The guests and their seats exist before the service (and so the session's switcher) sees them.
  for (const xml of [
    tinyQemuGuestXml('alpha', { display: 'spice', seat: 'seat1' }),
    tinyQemuGuestXml('bravo', { display: 'spice', seat: 'seat0' }),
    tinyQemuGuestXml('charlie', { display: 'spice' }),
  ]) {
    await libvirtCall(stack, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainDefineXML', 's', [xml]);
  }
  await createInputDevices(shell);
  system = await TestClient.connect(systemAddress);
  // The display sockets in the run's state directory, at the same path inside the Shell's root.
  service = stack.group.start(
    'service (host-wide)',
    process.execPath,
    [
      ...shebangFlags(),
      SERVICE_EXECUTABLE,
      '--host-wide',
      '--connect',
      'qemu:///session',
      '--bus',
      systemAddress,
      '--system-bus',
      systemAddress,
      '--libvirt-bus',
      session,
      '--libvirt-socket',
      stack.libvirtdSocket,
      '--display-dir',
      join(state, 'display'),
    ],
    { env: { ...process.env, PHYLLOME_DEBUG: '1' } },
  );
  await system.waitForName(SERVICE, service);
  // A host where the host-wide service is installed has it activatable on the system bus when the
  // extension is enabled; here it came after: enable the extension again, as the next login would.
  await shell.setEnabled(false);
  await shell.waitFor<number>(`Main.extensionManager.lookup('${UUID}').state`, (s) => s === 2);
  await shell.setEnabled(true);
}, 120_000);

afterAll(async () => {
  // The session's viewers are the Shell's children, not the service's: closed here, by PID.
  const viewers = await shell.eval<{ pid: number }[]>(VIEWERS).catch(() => []);
  for (const { pid } of viewers) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Gone already.
    }
  }
  system?.disconnect();
  await stack?.stop();
});

it('runs in a session on seat1 of two, logged in as GNOME logs in: no XDG_SEAT, no XDG_SESSION_ID', async () => {
  expect(await shell.eval(`imports.gi.GLib.getenv('XDG_SEAT')`)).toBeNull();
  expect(await shell.eval(`imports.gi.GLib.getenv('XDG_SESSION_ID')`)).toBeNull();
  const [seats] = await system.call(SERVICE, MANAGER_PATH, MANAGER, 'ListSeats');
  expect(seats).toEqual(['/me/phyllo/Switcher1/seat/seat0', '/me/phyllo/Switcher1/seat/seat1']);
  // The service is the host-wide one, on the system bus; nothing of ours is on the session bus.
  expect(await system.property(MANAGER_PATH, MANAGER, 'Scope')).toBe('host');
  expect(await stack.client.hasOwner(SERVICE)).toBe(false);
});

it("starts seat1's guest and shows it in a viewer of the session, full-screen and focused, as the session begins", async () => {
  const alpha = await system
    .call(SERVICE, MANAGER_PATH, MANAGER, 'FindGuest', 's', ['alpha'])
    .then((r) => r[0] as string);
  const uuid = (await system.property(alpha, GUEST, 'Uuid')) as string;
  const window = await shell.waitFor<{ pid: number; fullscreen: boolean; focused: boolean }[]>(
    VIEWERS,
    (list) => list.some((w) => w.fullscreen && w.focused && cmdline(w.pid).includes(`${uuid}.sock`)),
    60_000,
  );
  const shown = window.find((w) => cmdline(w.pid).includes(uuid));
  // remote-viewer on alpha's display socket, in the Shell's session, with no libvirt URI of its own.
  expect(cmdline(shown?.pid ?? 0)).toMatch(
    new RegExp(`^remote-viewer --full-screen --title alpha spice\\+unix:///\\S+/0/${uuid}\\.sock`),
  );
  expect(await system.property(alpha, GUEST, 'State')).toBe('running');
  const bravo = await system
    .call(SERVICE, MANAGER_PATH, MANAGER, 'FindGuest', 's', ['bravo'])
    .then((r) => r[0] as string);
  expect(await system.property(bravo, GUEST, 'State')).toBe('shutoff');
  await shell.screenshot(join(ARTIFACTS, 'seat1-landed.png'));
});

it("offers only seat1's guests and those of no seat", async () => {
  const view = await shell.waitFor<{ guests: { name: string }[] }>(MENU, (v) => v.guests.length === 2);
  expect(view.guests.map((g) => g.name)).toEqual(['alpha', 'charlie']);
  // Place 2 among this seat's guests is charlie, not bravo.
  await pressChord(shell, ['Super_L', 'Alt_L', '2']);
  const find = (name: string): Promise<string> =>
    system.call(SERVICE, MANAGER_PATH, MANAGER, 'FindGuest', 's', [name]).then((r) => r[0] as string);
  const charlie = await find('charlie');
  await system.waitForProperty(charlie, 'State', 'running', 60_000);
  expect(await system.property(charlie, GUEST, 'State')).toBe('running');
  expect(await system.property(await find('bravo'), GUEST, 'State')).toBe('shutoff');
  // Its viewer, the session's, goes with it when it stops.
  const charlieUuid = (await system.property(charlie, GUEST, 'Uuid')) as string;
  const showsCharlie = (list: { pid: number }[]): boolean => list.some((w) => cmdline(w.pid).includes(charlieUuid));
  await shell.waitFor(VIEWERS, showsCharlie, 30_000);
  // libvirt gives QEMU 10 s to end on SIGTERM before SIGKILL: a loaded machine may need them.
  await system.call(SERVICE, charlie, GUEST, 'ForceOff', '', [], 30_000);
  await shell.waitFor(VIEWERS, (list: { pid: number }[]) => !showsCharlie(list), 10_000);
});

it('does not land again when the screen is locked and unlocked: a guest the user shut down stays off', async () => {
  const alpha = await system.waitForGuest('alpha');
  await system.call(SERVICE, alpha, GUEST, 'ForceOff', '', [], 30_000);
  await system.waitForProperty(alpha, 'State', 'shutoff', 10_000);
  // Its viewer closes with it; the focus is measured once it has.
  const alphaUuid = (await system.property(alpha, GUEST, 'Uuid')) as string;
  await shell.waitFor(VIEWERS, (list: { pid: number }[]) => !list.some((w) => cmdline(w.pid).includes(alphaUuid)));
  await shell.waitForStill();
  const focus = 'global.display.focus_window?.get_pid() ?? 0';
  const focusedBefore = await shell.eval<number>(focus);
  // Landing is the extension's OpenDisplay of the seat's guest (which starts it): counted by the bus itself.
  const calls = await CallCounter.startForAll(stack.group, systemAddress(), SERVICE);
  // What the Shell's own screen lock does to the session mode; our extension is disabled and enabled again.
  await shell.eval(`Main.sessionMode.pushMode('unlock-dialog'); true`);
  await shell.waitFor<number>(`Main.extensionManager.lookup('switcher@phyllo.me').state`, (s) => s !== 1);
  await shell.eval(`Main.sessionMode.popMode('unlock-dialog'); true`);
  await shell.waitFor<number>(`Main.extensionManager.lookup('switcher@phyllo.me').state`, (s) => s === 1);
  // The menu shows the seat's guests: the enabled extension had them and the seats, and chose not to land.
  await shell.waitFor<{ guests: unknown[] }>(MENU, (v) => v.guests.length === 2);
  await calls.caughtUp(system);
  expect(calls.count('OpenDisplay')).toBe(0);
  expect(await system.property(alpha, GUEST, 'State')).toBe('shutoff');
  expect(await shell.eval<number>(focus)).toBe(focusedBefore);
});

it('wrote no JS error or warning of ours to the Shell log', () => {
  expect(shell.extensionProblems()).toEqual([]);
});
