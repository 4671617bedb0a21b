// A real libvirtd's guests with real files: storage pools and volumes made
// through libvirt-dbus, files inside the sandbox reached through its mount
// namespace, jobs of our service waited on, and a second libvirtd for moves.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Variant } from '@jellybrick/dbus-next';
import { libvirtCall } from './libvirt.js';
import { checkLibvirtVersion, SANDBOX, type ServiceStack } from './stack.js';
import type { TrackedProcess } from './processes.js';
import { UidCaller } from './uid-caller.js';

const run = promisify(execFile);

export const QEMU = '/org/libvirt/QEMU';
export const POOL_DIR = '/var/lib/libvirt/images';
export const JOB = 'me.phyllo.Switcher1.Job';

/** A path inside a sandbox, as this (host) process reaches it. */
export function inSandbox(pid: number | undefined, path: string): string {
  if (!pid) throw new Error('no sandbox');
  return `/proc/${pid}/root${path}`;
}

/** libvirt's 'default' directory pool, defined, built and started through libvirt-dbus. */
export async function defineDefaultPool(stack: ServiceStack): Promise<string> {
  const xml = `<pool type='dir'><name>default</name><target><path>${POOL_DIR}</path></target></pool>`;
  const [pool] = await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'StoragePoolDefineXML', 'su', [xml, 0]);
  await libvirtCall(stack, pool as string, 'org.libvirt.StoragePool', 'Build', 'u', [0]);
  await libvirtCall(stack, pool as string, 'org.libvirt.StoragePool', 'Create', 'u', [0]);
  return pool as string;
}

/** libvirt's 'default' pool, or undefined where there is none. */
export async function lookupDefaultPool(stack: ServiceStack): Promise<string | undefined> {
  return libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'StoragePoolLookupByName', 's', ['default']).then(
    ([path]) => path as string,
    () => undefined,
  );
}

/** The 'default' pool, running: defined here when no test before made it (a test run alone starts with none). */
export async function ensureDefaultPool(stack: ServiceStack): Promise<string> {
  const pool = await lookupDefaultPool(stack);
  if (!pool) return defineDefaultPool(stack);
  const [active] = await libvirtCall(stack, pool, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [
    'org.libvirt.StoragePool',
    'Active',
  ]);
  if (!(active as Variant).value) await libvirtCall(stack, pool, 'org.libvirt.StoragePool', 'Create', 'u', [0]);
  return pool;
}

/**
 * Takes the 'default' pool away with the volumes tests made in it, for a
 * test of a fresh host whatever ran before it in the sandbox. Its folder
 * stays, empty, as after a package removal.
 */
export async function removeDefaultPool(stack: ServiceStack): Promise<void> {
  const pool = await lookupDefaultPool(stack);
  if (!pool) return;
  await ensureDefaultPool(stack);
  await libvirtCall(stack, pool, 'org.libvirt.StoragePool', 'Refresh', 'u', [0]);
  const [volumes] = await libvirtCall(stack, pool, 'org.libvirt.StoragePool', 'ListStorageVolumes', 'u', [0]);
  for (const volume of volumes as string[])
    await libvirtCall(stack, volume, 'org.libvirt.StorageVol', 'Delete', 'u', [0]);
  await libvirtCall(stack, pool, 'org.libvirt.StoragePool', 'Destroy');
  await libvirtCall(stack, pool, 'org.libvirt.StoragePool', 'Undefine');
}

/** A new raw volume of the default pool (all holes); its object and file path. */
export async function createVolume(
  stack: ServiceStack,
  pool: string,
  name: string,
  bytes: number,
): Promise<{ volume: string; path: string }> {
  const xml = `<volume><name>${name}</name><capacity unit='bytes'>${bytes}</capacity><allocation>0</allocation><target><format type='raw'/></target></volume>`;
  const [volume] = await libvirtCall(stack, pool, 'org.libvirt.StoragePool', 'StorageVolCreateXML', 'su', [xml, 0]);
  const [path] = await libvirtCall(stack, volume as string, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [
    'org.libvirt.StorageVol',
    'Path',
  ]);
  return { volume: volume as string, path: (path as Variant).value as string };
}

