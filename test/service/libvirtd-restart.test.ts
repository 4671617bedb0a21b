// libvirtd restarted under a live libvirt-dbus, as a package upgrade does:
// libvirt-dbus says nothing and reconnects only when a call reaches it. The
// service notices the daemon going and coming back on its own (it holds a
// connection to the daemon's socket), shows Connected false meanwhile, and
// then sees what happened behind its back and what happens next.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ServiceStack } from '../support/stack.js';
import { GUEST, MANAGER, MANAGER_PATH, propertiesChanged } from '../support/dbus-client.js';
import { libvirtCall, tinyQemuGuestXml } from '../support/libvirt.js';

let stack: ServiceStack;
let dir: string;

/** virsh straight at the sandboxed libvirtd, not through libvirt-dbus. */
function virsh(...args: string[]): string {
  const result = spawnSync('virsh', ['-c', `qemu:///system?socket=${stack.libvirtdSocket}`, ...args], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`virsh ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'phyllome-restart-'));
  stack = await ServiceStack.start({ realLibvirtd: true, withService: false });
  await stack.startService('qemu:///session');
  await stack.client.watch();
  await libvirtCall(stack, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainDefineXML', 's', [
    tinyQemuGuestXml('before'),
  ]);
  const before = await stack.client.waitForGuest('before');
  await stack.client.service(before, GUEST, 'Start');
  await stack.client.waitForProperty(before, 'State', 'running', 10_000);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('shows Connected false while libvirtd is gone, and afterwards what changed behind its back, within 2 s', async () => {
  const before = await stack.client.guestByName('before');
  let from = stack.client.signals.length;
  await stack.stopLibvirtd();
  await stack.client.waitForSignal(propertiesChanged(MANAGER_PATH, 'Connected', false), 2_000, from);
  expect(await stack.client.property(MANAGER_PATH, MANAGER, 'Connected')).toBe(false);
  // What was known stays readable meanwhile.
  expect(await stack.client.property(before, GUEST, 'State')).toBe('running');

  from = stack.client.signals.length;
  await stack.startLibvirtd();
  const back = Date.now();
  await stack.client.waitForSignal(propertiesChanged(MANAGER_PATH, 'Connected', true), 2_000, from);

  // Behind the service's back, straight to libvirtd: a new guest defined and started, the old one destroyed.
  const xml = join(dir, 'after.xml');
  writeFileSync(xml, tinyQemuGuestXml('after'));
  virsh('define', xml);
  virsh('start', 'after');
  virsh('destroy', 'before');
  const acted = Date.now();
  const added = await stack.client.waitForSignal((s) => s.member === 'GuestAdded', 2_000, from);
  const after = added.body[0] as string;
  await stack.client.waitForProperty(after, 'State', 'running', 2_000);
  await stack.client.waitForProperty(before, 'State', 'shutoff', 2_000);
  expect(Date.now() - acted).toBeLessThan(2_000);
  expect(Date.now() - back).toBeLessThan(10_000);
  expect(await stack.client.property(MANAGER_PATH, MANAGER, 'Connected')).toBe(true);
  virsh('destroy', 'after');
}, 120_000);

it('notices a second restart as well', async () => {
  const from = stack.client.signals.length;
  await stack.stopLibvirtd();
  await stack.client.waitForSignal(propertiesChanged(MANAGER_PATH, 'Connected', false), 10_000, from);
  await stack.startLibvirtd();
  // Deadlines, not targets (the first test holds the 2 s the issue asked for): the second restart is about noticing.
  await stack.client.waitForSignal(propertiesChanged(MANAGER_PATH, 'Connected', true), 10_000, from);
  const before = await stack.client.guestByName('before');
  await stack.client.service(before, GUEST, 'Start');
  await stack.client.waitForProperty(before, 'State', 'running', 10_000);
  await stack.client.service(before, GUEST, 'ForceOff');
  await stack.client.waitForProperty(before, 'State', 'shutoff', 5_000);
}, 120_000);
