// A guest's own files, opened by the helper from libvirt's definition of its
// UUID and measured: its disk images (what each points at beyond itself
// read from its header), its UEFI variable store, its TPM state. Held open
// read-only while a request works on them, closed by whoever asked.

import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidState, SwitcherError } from '../errors.js';
import { TPM_STATE_FILE } from '../guest-files/protocol.js';
import { log } from '../log.js';
import { measureOpenFile, type FileContent } from '../copy/file-copy.js';
import type { FileRole } from '../bundle/manifest.js';
import type { GuestLocator, LocatedGuest } from './guest-locator.js';
import { parseQcow2Header, QCOW2_HEADER_BYTES } from './qcow2-header.js';
import { filesUnder, openFileByPath, openTrustedFolder } from './trusted-path.js';

export const NVRAM_BUNDLE_PATH = 'nvram/VARS.fd';
export const TPM_BUNDLE_DIR = 'tpm';

export interface OpenGuestFile {
  role: Exclude<FileRole, 'definition'>;
  /** Where it is on this host (libvirt's name for it). */
  path: string;
  /** Where it goes in a bundle. */
  bundlePath: string;
  handle: FileHandle;
  content: FileContent;
  /** Disks: device and image format, and whether the image reaches beyond itself (a backing or data file). */
  target?: string;
  format?: string;
  overlay?: boolean;
}

export interface OpenGuestFiles {
  disks: OpenGuestFile[];
  nvram: OpenGuestFile | undefined;
  /** The TPM state's files (swtpm's own names), bundle paths under tpm/. */
  tpm: OpenGuestFile[];
}

const cannot = (error: unknown, what: string): SwitcherError => {
  if (error instanceof SwitcherError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return invalidState(`${what} is missing`);
  if (code === 'EFTYPE') return invalidState(`${what} is not a regular file`);
  if (code === 'EUNTRUSTED') return invalidState(`${what} cannot be read safely: ${(error as Error).message}`);
  return new SwitcherError('Internal', `Cannot read ${what}: ${(error as Error).message}`);
};

async function openMeasured(path: string, what: string): Promise<{ handle: FileHandle; content: FileContent }> {
  // Links are followed only where the system put them; the file itself is never a link.
  const handle = await openFileByPath(path, constants.O_RDONLY, false).catch((error: unknown) => {
    throw cannot(error, what);
  });
  try {
    return { handle, content: await measureOpenFile(handle) };
  } catch (error) {
    await handle.close();
    throw cannot(error, what);
  }
}

/** Whether a qcow2 image names a backing or data file; refuses one whose keys would not travel. */
async function reachesBeyond(handle: FileHandle, size: number, target: string): Promise<boolean> {
  const first = Buffer.alloc(Math.min(QCOW2_HEADER_BYTES, size));
  const { bytesRead } = await handle.read(first, 0, first.length, 0);
  let header;
  try {
    header = parseQcow2Header(first.subarray(0, bytesRead));
  } catch (error) {
    throw invalidState(`Disk ${target} is not the qcow2 image libvirt says: ${(error as Error).message}`);
  }
  if (header.cryptMethod !== 0) throw invalidState(`Disk ${target} is encrypted, and its keys do not travel`);
  return (
    header.backingFile !== undefined ||
    (header.incompatibleFeatures & 4n) !== 0n ||
    header.extensions.includes(0x44415441)
  );
}

export async function openGuestFiles(locator: GuestLocator, guest: LocatedGuest): Promise<OpenGuestFiles> {
  const files: OpenGuestFiles = { disks: [], nvram: undefined, tpm: [] };
  try {
    for (const disk of guest.definition.disks) {
      const path = await locator.diskFile(disk);
      const what = `Disk ${disk.target}'s image ${path}`;
      const { handle, content } = await openMeasured(path, what);
      const file: OpenGuestFile = {
        role: 'disk',
        path,
        bundlePath: `disks/${disk.target}.${disk.format}`,
        handle,
        content,
        target: disk.target,
        format: disk.format,
      };
      files.disks.push(file);
      file.overlay =
        disk.backingChain === true ||
        (disk.format === 'qcow2' && (await reachesBeyond(handle, content.size, disk.target)));
    }
    const nvramPath = locator.nvramPath(guest.definition);
    if (nvramPath) {
      const opened = await openMeasured(nvramPath, `The UEFI variables ${nvramPath}`).catch((error: unknown) => {
        // A guest never started has no store yet: libvirt makes it from its template.
        if (error instanceof SwitcherError && /is missing$/.test(error.message)) return undefined;
        throw error;
      });
      if (opened) files.nvram = { role: 'nvram', path: nvramPath, bundlePath: NVRAM_BUNDLE_PATH, ...opened };
    }
    const tpmDir = locator.tpmDir(guest.definition.uuid);
    const folder = guest.definition.tpm
      ? await openTrustedFolder(tpmDir).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return undefined;
          throw cannot(error, `The TPM state ${tpmDir}`);
        })
      : undefined;
    if (folder) {
      try {
        for (const relative of await filesUnder(folder)) {
          // swtpm's own files only; anything else there is not the guest's state.
          if (!TPM_STATE_FILE.test(relative)) {
            log.warning(`TPM state of ${guest.definition.uuid}: ${relative} is no swtpm state file; left out`);
            continue;
          }
          const path = join(tpmDir, relative);
          const opened = await openMeasured(path, `The TPM state ${path}`);
          files.tpm.push({ role: 'tpm', path, bundlePath: `${TPM_BUNDLE_DIR}/${relative}`, ...opened });
        }
      } finally {
        await folder.close();
      }
    }
    return files;
  } catch (error) {
    await closeGuestFiles(files);
    throw error;
  }
}

/** Every file, in the order they are copied: variables, TPM state, disks. */
export function allGuestFiles(files: OpenGuestFiles): OpenGuestFile[] {
  return [...(files.nvram ? [files.nvram] : []), ...files.tpm, ...files.disks];
}

export async function closeGuestFiles(files: OpenGuestFiles): Promise<void> {
  for (const file of allGuestFiles(files)) await file.handle.close().catch(() => undefined);
}
