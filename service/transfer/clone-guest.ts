// Clone: a guest that is off, copied on this host under a new name — a new
// UUID and MAC addresses, its disks copied sparse beside the originals (as
// new volumes of their pool when they are in one), its UEFI variables and
// its TPM state copied to the new guest's own places. The source is only
// read. A failed or cancelled clone removes whatever it made.

import { randomBytes, randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { validateGuestName } from '../create/guest-name.js';
import { alreadyExists, invalidState } from '../errors.js';
import type { Guest } from '../guests/guest.js';
import { guestPath } from '../guests/guest.js';
import type { JobContext, JobOutcome } from '../jobs/job.js';
import { domainByName, inactiveXml } from '../libvirt/domain.js';
import { createRawVolume, poolByTargetPath, refreshPool, volumeNames, type PoolInfo } from '../libvirt/storage-pool.js';
import { volumeFilePath } from '../libvirt/storage-vol.js';
import { copyFileTo } from './file-copy.js';
import { cloneDefinition, macFromBytes, readDefinition } from './guest-definition.js';
import { dataTotal, gatherGuestFiles, TPM_BUNDLE_DIR, type GuestFile } from './guest-files.js';
import { nvramPathFor, tpmStateDir } from './libvirt-state-dirs.js';
import {
  diskImageName,
  fileError,
  isOff,
  makeDirectories,
  pathExists,
  Undo,
  whileShutOff,
  type TransferHost,
} from './transfer-context.js';

const VOLUME_TIMEOUT_MS = 60_000;

interface PlannedDisk {
  source: GuestFile;
  /** A new volume of this pool, or a new plain file at `path`. */
  pool: PoolInfo | undefined;
  name: string;
  path: string;
}

export interface ClonePlan {
  guest: Guest;
  name: string;
  uuid: string;
  macs: string[];
  definitionXml: string;
  disks: PlannedDisk[];
  nvram: { source: GuestFile; destination: string } | undefined;
  /** The clone's variable store in its definition, for a UEFI guest (made from the template if none is copied). */
  nvramPath: string | undefined;
  tpm: { source: GuestFile; destination: string }[];
  tpmDir: string;
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

export async function planClone(host: TransferHost, guest: Guest, requestedName: string): Promise<ClonePlan> {
  const name = validateGuestName(requestedName);
  if (!isOff(guest)) throw invalidState(`${guest.name} is ${guest.state}; shut it down before cloning it`);
  if (host.registry.find(name) || (await domainByName(host.client, name))) {
    throw alreadyExists(`A guest named ${name} already exists`);
  }
  const definitionXml = await inactiveXml(host.client, guest.libvirtPath);
  const definition = readDefinition(definitionXml);
  const files = await gatherGuestFiles(host, definition);
  const disks: PlannedDisk[] = [];
  const takenInPool = new Map<string, Set<string>>();
  for (const source of files.disks) {
    const directory = dirname(source.file.path);
    const pool = await poolByTargetPath(host.client, directory);
    let taken = pool ? takenInPool.get(pool.path) : undefined;
    if (pool && !taken) {
      taken = await volumeNames(host.client, pool);
      takenInPool.set(pool.path, taken);
    }
    for (let n = 1; ; n++) {
      const candidate = diskImageName(name, source.target as string, source.format as string, n);
      const path = join(directory, candidate);
      if (taken?.has(candidate) || disks.some((d) => d.path === path) || (await pathExists(path))) continue;
      taken?.add(candidate);
      disks.push({ source, pool, name: candidate, path });
      break;
    }
  }
  const uuid = randomUUID();
  // The clone's own store, named from its UUID: never the source's, even before the source has one.
  const nvramDestination = nvramPathFor(host.dirs, uuid);
  if (definition.uefi && (await pathExists(nvramDestination))) {
    throw alreadyExists(`UEFI variables for a guest with UUID ${uuid} are already at ${nvramDestination}`);
  }
  const tpmDir = tpmStateDir(host.dirs, uuid);
  return {
    guest,
    name,
    uuid,
    macs: newMacs(definition.macs.length, definition.macs),
    definitionXml,
    disks,
    nvram: files.nvram && { source: files.nvram, destination: nvramDestination },
    nvramPath: definition.uefi ? nvramDestination : undefined,
    tpm: files.tpm.map((source) => ({
      source,
      destination: join(tpmDir, source.bundlePath.slice(TPM_BUNDLE_DIR.length + 1)),
    })),
    tpmDir,
  };
}

export async function runClone(host: TransferHost, plan: ClonePlan, job: JobContext): Promise<JobOutcome> {
  const undo = new Undo();
  const guard = whileShutOff(host.registry, plan.guest.path, job.signal);
  const options = { signal: guard.signal, onBytes: (bytes: number) => job.advance(bytes) };
  const files = [
    ...(plan.nvram ? [plan.nvram.source] : []),
    ...plan.tpm.map((t) => t.source),
    ...plan.disks.map((d) => d.source),
  ];
  try {
    job.setTotal(dataTotal(files));
    if (plan.nvram) {
      await makeDirectories(dirname(plan.nvram.destination), 0o755, undo);
      undo.file(plan.nvram.destination);
      await copyFileTo(plan.nvram.source.file, plan.nvram.destination, 'create', options);
    }
    if (plan.tpm.length > 0) await makeDirectories(plan.tpmDir, 0o711, undo);
    for (const file of plan.tpm) {
      await makeDirectories(dirname(file.destination), 0o700, undo);
      undo.file(file.destination);
      await copyFileTo(file.source.file, file.destination, 'create', options);
    }
    const diskPaths = new Map<string, string>();
    for (const disk of plan.disks) {
      guard.signal.throwIfAborted();
      let path = disk.path;
      if (disk.pool) {
        const volume = await createRawVolume(
          host.client,
          disk.pool,
          disk.name,
          disk.source.file.size,
          VOLUME_TIMEOUT_MS,
        );
        undo.volume(host.client, volume);
        path = await volumeFilePath(host.client, volume);
        await copyFileTo(disk.source.file, path, 'overwrite', options);
      } else {
        undo.file(path);
        await copyFileTo(disk.source.file, path, 'create', options);
      }
      diskPaths.set(disk.source.target as string, path);
    }
    for (const pool of new Set(plan.disks.flatMap((d) => (d.pool ? [d.pool] : []))))
      await refreshPool(host.client, pool);
    const xml = cloneDefinition(plan.definitionXml, {
      name: plan.name,
      uuid: plan.uuid,
      macs: plan.macs,
      diskPaths,
      nvramPath: plan.nvramPath,
    });
    guard.signal.throwIfAborted();
    await host.client.defineXml(xml);
    undo.forget();
    return { result: guestPath(plan.uuid), message: `Cloned ${plan.guest.name} as ${plan.name}` };
  } catch (error) {
    await undo.run();
    throw fileError(error, `clone ${plan.guest.name}`);
  } finally {
    guard.release();
  }
}
