// Installer ISOs as the caller may use them: readable by the caller
// (dbus/caller-files.ts, walked from / down) before the service opens one. Then the service
// reads it (an ISO 9660 image, "CD001") and asks libosinfo (osinfo-detect)
// which OS it holds.

import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { callerPath, R, refusePseudoFileSystem, viewAsCaller, type FileCaller } from '../dbus/caller-files.js';
import { errorMessage, noSuchFile, unreadableFile } from '../errors.js';
import { log } from '../log.js';

const DETECT_TIMEOUT_MS = 10_000;
const ISO_MAGIC_OFFSET = 32_769; // "CD001" of the first volume descriptor, sector 16

/**
 * Checks that `path` is an ISO the caller can read and the service too;
 * returns it absolute. `what` names it in errors (installer, drivers-iso).
 */
export async function checkIso(path: string, caller: FileCaller | undefined, what: string): Promise<string> {
  const file = callerPath(path, `The ${what} path`);
  // Walked as the caller from / down: behind a folder closed to it, a file and nothing look the same.
  const view = await viewAsCaller(file, caller, R).catch((error: unknown) => {
    throw unreadableFile(`Cannot read the ${what} ${file}: ${errorMessage(error)}`);
  });
  if (view.kind === 'closed')
    throw unreadableFile(`You cannot read the ${what} ${file}: ${view.where} is closed to you`);
  if (view.kind === 'missing') throw noSuchFile(`No ${what} at ${file}`);
  if (!view.stats.isFile()) throw noSuchFile(`The ${what} ${file} is not a regular file`);
  await refusePseudoFileSystem(file);
  if (view.kind === 'denied') throw unreadableFile(`You cannot read the ${what} ${file}`);
  const handle = await open(file, 'r').catch((error: unknown) => {
    throw unreadableFile(`Cannot read the ${what} ${file}: ${errorMessage(error)}`);
  });
  try {
    const magic = Buffer.alloc(5);
    const { bytesRead } = await handle.read(magic, 0, 5, ISO_MAGIC_OFFSET).catch((error: unknown) => {
      throw unreadableFile(`Cannot read the ${what} ${file}: ${errorMessage(error)}`);
    });
    if (bytesRead < 5 || magic.toString('latin1') !== 'CD001') {
      throw unreadableFile(`The ${what} ${file} is not an ISO 9660 image`);
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
    execFile(command, ['--type=media', file], { timeout: DETECT_TIMEOUT_MS }, (error, stdout) => {
      const name = /installer for OS '(.+?)(?: \([\w-]+\))?'/.exec(stdout)?.[1] ?? '';
      if (error && !name) log.debug(`osinfo-detect ${file}: ${error.message.split('\n')[0] ?? ''}`);
      resolvePromise(name);
    });
  });
}
