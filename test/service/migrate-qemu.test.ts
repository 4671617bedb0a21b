// The live move between two real libvirtd instances on this machine, each
// in its own mount namespace with its own state and host UUID (two hosts as
// far as libvirt can tell): libvirt's own peer-to-peer migration with the
// disk copied, started, watched and cancelled through our bus.

import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Variant } from '@jellybrick/dbus-next';
import { GUEST, propertiesChanged } from '../support/dbus-client.js';
import {
  createVolume,
  defineDefaultPool,
  inSandbox,
  JOB,
  jobEnd,
  POOL_DIR,
  QEMU,
  sha256File,
  startSecondHost,
  uefiGuestXml,
  virsh,
  type SecondHost,
} from '../support/guest-files.js';
import { libvirtCall, libvirtState, tinyQemuGuestXml } from '../support/libvirt.js';
import { ServiceStack } from '../support/stack.js';

const MiB = 1024 ** 2;

let stack: ServiceStack;
let target: SecondHost;
let diskSum: string;
let diskPath: string;

const errorOf = (path: string, member: string, signature: string, body: unknown[]): Promise<string> =>
  stack.client.errorOf(path, GUEST, member, signature, body);

async function start(path: string): Promise<void> {
  const from = stack.client.signals.length;
  await stack.client.service(path, GUEST, 'Start', '', [], 30_000);
  await stack.client.waitForSignal(propertiesChanged(path, 'State', 'running'), 30_000, from).catch(() => undefined);
  expect(await stack.client.property(path, GUEST, 'State')).toBe('running');
}

beforeAll(async () => {
  stack = await ServiceStack.start({ realLibvirtd: true, uri: 'qemu:///session' });
  await stack.client.watch();
  target = await startSecondHost(stack);
  // Both hosts keep disks in a 'default' pool at the same place, so libvirt can make the disk on the target.
  const pool = await defineDefaultPool(stack);
  for (const step of [
    ['pool-define-as', 'default', 'dir', '--target', POOL_DIR],
    ['pool-build', 'default'],
    ['pool-start', 'default'],
  ]) {
    await virsh(target.pid, target.uri, ...step);
  }
  const { path } = await createVolume(stack, pool, 'mover.img', 64 * MiB);
  diskPath = path;
  const fd = openSync(inSandbox(stack.libvirtdNamespacePid, path), 'r+');
  for (let i = 0; i < 8; i++) writeSync(fd, randomBytes(MiB), 0, MiB, i * 7 * MiB);
  closeSync(fd);
  diskSum = await sha256File(inSandbox(stack.libvirtdNamespacePid, path));
  await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [
    uefiGuestXml('mover', path, '52:54:00:65:43:21'),
  ]);
  // A disk of random data: with a bandwidth limit its copy takes long enough to cancel (memory is mostly zeros, sent in no time).
  const { path: stayerDisk } = await createVolume(stack, pool, 'stayer.img', 64 * MiB);
  const stayerFd = openSync(inSandbox(stack.libvirtdNamespacePid, stayerDisk), 'r+');
  writeSync(stayerFd, randomBytes(32 * MiB), 0, 32 * MiB, 0);
  closeSync(stayerFd);
  await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [
    tinyQemuGuestXml('stayer').replace(
      '<devices>',
      `<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${stayerDisk}'/><target dev='vda' bus='virtio'/></disk>`,
    ),
  ]);
  await stack.client.waitForGuest('mover');
  await stack.client.waitForGuest('stayer');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  target?.dispose();
});

