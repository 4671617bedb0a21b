// Children of the service (udevadm, viewers) die with it, even when it is
// killed outright: setpriv asks the kernel to send them SIGTERM when their
// parent goes (PR_SET_PDEATHSIG), so nothing is left orphaned.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

const SETPRIV = '/usr/bin/setpriv';

export function spawnOwned(command: string, args: string[], options: SpawnOptions): ChildProcess {
  if (!existsSync(SETPRIV)) return spawn(command, args, options);
  // setpriv execs the command: the PID we get is the command's own.
  return spawn(SETPRIV, ['--pdeathsig', 'TERM', '--', command, ...args], options);
}

/**
 * A helper program (osinfo-detect and the like) run at low CPU priority and
 * the lowest best-effort I/O priority, so however many callers ask, the
 * guests' own work comes first. Nice 10, a tenth of a normal process's
 * share, not 19 (a seventieth): on a host whose guests keep every core busy,
 * osinfo-detect must still finish within its deadline for the one person
 * waiting on it. Best-effort rather than idle I/O for the same reason: an
 * idle-class reader waits for as long as anything keeps the disk busy.
 */
export function lowPriority(command: string, args: string[]): [string, string[]] {
  return ['nice', ['-n', '10', 'ionice', '-c', '2', '-n', '7', command, ...args]];
}
