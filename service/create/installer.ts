// Installer ISOs as the caller has them, read by a worker run as the caller
// (service/worker/media.ts): walked from / down as the caller
// (access/caller-files.ts), opened, checked as an ISO 9660 image ("CD001"),
// and shown to libosinfo (osinfo-detect) to tell which OS it holds.

import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import {
  callerPath,
  openRegularFile,
  R,
  refusePseudoFileSystem,
  viewAsCaller,
  type FileCaller,
} from '../access/caller-files.js';
import { errorMessage, noSuchFile, unreadableFile, type SwitcherError } from '../errors.js';
import { log } from '../log.js';
import { lowPriority } from '../owned-process.js';

const DETECT_TIMEOUT_MS = 10_000;
const ISO_MAGIC_OFFSET = 32_769; // "CD001" of the first volume descriptor, sector 16

/**
 * Checks that `path` is an ISO the caller can read and the service too;
 * returns it as the kernel resolves it (links and `..`). `what` names it in
 * errors (installer, drivers-iso).
 */
export async function checkIso(path: string, caller: FileCaller | undefined, what: string): Promise<string> {
  const named = callerPath(path, `The ${what} path`);
  // Walked as the caller from / down: behind a folder closed to it, a file and nothing look the same.
  const view = await viewAsCaller(named, caller, R).catch((error: unknown) => {
    throw unreadableFile(`Cannot read the ${what} ${named}: ${errorMessage(error)}`);
  });
  if (view.kind === 'closed')
    throw unreadableFile(`You cannot read the ${what} ${named}: ${view.where} is closed to you`);
  if (view.kind === 'missing') throw noSuchFile(`No ${what} at ${named}`);
  // From here the file as the walk found it, its symbolic links and '..' resolved as the kernel does.
  const file = view.path;
  const notRegular = (): SwitcherError => noSuchFile(`The ${what} ${named} is not a regular file`);
  if (!view.stats.isFile()) throw notRegular();
  await refusePseudoFileSystem(file, named);
  if (view.kind === 'denied') throw unreadableFile(`You cannot read the ${what} ${named}`);
  // Checked again on what is opened: the caller may have put a FIFO there meanwhile.
  const handle = await openRegularFile(file, constants.O_NOFOLLOW).catch((error: unknown) => {
    throw unreadableFile(`Cannot read the ${what} ${named}: ${errorMessage(error)}`);
  });
  if (!handle) throw notRegular();
  try {
    const magic = Buffer.alloc(5);
    const { bytesRead } = await handle.read(magic, 0, 5, ISO_MAGIC_OFFSET).catch((error: unknown) => {
      throw unreadableFile(`Cannot read the ${what} ${named}: ${errorMessage(error)}`);
    });
    if (bytesRead < 5 || magic.toString('latin1') !== 'CD001') {
      throw unreadableFile(`The ${what} ${named} is not an ISO 9660 image`);
    }
  } finally {
    await handle.close();
  }
  return file;
}

/**
 * The name of the OS libosinfo recognises on an installer ISO (osinfo-detect,
 * libosinfo's own matcher of volume, system, publisher and application ids),
 * or '' when it recognises none. osinfo-detect names it as "NAME (ARCH)".
 */
export function detectOsName(file: string, command = 'osinfo-detect'): Promise<string> {
  return new Promise((resolvePromise) => {
    const [program, args] = lowPriority(command, ['--type=media', file]);
    execFile(program, args, { timeout: DETECT_TIMEOUT_MS }, (error, stdout) => {
      const name = /installer for OS '(.+?)(?: \([\w-]+\))?'/.exec(stdout)?.[1] ?? '';
      if (error && !name) log.debug(`osinfo-detect ${file}: ${error.message.split('\n')[0] ?? ''}`);
      resolvePromise(name);
    });
  });
}
