// Who a worker runs as: the caller of a method call as the bus daemon vouches
// for it — its uid and groups — and its primary group, which the bus does
// not tell: the group the caller's process runs with (/proc/PID/status),
// taken only while that process is still the caller's (its uid the bus's).

import { readFile } from 'node:fs/promises';
import { connectionCredentials, type MessageBus } from '../dbus/bus.js';
import { errorMessage, SwitcherError } from '../errors.js';
import type { Caller } from '../guest-files/protocol.js';

const CREDENTIALS_TIMEOUT_MS = 5_000;

/** Parses the Uid: (real), Gid: (effective) and Groups: lines of /proc/PID/status. */
export function processIds(status: string): { uid: number; gid: number; groups: number[] } | undefined {
  const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  const gid = /^Gid:\s+\d+\s+(\d+)/m.exec(status)?.[1];
  const groups = (/^Groups:[ \t]*([\d \t]*)$/m.exec(status)?.[1] ?? '').split(/\s+/).filter(Boolean).map(Number);
  return uid !== undefined && gid !== undefined ? { uid: Number(uid), gid: Number(gid), groups } : undefined;
}

/**
 * The caller of a call by its unique bus name, or undefined for a call with
 * no sender (the service's own). AccessDenied when who it is cannot be
 * told: nothing is opened for an unknown caller.
 */
export async function filesCallerFor(bus: MessageBus, sender: string | undefined): Promise<Caller | undefined> {
  if (!sender) return undefined;
  try {
    const { uid, pid, gids } = await connectionCredentials(bus, sender, CREDENTIALS_TIMEOUT_MS);
    const ids = processIds(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''));
    // The process could have gone and its PID be another's: what it says counts only if its uid is the caller's.
    const own = ids?.uid === uid ? ids : undefined;
    const groups = gids ?? own?.groups ?? [];
    const gid = own ? own.gid : groups[0];
    if (gid === undefined) throw new Error('its group cannot be told');
    return { uid, gid, groups: groups.filter((g) => g !== gid) };
  } catch (error) {
    throw new SwitcherError('AccessDenied', `Cannot tell who is asking, so no file is opened: ${errorMessage(error)}`);
  }
}

/** This process as a caller (a call with no sender is the service's own). */
export function selfCaller(): Caller {
  const gid = process.getegid?.() ?? 0;
  return { uid: process.geteuid?.() ?? 0, gid, groups: (process.getgroups?.() ?? []).filter((g) => g !== gid) };
}
