// A seat's keyboard given to its guest as evdev input, against a real
// libvirtd and QEMU guest. libvirt puts it in the guest's definition (it
// cannot hot-plug evdev); this machine has no input devices, so the guest's
// next start is refused by libvirt for the one the (recorded) sysfs names,
// and that refusal must come back as our typed error.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { ServiceStack } from '../support/stack.js';
import { libvirtCall, libvirtDomainPath, tinyQemuGuestXml } from '../support/libvirt.js';
import { LogindMock } from '../support/logind-mock.js';

const SEAT0 = '/me/phyllo/Switcher1/seat/seat0';
const SEAT = 'me.phyllo.Switcher1.Seat';
const GUEST = 'me.phyllo.Switcher1.Guest';
let stack: ServiceStack;
let logind: LogindMock;
let sysfs: string;
let guest: string;

/** A USB keyboard as sysfs shows it, down to its evdev node (input5/event5). */
function writeKeyboardSysfs(root: string): void {
  const device = join(root, 'bus/usb/devices/1-2');
  const attributes: Record<string, string> = {
    idVendor: '413c',
    idProduct: '2113',
    busnum: '1',
    devnum: '3',
    bDeviceClass: '00',
    manufacturer: '',
    product: 'Dell KB216 Wired Keyboard',
  };
  mkdirSync(join(device, '1-2:1.0/0003:413C:2113.0001/input/input5/event5'), { recursive: true });
  for (const [name, value] of Object.entries(attributes)) writeFileSync(join(device, name), `${value}\n`);
  for (const [name, value] of Object.entries({
    bInterfaceClass: '03',
    bInterfaceSubClass: '01',
    bInterfaceProtocol: '01',
  })) {
    writeFileSync(join(device, '1-2:1.0', name), `${value}\n`);
  }
}

beforeAll(async () => {
  sysfs = mkdtempSync(join(tmpdir(), 'phyllome-sysfs-'));
  writeKeyboardSysfs(sysfs);
  stack = await ServiceStack.start({ realLibvirtd: true, withService: false });
  logind = await LogindMock.start(stack.group);
  await logind.addSeat('seat0');
  await logind.addSeat('seat1');
  await logind.addSession('c0', 'seat0', 1000, 'ada', { leaderPid: process.pid });
  await stack.startService('qemu:///session', ['--sysfs-root', sysfs, '--system-bus', logind.address]);
  await libvirtCall(stack, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainDefineXML', 's', [
    tinyQemuGuestXml('seated'),
  ]);
  guest = await stack.client.waitForGuest('seated');
  await stack.client.service(SEAT0, 'me.phyllo.Switcher1.Seat', 'AssignGuest', 'o', [guest]);
}, 60_000);

afterAll(async () => {
  await logind?.stop();
  await stack?.stop();
  rmSync(sysfs, { recursive: true, force: true });
});

const domainXml = async (): Promise<string> => {
  const [xml] = await libvirtCall(
    stack,
    await libvirtDomainPath(stack, 'seated', '/org/libvirt/QEMU'),
    'org.libvirt.Domain',
    'GetXMLDesc',
    'u',
    [2 /* inactive */],
  );
  return xml as string;
};

// Each test starts from the guest shut off, with no evdev input in its definition.
beforeEach(async () => {
  if ((await stack.client.property(guest, GUEST, 'State')) !== 'shutoff') {
    await stack.client.service(guest, GUEST, 'ForceOff');
    await stack.client.waitForProperty(guest, 'State', 'shutoff');
  }
  // Taking back input that is not there is an error: only when it is.
  if ((await domainXml()).includes("type='evdev'")) await stack.client.service(SEAT0, SEAT, 'PassInput', 'b', [false]);
}, 30_000);

it("puts the seat's keyboard in the guest's definition as evdev input, grab toggled by both Ctrl keys", async () => {
  await stack.client.service(SEAT0, 'me.phyllo.Switcher1.Seat', 'PassInput', 'b', [true]);
  expect(await domainXml()).toMatch(
    /<input type='evdev'>\s*<source dev='\/dev\/input\/event5' grab='all' grabToggle='ctrl-ctrl' repeat='on'\/>/,
  );
});

it("passes libvirt's refusal to start with an input device that is not there back as Error.Libvirt", async () => {
  await stack.client.service(SEAT0, SEAT, 'PassInput', 'b', [true]);
  const error = await stack.client.service(guest, 'me.phyllo.Switcher1.Guest', 'Start').then(
    () => undefined,
    (e: { type?: string; text?: string }) => e,
  );
  expect(error?.type).toBe('me.phyllo.Switcher1.Error.Libvirt');
  expect(error?.text).toMatch(/\/dev\/input\/event5/);
  await stack.client.waitForProperty(guest, 'State', 'shutoff');
});

it('gives one keyboard to any guest too (one seat, several monitors: a keyboard each)', async () => {
  await stack.client.service('/me/phyllo/Switcher1/usb/1_2', 'me.phyllo.Switcher1.UsbDevice', 'PassInput', 'ob', [
    guest,
    true,
  ]);
  expect(await domainXml()).toContain(
    "<source dev='/dev/input/event5' grab='all' grabToggle='ctrl-ctrl' repeat='on'/>",
  );
  await stack.client.service('/me/phyllo/Switcher1/usb/1_2', 'me.phyllo.Switcher1.UsbDevice', 'PassInput', 'ob', [
    guest,
    false,
  ]);
  expect(await domainXml()).not.toContain("type='evdev'");
});

it('takes the input back, and the guest starts again', async () => {
  await stack.client.service(SEAT0, SEAT, 'PassInput', 'b', [true]);
  await stack.client.service(SEAT0, 'me.phyllo.Switcher1.Seat', 'PassInput', 'b', [false]);
  expect(await domainXml()).not.toContain("type='evdev'");
  await stack.client.service(guest, 'me.phyllo.Switcher1.Guest', 'Start');
  await stack.client.waitForProperty(guest, 'State', 'running');
});
