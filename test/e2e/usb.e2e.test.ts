// USB in the real GNOME Shell 48: recorded devices replayed by umockdev, our
// service inside that world on the Shell's bus (libvirt's test driver). The
// guest's submenu lists what it can take, with its rule; a device its 'ask'
// rule matches brings a notification with Attach / Not Now.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { ServiceStack } from '../support/stack.js';
import { ARTIFACTS } from '../support/artifacts.js';
import { UsbLab } from '../support/usb-lab.js';
import { startServiceInLab, type LabService } from '../support/usb-service.js';
import { INDICATOR, submenu as submenuOf } from './menu.js';
import { ShellDriver } from './shell.js';
import { waitFor } from '../support/wait.js';

const USB = 'me.phyllo.Switcher1.UsbDevice';
const STICK = '/me/phyllo/Switcher1/usb/1_5';

let stack: ServiceStack;
let lab: UsbLab;
let service: LabService;
let shell: ShellDriver;
let test: string;

/** The texts of a guest's submenu items, section by section. */
const submenu = (guest: string): Promise<string[][]> => submenuOf(shell, guest);

beforeAll(async () => {
  const address = process.env.DBUS_SESSION_BUS_ADDRESS;
  if (!address || !process.env.SHELL_TEST_LOG) throw new Error('run through test/shell/run-e2e.sh');
  stack = await ServiceStack.start({ busAddress: address, withService: false });
  shell = new ShellDriver(stack.client);
  lab = await UsbLab.start({ group: stack.group });
  for (const name of ['xhci-root-hub', 'dell-kb216', 'logitech-mouse', 'cruzer-blade-a']) await lab.add(name);
  service = await startServiceInLab(stack, lab);
  test = await stack.client.waitForGuest('test');
  await shell.waitFor<number>(`${INDICATOR}.describe().guests.length`, (n) => n === 1);
}, 60_000);

/** A guest's submenu once `check` accepts it. */
async function waitForSubmenu(guest: string, check: (sections: string[][]) => boolean): Promise<string[][]> {
  let sections: string[][] = [];
  return waitFor(
    async () => {
      sections = await submenu(guest);
      return check(sections) ? sections : undefined;
    },
    { what: () => `submenu of ${guest} (it is ${JSON.stringify(sections)})`, timeoutMs: 10_000, pollMs: 100 },
  );
}

afterAll(async () => {
  await service?.stop();
  await lab?.stop();
  await stack?.stop();
});

it("lists in the running guest's submenu the host's devices it can take, and the rule of one it has a rule for", async () => {
  await stack.client.service(STICK, USB, 'SetRule', 'oss', [test, 'ask', 'device']);
  const sections = await waitForSubmenu('test', (s) => (s[1] ?? []).some((t) => t.includes('Ask When Plugged In')));
  expect(sections[1]).toEqual(
    [
      'USB',
      'Dell KB216 Wired Keyboard',
      'Logitech USB Optical Mouse',
      'SanDisk Cruzer Blade',
      'SanDisk Cruzer Blade: Ask When Plugged In',
    ].map((t, i) => (i === 0 ? (sections[1]?.[0] ?? t) : t)),
  );
  expect(await submenu('test')).toEqual(sections);
});

it("asks, in a notification with Attach and Not Now, when a device its 'ask' rule matches is plugged in", async () => {
  await shell.eval('Main.messageTray.getSources().forEach((s) => s.destroy()); true');
  await lab.remove('cruzer-blade-a');
  await lab.add('cruzer-blade-a');
  const notification = await shell.waitFor<{ title: string; body: string; actions: string[] } | null>(
    `(() => { for (const s of Main.messageTray.getSources()) for (const n of s.notifications) if (n.title.startsWith('Attach')) return { title: n.title, body: n.body, actions: n.actions.map((a) => a.label) }; return null; })()`,
    (n) => n !== null,
  );
  expect(notification).toEqual({
    title: 'Attach SanDisk Cruzer Blade to test?',
    body: 'It was just plugged in.',
    actions: ['Attach', 'Not Now'],
  });
  await shell.screenshot(join(ARTIFACTS, 'usb-ask.png'));
});

it('takes its notification away when disabled (a screen lock): no button of it outlives the client', async () => {
  const ours = `Main.messageTray.getSources().flatMap((s) => s.notifications).filter((n) => n.title.startsWith('Attach')).length`;
  expect(await shell.eval<number>(ours)).toBe(1);
  await shell.setEnabled(false);
  try {
    expect(await shell.waitFor<number>(ours, (n) => n === 0)).toBe(0);
  } finally {
    await shell.setEnabled(true);
  }
  await shell.waitFor<number>(`${INDICATOR}.describe().guests.length`, (n) => n === 1);
});

it("lists exactly the service's devices at rest after a stick is plugged and pulled back to back", async () => {
  await lab.remove('cruzer-blade-a');
  for (let i = 0; i < 10; i++) {
    await lab.add('cruzer-blade-a');
    await lab.remove('cruzer-blade-a');
  }
  await lab.add('cruzer-blade-a');
  const [devices] = (await stack.client.service(
    '/me/phyllo/Switcher1',
    'me.phyllo.Switcher1.Manager',
    'ListUsbDevices',
  )) as [string[]];
  const shown = await shell.waitFor<string[]>(
    `${INDICATOR}.describe().usb`,
    (usb) => JSON.stringify(usb) === JSON.stringify([...devices].sort()),
  );
  expect(shown).toEqual([...devices].sort());
  expect(new Set(shown).size).toBe(shown.length);
  await shell.eval('Main.messageTray.getSources().forEach((s) => s.destroy()); true');
});

it('wrote no JS error or warning of ours to the Shell log', () => {
  expect(shell.extensionProblems()).toEqual([]);
});
