// Guests that appear and vanish at once (transient guests on libvirt's test
// driver, destroyed the moment we announce them, or before): the service's
// list at rest is libvirt's, with no ghost left by a read that was under way
// when the guest went.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { ServiceStack } from '../support/stack.js';
import { libvirtCall } from '../support/libvirt.js';

let stack: ServiceStack;

beforeAll(async () => {
  stack = await ServiceStack.start();
  await stack.client.watch();
  await stack.client.guestByName('test');
});
afterAll(async () => {
  await stack?.stop();
});

const CONNECT = '/org/libvirt/Test';

function transientXml(name: string): string {
  return `<domain type='test'><name>${name}</name><memory unit='MiB'>16</memory><vcpu>1</vcpu><os><type arch='i686'>hvm</type></os></domain>`;
}

async function createTransient(name: string): Promise<string> {
  const [path] = await libvirtCall(stack, CONNECT, 'org.libvirt.Connect', 'DomainCreateXML', 'su', [
    transientXml(name),
    0,
  ]);
  return path as string;
}

async function destroy(path: string): Promise<void> {
  await libvirtCall(stack, path, 'org.libvirt.Domain', 'Destroy', 'u', [0]);
}

/**
 * Our list by name once every event before now was handled: a marker guest
 * defined after the churn is announced, then undefined and announced gone.
 * libvirt sends its events in order, and the service handles them in order.
 */
async function namesAtRest(): Promise<string[]> {
  const [marker] = (await libvirtCall(stack, CONNECT, 'org.libvirt.Connect', 'DomainDefineXML', 's', [
    transientXml('marker'),
  ])) as [string];
  const ours = await stack.client.waitForGuest('marker');
  const from = stack.client.signals.length;
  await libvirtCall(stack, marker, 'org.libvirt.Domain', 'Undefine', 'u', [0]);
  await stack.client.waitForSignal((s) => s.member === 'GuestRemoved' && s.body[0] === ours, 5_000, from);
  const names: string[] = [];
  for (const path of await stack.client.listGuests()) {
    names.push((await stack.client.property(path, 'me.phyllo.Switcher1.Guest', 'Name')) as string);
  }
  return names;
}

it('leaves no ghost when a transient guest goes as soon as it is announced, 50 times', async () => {
  for (let i = 0; i < 50; i++) {
    const from = stack.client.signals.length;
    const path = await createTransient(`churn-${i}`);
    await stack.client.waitForSignal((s) => s.member === 'GuestAdded', 5_000, from);
    await destroy(path);
  }
  expect(await namesAtRest()).toEqual(['test']);
}, 60_000);

it('leaves no ghost when a transient guest goes before it could be read, 50 times', async () => {
  for (let i = 0; i < 50; i++) {
    await destroy(await createTransient(`gone-${i}`));
  }
  expect(await namesAtRest()).toEqual(['test']);
}, 60_000);
