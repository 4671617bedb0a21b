// Import: a bundle made into a guest of this host. A worker run as the
// caller reads the bundle; the service checks what it says as it would any
// caller's words (the manifest, every file there at its size, the
// definition's own checksum, the name and UUID free, somewhere to put the
// disks) before a job exists. The job makes the disks' volumes through
// libvirt (<uuid>-<device>.<format>), has the helper make the UEFI variables
// and TPM state from the UUID and a worker copy the bundle into them, each
// checksum checked as it goes and each qcow2 image checked on the bytes
// that landed, and defines the guest only when all of it is in place. A
// failed or cancelled import removes whatever it made.

import { profileOf } from '../create/guest-model.js';
import { validateGuestName } from '../create/guest-name.js';
import { alreadyExists, invalidArgument, invalidState } from '../errors.js';
import type { FilesCall } from '../guest-files/client.js';
import { guestVolumeName, TPM_STATE_FILE, type BundleRead, type Caller } from '../guest-files/protocol.js';
import { guestPath } from '../guests/guest.js';
import type { JobContext, JobOutcome } from '../jobs/job.js';
import { domainByName, domainByUuid } from '../libvirt/domain.js';
import {
  DEFAULT_POOL,
  poolByName,
  poolIsActive,
  refreshPool,
  volumeNames,
  type PoolInfo,
} from '../libvirt/storage-pool.js';
import { volumeByName, volumeFilePath } from '../libvirt/storage-vol.js';
import { log } from '../log.js';
import { checksumOf } from '../copy/block-checksum.js';
import {
  checkImportDefinition,
  importDefinition,
  planImportedGuest,
  type ImportModel,
} from '../bundle/guest-definition.js';
import type { BundleImage } from '../bundle/import-check.js';
import type { StatedGuest } from '../create/plan.js';
import { nvramPathFor } from '../libvirt/state-dirs.js';
import {
  DEFINITION_NAME,
  MAX_BUNDLE_FILES,
  MAX_SMALL_FILE,
  parseManifest,
  type BundleFile,
  type Manifest,
} from '../bundle/manifest.js';
import { jobKey, Undo, type TransferHost } from './transfer-context.js';

const VOLUME_TIMEOUT_MS = 60_000;
const SMALL_FILE_BASE64 = Math.ceil(MAX_SMALL_FILE / 3) * 4;
/** The formats an imported disk may have: raw (no header) and qcow2 (its header checked). */
const IMAGE_FORMATS = new Set(['raw', 'qcow2']);

interface PlannedFile {
  entry: BundleFile;
  dataBytes: number;
}

export interface ImportPlan {
  /** The bundle as the caller's worker resolved it. */
  bundle: string;
  caller: Caller;
  manifest: Manifest;
  /** The guest its definition states, read once: the job makes the definition from it. */
  guest: StatedGuest;
  uefi: boolean;
  /** The seat the guest's own metadata gives it ('' for none): it travels with the guest. */
  seat: string;
  /** Where the disks go; undefined: the 'default' pool, made by the job (a fresh host), or none without disks. */
  pool: PoolInfo | undefined;
  disks: (PlannedFile & { volumeName: string })[];
  nvram: PlannedFile | undefined;
  tpm: PlannedFile[];
  /** Phyllome's model on this host, which the guest is made again from. */
  model: ImportModel;
  /** libvirt's autostart flag, from the manifest: set once the guest is defined. */
  autostart: boolean;
  /** What this host lacks for the guest, and what it sets instead of the bundle: said when the job ends. */
  warnings: string[];
  dropped: string[];
}

