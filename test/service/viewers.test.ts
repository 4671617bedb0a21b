// Guests shown in a real virt-viewer (under Xvfb) attached to a real QEMU
// guest through a real libvirtd: Show, the viewer reopened when it dies while
// the guest runs and not after the guest stops, and the monitor assignment
// surviving a restart of the service because it lives in libvirt.

import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { ServiceStack } from '../support/stack.js';
import { GUEST, propertiesChanged } from '../support/dbus-client.js';
import { libvirtCall, tinyQemuGuestXml } from '../support/libvirt.js';
import { startXvfb } from '../support/xvfb.js';

const GUEST_XML = tinyQemuGuestXml('shown', { display: true });

let stack: ServiceStack;
let path: string;
let serviceArgs: string[];
let serviceEnv: NodeJS.ProcessEnv;

const viewerPid = async (): Promise<number> => (await stack.client.property(path, GUEST, 'ViewerPid')) as number;
const cmdline = (pid: number): string => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
/** A process's command line, '' once it has ended. */
const liveCmdline = (pid: number): string => {
  try {
    return cmdline(pid);
  } catch {
    return '';
  }
};

const waitForViewerPid = (check: (pid: number) => boolean, timeoutMs = 10_000): Promise<number> =>
  stack.client.waitForPropertyThat(path, 'ViewerPid', check, { timeoutMs });

