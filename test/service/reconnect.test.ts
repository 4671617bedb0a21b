// libvirt-dbus going away and coming back, with and without D-Bus activation.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceStack } from '../support/stack.js';
import { GUEST, MANAGER, MANAGER_PATH, propertiesChanged } from '../support/dbus-client.js';
import { defineTestGuest } from '../support/libvirt.js';

const ERR = 'me.phyllo.Switcher1.Error';
let stack: ServiceStack | undefined;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await stack?.stop();
  stack = undefined;
});

describe('when libvirt-dbus is killed and started again', () => {
  it('keeps what it knew readable, refuses actions, then resyncs within 2 s', async () => {
    stack = await ServiceStack.start();
    const client = stack.client;
    await client.watch();
    const test = await client.guestByName('test');
    const extra = await defineTestGuest(stack, 'extra');
    const extraPath = `/me/phyllo/Switcher1/guest/${extra.replace(/-/g, '_')}`;
    await client.waitForSignal((s) => s.member === 'GuestAdded');
    await client.service(test, GUEST, 'Pause');
    await client.waitForProperty(test, 'State', 'paused');

    let from = client.signals.length;
    await stack.libvirtDbus?.stop('SIGKILL');
    await client.waitForSignal(propertiesChanged(MANAGER_PATH, 'Connected', false), 2_000, from);
    expect(await client.listGuests()).toEqual([extraPath, test]);
    expect(await client.property(test, GUEST, 'State')).toBe('paused');
    expect(await client.errorOf(test, GUEST, 'Resume')).toBe(`${ERR}.NotConnected`);
    expect(await client.property(MANAGER_PATH, MANAGER, 'Connected')).toBe(false);

    from = client.signals.length;
    await stack.startLibvirtDbus();
    await client.waitForSignal(propertiesChanged(MANAGER_PATH, 'Connected', true), 2_000, from);
    // The test driver starts afresh: 'test' running again, 'extra' never existed.
    expect(await client.listGuests()).toEqual([test]);
    expect(await client.property(test, GUEST, 'State')).toBe('running');
    const removed = client.signals.slice(from).filter((s) => s.member === 'GuestRemoved');
    expect(removed.map((s) => s.body[0])).toEqual([extraPath]);
    expect(stack.service?.running).toBe(true);
  });
});

describe('with libvirt-dbus D-Bus-activatable', () => {
  it('activates it at start and again after it dies', async () => {
    const servicesDir = mkdtempSync(join(tmpdir(), 'phyllome-services-'));
    cleanups.push(() => rmSync(servicesDir, { recursive: true, force: true }));
    writeFileSync(
      join(servicesDir, 'org.libvirt.service'),
      '[D-BUS Service]\nName=org.libvirt\nExec=/usr/sbin/libvirt-dbus --session\n',
    );
    stack = await ServiceStack.start({ servicesDir, withService: false });
    await stack.libvirtDbus?.stop(); // the bus will have to start it
    const s = stack;
    const activatedPid = (): Promise<number> => s.client.pidOf('org.libvirt');
    // Whatever the bus started is ours to stop, by PID.
    cleanups.push(async () => {
      const pid = await activatedPid().catch(() => undefined);
      if (pid) process.kill(pid, 'SIGTERM');
    });

    await stack.startService();
    await stack.client.watch();
    expect(await stack.client.property(MANAGER_PATH, MANAGER, 'Connected')).toBe(true);
    expect((await stack.client.listGuests()).length).toBe(1);

    const from = stack.client.signals.length;
    process.kill(await activatedPid(), 'SIGKILL');
    await stack.client.waitForSignal(propertiesChanged(MANAGER_PATH, 'Connected', false), 2_000, from);
    await stack.client.waitForSignal(propertiesChanged(MANAGER_PATH, 'Connected', true), 3_000, from);
    expect(await activatedPid()).toBeGreaterThan(0);
    expect((await stack.client.listGuests()).length).toBe(1);
  });
});
