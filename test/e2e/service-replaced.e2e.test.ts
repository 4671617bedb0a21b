// The menu after the service is replaced on the bus, as systemd replaces a
// service that failed (Restart=on-failure): the old one dies, a new one takes
// the name. Fifty times, with the menu open and closed, and each time the
// guests changed in libvirt while no service watched: the menu must then be
// the new service's list, no more and no less. And the extension disabled
// and enabled while the service comes and goes: nothing of it may run after
// its disable (the Shell's log holds no critical and no JS error).
// Run by test/shell/run-e2e.sh inside test/shell/run-shell.sh.

import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallCounter } from '../support/bus-monitor.js';
import { defineTestGuest, libvirtCall, libvirtDomainPath } from '../support/libvirt.js';
import { ServiceStack } from '../support/stack.js';
import { INDICATOR } from './menu.js';
import { ShellDriver } from './shell.js';
import { waitFor } from '../support/wait.js';

let stack: ServiceStack;
let shell: ShellDriver;

interface Listed {
  name: string;
  state: string;
}

/** The menu's guests and its rows, read in one Eval. */
const MENU_NOW = `(() => {
  const d = ${INDICATOR}?.describe();
  return d ? { guests: d.guests.map((g) => ({ name: g.name, state: g.state })), rows: d.rows, open: ${INDICATOR}.menu.isOpen } : null;
})()`;
type MenuNow = { guests: Listed[]; rows: number; open: boolean } | null;

const byName = (a: Listed, b: Listed): number => a.name.localeCompare(b.name);

/** What the service lists now: every guest's name and state. */
async function serviceList(): Promise<Listed[]> {
  const paths = await stack.client.listGuests();
  const guests = await Promise.all(paths.map((path) => stack.client.properties(path)));
  return guests.map((g) => ({ name: g.Name as string, state: g.State as string })).sort(byName);
}

/** The same guests, in the same states, and (open) a row for each. */
function sameAsService(menu: MenuNow, expected: Listed[]): boolean {
  if (!menu) return false;
  const shown = [...menu.guests].sort(byName);
  return JSON.stringify(shown) === JSON.stringify(expected) && (!menu.open || menu.rows === expected.length);
}

/** The old service dies (as on a failure), a new one takes the name. */
async function replaceService(): Promise<void> {
  await stack.service?.stop('SIGKILL');
  await stack.startService();
}

/** Something about the guests changes in libvirt while no service is there to see it. */
let extra = 0;
async function changeGuestsBehindTheService(round: number): Promise<void> {
  const test = await libvirtDomainPath(stack, 'test');
  switch (round % 4) {
    case 0:
      await defineTestGuest(stack, `extra-${++extra}`);
      break;
    case 1:
      await libvirtCall(stack, test, 'org.libvirt.Domain', 'Suspend');
      break;
    case 2:
      await libvirtCall(stack, test, 'org.libvirt.Domain', 'Resume');
      break;
    default: {
      const gone = await libvirtDomainPath(stack, `extra-${extra}`);
      await libvirtCall(stack, gone, 'org.libvirt.Domain', 'Undefine', 'u', [0]);
    }
  }
}

const BUS: [string, string, string] = ['org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus'];

/** Waits until `done` holds, looking every 20 ms until the deadline. */
async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  await waitFor(done, { what: 'the condition', timeoutMs });
}

/** The Shell log from `offset` on. */
function logSince(offset: number): string {
  return readFileSync(process.env.SHELL_TEST_LOG as string, 'utf8').slice(offset);
}

beforeAll(async () => {
  const address = process.env.DBUS_SESSION_BUS_ADDRESS;
  if (!address || !process.env.SHELL_TEST_LOG) throw new Error('run through test/shell/run-e2e.sh');
  stack = await ServiceStack.start({ busAddress: address });
  shell = new ShellDriver(stack.client);
  for (const name of ['alpha', 'bravo']) await defineTestGuest(stack, name);
  await shell.waitFor<MenuNow>(MENU_NOW, (menu) => (menu?.guests.length ?? 0) === 3, 15_000);
}, 60_000);

afterAll(async () => {
  await shell?.eval(`${INDICATOR}?.menu.close(false); true`).catch(() => undefined);
  await stack?.stop();
});

