// A private dbus-daemon for one test file. It has no service directories
// unless one is given, so nothing is started behind the test's back.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcessGroup, TrackedProcess } from './processes.js';

export interface PrivateBus {
  address: string;
  dir: string;
  /** The dbus-daemon, when the test started it. */
  daemon?: TrackedProcess;
  dispose(): void;
}

export async function startPrivateBus(
  group: ProcessGroup,
  options: { servicesDir?: string; anyUser?: boolean } = {},
): Promise<PrivateBus> {
  const dir = mkdtempSync(join(tmpdir(), 'phyllome-bus-'));
  // anyUser: callers of other users may connect too (tests of what a caller may read).
  if (options.anyUser) chmodSync(dir, 0o755);
  return startBusDaemon(
    group,
    dir,
    'dbus-daemon',
    'session',
    `${options.servicesDir ? `<servicedir>${options.servicesDir}</servicedir>` : ''}
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
    ${options.anyUser ? '<allow user="*"/>' : ''}
  </policy>`,
  );
}

/**
 * Starts a dbus-daemon of `type` listening on DIR/bus, with `body` (policies,
 * service directories) in its configuration, in the group; dispose() removes `dir`.
 */
export async function startBusDaemon(
  group: ProcessGroup,
  dir: string,
  name: string,
  type: 'session' | 'system',
  body: string,
): Promise<PrivateBus> {
  const file = join(dir, 'bus.conf');
  writeFileSync(
    file,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>${type}</type>
  <listen>unix:path=${join(dir, 'bus')}</listen>
  <auth>EXTERNAL</auth>
  ${body}
</busconfig>
`,
  );
  const daemon = group.start(name, 'dbus-daemon', ['--nofork', '--print-address=1', `--config-file=${file}`]);
  const [line] = await daemon.waitForOutput(/^unix:\S+/m);
  return {
    address: line,
    dir,
    daemon,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
