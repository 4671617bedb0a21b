// Jobs belong to whoever started them (issue 18, item 6), tried as two real
// uids on two seats against the host-wide service on a real libvirtd, under
// its own system user, its helper as root: bob (seat1) exports and imports a guest
// of no seat — which both may act on — and ada (seat0) tries to cancel his
// jobs. Only bob may, or ada with polkit's yes; the guest's seat does not
// decide, and an import whose guest is not defined yet is nobody else's.

import { closeSync, chmodSync, chownSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOW_INTERACTIVE_AUTHORIZATION, GUEST, MANAGER, MANAGER_PATH, SERVICE } from '../support/dbus-client.js';
import { createVolume, defineDefaultPool, inSandbox, JOB, jobEnd, jobProgress, QEMU } from '../support/guest-files.js';
import { libvirtCall, tinyQemuGuestXml } from '../support/libvirt.js';
import { LogindMock } from '../support/logind-mock.js';
import { HostWide } from '../support/host-wide.js';
import type { ServiceStack } from '../support/stack.js';
import { twoUsers, UidCaller, type ReceivedSignal } from '../support/uid-caller.js';
import { waitFor } from '../support/wait.js';

const ERR = 'me.phyllo.Switcher1.Error';
const DENIED = `${ERR}.AccessDenied`;
const CANCEL_OTHER = 'me.phyllo.switcher.cancel-job-other-user';
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const [ADA, BOB] = twoUsers();

let host: HostWide;
let stack: ServiceStack;
let logind: LogindMock;
let ada: UidCaller;
let bob: UidCaller;
let guest = '';
let work = '';

const jobProperty = (job: string, name: string): Promise<unknown> => stack.client.property(job, JOB, name);
const cancel = (who: UidCaller, job: string, flags = 0) => who.call(SERVICE, job, JOB, 'Cancel', '', [], flags);

/** A folder of bob's own for bundles. */
function bobsFolder(): string {
  const folder = mkdtempSync(join(work, 'bob-'));
  chownSync(folder, BOB, BOB);
  return folder;
}

/** bob's Export of the guest into a folder of his; the job. */
async function bobExports(folder: string): Promise<string> {
  const reply = await bob.call(SERVICE, guest, GUEST, 'Export', 's', [folder]);
  expect(reply.error, reply.message).toBe('ok');
  return reply.body[0] as string;
}

beforeAll(async () => {
  host = await HostWide.start(
    () => [],
    async (started, { polkitPolicy }) => {
      stack = started;
      logind = await LogindMock.start(stack.group, { bus: stack.bus, policies: [polkitPolicy] });
      await logind.addSeat('seat0');
      await logind.addSeat('seat1');
      await logind.addSession('c0', 'seat0', ADA, 'ada');
      await logind.addSession('c1', 'seat1', BOB, 'bob');
      ada = await UidCaller.start(stack.group, ADA, stack.bus.address);
      bob = await UidCaller.start(stack.group, BOB, stack.bus.address);
      await logind.bindPid(ada.pid, 'c0');
      await logind.bindPid(bob.pid, 'c1');
      // A guest of no seat with 1 GiB of data (not holes): its jobs run long enough to be caught running.
      const pool = await defineDefaultPool(stack);
      const { path: disk } = await createVolume(stack, pool, 'shared.img', 2 * GiB);
      const fd = openSync(inSandbox(stack.libvirtdNamespacePid, disk), 'r+');
      const chunk = Buffer.alloc(4 * MiB);
      for (let i = 0; i < 256; i++) {
        chunk.fill((i % 255) + 1);
        writeSync(fd, chunk, 0, chunk.length, i * 8 * MiB);
      }
      closeSync(fd);
      const xml = tinyQemuGuestXml('shared').replace(
        '<devices>',
        `<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>`,
      );
      await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [xml]);
    },
  );
  stack = host.stack;
  work = mkdtempSync(join(tmpdir(), 'phyllome-jobs-'));
  chmodSync(work, 0o755);
  await stack.client.watch();
  guest = await stack.client.waitForGuest('shared');
}, 120_000);

