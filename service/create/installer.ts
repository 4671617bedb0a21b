// Installer ISOs as the caller may use them. The service reads files on a
// caller's behalf and may run with other rights than the caller (root, or
// another user on a shared bus), so a path must be readable by the caller —
// checked on the file's and its folders' owner and mode bits against the
// caller's user and groups from the bus — before the service opens it.
// Then the service reads it (an ISO 9660 image, "CD001") and asks libosinfo
// (osinfo-detect) which OS it holds.

import { execFile } from 'node:child_process';
import { open, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { connectionCredentials, type MessageBus } from '../dbus/bus.js';
import { invalidArgument, noSuchFile, unreadableFile } from '../errors.js';
import { log } from '../log.js';

export interface Caller {
  uid: number;
  gids: number[];
}

const DETECT_TIMEOUT_MS = 10_000;
const ISO_MAGIC_OFFSET = 32_769; // "CD001" of the first volume descriptor, sector 16
const R = 4;
const X = 1;

/** The caller's user and groups, from the bus and /proc. */
export async function callerOf(bus: MessageBus, sender: string): Promise<Caller> {
  const { uid, pid, gids } = await connectionCredentials(bus, sender, 5_000);
  if (gids) return { uid, gids };
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const gid = /^Gid:\s+(\d+)/m.exec(status)?.[1];
  const groups = /^Groups:\s*([\d ]*)$/m.exec(status)?.[1] ?? '';
  return { uid, gids: [...(gid ? [Number(gid)] : []), ...groups.split(/\s+/).filter(Boolean).map(Number)] };
}

/** Whether mode bits let `caller` do `want` (R or X) to a file of owner uid/gid. */
export function permits(mode: number, owner: number, group: number, caller: Caller, want: number): boolean {
  if (caller.uid === 0) return want !== X || (mode & 0o111) !== 0 || (mode & 0o170000) === 0o040000;
  if (caller.uid === owner) return ((mode >> 6) & want) === want;
  if (caller.gids.includes(group)) return ((mode >> 3) & want) === want;
  return (mode & want) === want;
}

/**
 * Checks that `path` is an ISO the caller can read and the service too;
 * returns it absolute. `what` names it in errors (installer, drivers-iso).
 */
export async function checkIso(path: string, caller: Caller | undefined, what: string): Promise<string> {
  if (typeof path !== 'string' || path.length === 0) throw invalidArgument(`The ${what} path is empty`);
  if (!isAbsolute(path)) throw invalidArgument(`The ${what} path must be absolute, not '${path}'`);
  if (path.length > 4096 || path.includes('\0')) throw invalidArgument(`The ${what} path is not a path`);
  const file = resolve(path);
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') throw noSuchFile(`No ${what} at ${file}`);
    throw unreadableFile(`Cannot read the ${what} ${file}: ${error.code ?? error.message}`);
  });
  if (!info.isFile()) throw noSuchFile(`The ${what} ${file} is not a file`);
  if (caller) {
    for (let dir = dirname(file); ; dir = dirname(dir)) {
      const d = await stat(dir);
      if (!permits(d.mode, d.uid, d.gid, caller, X))
        throw unreadableFile(`You cannot read the ${what} ${file}: ${dir} is closed to you`);
      if (dir === '/') break;
    }
    if (!permits(info.mode, info.uid, info.gid, caller, R)) throw unreadableFile(`You cannot read the ${what} ${file}`);
  }
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw unreadableFile(`Cannot read the ${what} ${file}: ${error.code ?? error.message}`);
  });
  try {
    const magic = Buffer.alloc(5);
    const { bytesRead } = await handle.read(magic, 0, 5, ISO_MAGIC_OFFSET).catch((error: NodeJS.ErrnoException) => {
      throw unreadableFile(`Cannot read the ${what} ${file}: ${error.code ?? error.message}`);
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