describe('the menu when the service is replaced on the bus', () => {
  it('follows the new service when the old one left while the extension was connecting to it', async () => {
    await shell.setEnabled(false);
    const service = stack.service as NonNullable<typeof stack.service>;
    const [owner] = (await stack.client.call(...BUS, 'GetNameOwner', 's', ['me.phyllo.Switcher1'])) as [string];
    // The service holds its name but answers nothing: the extension's first calls to it wait.
    process.kill(service.pid, 'SIGSTOP');
    const calls = await CallCounter.start(
      stack.group,
      stack.client,
      stack.bus.address,
      Number(process.env.SHELL_TEST_PID),
      owner,
    );
    try {
      await shell.setEnabled(true);
      await waitUntil(() => calls.count('GetManagedObjects') > 0, 10_000);
      // It dies before answering (as on a failure), and another takes its place.
      await service.stop('SIGKILL');
      await stack.startService();
      const expected = await serviceList();
      const menu = await shell
        .waitFor<MenuNow>(MENU_NOW, (now) => sameAsService(now, expected), 15_000)
        .catch(() => shell.eval<MenuNow>(MENU_NOW));
      expect(sameAsService(menu, expected), JSON.stringify({ menu, expected })).toBe(true);
    } finally {
      await calls.stop();
      await shell.setEnabled(true);
    }
  });

  it("is the new service's list after each of 50 replacements, the menu open and closed", async () => {
    for (let round = 0; round < 50; round++) {
      const open = round % 2 === 1;
      await shell.eval(`${INDICATOR}.menu.${open ? 'open' : 'close'}(false); true`);
      await stack.service?.stop('SIGKILL');
      await changeGuestsBehindTheService(round);
      await stack.startService();
      const expected = await serviceList();
      let menu: MenuNow;
      try {
        menu = await shell.waitFor<MenuNow>(MENU_NOW, (now) => sameAsService(now, expected), 10_000);
      } catch {
        menu = await shell.eval<MenuNow>(MENU_NOW);
      }
      expect(sameAsService(menu, expected), JSON.stringify({ round, open, menu, expected })).toBe(true);
    }
    await shell.eval(`${INDICATOR}.menu.close(false); true`);
  }, 600_000);

  it('leaves no critical or JS error in the Shell after 50 disable/enable cycles while the service is replaced', async () => {
    const from = statSync(process.env.SHELL_TEST_LOG as string).size;
    try {
      for (let round = 0; round < 50; round++) {
        // The service goes and comes back while the extension is disabled and enabled: callbacks of the
        // client in flight (a name owner appearing, a call answered) meet an extension that is gone.
        const replaced = replaceService();
        await shell.setEnabled(false);
        await shell.setEnabled(true);
        if (round % 2 === 0) {
          // As a person opens it: once its button is laid out. GNOME Shell 51 lays a new panel button out
          // at the next frame, and a menu opened before that is placed against a button with no
          // allocation (boxpointer.js checks that its source is mapped, not allocated): a NaN box, a
          // Clutter critical of the Shell's.
          await shell.waitFor<boolean>(`${INDICATOR}?.has_allocation() ?? false`, (laidOut) => laidOut);
          await shell.eval(`${INDICATOR}?.menu.open(false); true`);
          // And once it is drawn, as a person sees it before doing anything else: a menu destroyed in the
          // frame it opened in stays queued for Clutter's next layout, which then asks the destroyed
          // BoxPointer for its size (GNOME Shell 50: "BoxPointer … has been already disposed").
          await shell.waitFor<boolean>(`${INDICATOR}?.menu.actor.has_allocation() ?? true`, (laidOut) => laidOut);
        }
        await replaced;
        await shell.setEnabled(false);
        await shell.setEnabled(true);
      }
    } finally {
      await shell.setEnabled(true);
    }
    const expected = await serviceList();
    await shell.waitFor<MenuNow>(MENU_NOW, (menu) => sameAsService(menu, expected), 15_000);
    expect((await shell.extensionInfo()).state).toBe(1);
    const problems = logSince(from)
      .split('\n')
      .filter((line) => /-CRITICAL \*\*|JS ERROR|JS WARNING|already disposed/.test(line));
    expect(problems).toEqual([]);
  }, 600_000);
});
