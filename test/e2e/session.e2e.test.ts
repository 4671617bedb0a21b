// The extension in a session's real conditions, in the real GNOME Shell 48
// (libvirt's test driver): guests that appear and vanish at once never leave
// a ghost or a duplicate in the menu; what the Shell lends us (its shortcut
// dialog's method) is given back on disable.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { ServiceStack } from '../support/stack.js';
import { libvirtCall } from '../support/libvirt.js';
import { INDICATOR, MENU, menuAtRest, type MenuView } from './menu.js';
import { ShellDriver } from './shell.js';

let stack: ServiceStack;
let shell: ShellDriver;

beforeAll(async () => {
  const address = process.env.DBUS_SESSION_BUS_ADDRESS;
  if (!address || !process.env.SHELL_TEST_LOG) throw new Error('run through test/shell/run-e2e.sh');
  stack = await ServiceStack.start({ busAddress: address, withService: false });
  shell = new ShellDriver(stack.client);
  await stack.startService();
  await stack.client.watch();
  await shell.waitFor<MenuView>(MENU, (v) => v.guests.length === 1);
}, 60_000);

afterAll(async () => {
  await shell?.eval(`${INDICATOR}?.menu.close(false); true`).catch(() => undefined);
  await stack?.stop();
});

it("shows exactly the service's guests at rest after transient guests come and go at once, 20 times", async () => {
  // With the menu open, so that rows are made and taken away too.
  await shell.eval(`${INDICATOR}.menu.open(false); true`);
  for (let i = 0; i < 20; i++) {
    const from = stack.client.signals.length;
    const xml = `<domain type='test'><name>churn-${i}</name><memory unit='MiB'>16</memory><vcpu>1</vcpu><os><type arch='i686'>hvm</type></os></domain>`;
    const [path] = await libvirtCall(stack, '/org/libvirt/Test', 'org.libvirt.Connect', 'DomainCreateXML', 'su', [
      xml,
      0,
    ]);
    // As soon as our service announces it, it goes.
    await stack.client.waitForSignal((s) => s.member === 'GuestAdded', 5_000, from);
    await libvirtCall(stack, path as string, 'org.libvirt.Domain', 'Destroy', 'u', [0]);
  }
  // The last Destroy has returned; the service learns of it from libvirt's event, and the menu from the
  // service: once a marker guest defined after it has come and gone, both have handled every churn.
  const view = await menuAtRest(shell, stack);
  const expected: string[] = [];
  for (const path of await stack.client.listGuests()) {
    expected.push((await stack.client.property(path, 'me.phyllo.Switcher1.Guest', 'Name')) as string);
  }
  expect(expected).toEqual(['test']);
  expect(view.guests.map((g) => g.name)).toEqual(expected);
  // The rows are the guests', one each.
  expect(await shell.eval<number>(`${INDICATOR}.rowCount`)).toBe(expected.length);
  await shell.eval(`${INDICATOR}.menu.close(false); true`);
});

it("gives the Shell's shortcut dialog back its own method when disabled", async () => {
  await shell.eval(
    `(() => { import('resource:///org/gnome/shell/ui/inhibitShortcutsDialog.js').then((m) => { globalThis.__phyInhibit = m; }); return true; })()`,
  );
  await shell.waitFor<boolean>('globalThis.__phyInhibit !== undefined', (v) => v);
  const method = 'globalThis.__phyInhibit.InhibitShortcutsDialog.prototype._buildLayout';
  await shell.setEnabled(false);
  await shell.waitFor<boolean>(`${INDICATOR} === undefined`, (v) => v);
  await shell.eval(`globalThis.__phyOriginal = ${method}; true`);
  try {
    await shell.setEnabled(true);
    await shell.waitFor<boolean>(`${INDICATOR} !== undefined`, (v) => v);
    expect(await shell.eval<boolean>(`${method} === globalThis.__phyOriginal`)).toBe(false);
    await shell.setEnabled(false);
    await shell.waitFor<boolean>(`${INDICATOR} === undefined`, (v) => v);
    expect(await shell.eval<boolean>(`${method} === globalThis.__phyOriginal`)).toBe(true);
  } finally {
    await shell.setEnabled(true);
    await shell.eval('delete globalThis.__phyOriginal; delete globalThis.__phyInhibit; true');
  }
  await shell.waitFor<MenuView>(MENU, (v) => v.guests.length === 1);
});
