// Multi-seat in a real GNOME Shell 48 whose session is on seat1 of two (fake
// logind): the guest assigned to seat1 is started and shown full-screen as
// the session begins, and this session's switcher offers only the guests its
// seat may use - seat1's and those of no seat, never seat0's.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT, ServiceStack } from '../../support/stack.js';
import { GUEST } from '../../support/dbus-client.js';
import { libvirtCall, tinyQemuGuestXml } from '../../support/libvirt.js';
import { createInputDevices, pressChord } from '../input.js';
import { ShellDriver, viewerInShellArgs } from '../shell.js';

import { MENU } from '../menu.js';
const withSeat = (name: string, seat: string): string =>
  tinyQemuGuestXml(name, { display: true }).replace(
    '<vcpu>',
    `<metadata><phyllome:switcher xmlns:phyllome="https://phyllo.me/xmlns/switcher/1"><phyllome:seat id="${seat}"/></phyllome:switcher></metadata><vcpu>`,
  );

let stack: ServiceStack;
let shell: ShellDriver;

beforeAll(async () => {
  const address = process.env.DBUS_SESSION_BUS_ADDRESS;
  const system = process.env.SHELL_TEST_SYSTEM_BUS_ADDRESS;
  if (!address || !system) throw new Error('run through test/shell/run-e2e.sh');
  stack = await ServiceStack.start({ busAddress: address, realLibvirtd: true, withService: false });
  shell = new ShellDriver(stack.client);
  // The guests and their seats exist before the service (and so the session's switcher) sees them.
  for (const xml of [
    withSeat('alpha', 'seat1'),
    withSeat('bravo', 'seat0'),
    tinyQemuGuestXml('charlie', { display: true }),
  ]) {
    await libvirtCall(stack, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainDefineXML', 's', [xml]);
  }
  await createInputDevices(shell);
  await stack.startService('qemu:///session', [
    ...viewerInShellArgs(stack.libvirtdNamespacePid as number, ROOT),
    '--system-bus',
    system,
  ]);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

it('runs in a session on seat1, one of two seats', async () => {
  expect(await shell.eval(`imports.gi.GLib.getenv('XDG_SEAT')`)).toBe('seat1');
  const [seats] = await stack.client.service('/me/phyllo/Switcher1', 'me.phyllo.Switcher1.Manager', 'ListSeats');
  expect(seats).toEqual(['/me/phyllo/Switcher1/seat/seat0', '/me/phyllo/Switcher1/seat/seat1']);
});

it("starts seat1's guest and shows it full-screen, focused, as the session begins", async () => {
  const alpha = await stack.client.waitForGuest('alpha');
  await stack.client.waitForProperty(alpha, 'State', 'running', 60_000);
  let pid = 0;
  for (let i = 0; i < 300 && pid === 0; i++) {
    pid = (await stack.client.property(alpha, GUEST, 'ViewerPid')) as number;
    if (pid === 0) await new Promise((r) => setTimeout(r, 100));
  }
  const window = await shell.waitFor<{ fullscreen: boolean; focused: boolean } | null>(
    `(() => { const w = global.get_window_actors().map((a) => a.get_meta_window()).find((w) => w.get_pid() === ${pid}); return w ? { fullscreen: w.is_fullscreen(), focused: global.display.focus_window === w } : null; })()`,
    (w) => w?.fullscreen === true && w.focused,
    30_000,
  );
  expect(window).toEqual({ fullscreen: true, focused: true });
  expect(await stack.client.property(await stack.client.waitForGuest('bravo'), GUEST, 'State')).toBe('shutoff');
});

it("offers only seat1's guests and those of no seat", async () => {
  const view = await shell.waitFor<{ guests: { name: string }[] }>(MENU, (v) => v.guests.length === 2);
  expect(view.guests.map((g) => g.name)).toEqual(['alpha', 'charlie']);
  // Place 2 among this seat's guests is charlie, not bravo.
  await pressChord(shell, ['Super_L', 'Alt_L', '2']);
  const charlie = await stack.client.waitForGuest('charlie');
  await stack.client.waitForProperty(charlie, 'State', 'running', 60_000);
  expect(await stack.client.property(await stack.client.waitForGuest('bravo'), GUEST, 'State')).toBe('shutoff');
});

it('does not land again when the screen is locked and unlocked: a guest the user shut down stays off', async () => {
  const alpha = await stack.client.waitForGuest('alpha');
  await stack.client.service(alpha, GUEST, 'ForceOff');
  await stack.client.waitForProperty(alpha, 'State', 'shutoff', 10_000);
  const focus = 'global.display.focus_window?.get_pid() ?? 0';
  const focusedBefore = await shell.eval<number>(focus);
  // What the Shell's own screen lock does to the session mode; our extension is disabled and enabled again.
  await shell.eval(`Main.sessionMode.pushMode('unlock-dialog'); true`);
  await shell.waitFor<number>(`Main.extensionManager.lookup('switcher@phyllo.me').state`, (s) => s !== 1);
  await shell.eval(`Main.sessionMode.popMode('unlock-dialog'); true`);
  await shell.waitFor<number>(`Main.extensionManager.lookup('switcher@phyllo.me').state`, (s) => s === 1);
  await shell.waitFor<{ guests: unknown[] }>(MENU, (v) => v.guests.length === 2);
  await new Promise((r) => setTimeout(r, 3_000));
  expect(await stack.client.property(alpha, GUEST, 'State')).toBe('shutoff');
  expect(await shell.eval<number>(focus)).toBe(focusedBefore);
});

it('wrote no JS error or warning of ours to the Shell log', () => {
  expect(shell.extensionProblems()).toEqual([]);
});
