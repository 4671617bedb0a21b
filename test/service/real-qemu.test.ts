// The service against a real libvirtd running a real (tiny, diskless,
// software-emulated) QEMU guest: every state change seen on our bus.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { ServiceStack } from '../support/stack.js';
import { GUEST, propertiesChanged } from '../support/dbus-client.js';
import { libvirtCall, libvirtState as libvirtStateOf, tinyQemuGuestXml } from '../support/libvirt.js';

let stack: ServiceStack;
let path: string;

const TINY_GUEST = tinyQemuGuestXml('tiny', { usb: true });

beforeAll(async () => {
  stack = await ServiceStack.start({ realLibvirtd: true, uri: 'qemu:///session' });
  await stack.client.watch();
  await libvirtCall(stack, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainDefineXML', 's', [TINY_GUEST]);
  await stack.client.waitForSignal((s) => s.member === 'GuestAdded');
  path = await stack.client.guestByName('tiny');
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const libvirtState = (): Promise<number> => libvirtStateOf(stack, 'tiny', '/org/libvirt/QEMU');

it('lists the real guest as shut off with its size', async () => {
  expect(await stack.client.properties(path)).toMatchObject({
    Name: 'tiny',
    State: 'shutoff',
    Vcpus: 1,
    MemoryMiB: 64n,
  });
});

it('starts, pauses, resumes and forces off a real QEMU guest, each seen on our bus', async () => {
  const steps: [string, string, number][] = [
    ['Start', 'running', 1],
    ['Pause', 'paused', 3],
    ['Resume', 'running', 1],
    ['ForceOff', 'shutoff', 5],
  ];
  for (const [action, state, libvirt] of steps) {
    const from = stack.client.signals.length;
    await stack.client.service(path, GUEST, action);
    await stack.client.waitForSignal(propertiesChanged(path, 'State', state), 10_000, from);
    expect([action, await libvirtState()]).toEqual([action, libvirt]);
    expect(await stack.client.property(path, GUEST, 'State')).toBe(state);
  }
});

it("passes libvirt's own refusal back as a typed error", async () => {
  // A USB device that is not there: libvirt itself refuses to start the guest.
  const broken = TINY_GUEST.replace('<name>tiny</name>', '<name>broken</name>').replace(
    '</devices>',
    "<hostdev mode='subsystem' type='usb'><source><vendor id='0x046d'/><product id='0xc52b'/></source></hostdev></devices>",
  );
  await libvirtCall(stack, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainDefineXML', 's', [broken]);
  await stack.client.waitForSignal((s) => s.member === 'GuestAdded' && s.body[0] !== path);
  const brokenPath = await stack.client.guestByName('broken');
  const error = await stack.client.service(brokenPath, GUEST, 'Start').then(
    () => undefined,
    (e: { type?: string; text?: string }) => e,
  );
  expect(error?.type).toBe('me.phyllo.Switcher1.Error.Libvirt');
  expect(error?.text).toMatch(/usb/i);
  await stack.client.waitForProperty(brokenPath, 'State', 'shutoff');
});