afterAll(async () => {
  await host?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('an export', () => {
  it('says who started it and from which seat', async () => {
    const folder = bobsFolder();
    const job = await bobExports(folder);
    expect([await jobProperty(job, 'StartedByUid'), await jobProperty(job, 'StartedFromSeat')]).toEqual([BOB, 'seat1']);
    expect((await cancel(bob, job)).error).toBe('ok');
    expect(await jobEnd(bob, job)).toMatchObject({ success: false });
  });

  it('tells how it ended to its starter alone: another user hears its State, and nothing naming his folder', async () => {
    // ada listens to everything the service broadcasts, as any user may.
    await ada.addMatch(`type='signal',sender='${SERVICE}'`);
    const folder = bobsFolder();
    const job = await bobExports(folder);
    expect(await jobEnd(bob, job)).toEqual({ success: true, message: `Exported shared to ${folder}/shared.phyllome` });
    const ended = (s: ReceivedSignal): boolean =>
      s.path === job && s.member === 'PropertiesChanged' && (s.body[1] as { State?: string }).State === 'succeeded';
    await waitFor(async () => (await ada.signals()).some(ended), { what: 'ada to hear the export end', pollMs: 100 });
    const heard = (await ada.signals()).filter((s) => s.path === job);
    expect(heard.map((s) => s.member)).not.toContain('Completed');
    expect(JSON.stringify(heard)).not.toContain(folder);
    // What anybody may read names the bundle, not where it is.
    const all = await ada.call(SERVICE, job, 'org.freedesktop.DBus.Properties', 'GetAll', 's', [JOB]);
    expect(all.error).toBe('ok');
    expect((all.body[0] as { Result?: string }).Result).toBe('shared.phyllome');
    expect(JSON.stringify(all.body)).not.toContain(folder);
  }, 90_000);

  it("is not another user's to cancel, though its guest is of no seat: AccessDenied, and it goes on", async () => {
    const folder = bobsFolder();
    const job = await bobExports(folder);
    const refused = await cancel(ada, job);
    expect(refused.error).toBe(DENIED);
    expect(refused.message).toContain(`user ${BOB} started it`);
    expect(refused.message).toContain(CANCEL_OTHER);
    // It goes on, and its starter may still stop it.
    await jobProgress(stack, job, 0.1);
    expect(await jobProperty(job, 'State')).toBe('running');
    expect((await cancel(bob, job)).error).toBe('ok');
    expect(await jobEnd(bob, job)).toMatchObject({
      success: false,
      message: 'Export cancelled; nothing was changed',
    });
    expect(readdirSync(folder)).toEqual([]);
  });

  it("is another user's to cancel with polkit's yes: a rule for them, or an administrator's password when the call allows asking", async () => {
    await logind.polkitRule(CANCEL_OTHER, ADA, 'yes');
    const first = await bobExports(bobsFolder());
    expect((await cancel(ada, first)).error).toBe('ok');
    expect(await jobEnd(bob, first)).toMatchObject({ success: false });
    await logind.clearPolkitRules();
    await logind.polkitAgent('yes');
    const second = await bobExports(bobsFolder());
    expect((await cancel(ada, second)).error).toBe(DENIED);
    expect((await cancel(ada, second, ALLOW_INTERACTIVE_AUTHORIZATION)).error).toBe('ok');
    expect(await jobEnd(bob, second)).toMatchObject({ success: false });
    await logind.polkitAgent('none');
    await logind.clearPolkitRules();
    const checks = await logind.checkedActions();
    expect(checks.filter((c) => c.actionId === CANCEL_OTHER).length).toBeGreaterThan(0);
  }, 60_000);
});

describe('an import not yet tied to a guest', () => {
  it('is no longer anybody’s to cancel: another user gets AccessDenied, and it goes on to the end', async () => {
    const folder = bobsFolder();
    const exported = await bobExports(folder);
    expect(await jobEnd(bob, exported, 60_000)).toMatchObject({ success: true });
    // The guest goes (its disk stays), so its bundle can come back as it.
    const [domain] = await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainLookupByName', 's', ['shared']);
    await libvirtCall(stack, domain as string, 'org.libvirt.Domain', 'Undefine', 'u', [0]);
    await stack.client.waitForSignal((s) => s.member === 'GuestRemoved' && s.body[0] === guest, 10_000);
    const reply = await bob.call(SERVICE, MANAGER_PATH, MANAGER, 'Import', 's', [join(folder, 'shared.phyllome')]);
    expect(reply.error, reply.message).toBe('ok');
    const job = reply.body[0] as string;
    expect(await jobProperty(job, 'Guest')).toBe('/');
    const refused = await cancel(ada, job);
    expect(refused.error).toBe(DENIED);
    expect(refused.message).toContain(`user ${BOB} started it`);
    expect(await jobEnd(bob, job, 60_000)).toMatchObject({ success: true });
    guest = await stack.client.waitForGuest('shared');
    expect(await jobProperty(job, 'Result')).toBe(guest);
  }, 90_000);
});
