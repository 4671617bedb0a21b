// Every file a guest is made of beyond its definition, found and measured:
// its disk images (by the definition, through libvirt for volumes), its UEFI
// variable store and its TPM state (where libvirt keeps them).

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidState } from '../errors.js';
import { poolByName } from '../libvirt/storage-pool.js';
import { volumeByName, volumeFilePath } from '../libvirt/storage-vol.js';
import { measureFile, type MeasuredFile } from './file-copy.js';
import type { GuestDefinition, GuestDisk } from './guest-definition.js';
import { defaultNvramPath, tpmStateDir } from './libvirt-state-dirs.js';
import type { FileRole } from './manifest.js';
import { fileError, pathExists, type TransferHost } from './transfer-context.js';

export interface GuestFile {
  role: Exclude<FileRole, 'definition'>;
  /** Where it goes in a bundle. */
  bundlePath: string;
  file: MeasuredFile;
  /** Disks: device and image format. */
  target?: string;
  format?: string;
}

export interface GuestFiles {
  disks: GuestFile[];
  nvram: GuestFile | undefined;
  /** The TPM state's files, bundle paths under tpm/ as they are under the guest's state directory. */
  tpm: GuestFile[];
}

export const NVRAM_BUNDLE_PATH = 'nvram/VARS.fd';
export const TPM_BUNDLE_DIR = 'tpm';

export async function diskFilePath(host: TransferHost, disk: GuestDisk): Promise<string> {
  if ('file' in disk.source) return disk.source.file;
  const pool = await poolByName(host.client, disk.source.pool);
  const volume = pool && (await volumeByName(host.client, pool.path, disk.source.volume));
  if (!volume)
    throw invalidState(`Disk ${disk.target}: libvirt has no volume ${disk.source.volume} in pool ${disk.source.pool}`);
  return volumeFilePath(host.client, volume);
}

/** The guest's variable store on this host, if it has one yet. */
export async function nvramFile(host: TransferHost, definition: GuestDefinition): Promise<string | undefined> {
  const path = definition.nvramPath ?? (definition.uefi ? defaultNvramPath(host.dirs, definition.name) : undefined);
  return path && (await pathExists(path)) ? path : undefined;
}

/** Regular files under `dir`, relative, skipping hidden ones (swtpm's .lock). */
async function filesUnder(dir: string, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) found.push(...(await filesUnder(dir, relative)));
    else if (entry.isFile()) found.push(relative);
  }
  return found;
}

export async function gatherGuestFiles(host: TransferHost, definition: GuestDefinition): Promise<GuestFiles> {
  const disks: GuestFile[] = [];
  for (const disk of definition.disks) {
    const path = await diskFilePath(host, disk);
    const file = await measureFile(path).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw invalidState(`Disk ${disk.target}'s image ${path} is missing`);
      }
      throw fileError(error, `read disk ${disk.target}`);
    });
    disks.push({
      role: 'disk',
      bundlePath: `disks/${disk.target}.${disk.format}`,
      file,
      target: disk.target,
      format: disk.format,
    });
  }
  const nvramPath = await nvramFile(host, definition).catch((error: unknown) => {
    throw fileError(error, 'find the UEFI variables');
  });
  const nvram: GuestFile | undefined = nvramPath
    ? {
        role: 'nvram',
        bundlePath: NVRAM_BUNDLE_PATH,
        file: await measureFile(nvramPath).catch((error: unknown) => {
          throw fileError(error, 'read the UEFI variables');
        }),
      }
    : undefined;
  const tpm: GuestFile[] = [];
  const tpmDir = tpmStateDir(host.dirs, definition.uuid);
  if (definition.tpm && (await pathExists(tpmDir).catch(() => false))) {
    try {
      for (const relative of await filesUnder(tpmDir)) {
        tpm.push({
          role: 'tpm',
          bundlePath: `${TPM_BUNDLE_DIR}/${relative}`,
          file: await measureFile(join(tpmDir, relative)),
        });
      }
    } catch (error) {
      throw fileError(error, 'read the TPM state');
    }
  }
  return { disks, nvram, tpm };
}

/** Every file, in the order they are copied. */
export function allFiles(files: GuestFiles): GuestFile[] {
  return [...(files.nvram ? [files.nvram] : []), ...files.tpm, ...files.disks];
}

export function dataTotal(files: readonly GuestFile[]): number {
  return files.reduce((sum, f) => sum + f.file.dataBytes, 0);
}
