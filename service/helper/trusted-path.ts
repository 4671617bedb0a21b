// How the guest-files helper, root, reaches a file by path without being led
// elsewhere: each component of the path looked at from the folder it is in
// (held open: /proc/self/fd/N/name), a symbolic link followed only where no
// one but root (or the helper's own user) could have put it, and the last
// component opened without following a link. Files it makes are made with
// O_CREAT|O_EXCL|O_NOFOLLOW in folders that are root's alone, all the way
// down. The paths come from libvirt's definitions and its storage pools,
// or derive from a UUID, never from a caller.
//
// "Root's" includes the system's own accounts (any uid outside the range
// login.defs gives people, UID_MIN to UID_MAX, nobody excepted): libvirt
// keeps its QEMU state folder as QEMU's user (libvirt-qemu, uid 64055 on
// Debian) and TPM state as swtpm's, and no person logs in as them. A helper run as a user for their own service (per
// user) guards no one's rights but that user's: every folder is its own to
// trust then.

import { constants, readFileSync, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, type FileHandle } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

const MAX_LINKS = 40;
const NOBODY = 65534;

export class UntrustedPathError extends Error {
  readonly code = 'EUNTRUSTED';
}

const euid = (): number => process.geteuid?.() ?? 0;

/** The uids login.defs gives people (UID_MIN to UID_MAX; 1000 to 60000 where it says nothing). */
function peopleUids(): [number, number] {
  let text = '';
  try {
    text = readFileSync('/etc/login.defs', 'utf8');
  } catch {
    // The defaults, as useradd's.
  }
  const value = (key: string, fallback: number): number => {
    const found = new RegExp(`^\\s*${key}\\s+(\\d+)`, 'm').exec(text)?.[1];
    return found ? Number(found) : fallback;
  };
  return [value('UID_MIN', 1000), value('UID_MAX', 60000)];
}

let people: [number, number] | undefined;

/** root, us, or an account of the system's own (QEMU's, swtpm's…), never a person's (nor nobody). */
export function isSystemOwner(uid: number, self = euid()): boolean {
  people ??= peopleUids();
  if (uid === 0 || uid === self) return true;
  return uid !== NOBODY && (uid < people[0] || uid > people[1]);
}

/** Written only by its owner, one of the system's: nobody else may change what is in it. */
function ownedAlone(info: Stats, self: number): boolean {
  return isSystemOwner(info.uid, self) && (info.mode & 0o022) === 0;
}

/**
 * A folder we may go through or make files in: the system's, and either
 * written by nobody else or sticky (/tmp: others may add names, never
 * replace ours).
 */
export function isTrustedFolder(info: Stats, self = euid()): boolean {
  if (self !== 0) return true;
  return isSystemOwner(info.uid, self) && ((info.mode & 0o022) === 0 || (info.mode & 0o1000) !== 0);
}

/** Whether a link found in `folder` may be followed: only one the system put there. */
function mayFollow(folder: Stats, link: Stats, self = euid()): boolean {
  if (self !== 0) return true;
  return ownedAlone(folder, self) || isSystemOwner(link.uid, self);
}

const components = (path: string): string[] => path.split('/').filter((n) => n !== '' && n !== '.');
const through = (folder: FileHandle, name: string): string => `/proc/self/fd/${folder.fd}/${name}`;

export interface WalkOptions {
  /** Every folder on the way must be trusted (where files are made); otherwise only links are guarded. */
  trusted: boolean;
  /** Folders that are missing are made with this mode, each told to `making` first (for the journal). */
  make?: { mode: number; making: (path: string) => Promise<void> };
}

interface Resolved {
  /** The folder holding the last component, held open; the caller closes it. */
  folder: FileHandle;
  folderPath: string;
  name: string;
  /** What the last component is (never a link), or undefined when nothing is there. */
  found: Stats | undefined;
}

async function openFolder(path: string): Promise<FileHandle> {
  return open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
}