describe('a live move', () => {
  it('is refused at once for a guest that is off, a URI that is not another host, an unknown option', async () => {
    const mover = await stack.client.guestByName('mover');
    expect(await errorOf(mover, 'MigrateTo', 'sa{sv}', [target.uri, {}])).toBe(
      'me.phyllo.Switcher1.Error.InvalidState',
    );
    for (const uri of ['qemu:///system', 'ssh://host', '']) {
      expect(await errorOf(mover, 'MigrateTo', 'sa{sv}', [uri, {}])).toBe('me.phyllo.Switcher1.Error.InvalidArgument');
    }
    expect(await errorOf(mover, 'MigrateTo', 'sa{sv}', [target.uri, { tunnelled: new Variant('b', true) }])).toBe(
      'me.phyllo.Switcher1.Error.InvalidArgument',
    );
  });

  it('moves a running UEFI guest with its TPM and disk to the other libvirtd, persistent there, undefined here', async () => {
    const mover = await stack.client.guestByName('mover');
    const uuid = (await stack.client.property(mover, GUEST, 'Uuid')) as string;
    await start(mover);
    const [job] = await stack.client.service(mover, GUEST, 'MigrateTo', 'sa{sv}', [target.uri, {}]);
    expect(await stack.client.property(job as string, JOB, 'Operation')).toBe('migrate');
    const end = await jobEnd(stack, job as string, 120_000);
    expect(end).toEqual({ success: true, message: `Moved mover to ${target.uri}` });
    // The URI is the caller's words, said to it alone (Completed): what anybody may read names no host.
    expect(await stack.client.property(job as string, JOB, 'Result')).toBe('');
    // libvirt's job statistics were the progress.
    expect(Number(await stack.client.property(job as string, JOB, 'BytesTotal'))).toBeGreaterThan(0);
    // Here: undefined by libvirt (the only removal anything here does), its disk file left alone.
    await stack.client.waitForSignal((s) => s.member === 'GuestRemoved' && s.body[0] === mover, 10_000);
    expect(await sha256File(inSandbox(stack.libvirtdNamespacePid, diskPath))).toBe(diskSum);
    // There: running, persistent, the same disk bytes, its TPM state.
    expect((await virsh(target.pid, target.uri, 'domstate', 'mover')).trim()).toBe('running');
    expect(await virsh(target.pid, target.uri, 'dominfo', 'mover')).toMatch(/Persistent:\s+yes/);
    expect(await virsh(target.pid, target.uri, 'domuuid', 'mover')).toContain(uuid);
    expect(await sha256File(inSandbox(target.pid, diskPath))).toBe(diskSum);
    expect(existsSync(inSandbox(target.pid, `/var/lib/libvirt/swtpm/${uuid}/tpm2/tpm2-00.permall`))).toBe(true);
  }, 180_000);

  it('cancelled, stops libvirt’s job: the guest runs on here, and there is no guest there', async () => {
    const stayer = await stack.client.guestByName('stayer');
    await start(stayer);
    // 1 MiB/s: its 32 MiB of disk data would take half a minute.
    const [job] = await stack.client.service(stayer, GUEST, 'MigrateTo', 'sa{sv}', [
      target.uri,
      { bandwidth: new Variant('t', 1n) },
    ]);
    await stack.client.waitForSignal((s) => {
      if (s.path !== job || s.member !== 'PropertiesChanged') return false;
      const progress = Number((s.body[1] as Record<string, Variant>).Progress?.value ?? 0);
      return progress > 0 && progress < 1;
    }, 30_000);
    await stack.client.service(job as string, JOB, 'Cancel');
    const end = await jobEnd(stack, job as string, 60_000);
    expect(end).toEqual({ success: false, message: 'Move cancelled; nothing was changed' });
    expect(await stack.client.property(stayer, GUEST, 'State')).toBe('running');
    expect(await libvirtState(stack, 'stayer', QEMU)).toBe(1);
    expect(await virsh(target.pid, target.uri, 'list', '--all', '--name')).not.toContain('stayer');
    // What libvirt 9.0 itself leaves there (beside the moved guest's disk): the disk image it pre-created for the copy
    // (qemuMigrationDstPrecreateStorage has no undo). Our service reaches only its own libvirt, so it
    // cannot remove it; this line notices the day libvirt does.
    const volumes = (await virsh(target.pid, target.uri, 'vol-list', 'default'))
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0] ?? '')
      .filter((name) => name.endsWith('.img'));
    expect(volumes).toEqual(['mover.img', 'stayer.img']);
  }, 120_000);
});
