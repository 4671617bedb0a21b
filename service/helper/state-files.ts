// A new guest's UEFI variables and TPM state, for Import and Clone alike:
// named from its UUID alone (<nvram dir>/<uuid>_VARS.fd, <swtpm dir>/<uuid>/),
// each file O_CREAT|O_EXCL|O_NOFOLLOW in folders that are the system's, and
// each step in the journal before it is taken, so that a crash leaves
// nothing unexplained.

import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { alreadyExists, invalidState, SwitcherError } from '../errors.js';
import type { GuestLocator } from './guest-locator.js';
import type { MadeFiles } from './made-files.js';
import { createInFolder, existsIn, makeFolderIn, openTrustedFolder } from './trusted-path.js';

/** Why `what` could not be made, in a caller's terms. */
export function cannotMake(error: unknown, what: string): SwitcherError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EEXIST') return alreadyExists(`${what} is already there`);
  if (code === 'EUNTRUSTED') return invalidState(`Cannot make ${what}: ${(error as Error).message}`);
  return error instanceof SwitcherError
    ? error
    : new SwitcherError('Internal', `Cannot make ${what}: ${(error as Error).message}`);
}

/** One file of TPM state: its folder under the guest's (tpm2) and its name. */
export interface TpmPlace<T> {
  file: T;
  folder: string;
  name: string;
}

/**
 * Makes the guest's UEFI variables file (when `nvram` is given) and its TPM
 * state files, empty, handing each open file to `opened` the moment it
 * exists (its owner closes it, whatever happens next). Returns the path of
 * the UEFI variables, for the guest's definition.
 */
export async function makeStateFiles<T>(
  locator: GuestLocator,
  uuid: string,
  made: MadeFiles,
  files: { nvram: T | undefined; tpm: TpmPlace<T>[] },
  opened: (file: T, handle: FileHandle) => void,
): Promise<string | null> {
  const making = { making: (path: string) => made.add({ made: 'dir', path }) };
  let nvramPath: string | null = null;
  if (files.nvram !== undefined) {
    const target = locator.newNvram(uuid);
    const folder = await openTrustedFolder(target.folder, { mode: 0o755, ...making }).catch((e: unknown) => {
      throw cannotMake(e, `the folder of UEFI variables ${target.folder}`);
    });
    try {
      await made.add({ made: 'file', path: target.path });
      const handle = await createInFolder(folder, target.name, 0o600).catch((e: unknown) => {
        throw cannotMake(e, `UEFI variables for UUID ${uuid} at ${target.path}`);
      });
      opened(files.nvram, handle);
      nvramPath = target.path;
    } finally {
      await folder.close();
    }
  }
  if (files.tpm.length === 0) return nvramPath;
  // libvirt hands the folder and its files to swtpm's user when the guest starts.
  const swtpm = await openTrustedFolder(locator.dirs.swtpmDir, { mode: 0o711, ...making }).catch((e: unknown) => {
    throw cannotMake(e, `the folder of TPM states ${locator.dirs.swtpmDir}`);
  });
  const tpmDir = locator.tpmDir(uuid);
  try {
    await made.add({ made: 'dir', path: tpmDir });
    const own = await makeFolderIn(swtpm, uuid, 0o711).catch((e: unknown) => {
      throw cannotMake(e, `TPM state for UUID ${uuid} at ${tpmDir}`);
    });
    try {
      for (const { file, folder, name } of files.tpm) {
        const there = await existsIn(own, folder);
        if (!there) await made.add({ made: 'dir', path: join(tpmDir, folder) });
        const inner = there ? await openTrustedFolder(join(tpmDir, folder)) : await makeFolderIn(own, folder, 0o700);
        try {
          await made.add({ made: 'file', path: join(tpmDir, folder, name) });
          opened(file, await createInFolder(inner, name, 0o600));
        } finally {
          await inner.close();
        }
      }
    } finally {
      await own.close();
    }
  } finally {
    await swtpm.close();
  }
  return nvramPath;
}