export async function volumeNames(stack: ServiceStack, pool: string): Promise<string[]> {
  await libvirtCall(stack, pool, 'org.libvirt.StoragePool', 'Refresh', 'u', [0]);
  const [volumes] = await libvirtCall(stack, pool, 'org.libvirt.StoragePool', 'ListStorageVolumes', 'u', [0]);
  const names: string[] = [];
  for (const volume of volumes as string[]) {
    const [name] = await libvirtCall(stack, volume, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [
      'org.libvirt.StorageVol',
      'Name',
    ]);
    names.push((name as Variant).value as string);
  }
  return names.sort();
}

/**
 * A UEFI guest with an emulated TPM 2.0 and one raw disk, as Phyllome makes
 * them (q35, UEFI chosen by libvirt, tpm-crb), small enough for software
 * emulation. No display: sandboxes share this machine's ports, and a
 * display's port may be taken by another's guest.
 */
export function uefiGuestXml(name: string, disk: string, mac: string): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='${disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='user'><mac address='${mac}'/><model type='virtio'/></interface>
    <tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>
    <video><model type='virtio'/></video>
  </devices>
</domain>`;
}

/** SHA-256 of a whole file, read plainly (holes as zeros): an independent check of our copies. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface JobEnd {
  success: boolean;
  message: string;
}

/**
 * Waits for a job's Completed signal, which the service sends to the job's
 * starter alone: the stack's client for a job it started (watching our
 * service), or the UidCaller that started it.
 */
export async function jobEnd(starter: ServiceStack | UidCaller, job: string, timeoutMs = 60_000): Promise<JobEnd> {
  const body =
    starter instanceof UidCaller
      ? (await starter.signal(job, 'Completed', timeoutMs)).body
      : (await starter.client.waitForSignal((s) => s.path === job && s.member === 'Completed', timeoutMs)).body;
  return { success: body[0] as boolean, message: body[1] as string };
}

const ENDED = ['succeeded', 'failed', 'cancelled'];

/** A job's end as anybody watching sees it: its State, in PropertiesChanged, turned final. */
export function isJobEnd(job: string): (signal: { path?: string; member?: string; body: unknown[] }) => boolean {
  return (s) =>
    s.path === job &&
    s.member === 'PropertiesChanged' &&
    ENDED.includes(String((s.body[1] as Record<string, Variant> | undefined)?.State?.value));
}

/** Waits until a job has announced at least `progress` (0..1). */
export async function jobProgress(
  stack: ServiceStack,
  job: string,
  progress: number,
  timeoutMs = 60_000,
): Promise<void> {
  await stack.client.waitForSignal((s) => {
    if (s.path !== job) return false;
    if (s.member === 'Completed' || isJobEnd(job)(s)) throw new Error(`job ended before ${progress * 100} %`);
    const changed = s.member === 'PropertiesChanged' ? (s.body[1] as Record<string, Variant>) : {};
    return Number(changed.Progress?.value ?? -1) >= progress;
  }, timeoutMs);
}

/** virsh inside a sandbox's namespace. */
export async function virsh(pid: number | undefined, uri: string, ...args: string[]): Promise<string> {
  if (!pid) throw new Error('no sandbox');
  const { stdout } = await run('nsenter', ['--mount', `--target=${pid}`, '--', 'virsh', '-c', uri, ...args]);
  return stdout;
}

export interface SecondHost {
  /** The URI the first host's libvirtd reaches this one by. */
  uri: string;
  pid: number;
  process: TrackedProcess;
  dispose(): void;
}

/**
 * A second libvirtd in its own sandbox (its own state, its own host UUID),
 * listening on a socket the first one can reach: another host, for moves.
 */
export async function startSecondHost(stack: ServiceStack): Promise<SecondHost> {
  const dir = mkdtempSync(join(tmpdir(), 'phyllome-host2-'));
  const process = stack.group.start('libvirtd-sandbox-2', SANDBOX, [], {
    env: { ...stack.env, SANDBOX_SOCKET_DIR: dir, SANDBOX_NO_DBUS: '1' },
  });
  const [, pid] = await process.waitForOutput(/^ready (\d+)$/m, 30_000);
  checkLibvirtVersion(process.output());
  return {
    uri: `qemu+unix:///system?socket=${dir}/libvirt-sock`,
    pid: Number(pid),
    process,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
