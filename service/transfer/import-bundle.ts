// Import: a bundle made into a guest of this host. Everything that can be
// checked cheaply is checked before a job exists (the manifest, every file
// there at its size, the definition's own checksum, the name and UUID free,
// somewhere to put the disks); the job then copies each file into place —
// disks into new volumes of libvirt's 'default' pool — checking each
// checksum as it goes, and defines the guest only when all of them matched.
// A failed or cancelled import removes whatever it made.

import { constants, lstat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { profileOf } from '../create/guest-model.js';
import { validateGuestName } from '../create/guest-name.js';
import {
  callerPath,
  closedToCaller,
  openRegularFile,
  R,
  refusePseudoFileSystem,
  viewAsCaller,
  X,
  type FileCaller,
} from '../dbus/caller-files.js';
import { alreadyExists, invalidArgument, noSuchFile, SwitcherError } from '../errors.js';
import { guestPath } from '../guests/guest.js';
import type { JobContext, JobOutcome } from '../jobs/job.js';
import { domainByName, domainByUuid } from '../libvirt/domain.js';
import {
  createRawVolume,
  poolByName,
  poolIsActive,
  refreshPool,
  volumeNames,
  type PoolInfo,
} from '../libvirt/storage-pool.js';
import { volumeFilePath } from '../libvirt/storage-vol.js';
import { checksumOf } from './block-checksum.js';
import { copyFileTo, measureFile, type MeasuredFile } from './file-copy.js';
import { log } from '../log.js';
import { checkImportDefinition, importDefinition, planImportedGuest, type ImportModel } from './guest-definition.js';
import type { BundleImage } from './import-check.js';
import { TPM_BUNDLE_DIR } from './guest-files.js';
import { nvramPathFor, tpmStateDir } from './libvirt-state-dirs.js';
import {
  DEFINITION_NAME,
  MANIFEST_NAME,
  MAX_SMALL_FILE,
  parseManifest,
  type BundleFile,
  type Manifest,
} from './manifest.js';
import { diskImageName, fileError, makeDirectories, pathExists, Undo, type TransferHost } from './transfer-context.js';

export const DEFAULT_POOL = 'default';
const VOLUME_TIMEOUT_MS = 60_000;

interface PlannedFile {
  entry: BundleFile;
  file: MeasuredFile;
}

export interface ImportPlan {
  bundle: string;
  manifest: Manifest;
  definitionXml: string;
  /** The seat the guest's own metadata gives it ('' for none): it travels with the guest. */
  seat: string;
  /** Where the disks go; undefined: the 'default' pool, made by the job (a fresh host), or none without disks. */
  pool: PoolInfo | undefined;
  disks: (PlannedFile & { volumeName: string })[];
  nvram: (PlannedFile & { destination: string }) | undefined;
  tpm: (PlannedFile & { destination: string })[];
  tpmDir: string;
  /** The guest's UEFI variable store here (from its UUID), for a guest that boots UEFI. */
  nvramPath: string | undefined;
  /** Phyllome's model on this host, which the guest is made again from. */
  model: ImportModel;
  /** libvirt's autostart flag, from the manifest: set once the guest is defined. */
  autostart: boolean;
  /** What this host lacks for the guest, and what it sets instead of the bundle: said when the job ends. */
  warnings: string[];
  dropped: string[];
}

async function readSmallFile(path: string, what: string): Promise<Buffer> {
  // Opened without following a symlink, and checked on what was opened: the bundle is the caller's to change.
  const file = await openRegularFile(path, constants.O_NOFOLLOW).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ELOOP') throw invalidArgument(`The bundle is damaged: ${what} is not a file`);
    throw fileError(error, `read ${what}`);
  });
  if (!file) throw invalidArgument(`The bundle is damaged: ${what} is not a file`);
  try {
    const info = await file.stat();
    if (info.size > MAX_SMALL_FILE) throw invalidArgument(`The bundle is damaged: ${what} is too large`);
    return await file.readFile();
  } finally {
    await file.close();
  }
}