beforeAll(async () => {
  stack = await ServiceStack.start({ realLibvirtd: true, withService: false });
  const display = await startXvfb(stack.group);
  // The sandboxed libvirtd's socket, reached through its namespace's root.
  const socket = `/proc/${stack.libvirtdNamespacePid}/root/run/libvirt/libvirt-sock`;
  serviceArgs = ['--viewer-uri', `qemu:///system?socket=${socket}`];
  serviceEnv = { DISPLAY: display };
  await stack.startService('qemu:///session', serviceArgs, [], serviceEnv);
  await stack.client.watch();
  await libvirtCall(stack, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainDefineXML', 's', [GUEST_XML]);
  await stack.client.waitForSignal((s) => s.member === 'GuestAdded');
  path = await stack.client.guestByName('shown');
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

it('starts a guest that is off and opens its viewer on Show', async () => {
  expect(await viewerPid()).toBe(0);
  await stack.client.service(path, GUEST, 'Show', '', [], 30_000);
  expect(await stack.client.property(path, GUEST, 'State')).toBe('running');
  const pid = await viewerPid();
  expect(pid).toBeGreaterThan(0);
  const uuid = (await stack.client.property(path, GUEST, 'Uuid')) as string;
  expect(cmdline(pid)).toMatch(
    new RegExp(`^virt-viewer --connect qemu:///system\\?socket=\\S+ --attach --full-screen --debug ${uuid}`),
  );
  // A second Show keeps the same viewer.
  await stack.client.service(path, GUEST, 'Show');
  expect(await viewerPid()).toBe(pid);
});

it('reopens the viewer when it dies while the guest runs', async () => {
  const first = await viewerPid();
  // process.kill(0) would kill this test's own process group.
  expect(first).toBeGreaterThan(0);
  const from = stack.client.signals.length;
  process.kill(first, 'SIGKILL');
  await stack.client.waitForSignal(propertiesChanged(path, 'ViewerPid', 0), 5_000, from);
  // A viewer of the guest's: on a busy machine one that does not show in time is closed and opened
  // again, so the one read may already have gone (its cmdline empty); the next one is then awaited.
  const second = await waitForViewerPid((pid) => pid > 0 && pid !== first && liveCmdline(pid).includes('virt-viewer'));
  expect(second).not.toBe(first);
});

it('does not reopen the viewer once the guest has stopped', async () => {
  const viewer = await viewerPid();
  await stack.client.service(path, GUEST, 'ForceOff');
  await stack.client.waitForProperty(path, 'State', 'shutoff');
  // The service closes the viewer of a guest that stopped.
  await waitForViewerPid((pid) => pid === 0);
  expect(() => process.kill(viewer, 0)).toThrow();
  // That none is reopened after the settle time is test/unit/viewer-manager.test.ts's, on a clock of its own.
});

it('keeps the monitor assignment in libvirt, across a restart of the service', async () => {
  await stack.client.service(path, GUEST, 'SetMonitor', 's', ['Virtual-2']);
  await stack.service?.stop();
  await stack.startService('qemu:///session', serviceArgs, [], serviceEnv);
  path = await stack.client.guestByName('shown');
  expect(await stack.client.property(path, GUEST, 'Monitor')).toBe('Virtual-2');
});

it('shows a guest that is shutting down (one that ignores ACPI), so the user can see what holds it', async () => {
  await stack.client.service(path, GUEST, 'Start');
  await stack.client.waitForProperty(path, 'State', 'running', 10_000);
  await waitForViewerPid((pid) => pid === 0);
  // The tiny SeaBIOS guest ignores the ACPI request: it stays 'stopping' while Shutdown waits, here
  // longer than a Show can take on a busy machine (it ends with the ForceOff below, not its time).
  const pending = stack.client.service(path, GUEST, 'Shutdown', 'u', [300], 310_000).catch(() => undefined);
  try {
    await stack.client.waitForProperty(path, 'State', 'stopping', 5_000);
    await stack.client.service(path, GUEST, 'Show', '', [], 30_000);
    const pid = await viewerPid();
    expect(pid).toBeGreaterThan(0);
    expect(await stack.client.property(path, GUEST, 'State')).toBe('stopping');
  } finally {
    // Off again whatever happened, as the tests after this one expect it.
    await stack.client.service(path, GUEST, 'ForceOff');
    await stack.client.waitForProperty(path, 'State', 'shutoff', 10_000);
    await pending;
    await waitForViewerPid((p) => p === 0);
  }
});

it('answers NoDisplay for a guest without a display of its own, and leaves no viewer behind', async () => {
  await libvirtCall(stack, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainDefineXML', 's', [
    tinyQemuGuestXml('passthrough'),
  ]);
  const headless = await stack.client.waitForGuest('passthrough');
  expect(await stack.client.property(headless, GUEST, 'Display')).toBe('');
  const error = await stack.client.errorOf(headless, GUEST, 'Show');
  expect(error).toBe('me.phyllo.Switcher1.Error.NoDisplay');
  // It was started (its screen is its own), and no viewer runs for it.
  expect(await stack.client.property(headless, GUEST, 'State')).toBe('running');
  expect(await stack.client.property(headless, GUEST, 'ViewerPid')).toBe(0);
  const uuid = (await stack.client.property(headless, GUEST, 'Uuid')) as string;
  expect(viewersOf(uuid)).toEqual([]);
  await stack.client.service(headless, GUEST, 'ForceOff');
});

it('reports a viewer that cannot show the guest as a failure in its own words, at once, and closes it', async () => {
  // A viewer pointed at a libvirt it cannot reach: it would sit behind an error dialog.
  await stack.service?.stop();
  await stack.startService(
    'qemu:///session',
    ['--viewer-uri', 'qemu:///system?socket=/nonexistent/sock'],
    [],
    serviceEnv,
  );
  path = await stack.client.guestByName('shown');
  await stack.client.service(path, GUEST, 'Start');
  await stack.client.waitForProperty(path, 'State', 'running', 10_000);
  const failure = await stack.client.service(path, GUEST, 'Show', '', [], 30_000).then(
    () => undefined,
    (e: { type?: string; text?: string }) => e,
  );
  expect(failure?.type).toBe('me.phyllo.Switcher1.Error.ViewerFailed');
  // Its own error, as soon as it said it: not the deadline of a viewer that says nothing (no timing on a busy machine).
  expect(failure?.text).toMatch(/could not show shown: .*nonexistent/);
  expect(failure?.text).not.toMatch(/showed nothing within/);
  await waitForViewerPid((pid) => pid === 0);
  const uuid = (await stack.client.property(path, GUEST, 'Uuid')) as string;
  // Its exit was seen (ViewerPid 0); nothing announces the going of what it may have started: look in /proc.
  await waitFor(() => viewersOf(uuid).length === 0, { what: `no viewer of ${uuid} left` });
  await stack.client.service(path, GUEST, 'ForceOff');
  await stack.service?.stop();
  await stack.startService('qemu:///session', serviceArgs, [], serviceEnv);
});

/** PIDs of virt-viewer processes showing the guest with this UUID. */
function viewersOf(uuid: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      const line = liveCmdline(Number(pid));
      return line.includes('virt-viewer') && line.includes(uuid);
    })
    .map(Number);
}
