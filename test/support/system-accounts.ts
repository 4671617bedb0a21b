// Accounts a test makes on this host for real, as tools/install.sh --system
// makes them on a real one: the host-wide service's own system user, and the
// group the guest-files helper's workers run with. Each name is new to the
// run (phyl-<kind>-<pid>-<random>), and removed again with userdel/groupdel.
// A run killed before it removes them leaves them: the next one to make an
// account removes those whose process is gone. A user comes with the setpriv
// command that runs a program as it, and the bus policy a dbus-daemon needs
// to let it own a name.

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

// The maker's pid (base 36) in the name tells a later run whether it is still alive.
const NAME = /^phyl-[a-z]+-([0-9a-z]+)-[0-9a-f]{4}$/;

let swept = false;

function fresh(kind: string): string {
  if (!swept) sweepStaleAccounts();
  swept = true;
  return `phyl-${kind}-${process.pid.toString(36)}-${randomBytes(2).toString('hex')}`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Names of `database` (passwd, group) made by a process that is gone. */
function staleNames(database: string): string[] {
  let entries: string;
  try {
    entries = execFileSync('getent', [database], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return entries
    .split('\n')
    .map((line) => line.split(':')[0] ?? '')
    .filter((name) => {
      const maker = NAME.exec(name)?.[1];
      return maker !== undefined && !alive(parseInt(maker, 36));
    });
}

/**
 * Removes the accounts of runs that were killed before they removed them
 * (users first: userdel takes a user's own group with it). One still in use
 * by a process is left: userdel refuses it.
 */
export function sweepStaleAccounts(): string[] {
  const removed: string[] = [];
  for (const [database, command] of [
    ['passwd', 'userdel'],
    ['group', 'groupdel'],
  ] as const) {
    for (const name of staleNames(database)) {
      try {
        execFileSync(command, [name], { stdio: 'ignore' });
        removed.push(name);
      } catch {
        // In use, or gone meanwhile (another run's sweep): not ours to force.
      }
    }
  }
  return removed;
}

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