/** What a worker said of a bundle, as data of ours or an error: a worker is the caller's. */
function bundleRead(value: unknown): BundleRead {
  const data = (value ?? {}) as Record<string, unknown>;
  const files = data.files;
  // Sizes first: nothing larger than a bundle's small files is decoded (base64 is 4 characters for 3 bytes).
  const small = (text: unknown): boolean => typeof text === 'string' && text.length <= SMALL_FILE_BASE64;
  const ok =
    typeof data.bundle === 'string' &&
    small(data.manifest) &&
    small(data.definition) &&
    Array.isArray(files) &&
    files.length <= MAX_BUNDLE_FILES &&
    files.every(
      (f: unknown) =>
        typeof (f as { path?: unknown }).path === 'string' &&
        Number.isSafeInteger((f as { size?: unknown }).size) &&
        Number.isSafeInteger((f as { dataBytes?: unknown }).dataBytes),
    );
  if (!ok) throw invalidArgument('The bundle could not be read');
  return data as unknown as BundleRead;
}

/** Checks the bundle (read by a worker as the caller) and this host; throws a typed error before any job exists. */
export async function planImport(host: TransferHost, bundlePath: string, caller: Caller): Promise<ImportPlan> {
  const read = bundleRead(await host.files.ask({ op: 'read-bundle', caller, bundle: bundlePath }));
  const manifest = parseManifest(Buffer.from(read.manifest, 'base64').toString());
  const measured = new Map(read.files.map((f) => [f.path, f]));
  const planned: PlannedFile[] = [];
  for (const entry of manifest.files) {
    const found = measured.get(entry.path);
    if (!found) throw invalidArgument(`The bundle is incomplete: ${entry.path} is missing`);
    if (found.size !== entry.size) {
      throw invalidArgument(`The bundle is damaged: ${entry.path} has ${found.size} bytes, not ${entry.size}`);
    }
    if (entry.role !== 'definition') planned.push({ entry, dataBytes: Math.min(found.dataBytes, found.size) });
  }
  const definitionBytes = Buffer.from(read.definition, 'base64');
  const definitionEntry = manifest.files.find((f) => f.role === 'definition') as BundleFile;
  if (definitionBytes.length !== definitionEntry.size || checksumOf(definitionBytes) !== definitionEntry.checksum) {
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
  for (const disk of disks) {
    const format = disk.entry.format as string;
    if (!IMAGE_FORMATS.has(format)) {
      throw invalidArgument(
        `The bundle's disk ${disk.entry.target as string} is a ${format} image; only raw and qcow2 images are taken`,
      );
    }
  }
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
  const uefi = reading.guest.firmware === 'efi';
  const nvram = planned.find((p) => p.entry.role === 'nvram');
  if (nvram && !uefi) {
    throw invalidArgument('The bundle is damaged: it carries UEFI variables for a guest that boots from BIOS');
  }
  const tpm = planned.filter((p) => p.entry.role === 'tpm');
  if (tpm.length > 0 && reading.guest.tpm === undefined) {
    throw invalidArgument('The bundle is damaged: it carries TPM state for a guest with no TPM');
  }
  for (const file of tpm) {
    if (!file.entry.path.startsWith('tpm/') || !TPM_STATE_FILE.test(file.entry.path.slice(4))) {
      throw invalidArgument(`The bundle is damaged or not ours: ${file.entry.path} is no TPM state file of swtpm's`);
    }
  }
  const model = await importModel(host, reading.guest.osId, images);
  // What the model makes of the guest here, now: a host it cannot run on is refused before any job.
  // The variable store is the helper's to make, named from the UUID as nvramPathFor names it.
  const guestPlan = planImportedGuest(reading.guest, uefi ? nvramPathFor(host.dirs, uuid) : undefined, model.model);
  // Disks go into libvirt's 'default' pool, made by the job where a fresh host has none yet.
  const pool = disks.length > 0 ? await poolByName(host.client, DEFAULT_POOL) : undefined;
  const taken =
    pool && (await poolIsActive(host.client, pool)) ? await volumeNames(host.client, pool) : new Set<string>();
  await host.files.ask({ op: 'check-free', uuid, nvram: nvram !== undefined, tpm: tpm.length > 0 });
  return {
    bundle: read.bundle,
    caller,
    manifest,
    guest: reading.guest,
    uefi,
    seat: reading.guest.settings.seat,
    pool,
    disks: disks.map((d) => {
      const volumeName = guestVolumeName(uuid, d.entry.target as string, d.entry.format as string);
      if (taken.has(volumeName)) throw alreadyExists(`The storage pool already has a volume ${volumeName}`);
      return { ...d, volumeName };
    }),
    nvram,
    tpm,
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
  const key = jobKey('import');
  const undo = new Undo(await host.journal.begin(key, { op: 'import', uuid }));
  const all = [...(plan.nvram ? [plan.nvram] : []), ...plan.tpm, ...plan.disks];
  job.setTotal(all.reduce((sum, p) => sum + p.dataBytes, 0));
  let call: FilesCall<'import'> | undefined;
  const cancel = (): void => call?.cancel();
  job.signal.addEventListener('abort', cancel, { once: true });
  try {
    // A fresh host has no 'default' pool yet: made (and started) as CreateGuest makes it.
    const pool = plan.disks.length > 0 ? await host.model.ensurePool() : undefined;
    for (const disk of plan.disks) {
      job.signal.throwIfAborted();
      await undo.volume(host.client, pool as PoolInfo, disk.volumeName, disk.entry.size, VOLUME_TIMEOUT_MS);
    }
    job.signal.throwIfAborted();
    call = await host.files.request(
      {
        op: 'import',
        job: key,
        caller: plan.caller,
        uuid,
        bundle: plan.bundle,
        uefi: plan.uefi,
        files: all.map(({ entry }) => ({
          role: entry.role as 'nvram' | 'tpm' | 'disk',
          bundlePath: entry.path,
          size: entry.size,
          checksum: entry.checksum,
          ...(entry.role === 'tpm' ? { tpmPath: entry.path.slice(4) } : {}),
          ...(entry.role === 'disk'
            ? {
                target: entry.target as string,
                format: entry.format as string,
                pool: (pool as PoolInfo).name,
                volume: guestVolumeName(uuid, entry.target as string, entry.format as string),
              }
            : {}),
        })),
      },
      { onProgress: (bytes) => job.advance(bytes) },
      undefined,
    );
    const files = call;
    // Undone after the definition (so the helper finds no guest of that UUID and removes its files), before the volumes.
    undo.step('the UEFI variables and TPM state', async () => {
      files.cancel();
      await files.result().catch(() => undefined);
    });
    const ready = await call.ready();
    const diskPaths = new Map<string, string>();
    if (pool) {
      await refreshPool(host.client, pool);
      for (const disk of plan.disks) {
        const volume = await volumeByName(host.client, pool.path, disk.volumeName);
        if (!volume) throw invalidState(`The volume ${disk.volumeName} went away during the import`);
        diskPaths.set(disk.entry.target as string, await volumeFilePath(host.client, volume));
      }
    }
    const xml = importDefinition(plan.guest, {
      diskPaths,
      nvramPath: typeof ready.nvramPath === 'string' ? ready.nvramPath : undefined,
      model: plan.model,
    });
    job.signal.throwIfAborted();
    const domain = await host.client.defineXml(xml);
    undo.domain(host.client, domain);
    call.go();
    await call.result();
    // libvirt keeps autostart beside the definition, not in it: the manifest carried it. It sends no
    // event for it either: the guest is read again once it is set.
    if (plan.autostart) {
      await host.client.setDomainAutostart(domain, true);
      await host.registry.refresh(domain);
    }
    await undo.forget();
    job.setGuest(guestPath(uuid));
    for (const warning of plan.warnings) log.warning(`Import ${name}: ${warning}`);
    if (plan.dropped.length > 0) log.info(`Import ${name}: set by this host: ${plan.dropped.join(', ')}`);
    return { result: guestPath(uuid), message: importMessage(name, plan.warnings, plan.dropped) };
  } catch (error) {
    await undo.run();
    throw error;
  } finally {
    job.signal.removeEventListener('abort', cancel);
  }
}
