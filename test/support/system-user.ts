// A system user of the host made for one test file (useradd) and removed at
// its end (userdel), with a name no other run uses: for a service that runs
// as a user of its own, as the host-wide service does on a real host. The
// bus policy a dbus-daemon needs to let it own a name is written beside.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class SystemUser {
  private readonly dir: string;

  private constructor(
    readonly name: string,
    readonly uid: number,
    readonly gid: number,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'phyllome-user-'));
  }

  /** A new system user with no home and no shell, in `groups` (which must exist). */
  static create(groups: string[] = []): SystemUser {
    const name = `phyllome-t${randomBytes(4).toString('hex')}`;
    execFileSync('useradd', [
      '--system',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      '--user-group',
      ...(groups.length > 0 ? ['--groups', groups.join(',')] : []),
      name,
    ]);
    const id = (flag: string): number => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
    return new SystemUser(name, id('-u'), id('-g'));
  }

  /** setpriv running a command as this user, with its groups and no capability at all. */
  get wrapper(): string[] {
    return [
      'setpriv',
      '--reuid',
      String(this.uid),
      '--regid',
      String(this.gid),
      '--init-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--',
    ];
  }

  /** A system bus policy file letting this user own `busName` (and be called there). */
  ownerPolicy(busName: string): string {
    const file = join(this.dir, 'owner.conf');
    writeFileSync(
      file,
      `<busconfig>
  <policy user="${this.name}">
    <allow own="${busName}"/>
    <allow send_destination="${busName}"/>
  </policy>
</busconfig>
`,
    );
    return file;
  }

  /** Removes the user and its group; every process of it must have stopped. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
    execFileSync('userdel', [this.name]);
  }
}
