// Clone: a guest that is off, copied on this host under a new name — a new
// UUID and MAC addresses, its disks copied sparse into new volumes named
// from the new UUID (in the source disk's pool when it is in one, else the
// 'default' pool), its UEFI variables and TPM state copied by the helper to
// the clone's own places, named from the clone's UUID too. The source is
// only read. A failed or cancelled clone removes whatever it made.

import { randomBytes, randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { validateGuestName } from '../create/guest-name.js';
import { alreadyExists, invalidState } from '../errors.js';
import type { FilesCall } from '../guest-files/client.js';
import { guestVolumeName, type GuestFilesFound } from '../guest-files/protocol.js';
import type { Guest } from '../guests/guest.js';
import { guestPath } from '../guests/guest.js';
import type { JobContext, JobOutcome } from '../jobs/job.js';
import { domainByName, inactiveXml } from '../libvirt/domain.js';
import {
  DEFAULT_POOL,
  poolByName,
  poolByTargetPath,
  refreshPool,
  volumeNames,
  type PoolInfo,
} from '../libvirt/storage-pool.js';
import { volumeByName, volumeFilePath } from '../libvirt/storage-vol.js';
import { cloneDefinition, macFromBytes, readDefinition } from '../bundle/guest-definition.js';
import { isOff, jobKey, Undo, whileShutOff, type TransferHost } from './transfer-context.js';

const VOLUME_TIMEOUT_MS = 60_000;

interface PlannedDisk {
  target: string;
  format: string;
  size: number;
  pool: PoolInfo;
  volume: string;
}

export interface ClonePlan {
  guest: Guest;
  name: string;
  uuid: string;
  macs: string[];
  definitionXml: string;
  disks: PlannedDisk[];
  total: number;
}

function newMacs(count: number, taken: readonly string[]): string[] {
  const used = new Set(taken);
  const macs: string[] = [];
  while (macs.length < count) {
    const mac = macFromBytes(randomBytes(3));
    if (used.has(mac)) continue;
    used.add(mac);
    macs.push(mac);
  }
  return macs;
}

function guestFilesFound(value: unknown): GuestFilesFound {
  const data = (value ?? {}) as Record<string, unknown>;
  if (!Array.isArray(data.disks) || !Array.isArray(data.tpm)) throw invalidState("The guest's files could not be read");
  return data as unknown as GuestFilesFound;
}

export async function planClone(host: TransferHost, guest: Guest, requestedName: string): Promise<ClonePlan> {
  const name = validateGuestName(requestedName);
  if (!isOff(guest)) throw invalidState(`${guest.name} is ${guest.state}; shut it down before cloning it`);
  if (host.registry.find(name) || (await domainByName(host.client, name))) {
    throw alreadyExists(`A guest named ${name} already exists`);
  }
  const definitionXml = await inactiveXml(host.client, guest.libvirtPath);
  const definition = readDefinition(definitionXml);
  const found = guestFilesFound(await host.files.ask({ op: 'inspect-guest', uuid: guest.uuid }));
  const overlay = found.disks.find((d) => d.overlay);
  if (overlay) {
    throw invalidState(
      `Disk ${overlay.target} is an overlay on another image, which a clone would share; flatten it first (qemu-img convert)`,
    );
  }
  const uuid = randomUUID();
  const disks: PlannedDisk[] = [];
  const takenInPool = new Map<string, Set<string>>();
  for (const disk of found.disks) {
    const pool =
      (await poolByTargetPath(host.client, dirname(disk.file))) ?? (await poolByName(host.client, DEFAULT_POOL));
    if (!pool)
      throw invalidState(`Disk ${disk.target} is in no storage pool, and libvirt has no '${DEFAULT_POOL}' pool`);
    let taken = takenInPool.get(pool.path);
    if (!taken) {
      taken = await volumeNames(host.client, pool);
      takenInPool.set(pool.path, taken);
    }
    const volume = guestVolumeName(uuid, disk.target, disk.format);
    if (taken.has(volume)) throw alreadyExists(`The storage pool ${pool.name} already has a volume ${volume}`);
    disks.push({ target: disk.target, format: disk.format, size: disk.size, pool, volume });
  }
  const total =
    found.disks.reduce((sum, d) => sum + d.dataBytes, 0) +
    (found.nvram?.dataBytes ?? 0) +
    found.tpm.reduce((sum, t) => sum + t.dataBytes, 0);
  return {
    guest,
    name,
    uuid,
    macs: newMacs(definition.macs.length, definition.macs),
    definitionXml,
    disks,
    total,
  };
}

export async function runClone(host: TransferHost, plan: ClonePlan, job: JobContext): Promise<JobOutcome> {
  const key = jobKey('clone');
  const undo = new Undo(await host.journal.begin(key, { op: 'clone', uuid: plan.uuid }));
  const guard = whileShutOff(host.registry, plan.guest.path, job.signal);
  let call: FilesCall<'clone'> | undefined;
  const cancel = (): void => call?.cancel();
  guard.signal.addEventListener('abort', cancel, { once: true });
  try {
    job.setTotal(plan.total);
    for (const disk of plan.disks) {
      guard.signal.throwIfAborted();
      await undo.volume(host.client, disk.pool, disk.volume, disk.size, VOLUME_TIMEOUT_MS);
    }
    guard.signal.throwIfAborted();
    call = await host.files.request(
      {
        op: 'clone',
        job: key,
        source: plan.guest.uuid,
        uuid: plan.uuid,
        disks: plan.disks.map((d) => ({ target: d.target, format: d.format, pool: d.pool.name, volume: d.volume })),
      },
      { onTotal: (bytes) => job.setTotal(bytes), onProgress: (bytes) => job.advance(bytes) },
      undefined,
    );
    const files = call;
    undo.step('the UEFI variables and TPM state', async () => {
      files.cancel();
      await files.result().catch(() => undefined);
    });
    const ready = await call.ready();
    const diskPaths = new Map<string, string>();
    for (const pool of new Set(plan.disks.map((d) => d.pool))) await refreshPool(host.client, pool);
    for (const disk of plan.disks) {
      const volume = await volumeByName(host.client, disk.pool.path, disk.volume);
      if (!volume) throw invalidState(`The volume ${disk.volume} went away during the clone`);
      diskPaths.set(disk.target, await volumeFilePath(host.client, volume));
    }
    const xml = cloneDefinition(plan.definitionXml, {
      name: plan.name,
      uuid: plan.uuid,
      macs: plan.macs,
      diskPaths,
      nvramPath: typeof ready.nvramPath === 'string' ? ready.nvramPath : undefined,
    });
    guard.signal.throwIfAborted();
    undo.domain(host.client, await host.client.defineXml(xml));
    call.go();
    await call.result();
    await undo.forget();
    return { result: guestPath(plan.uuid), message: `Cloned ${plan.guest.name} as ${plan.name}` };
  } catch (error) {
    await undo.run();
    throw guard.signal.aborted && !job.signal.aborted ? (guard.signal.reason as Error) : error;
  } finally {
    guard.signal.removeEventListener('abort', cancel);
    guard.release();
  }
}
