// Accounts a test makes on this host for real, as tools/install.sh --system
// makes them on a real one: the host-wide service's own system user, and the
// group the guest-files helper's workers run with. Each name is new to the
// run (phyl-<kind>-<random>), and removed again with userdel/groupdel. A
// user comes with the setpriv command that runs a program as it, and the bus
// policy a dbus-daemon needs to let it own a name.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  /** setpriv running a command as this user, with its groups and no capability at all. */
  wrapper: string[];
  /** A system bus policy file letting this user own `busName` (and be called there). */
  ownerPolicy(busName: string): string;
  /** Removes the user, its group and its policy files; every process of it must have stopped. */
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
  const uid = Number(entry[2]);
  const gid = Number(entry[3]);
  let policies: string | undefined;
  return {
    name,
    uid,
    gid,
    wrapper: [
      'setpriv',
      '--reuid',
      String(uid),
      '--regid',
      String(gid),
      '--init-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--',
    ],
    ownerPolicy: (busName) => {
      policies ??= mkdtempSync(join(tmpdir(), 'phyllome-user-'));
      const file = join(policies, 'owner.conf');
      writeFileSync(
        file,
        `<busconfig>
  <policy user="${name}">
    <allow own="${busName}"/>
    <allow send_destination="${busName}"/>
  </policy>
</busconfig>
`,
      );
      return file;
    },
    remove: () => {
      if (policies) rmSync(policies, { recursive: true, force: true });
      // userdel removes the user's own group too, and its membership of the others.
      execFileSync('userdel', [name]);
    },
  };
}
