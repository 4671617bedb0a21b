// USB against a real libvirtd and QEMU guest: with no USB bus on this
// machine, libvirt's own refusal to hot-plug a device must come back to the
// caller as our typed error, and nothing changes.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { ServiceStack } from '../support/stack.js';
import { GUEST } from '../support/dbus-client.js';
import { libvirtCall, tinyQemuGuestXml } from '../support/libvirt.js';
import { UsbLab } from '../support/usb-lab.js';
import { startServiceInLab, type LabService } from '../support/usb-service.js';

const USB = 'me.phyllo.Switcher1.UsbDevice';
const STICK = '/me/phyllo/Switcher1/usb/1_5';
const TINY = tinyQemuGuestXml('tiny-usb', { usb: true });

let stack: ServiceStack;
let lab: UsbLab;
let service: LabService;
let guest: string;

beforeAll(async () => {
  stack = await ServiceStack.start({ realLibvirtd: true, withService: false });
  lab = await UsbLab.start({ group: stack.group });
  for (const name of ['xhci-root-hub', 'dell-kb216', 'logitech-mouse', 'cruzer-blade-a']) await lab.add(name);
  service = await startServiceInLab(stack, lab, 'qemu:///session');
  const [path] = await libvirtCall(stack, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainDefineXML', 's', [TINY]);
  await libvirtCall(stack, path as string, 'org.libvirt.Domain', 'Create', 'u', [0]);
  guest = await stack.client.waitForGuest('tiny-usb');
  await stack.client.waitForProperty(guest, 'State', 'running');
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await lab?.stop();
  await stack?.stop();
});

it("passes libvirt's refusal to hot-plug a device that is not there back as Error.Libvirt, changing nothing", async () => {
  const error = await stack.client.service(STICK, USB, 'Attach', 'o', [guest]).then(
    () => undefined,
    (e: { type?: string; text?: string }) => e,
  );
  expect(error?.type).toBe('me.phyllo.Switcher1.Error.Libvirt');
  // libvirt's own words: it looked for the device on the host's USB bus.
  expect(error?.text).toMatch(/usb/i);
  expect(await stack.client.property(STICK, USB, 'Owner')).toBe('');
  expect(await stack.client.property(guest, GUEST, 'State')).toBe('running');
  const [path] = await libvirtCall(stack, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainLookupByName', 's', [
    'tiny-usb',
  ]);
  const [xml] = await libvirtCall(stack, path as string, 'org.libvirt.Domain', 'GetXMLDesc', 'u', [0]);
  expect(xml).not.toContain('<hostdev');
});
