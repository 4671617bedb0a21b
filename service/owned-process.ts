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
