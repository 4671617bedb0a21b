// Accounts a test makes on this host for real, as tools/install.sh --system
// makes them on a real one: the host-wide service's own system user, and the
// group the guest-files helper's workers run with. Each name is new to the
// run (phyllome-t<random>), and removed again with userdel/groupdel.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

function lookup(database: string, key: string): string[] {
  try {
    return execFileSync('getent', [database, key], { encoding: 'utf8' }).trim().split(':');
  } catch {
    return [];
  }
}

const fresh = (kind: string): string => `phyl-${kind}-${randomBytes(3).toString('hex')}`;

export interface SystemGroup {
  name: string;
  gid: number;
  remove(): void;
}

export interface SystemUser {
  name: string;
  uid: number;
  gid: number;
  remove(): void;
}

/** A system group of its own (groupadd --system). */
export function makeSystemGroup(kind: string): SystemGroup {
  const name = fresh(kind);
  execFileSync('groupadd', ['--system', name]);
  const gid = Number(lookup('group', name)[2]);
  return { name, gid, remove: () => execFileSync('groupdel', [name]) };
}

/**
 * A system user with a group of its own and no home, that cannot log in,
 * member of `groups` (the host's libvirt group for the service).
 */
export function makeSystemUser(kind: string, groups: string[] = []): SystemUser {
  const name = fresh(kind);
  execFileSync('useradd', [
    '--system',
    '--user-group',
    '--no-create-home',
    '--home-dir',
    '/nonexistent',
    '--shell',
    '/usr/sbin/nologin',
    ...(groups.length > 0 ? ['--groups', groups.join(',')] : []),
    name,
  ]);
  const entry = lookup('passwd', name);
  return {
    name,
    uid: Number(entry[2]),
    gid: Number(entry[3]),
    // userdel removes the user's own group too, and its membership of the others.
    remove: () => execFileSync('userdel', [name]),
  };
}
