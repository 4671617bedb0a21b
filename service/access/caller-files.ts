// Files as a caller may use them: a path a caller names, walked from / down
// with the caller's user and groups on the owner and mode bits of every
// folder on the way and of the file — nothing behind a folder closed to the
// caller is looked at, so a file there and nothing look the same, and a
// refusal names the folder that is closed. Only workers run as the caller
// (service/worker/) use it now: the kernel decides what they may open, and
// the walk says why, in the caller's terms.

import { constants, type Stats } from 'node:fs';
import { lstat, open, readlink, stat, statfs, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { invalidArgument } from '../errors.js';

/** Who asks, as file permissions see it. */
export interface FileCaller {
  uid: number;
  gids: number[];
}

export const R = 4;
export const W = 2;
export const X = 1;

/** Whether mode bits let `caller` do `want` (R, W, X or a sum) to a file of owner uid/gid. */
export function permits(mode: number, owner: number, group: number, caller: FileCaller, want: number): boolean {
  if (caller.uid === 0) return (want & X) === 0 || (mode & 0o111) !== 0 || (mode & 0o170000) === 0o040000;
  if (caller.uid === owner) return ((mode >> 6) & want) === want;
  if (caller.gids.includes(group)) return ((mode >> 3) & want) === want;
  return (mode & want) === want;
}

/** The longest path Linux takes (PATH_MAX, with its NUL). */
const PATH_MAX = 4096;

/**
 * A path a caller names (a D-Bus string: never a NUL), as a person would be
 * told what is wrong with it: empty, not absolute or too long, each said as
 * such (InvalidArgument). Trailing slashes go; '..' stays, for the walk to
 * resolve as the kernel does, after the symbolic links before it (textually,
 * 'link/..' is not where the kernel goes). `what` starts the sentence ("The
 * installer path").
 */
export function callerPath(path: string, what: string): string {
  if (path.length === 0) throw invalidArgument(`${what} is empty`);
  if (!isAbsolute(path)) throw invalidArgument(`${what} must be absolute (start with /), not '${path}'`);
  if (path.length >= PATH_MAX) {
    throw invalidArgument(`${what} is ${path.length} characters long; Linux takes at most ${PATH_MAX - 1}`);
  }
  return path.replace(/(?<=.)\/+$/, '');
}

/**
 * Opens a file to read, never waiting on it: a FIFO or a device put where a
 * file is named would hold an ordinary open (and one of libuv's few threads)
 * until someone writes to it, so it is opened O_NONBLOCK, and kept only when
 * what was opened is a regular file. Undefined otherwise. `flags` adds
 * O_NOFOLLOW and the like.
 */
export async function openRegularFile(path: string, flags = 0): Promise<FileHandle | undefined> {
  const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | flags);
  try {
    if ((await file.stat()).isFile()) return file;
  } catch (error) {
    await file.close();
    throw error;
  }
  await file.close();
  return undefined;
}

/** statfs magic numbers of the kernel's file systems that hold no files of anybody's (linux/magic.h). */
const PSEUDO_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xf97cff8c, 'selinuxfs'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0x62656570, 'configfs'],
  [0x65735543, 'fusectl'],
  [0x19800202, 'mqueue'],
  [0x42494e4d, 'binfmt_misc'],
  [0x6e736673, 'nsfs'],
]);

/**
 * Refuses a path on one of the kernel's own file systems (/proc, /sys…):
 * they hold no files of anybody's, and what is there is the service's own
 * (/proc/self is the service). InvalidArgument naming the file system;
 * `named` is the path as the caller gave it, for the message.
 */
export async function refusePseudoFileSystem(path: string, named = path): Promise<void> {
  const pseudo = PSEUDO_FILE_SYSTEMS.get((await statfs(path)).type);
  if (pseudo) throw invalidArgument(`${named} is on the kernel's ${pseudo} file system, which holds no files`);
}

/**
 * What a caller finds at a path: the folder on the way that is closed to
 * it, nothing, the file with what the caller wanted to do to it allowed
 * ('open'), or the file with it not allowed ('denied': the caller can see
 * it is there and what it is, as `ls` in its folder would show).
 */
export type CallerView =
  | { kind: 'closed'; where: string }
  | { kind: 'missing' }
  | { kind: 'open'; path: string; stats: Stats }
  | { kind: 'denied'; path: string; stats: Stats };

/** Symbolic links followed on one path at most, as the kernel (MAXSYMLINKS). */
const MAX_LINKS = 40;

const components = (path: string): string[] => path.split('/').filter((name) => name !== '' && name !== '.');

/**
 * Walks `path` (absolute) from / downwards as the kernel resolves it,
 * following symbolic links, and checks that `caller` may search each folder
 * before looking at what is inside it: a folder closed to the caller is
 * where the walk stops, so what lies behind it — a file or nothing — is
 * never told apart. Then what is there is 'open' when the caller is allowed
 * `want` (R, W, X or a sum) on it, else 'denied'; its path is the one the
 * walk resolved. With no caller (the service's own use) nothing is checked.
 * Errors other than "nothing there" (ENOENT, ENOTDIR) are thrown as the file
 * system gives them, as is ELOOP for too many links.
 */
export async function viewAsCaller(path: string, caller: FileCaller | undefined, want: number): Promise<CallerView> {
  const closed = (info: Stats, bits: number): boolean =>
    caller !== undefined && !permits(info.mode, info.uid, info.gid, caller, bits);
  let current = '/';
  let info = await stat(current);
  let pending = components(path);
  let links = 0;
  while (pending.length > 0) {
    // Every folder the walk enters was searchable by the caller before anything in it was looked at.
    if (!info.isDirectory()) return { kind: 'missing' };
    if (closed(info, X)) return { kind: 'closed', where: current };
    const name = pending.shift() as string;
    if (name === '..') {
      current = dirname(current);
      info = await stat(current);
      continue;
    }
    const next = join(current, name);
    let found: Stats;
    try {
      found = await lstat(next);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
      if (code === 'EACCES') return { kind: 'closed', where: current };
      throw error;
    }
    if (found.isSymbolicLink()) {
      if (++links > MAX_LINKS) {
        throw Object.assign(new Error(`ELOOP: too many symbolic links, ${path}`), { code: 'ELOOP', path });
      }
      // A link the kernel will not show the caller (another's /proc/PID/root): closed to it, as a folder is.
      const target = await readlink(next).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'EACCES') return undefined;
        throw error;
      });
      if (target === undefined) return { kind: 'closed', where: next };
      pending = [...components(target), ...pending];
      if (isAbsolute(target)) {
        current = '/';
        info = await stat(current);
      }
      continue;
    }
    current = next;
    info = found;
  }
  if (closed(info, want)) return { kind: 'denied', path: current, stats: info };
  return { kind: 'open', path: current, stats: info };
}
