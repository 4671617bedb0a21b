// The host-wide service as tools/install.sh --system sets it up, on a real
// libvirtd (qemu:///system through libvirt-dbus --system, in the sandbox):
// the service as a system user of its own (made for the run), in the libvirt
// group, with no capabilities at all; its guest-files helper as root under
// exactly the capabilities of its unit, on a socket only that user's group
// may connect to; the helper's workers with a group of their own. Both run
// inside libvirtd's mount namespace, where a real host keeps the guests'
// files and libvirtd's socket.

import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrackedProcess } from './processes.js';
import { FILES_EXECUTABLE, ROOT, ServiceStack } from './stack.js';
import { makeSystemGroup, makeSystemUser, type SystemGroup, type SystemUser } from './system-accounts.js';
import { switcherPolicyFor } from './system-bus.js';

/** Our polkit policy as it would be were our system user called `user`: the owner of its actions. */
export function polkitPolicyFor(user: string, dir: string): string {
  const file = join(dir, 'me.phyllo.switcher.policy');
  const text = readFileSync(join(ROOT, 'data/me.phyllo.switcher.policy'), 'utf8');
  writeFileSync(file, text.replaceAll('unix-user:phyllome-switcher', `unix-user:${user}`));
  return file;
}

/** The capabilities a unit of data/ keeps (CapabilityBoundingSet=), as setpriv names them ('' for none). */
export function unitCapabilities(unit: string): string[] {
  const text = readFileSync(join(ROOT, 'data', unit), 'utf8');
  const line = /^CapabilityBoundingSet=(.*)$/m.exec(text);
  if (!line) throw new Error(`${unit} says nothing of its capabilities`);
  return (line[1] ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((name) => name.replace(/^CAP_/, '').toLowerCase());
}

/** A capability set as /proc/PID/status shows it (hex), from setpriv's names. */
export function capabilityMask(names: string[]): string {
  const bits: Record<string, number> = {
    chown: 0,
    dac_override: 1,
    dac_read_search: 2,
    fowner: 3,
    setgid: 6,
    setuid: 7,
  };
  const mask = names.reduce((sum, name) => sum | (1n << BigInt(bits[name] ?? 63)), 0n);
  return mask.toString(16).padStart(16, '0');
}

export class HostWide {
  helper: TrackedProcess | undefined;

  private constructor(
    readonly stack: ServiceStack,
    readonly serviceUser: SystemUser,
    readonly workers: SystemGroup,
    /** The helper's socket, its state folder (journal, staging) and the service's own. */
    readonly helperSocket: string,
    readonly helperState: string,
    readonly serviceState: string,
    private readonly policies: string,
  ) {}

  /**
   * A private system bus with our policy for the run's service user, the
   * libvirtd sandbox, the helper, and the service (its `serviceArgs` added),
   * once `prepare` (logind, guests…) has run.
   */
  static async start(
    serviceArgs: (stack: ServiceStack) => string[],
    prepare: (
      stack: ServiceStack,
      accounts: { serviceUser: SystemUser; polkitPolicy: string },
    ) => Promise<void> = async () => undefined,
  ): Promise<HostWide> {
    const serviceUser = makeSystemUser('svc', ['libvirt']);
    const workers = makeSystemGroup('workers');
    let stack: ServiceStack | undefined;
    const policies = mkdtempSync(join(tmpdir(), 'phyllome-policy-'));
    chmodSync(policies, 0o755);
    try {
      stack = await ServiceStack.start({
        systemBus: true,
        realLibvirtd: true,
        withService: false,
        systemPolicies: [switcherPolicyFor(serviceUser.name, policies)],
      });
      // The helper's socket takes its folder's group (setgid): the service's, as systemd's SocketGroup= gives it.
      const helperDir = stack.folder('files-socket');
      chownSync(helperDir, 0, serviceUser.gid);
      chmodSync(helperDir, 0o2750);
      const serviceState = stack.folder('service-state');
      chownSync(serviceState, serviceUser.uid, serviceUser.gid);
      const host = new HostWide(
        stack,
        serviceUser,
        workers,
        join(helperDir, 'files.sock'),
        stack.folder('files-state'),
        serviceState,
        policies,
      );
      await host.startHelper();
      await prepare(stack, { serviceUser, polkitPolicy: polkitPolicyFor(serviceUser.name, policies) });
      const address = stack.bus.address;
      stack.serviceInSandbox = true;
      await stack.startService(
        'qemu:///system',
        [
          '--host-wide',
          '--system-bus',
          address,
          '--libvirt-bus',
          address,
          '--files-socket',
          host.helperSocket,
          '--state-dir',
          serviceState,
          ...serviceArgs(stack),
        ],
        [],
        { HOME: '/nonexistent' },
        // Its unit's user, groups (libvirt) and capabilities: none.
        [
          'setpriv',
          `--reuid=${serviceUser.uid}`,
          `--regid=${serviceUser.gid}`,
          '--init-groups',
          '--inh-caps=-all',
          `--bounding-set=-all${unitCapabilities('phyllome-switcher-system.service.in')
            .map((c) => `,+${c}`)
            .join('')}`,
          '--no-new-privs',
          '--',
        ],
      );
      return host;
    } catch (error) {
      await stack?.stop();
      serviceUser.remove();
      workers.remove();
      rmSync(policies, { recursive: true, force: true });
      throw error;
    }
  }

  /** Starts the helper (again), as root under its unit's capabilities; resolves once it serves. */
  async startHelper(): Promise<TrackedProcess> {
    const caps = unitCapabilities('phyllome-switcher-files.service.in');
    const helper = this.stack.group.start('guest-files helper', 'nsenter', [
      '--mount',
      `--target=${this.stack.libvirtdNamespacePid}`,
      '--',
      'setpriv',
      `--bounding-set=-all${caps.map((c) => `,+${c}`).join('')}`,
      '--no-new-privs',
      '--',
      process.execPath,
      FILES_EXECUTABLE,
      '--listen',
      this.helperSocket,
      '--connect',
      'qemu:///system',
      '--libvirt-bus',
      this.stack.bus.address,
      '--state-dir',
      this.helperState,
      '--worker-group',
      this.workers.name,
    ]);
    await helper.waitForOutput(/phyllome-switcher-files: serving/, 30_000);
    this.helper = helper;
    return helper;
  }

  async stop(): Promise<void> {
    await this.stack.stop();
    this.serviceUser.remove();
    this.workers.remove();
    rmSync(this.policies, { recursive: true, force: true });
  }
}
