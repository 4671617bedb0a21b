// Files as a caller may use them. The service opens files on a caller's
// behalf and may hold other rights than the caller (root for the host-wide
// service, or another user on a shared bus), so a path the caller names is
// checked against the caller's user and groups (from the bus) on the owner
// and mode bits of the file and every folder above it, before the service
// touches it.

import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorMessage, SwitcherError } from '../errors.js';
import { connectionCredentials, type MessageBus } from './bus.js';

/** Who asks, as file permissions see it. */
export interface FileCaller {
  uid: number;
  gids: number[];
}

export const R = 4;
export const W = 2;
export const X = 1;

/** The caller's user and groups, from the bus (and /proc where the bus gives no groups). */
export async function fileCallerOf(bus: MessageBus, sender: string): Promise<FileCaller> {
  const { uid, pid, gids } = await connectionCredentials(bus, sender, 5_000);
  if (gids) return { uid, gids };
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const gid = /^Gid:\s+(\d+)/m.exec(status)?.[1];
  const groups = /^Groups:\s*([\d ]*)$/m.exec(status)?.[1] ?? '';
  return { uid, gids: [...(gid ? [Number(gid)] : []), ...groups.split(/\s+/).filter(Boolean).map(Number)] };
}

/**
 * The caller of a method call by its unique bus name, or undefined for a
 * call with no sender (the service's own). AccessDenied when the bus cannot
 * say who it is: no file is opened for an unknown caller.
 */
export async function fileCallerFor(bus: MessageBus, sender: string | undefined): Promise<FileCaller | undefined> {
  if (!sender) return undefined;
  try {
    return await fileCallerOf(bus, sender);
  } catch (error) {
    throw new SwitcherError('AccessDenied', `Cannot tell who is asking, so no file is opened: ${errorMessage(error)}`);
  }
}

/** Whether mode bits let `caller` do `want` (R, W, X or a sum) to a file of owner uid/gid. */
export function permits(mode: number, owner: number, group: number, caller: FileCaller, want: number): boolean {
  if (caller.uid === 0) return (want & X) === 0 || (mode & 0o111) !== 0 || (mode & 0o170000) === 0o040000;
  if (caller.uid === owner) return ((mode >> 6) & want) === want;
  if (caller.gids.includes(group)) return ((mode >> 3) & want) === want;
  return (mode & want) === want;
}

/**
 * Whether `caller` may reach `path` (search on every folder above it) and do
 * `want` to it. Resolves to a sentence saying what is closed to the caller,
 * or undefined when all is open. `path` must exist and be absolute.
 */
export async function closedToCaller(path: string, caller: FileCaller, want: number): Promise<string | undefined> {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const d = await stat(dir);
    if (!permits(d.mode, d.uid, d.gid, caller, X)) return `${dir} is closed to you`;
    if (dir === '/') break;
  }
  const info = await stat(path);
  if (!permits(info.mode, info.uid, info.gid, caller, want)) {
    return `${path} is closed to you`;
  }
  return undefined;
}