/** A volume name not yet taken in the pool. */
function freeVolumeName(taken: Set<string>, guest: string, target: string, format: string): string {
  for (let n = 1; ; n++) {
    const name = diskImageName(guest, target, format, n);
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
}

/** Checks the bundle and this host; throws a typed error before any job exists. */
export async function planImport(
  host: TransferHost,
  bundlePath: string,
  caller: FileCaller | undefined,
): Promise<ImportPlan> {
  const named = callerPath(bundlePath, 'The bundle path');
  // Walked as the caller from / down before anything looks at it: behind a folder closed to the
  // caller, a bundle and nothing get the same AccessDenied. Resolved as the kernel resolves it
  // (symbolic links, then '..'): a link to a bundle is that bundle.
  const view = await viewAsCaller(named, caller, R | X).catch((error: unknown) => {
    throw fileError(error, `import ${named}`);
  });
  if (view.kind === 'closed') {
    throw new SwitcherError('AccessDenied', `You cannot read ${named}: ${view.where} is closed to you`);
  }
  if (view.kind === 'missing') throw noSuchFile(`Cannot import ${named}: ${named} does not exist`);
  const bundle = view.path;
  if (!view.stats.isDirectory()) throw invalidArgument(`${named} is not a bundle (a folder)`);
  await refusePseudoFileSystem(bundle, named);
  if (view.kind === 'denied')
    throw new SwitcherError('AccessDenied', `You cannot read ${named}: ${named} is closed to you`);
  // The service may read what the caller may not (it runs as root for every user): each file is checked.
  const openToCaller = async (path: string, want: number): Promise<void> => {
    const closed = caller && (await closedToCaller(path, caller, want));
    if (closed) throw new SwitcherError('AccessDenied', `You cannot read ${path}: ${closed}`);
  };
  await openToCaller(join(bundle, MANIFEST_NAME), R).catch((error: unknown) => {
    throw fileError(error, `import ${bundle}`);
  });
  const manifest = parseManifest((await readSmallFile(join(bundle, MANIFEST_NAME), 'its manifest')).toString());
  const planned: PlannedFile[] = [];
  for (const entry of manifest.files) {
    const path = join(bundle, entry.path);
    const found = await lstat(path).catch(() => undefined);
    if (!found) throw invalidArgument(`The bundle is incomplete: ${entry.path} is missing`);
    if (!found.isFile()) throw invalidArgument(`The bundle is damaged: ${entry.path} is not a file`);
    await openToCaller(path, R);
    if (found.size !== entry.size) {
      throw invalidArgument(`The bundle is damaged: ${entry.path} has ${found.size} bytes, not ${entry.size}`);
    }
    if (entry.role !== 'definition') planned.push({ entry, file: await measureFile(path) });
  }
  const definitionBytes = await readSmallFile(join(bundle, DEFINITION_NAME), 'its definition');
  const definitionEntry = manifest.files.find((f) => f.role === 'definition') as BundleFile;
  if (checksumOf(definitionBytes) !== definitionEntry.checksum) {
    throw invalidArgument(`The bundle is damaged: ${DEFINITION_NAME} does not match its checksum`);
  }
  const definitionXml = definitionBytes.toString();
  const { name, uuid } = manifest.guest;
  // CreateGuest's rule for a new guest's name: a bundle's name never becomes a path, and is a name.
  validateGuestName(name);
  if (host.registry.find(name) || (await domainByName(host.client, name))) {
    throw alreadyExists(`A guest named ${name} already exists here`);
  }
  if (host.registry.find(uuid) || (await domainByUuid(host.client, uuid))) {
    throw alreadyExists(`A guest with UUID ${uuid} already exists here`);
  }
  const disks = planned.filter((p) => p.entry.role === 'disk');
  const images = new Map<string, BundleImage>(
    disks.map((d) => [
      d.entry.target as string,
      { format: d.entry.format as string, flattened: d.entry.flattened === true },
    ]),
  );
  const reading = checkImportDefinition(definitionXml, images);
  if (reading.guest.name !== name || reading.guest.uuid !== uuid) {
    throw invalidArgument('The bundle is damaged: its definition is not the guest its manifest names');
  }
  const nvramDestination = nvramPathFor(host.dirs, uuid);
  const model = await importModel(host, reading.guest.osId, images);
  // What the model makes of the guest here, now: a host it cannot run on is refused before any job.
  const guestPlan = planImportedGuest(
    definitionXml,
    reading.guest.firmware === 'efi' ? nvramDestination : undefined,
    model.model,
  );
  // Disks go into libvirt's 'default' pool, made by the job where a fresh host has none yet.
  const pool = disks.length > 0 ? await poolByName(host.client, DEFAULT_POOL) : undefined;
  const taken =
    pool && (await poolIsActive(host.client, pool)) ? await volumeNames(host.client, pool) : new Set<string>();
  const nvramEntry = planned.find((p) => p.entry.role === 'nvram');
  if (nvramEntry && reading.guest.firmware !== 'efi') {
    throw invalidArgument('The bundle is damaged: it carries UEFI variables for a guest that boots from BIOS');
  }
  if (nvramEntry && (await pathExists(nvramDestination))) {
    throw alreadyExists(`UEFI variables for a guest with UUID ${uuid} are already at ${nvramDestination}`);
  }
  const tpmDir = tpmStateDir(host.dirs, uuid);
  const tpmFiles = planned.filter((p) => p.entry.role === 'tpm');
  if (tpmFiles.length > 0 && reading.guest.tpm === undefined) {
    throw invalidArgument('The bundle is damaged: it carries TPM state for a guest with no TPM');
  }
  if (tpmFiles.length > 0 && (await pathExists(tpmDir))) {
    throw alreadyExists(`TPM state for UUID ${uuid} is already at ${tpmDir}`);
  }
  return {
    bundle,
    manifest,
    definitionXml,
    seat: reading.guest.settings.seat,
    pool,
    disks: disks.map((d) => ({
      ...d,
      volumeName: freeVolumeName(taken, name, d.entry.target as string, d.entry.format as string),
    })),
    nvram: nvramEntry && { ...nvramEntry, destination: nvramDestination },
    nvramPath: reading.guest.firmware === 'efi' ? nvramDestination : undefined,
    tpm: tpmFiles.map((t) => ({ ...t, destination: join(tpmDir, t.entry.path.slice(TPM_BUNDLE_DIR.length + 1)) })),
    tpmDir,
    model: model.model,
    autostart: manifest.guest.autostart === true,
    warnings: [...(model.warning ? [model.warning] : []), ...guestPlan.warnings],
    dropped: reading.dropped,
  };
}

/** Phyllome's model on this host for the bundle's guest: its OS's profile, the host, the template. */
async function importModel(
  host: TransferHost,
  osId: string,
  images: ReadonlyMap<string, BundleImage>,
): Promise<{ model: ImportModel; warning?: string }> {
  const db = await host.model.osinfo();
  const { profile, warning } = profileOf(db, osId);
  const [capabilities, placement] = await Promise.all([host.model.capabilities(), host.model.placement()]);
  return {
    model: { os: profile, host: capabilities, placement, template: host.model.template(profile.template), images },
    ...(warning ? { warning } : {}),
  };
}

/** What the job says when it is done: what the host lacks, and what it set instead of the bundle. */
export function importMessage(name: string, warnings: readonly string[], dropped: readonly string[]): string {
  const parts = [`Imported ${name}`];
  if (warnings.length > 0) parts.push(warnings.join('. '));
  if (dropped.length > 0) parts.push(`Set by this host instead of the bundle: ${dropped.join(', ')}`);
  return parts.join('. ');
}

export async function runImport(host: TransferHost, plan: ImportPlan, job: JobContext): Promise<JobOutcome> {
  const { name, uuid } = plan.manifest.guest;
  const undo = new Undo();
  const all = [...(plan.nvram ? [plan.nvram] : []), ...plan.tpm, ...plan.disks];
  job.setTotal(all.reduce((sum, p) => sum + p.file.dataBytes, 0));
  const copy = async (planned: PlannedFile, destination: string, how: 'create' | 'overwrite'): Promise<void> => {
    if (how === 'create') undo.file(destination);
    const copied = await copyFileTo(planned.file, destination, how, {
      signal: job.signal,
      onBytes: (bytes) => job.advance(bytes),
    });
    if (copied.checksum !== planned.entry.checksum) {
      throw invalidArgument(`The bundle is damaged: ${planned.entry.path} does not match its checksum`);
    }
  };
  try {
    if (plan.nvram) {
      await makeDirectories(dirname(plan.nvram.destination), 0o755, undo);
      await copy(plan.nvram, plan.nvram.destination, 'create');
    }
    if (plan.tpm.length > 0) {
      // libvirt gives the directories and files to swtpm's user when the guest starts.
      await makeDirectories(plan.tpmDir, 0o711, undo);
      for (const file of plan.tpm) {
        await makeDirectories(dirname(file.destination), 0o700, undo);
        await copy(file, file.destination, 'create');
      }
    }
    const diskPaths = new Map<string, string>();
    // A fresh host has no 'default' pool yet: made (and started) as CreateGuest makes it.
    const pool = plan.disks.length > 0 ? await host.model.ensurePool() : undefined;
    for (const disk of plan.disks) {
      job.signal.throwIfAborted();
      const volume = await createRawVolume(
        host.client,
        pool as PoolInfo,
        disk.volumeName,
        disk.entry.size,
        VOLUME_TIMEOUT_MS,
      );
      undo.volume(host.client, volume);
      const path = await volumeFilePath(host.client, volume);
      await copy(disk, path, 'overwrite');
      diskPaths.set(disk.entry.target as string, path);
    }
    if (pool) await refreshPool(host.client, pool);
    const xml = importDefinition(plan.definitionXml, { diskPaths, nvramPath: plan.nvramPath, model: plan.model });
    job.signal.throwIfAborted();
    const domain = await host.client.defineXml(xml);
    undo.domain(host.client, domain);
    // libvirt keeps autostart beside the definition, not in it: the manifest carried it. It sends no
    // event for it either: the guest is read again once it is set.
    if (plan.autostart) {
      await host.client.setDomainAutostart(domain, true);
      await host.registry.refresh(domain);
    }
    undo.forget();
    job.setGuest(guestPath(uuid));
    for (const warning of plan.warnings) log.warning(`Import ${name}: ${warning}`);
    if (plan.dropped.length > 0) log.info(`Import ${name}: set by this host: ${plan.dropped.join(', ')}`);
    return { result: guestPath(uuid), message: importMessage(name, plan.warnings, plan.dropped) };
  } catch (error) {
    await undo.run();
    throw fileError(error, `import ${name}`);
  }
}
