// The real parts the service tests run against: a private bus, libvirt-dbus
// on libvirt's test driver, and our service, each started and stopped by PID.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { PrivateBus } from './private-bus.js';
import { startPrivateBus } from './private-bus.js';
import { HOST_WITH_SWITCHER, startSystemBus } from './system-bus.js';
import { ProcessGroup, type TrackedProcess } from './processes.js';
import { TestClient } from './dbus-client.js';
import { makeSystemGroup, type SystemGroup } from './system-accounts.js';

import { ROOT } from './root.js';

export { ROOT };
export const SANDBOX = resolve(ROOT, 'test/support/libvirtd-sandbox.sh');
/** The bundled service, as installed; `npm run build` makes it. */
export const SERVICE_EXECUTABLE = resolve(ROOT, 'build/phyllome-switcher-service');
/** Its guest-files helper (and its workers' program), beside it. */
export const FILES_EXECUTABLE = resolve(ROOT, 'build/phyllome-switcher-files');

/** The node flags the executable's #! line asks for, so tests run it as installed. */
export function shebangFlags(): string[] {
  const first = readFileSync(SERVICE_EXECUTABLE, 'utf8').split('\n', 1)[0] ?? '';
  return first
    .replace(/^#!\/usr\/bin\/env -S node\s*/, '')
    .split(/\s+/)
    .filter(Boolean);
}

/**
 * A service that is given no logind (no --system-bus) runs as on a host with
 * one person and no logind: --seats none, said explicitly, as the demo does.
 * Seat tests give their fake logind's bus and get every check.
 */
export function seatsArgs(args: readonly string[]): string[] {
  return args.some((a) => a === '--system-bus' || a === '--seats' || a === '--host-wide') ? [] : ['--seats', 'none'];
}

/**
 * The libvirtd a sandbox runs is the release asked for (PHYLLOME_LIBVIRT,
 * set by test/libvirt/run.sh; by default the host's): a run on another
 * release's libvirt must never silently test this host's.
 */
export function checkLibvirtVersion(sandboxOutput: string): string {
  const version = /^libvirtd (\S+)$/m.exec(sandboxOutput)?.[1] ?? 'unknown';
  const asked = process.env.PHYLLOME_LIBVIRT;
  if (asked && version !== asked && !version.startsWith(`${asked}.`)) {
    throw new Error(`asked for libvirt ${asked}, but the sandbox runs libvirtd ${version}`);
  }
  return version;
}

export class ServiceStack {
  readonly group = new ProcessGroup();
  bus!: PrivateBus;
  libvirtDbus: TrackedProcess | undefined;
  service: TrackedProcess | undefined;
  client!: TestClient;
  /** The bus is a private system bus (see start's systemBus). */
  systemBus = false;

  /** A process inside the real libvirtd's mount namespace (with realLibvirtd). */
  libvirtdNamespacePid: number | undefined;
  /** Run the service inside that namespace, where it sees the guests' files as libvirtd does. */
  serviceInSandbox = false;
  /** Folders the stack made for its services (their journals), removed when it stops. */
  private readonly folders: string[] = [];
  /**
   * The group the guest-files helper's workers run with, made for this stack: a per-user service run as
   * root (as here) runs a caller of another uid's workers as that caller, which takes one.
   */
  workers: SystemGroup | undefined;

  /** A folder of this stack's, removed when it stops. */
  folder(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), `phyllome-${prefix}-`));
    this.folders.push(dir);
    return dir;
  }

  /**
   * realLibvirtd: a real libvirtd + QEMU in a private namespace (see
   * libvirtd-sandbox.sh) instead of libvirt-dbus's in-process test driver.
   */
  static async start(
    options: {
      uri?: string;
      servicesDir?: string;
      withService?: boolean;
      realLibvirtd?: boolean;
      nodeArgs?: string[];
      /** Use this bus (e.g. a test Shell's) instead of starting a private one. */
      busAddress?: string;
      /** Let callers of other users on the private bus. */
      anyUser?: boolean;
      /** More arguments for the service. */
      serviceArgs?: string[];
      /** With realLibvirtd: the service runs in libvirtd's mount namespace (guest files, UEFI variables, TPM state). */
      serviceInSandbox?: boolean;
      /**
       * A private system bus with the host's system policy and ours
       * (system-bus.ts), and libvirt-dbus --system on it, as on a real host.
       */
      systemBus?: boolean;
      /** A workers' group for the guest-files helper, for callers of other uids (see `workers`). */
      workers?: boolean;
      /** More policy files for that system bus (e.g. letting a test's own system user own our name). */
      systemPolicies?: string[];
    } = {},
  ): Promise<ServiceStack> {
    const stack = new ServiceStack();
    stack.serviceInSandbox = options.serviceInSandbox === true;
    try {
      if (options.workers) stack.workers = makeSystemGroup('workers');
      stack.systemBus = options.systemBus === true;
      stack.bus = options.busAddress
        ? { address: options.busAddress, dir: '', dispose: () => undefined }
        : options.systemBus
          ? await startSystemBus(stack.group, [...HOST_WITH_SWITCHER, ...(options.systemPolicies ?? [])])
          : await startPrivateBus(stack.group, {
              ...(options.servicesDir ? { servicesDir: options.servicesDir } : {}),
              ...(options.anyUser ? { anyUser: true } : {}),
            });
      stack.client = await TestClient.connect(stack.bus.address);
      if (options.realLibvirtd) await stack.startLibvirtdSandbox();
      else await stack.startLibvirtDbus();
      if (options.withService !== false)
        await stack.startService(options.uri ?? 'test:///default', options.serviceArgs ?? [], options.nodeArgs ?? []);
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  async startLibvirtdSandbox(): Promise<void> {
    const sandbox = this.group.start('libvirtd-sandbox', SANDBOX, [], { env: this.env });
    this.libvirtDbus = sandbox;
    const [, pid] = await sandbox.waitForOutput(/^ready (\d+)$/m, 30_000);
    this.libvirtdNamespacePid = Number(pid);
    checkLibvirtVersion(sandbox.output());
  }

  /** Stops the sandbox's libvirtd alone, under the live libvirt-dbus (a package upgrade does this). */
  async stopLibvirtd(): Promise<void> {
    await this.signalSandbox('SIGUSR1', /^libvirtd stopped$/gm);
  }

  /** Starts the sandbox's libvirtd again; resolves once its socket is there. */
  async startLibvirtd(): Promise<void> {
    await this.signalSandbox('SIGUSR2', /^libvirtd started$/gm);
  }

  /** libvirtd's socket as seen from outside its namespace. */
  get libvirtdSocket(): string {
    return `/proc/${this.libvirtdNamespacePid}/root/run/libvirt/libvirt-sock`;
  }

  private async signalSandbox(signal: NodeJS.Signals, done: RegExp): Promise<void> {
    const sandbox = this.libvirtDbus;
    if (!sandbox || this.libvirtdNamespacePid === undefined) throw new Error('no libvirtd sandbox');
    const from = sandbox.output().length;
    process.kill(sandbox.pid, signal);
    // libvirtd 11 took over 20 s to stop on a loaded machine: a deadline, not the expected time.
    await sandbox.waitForOutput(done, 60_000, from);
  }

  get env(): NodeJS.ProcessEnv {
    if (this.systemBus) {
      return { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: this.bus.address, LIBVIRT_DBUS_BUS: 'system' };
    }
    return { ...process.env, DBUS_SESSION_BUS_ADDRESS: this.bus.address };
  }

  async startLibvirtDbus(): Promise<TrackedProcess> {
    this.libvirtDbus = this.group.start('libvirt-dbus', 'libvirt-dbus', ['--session'], { env: this.env });
    await this.client.waitForName('org.libvirt', this.libvirtDbus);
    return this.libvirtDbus;
  }

  async startService(
    uri = 'test:///default',
    extraArgs: string[] = [],
    nodeArgs: string[] = [],
    extraEnv: NodeJS.ProcessEnv = {},
    /** A command the service runs under, e.g. setpriv with the capabilities its systemd unit gives it. */
    wrapper: string[] = [],
  ): Promise<TrackedProcess> {
    // With the sandboxed libvirtd, the service watches its socket: seen from outside through the
    // sandbox's namespace, or at its own path when the service runs inside it.
    const socket =
      this.libvirtdNamespacePid !== undefined &&
      !this.serviceInSandbox &&
      uri.startsWith('qemu:') &&
      !extraArgs.includes('--libvirt-socket')
        ? ['--libvirt-socket', this.libvirtdSocket]
        : [];
    // Its journal in a folder of the test's; a per-user service's guest-files helper where libvirtd keeps
    // the guests' files (its namespace), as the service itself would be on a real host.
    const state = extraArgs.includes('--state-dir') ? [] : ['--state-dir', this.folder('state')];
    const inSandbox = this.libvirtdNamespacePid !== undefined && !this.serviceInSandbox && uri.startsWith('qemu:');
    const helper =
      (inSandbox || this.workers) && !extraArgs.includes('--files-helper') && !extraArgs.includes('--host-wide')
        ? [
            '--files-helper',
            [
              ...(inSandbox ? ['nsenter', `--mount`, `--target=${this.libvirtdNamespacePid}`, '--'] : []),
              FILES_EXECUTABLE,
              ...(this.workers ? ['--worker-group', this.workers.name] : []),
            ].join(' '),
          ]
        : [];
    const args = [
      ...shebangFlags(),
      ...nodeArgs,
      SERVICE_EXECUTABLE,
      '--connect',
      uri,
      '--bus',
      this.bus.address,
      ...socket,
      ...state,
      ...helper,
      ...seatsArgs(extraArgs),
      ...extraArgs,
    ];
    // nsenter execs the service (no fork for a mount namespace): the PID tracked is the service's own.
    const node = [...wrapper, process.execPath];
    const [command, argv] =
      this.serviceInSandbox && this.libvirtdNamespacePid
        ? ['nsenter', ['--mount', `--target=${this.libvirtdNamespacePid}`, '--', ...node, ...args]]
        : [node[0] as string, [...node.slice(1), ...args]];
    this.service = this.group.start('service', command, argv, {
      env: { ...this.env, PHYLLOME_DEBUG: '1', ...extraEnv },
    });
    await this.client.waitForName('me.phyllo.Switcher1', this.service);
    return this.service;
  }

  async stop(): Promise<void> {
    this.client?.disconnect();
    await this.group.stopAll();
    this.bus?.dispose();
    for (const dir of this.folders.splice(0)) rmSync(dir, { recursive: true, force: true });
    this.workers?.remove();
    this.workers = undefined;
  }
}
