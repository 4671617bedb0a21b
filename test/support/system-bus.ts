// A private "system" bus for one test file: a dbus-daemon with the host's own
// system bus policy (the default context of /usr/share/dbus-1/system.conf:
// every user may connect, nobody may own a name or call a method unless a
// service's policy file punches the hole), loading the policy files under
// test — ours, and the real ones of libvirt-dbus, logind and polkit — so
// that who may talk to whom is decided as on a real host.

import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBusDaemon, type PrivateBus } from './private-bus.js';
import type { ProcessGroup } from './processes.js';
import { ROOT } from './root.js';

const HOST_SYSTEM_CONF = '/usr/share/dbus-1/system.conf';
const HOST_POLICIES = '/usr/share/dbus-1/system.d';
/** Our policy file, the one tools/install.sh installs. */
export const SWITCHER_POLICY = resolve(ROOT, 'data/me.phyllo.Switcher1.conf');

// Here the fakes run as root, not as their real users (polkitd, libvirtdbus,
// who get in through polkit on a real host): root may own their names too.
// Root may watch the bus (dbus-monitor), as the host's own system.conf lets it.
const TEST_ONLY = `<busconfig>
  <policy user="root">
    <allow own="org.freedesktop.PolicyKit1"/>
    <allow own="org.libvirt"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
</busconfig>`;

/** The host's default system bus policy, verbatim. */
function hostDefaultPolicy(): string {
  const conf = readFileSync(HOST_SYSTEM_CONF, 'utf8');
  const policy = /<policy context="default">[\s\S]*?<\/policy>/.exec(conf)?.[0];
  if (!policy) throw new Error(`${HOST_SYSTEM_CONF} has no default policy`);
  return policy;
}

/** The policies a host with us installed has: ours, libvirt-dbus's, logind's and polkit's. */
export const HOST_WITH_SWITCHER: readonly string[] = [
  SWITCHER_POLICY,
  join(HOST_POLICIES, 'org.libvirt.conf'),
  join(HOST_POLICIES, 'org.freedesktop.login1.conf'),
  join(HOST_POLICIES, 'org.freedesktop.PolicyKit1.conf'),
];

/**
 * Our policy as it would be were our system user called `user` (a test's
 * own, made for the run): it lets that user own the name.
 */
export function switcherPolicyFor(user: string, dir: string): string {
  const file = join(dir, 'me.phyllo.Switcher1.conf');
  writeFileSync(file, readFileSync(SWITCHER_POLICY, 'utf8').replace('user="phyllome-switcher"', `user="${user}"`));
  return file;
}

export async function startSystemBus(
  group: ProcessGroup,
  policies: readonly string[] = HOST_WITH_SWITCHER,
): Promise<PrivateBus> {
  const dir = mkdtempSync(join(tmpdir(), 'phyllome-system-bus-'));
  // Callers of every user reach it, as the real one.
  chmodSync(dir, 0o755);
  const testOnly = join(dir, 'test-only.conf');
  writeFileSync(testOnly, TEST_ONLY);
  return startBusDaemon(
    group,
    dir,
    'dbus-daemon (system)',
    'system',
    `${hostDefaultPolicy()}
  ${[...policies, testOnly].map((file) => `<include>${file}</include>`).join('\n  ')}`,
  );
}