/** Resolves every component but the last into an open folder, and what the last one is. */
async function resolve(path: string, options: WalkOptions): Promise<Resolved> {
  if (!isAbsolute(path)) throw new Error(`not an absolute path: ${path}`);
  let folder = await openFolder('/');
  let folderPath = '/';
  let pending = components(path);
  let links = 0;
  if (pending.length === 0) throw new Error('the root folder is no file');
  try {
    for (;;) {
      const here = await folder.stat();
      if (options.trusted && !isTrustedFolder(here)) {
        throw new UntrustedPathError(`${folderPath} may be changed by others than root`);
      }
      const name = pending.shift() as string;
      if (name === '..') throw new UntrustedPathError(`'..' in ${path}`);
      let found = await lstat(through(folder, name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (found?.isSymbolicLink()) {
        if (++links > MAX_LINKS) throw Object.assign(new Error(`too many links in ${path}`), { code: 'ELOOP' });
        if (!mayFollow(here, found)) {
          throw new UntrustedPathError(`${join(folderPath, name)} is a link in a folder others may write`);
        }
        const target = await readlink(through(folder, name));
        pending = [...components(target), ...pending];
        if (isAbsolute(target)) {
          await folder.close();
          folder = await openFolder('/');
          folderPath = '/';
        }
        if (pending.length === 0) throw new Error(`${path} leads to the root folder`);
        continue;
      }
      if (pending.length === 0) return { folder, folderPath, name, found };
      if (!found && options.make) {
        await options.make.making(join(folderPath, name));
        await mkdir(through(folder, name), { mode: options.make.mode });
        found = await lstat(through(folder, name));
      }
      if (!found) throw Object.assign(new Error(`${join(folderPath, name)} does not exist`), { code: 'ENOENT' });
      if (!found.isDirectory())
        throw Object.assign(new Error(`${join(folderPath, name)} is no folder`), { code: 'ENOTDIR' });
      const next = await openFolder(through(folder, name));
      await folder.close();
      folder = next;
      folderPath = join(folderPath, name);
    }
  } catch (error) {
    await folder.close();
    throw error;
  }
}

/** A folder, held open, every folder on the way (and it) trusted; missing ones made when asked. */
export async function openTrustedFolder(path: string, make?: WalkOptions['make']): Promise<FileHandle> {
  const { folder, folderPath, name, found } = await resolve(path, { trusted: true, ...(make ? { make } : {}) });
  try {
    if (!found && make) {
      await make.making(join(folderPath, name));
      await mkdir(through(folder, name), { mode: make.mode });
    } else if (!found) {
      throw Object.assign(new Error(`${path} does not exist`), { code: 'ENOENT' });
    }
    const opened = await openFolder(through(folder, name));
    if (!isTrustedFolder(await opened.stat())) {
      await opened.close();
      throw new UntrustedPathError(`${path} may be changed by others than root`);
    }
    return opened;
  } finally {
    await folder.close();
  }
}

/** A new file in a folder held open: never one that is there, never through a link. */
export function createInFolder(folder: FileHandle, name: string, mode: number): Promise<FileHandle> {
  if (name.includes('/') || name === '.' || name === '..') throw new Error(`not a file name: ${name}`);
  return open(
    through(folder, name),
    constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode,
  );
}

/** A new folder in a folder held open, held open in turn. */
export async function makeFolderIn(folder: FileHandle, name: string, mode: number): Promise<FileHandle> {
  if (name.includes('/') || name === '.' || name === '..') throw new Error(`not a folder name: ${name}`);
  await mkdir(through(folder, name), { mode });
  return openFolder(through(folder, name));
}

/** Whether a name is taken in a folder held open (anything there, a link included). */
export async function existsIn(folder: FileHandle, name: string): Promise<boolean> {
  return lstat(through(folder, name)).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

/**
 * A regular file by path (a guest's disk as libvirt names it, a volume's
 * file): links followed only where root or we put them, the file itself
 * opened without following one and never waited on (O_NONBLOCK), and kept
 * only if it is a regular file. `trusted`: every folder on the way must be.
 */
export async function openFileByPath(path: string, flags: number, trusted: boolean): Promise<FileHandle> {
  const { folder, folderPath, name, found } = await resolve(path, { trusted });
  try {
    if (!found) throw Object.assign(new Error(`${path} does not exist`), { code: 'ENOENT', path });
    if (!found.isFile())
      throw Object.assign(new Error(`${join(folderPath, name)} is not a regular file`), { code: 'EFTYPE' });
    const file = await open(
      through(folder, name),
      flags | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY,
    );
    const info = await file.stat();
    if (!info.isFile()) {
      await file.close();
      throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EFTYPE' });
    }
    return file;
  } finally {
    await folder.close();
  }
}

/** The files under a folder held open (relative paths), hidden ones (swtpm's .lock) left out; links are not followed. */
export async function filesUnder(folder: FileHandle, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  const base = prefix ? through(folder, prefix) : `/proc/self/fd/${folder.fd}`;
  for (const entry of await readdir(base, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) found.push(...(await filesUnder(folder, relative)));
    else if (entry.isFile()) found.push(relative);
  }
  return found;
}
