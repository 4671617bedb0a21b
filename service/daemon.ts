// Wires the service together and is the one owner of everything it starts:
// stop() releases it all, in the reverse order it was made.

import {
  callBusDaemon,
  onBusClosed,
  onBusError,
  openBus,
  whenConnected,
  type BusChoice,
  type InboundOptions,
  type MessageBus,
} from './dbus/bus.js';
import { budgetKeys, DEFAULT_BUDGET, InboundBudget } from './dbus/inbound-budget.js';
import type { CallCheck, RefusedMessage } from './dbus/inbound-limit.js';
import { SenderUids } from './dbus/sender-uids.js';
import { loadContract } from './contract/interface-xml.js';
import { errorMessage, noSuchDevice, noSuchGuest, SwitcherError } from './errors.js';
import { ObjectExporter } from './api/exporter.js';
import {
  changedGuestProperties,
  GuestObject,
  GUEST_INTERFACE,
  type GuestObjectParts,
  guestProperties,
  shareProperties,
  type DisplayOpener,
  type GuestSharing,
} from './api/guest-object.js';
import { GuestDisplays } from './guests/displays.js';
import { MANAGER_INTERFACE, MANAGER_PATH, ManagerObject } from './api/manager-object.js';
import { GuestActions } from './guests/actions.js';
import { GUEST_PATH_PREFIX, type Guest } from './guests/guest.js';
import { isDown, stateFromLibvirt } from './guests/state.js';
import { DEFAULT_VIEWER_OPTIONS, ViewerManager } from './viewers/viewer-manager.js';
import { UsbDeviceObject, USB_DEVICE_INTERFACE, usbDeviceProperties } from './api/usb-device-object.js';
import { UsbInventory } from './usb/inventory.js';
import { UdevMonitor } from './usb/udev-monitor.js';
import { USB_PATH_PREFIX, usbDevicePath } from './usb/usb-device.js';
import { UsbManager } from './usb/usb-manager.js';
import { SeatObject, SEAT_INTERFACE } from './api/seat-object.js';
import { Authority, type SeatsMode } from './access/authority.js';
import { CallerResolver } from './access/caller-place.js';
import { PolkitClient } from './access/polkit.js';
import { DEFAULT_DISPLAY_DIR, DisplaySockets, locateRelay } from './display/display-sockets.js';
import { LogindClient } from './seats/logind.js';
import { SeatManager, seatPath } from './seats/seat-manager.js';
import { GuestRegistry, type ReconnectPolicy } from './guests/registry.js';
import { JobObject, JOB_INTERFACE } from './api/job-object.js';
import { JobManager } from './jobs/job-manager.js';
import { isPrivilegedUri, libvirtStateDirs } from './libvirt/state-dirs.js';
import { Transfers } from './transfer/transfers.js';
import { recoverJobs } from './transfer/recovery.js';
import { DEFAULT_FILES_SOCKET, FilesClient, locateFilesHelper, type FilesLink } from './guest-files/client.js';
import { Journal } from './jobs/journal.js';
import { DEFAULT_DEADLINES, LibvirtClient, type Deadlines } from './libvirt/client.js';
import { LibvirtDaemonWatch } from './libvirt/daemon-watch.js';
import { daemonSocketFor, endpointFor, type LibvirtEndpoint } from './libvirt/uri.js';
import { GuestCreator } from './create/creator.js';
import { GuestModel } from './create/guest-model.js';
import { GuestStops } from './guests/stops.js';
import { allDomainStats } from './libvirt/domain-stats.js';
import { StatsSampler } from './stats/sampler.js';
import { CallLimiter } from './access/call-limiter.js';
import { PerUserCalls } from './access/expensive-calls.js';
import { log } from './log.js';
import { count } from './readable.js';
import { readdirSync } from 'node:fs';
import { REAL_CLOCK, type Clock } from './clock.js';
import { hostCertificate, type HostCertificate } from './sharing/host-certificate.js';
import { parseShareOptions, type SharingSettings } from './sharing/share-options.js';
import { Shares } from './sharing/shares.js';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const BUS_NAME = 'me.phyllo.Switcher1';

export interface DaemonOptions {
  uri: string;
  /** Where we own our name. */
  bus: BusChoice;
  /** Where libvirt-dbus is; by default the bus that serves the URI. */
  libvirtBus?: BusChoice;
  contractPath?: string;
  deadlines?: Deadlines;
  /** The viewer command (default virt-viewer) and the URI it connects to (default: uri). */
  viewerCommand?: string[];
  viewerUri?: string;
  /** libvirt's daemon socket, watched to notice it restarting; by default the URI's own. */
  libvirtSocket?: string;
  /** Where sysfs is (tests give a recorded tree), and how to run udevadm. */
  sysfsRoot?: string;
  udevadmCommand?: string[];
  udevDataRoot?: string;
  /** Where logind and polkit are: 'system' (default) or an address. */
  systemBus?: BusChoice;
  reconnect?: ReconnectPolicy;
  /** What new guests run on; by default KVM where the host has it. */
  virtType?: 'kvm' | 'qemu' | undefined;
  /** How long a finished job's object stays (default 60 s). */
  jobLingerMs?: number;
  /** 'logind' (default): seats from logind, every change checked; 'none': one person, no logind, nothing checked. */
  seats?: SeatsMode | undefined;
  /** Every user's service on the system bus: viewers in the users' sessions, through display sockets. */
  hostWide?: boolean | undefined;
  /** Where the host-wide service makes display sockets, and how it runs their relay. */
  displayDir?: string | undefined;
  displayRelay?: string[] | undefined;
  /**
   * The service's own files: its journal of what jobs make, the host's sharing certificate (default:
   * systemd's StateDirectory, or XDG's).
   */
  stateDir?: string | undefined;
  /** The host-wide guest-files helper's socket. */
  filesSocket?: string | undefined;
  /** How the per-user service runs its guest-files helper (its program; --stdio and the rest are added). */
  filesHelper?: string[] | undefined;
  /** Sharing guests with other computers, as an administrator allowed it; undefined: never. */
  sharing?: SharingSettings | undefined;
  /** The time shares go by (their ends). */
  clock?: Clock;
}

/** Whether a journal folder holds anything (a job that never finished). */
function hasJournal(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

/** Where a service keeps its own files unless told: the host-wide one in /var/lib, a user's in XDG's state folder. */
export function defaultStateDir(hostWide: boolean, env: NodeJS.ProcessEnv = process.env): string {
  if (hostWide) return env.STATE_DIRECTORY?.split(':')[0] || '/var/lib/phyllome-switcher';
  return join(env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local/state'), 'phyllome-switcher');
}

/** Where display sockets go when none is named: the runtime folder host-wide, the user's runtime folder per user. */
export function defaultDisplayDir(hostWide: boolean, stateDir: string, env: NodeJS.ProcessEnv = process.env): string {
  if (hostWide) return DEFAULT_DISPLAY_DIR;
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'phyllome-switcher/display') : join(stateDir, 'display');
}

const CONNECT_TIMEOUT_MS = 5_000;
const DBUS_NAME_FLAG_DO_NOT_QUEUE = 4;
const REQUEST_NAME_PRIMARY_OWNER = 1;

/** The buses we speak on: our name's, libvirt-dbus's (often the same one), and logind's and polkit's. */
interface Buses {
  service: MessageBus;
  libvirt: MessageBus;
  /** Where libvirt-dbus is, as the guest-files helper and the display relays are told. */
  libvirtChoice: BusChoice;
  /** The system bus; undefined with --seats none, or when it cannot be reached (then every change is refused). */
  system: MessageBus | undefined;
}

/** Guests as libvirt has them, and what acts on them. */
interface Libvirt {
  client: LibvirtClient;
  registry: GuestRegistry;
  actions: GuestActions;
}

/** Who may do what: where a caller sits, the seats' rule and polkit, and how much a caller may run at once. */
interface Access {
  logind: LogindClient | undefined;
  resolver: CallerResolver;
  authority: Authority;
  expensive: PerUserCalls;
}

/** The guest-files helper and the service's own files, which the jobs that make files share. */
interface Files {
  stateDir: string;
  journal: Journal;
  files: FilesClient;
}

/** What the service shows of guests elsewhere: display sockets for other users' sessions, and shares. */
interface Reach {
  displays: DisplaySockets | undefined;
  opener: DisplayOpener | undefined;
  sharing: { shares: Shares; door: GuestSharing } | undefined;
}

export class Daemon {
  private readonly cleanups: (() => void)[] = [];
  private closedHandler: (() => void) | undefined;
  /** Calls judged from their header before they are read: the exporter's, once it is made. */
  private judgeCall: CallCheck | undefined;
  /** What each caller may have decoded over time (host-wide), once the bus can tell callers' uids. */
  private inboundBudget: InboundOptions['budget'];
  private jobs: JobManager | undefined;

  private constructor(readonly options: DaemonOptions) {}

  static async start(options: DaemonOptions): Promise<Daemon> {
    const daemon = new Daemon(options);
    try {
      await daemon.init();
    } catch (error) {
      daemon.stop();
      throw error;
    }
    return daemon;
  }

  /** Called once if a bus connection closes under us. */
  onClosed(handler: () => void): void {
    this.closedHandler = handler;
  }

  stop(): void {
    // Our own disconnects below are not the bus going away.
    this.closedHandler = undefined;
    while (this.cleanups.length > 0) {
      const cleanup = this.cleanups.pop() as () => void;
      try {
        cleanup();
      } catch (error) {
        log.warning(`cleanup failed: ${errorMessage(error)}`);
      }
    }
  }

  /** Cancels running jobs and waits (at most timeoutMs) until each has undone its work. */
  async cancelJobs(timeoutMs: number): Promise<void> {
    await this.jobs?.cancelAll(timeoutMs);
  }

  /** Each step makes one part from the parts made before it; stop() releases them in reverse. */
  private async init(): Promise<void> {
    const { options } = this;
    const endpoint = endpointFor(options.uri);
    const hostWide = options.hostWide === true;
    // The system daemon's QEMU runs as its own user: it may not read a caller's installer.
    const privileged = isPrivilegedUri(endpoint.uri, process.geteuid?.() ?? -1);

    const buses = await this.connectBuses(endpoint);
    const exporter = this.exporter(buses.service, loadContract(options.contractPath));
    const libvirt = this.libvirt(buses.libvirt, endpoint);
    const access = this.access(buses, libvirt.registry);
    const viewers = this.viewers(libvirt, endpoint.uri);
    const sysfsRoot = options.sysfsRoot ?? '/sys';
    const inventory = new UsbInventory(sysfsRoot, new UdevMonitor(options.udevadmCommand), options.udevDataRoot);
    const usb = this.own(new UsbManager(inventory, libvirt.registry, libvirt.client, libvirt.actions), (u) => u.stop());
    const seats = this.own(new SeatManager({ ...libvirt, logind: access.logind, inventory, sysfsRoot }), (m) =>
      m.stop(),
    );
    const files = this.files(endpoint.uri, buses.libvirtChoice);
    // Phyllome's model on this host: one for CreateGuest and Import, so both make guests one way.
    const model = new GuestModel(libvirt.client, {
      uri: endpoint.uri,
      ...(options.virtType ? { virtType: options.virtType } : {}),
    });
    const creator = new GuestCreator({
      ...libvirt,
      ...files,
      serviceBus: buses.service,
      model,
      copyMedia: privileged,
    });
    // A guest's display in its definition; what the host has for 3D is the model's host probe.
    const displaySettings = new GuestDisplays(libvirt.registry, libvirt.client, libvirt.actions, () =>
      model.capabilities(),
    );
    // Export, Import, Clone and the live move run as jobs, each its own object.
    const jobs = this.own(new JobManager(options.jobLingerMs), (j) => j.stop());
    this.jobs = jobs;
    const transfers = new Transfers({
      ...libvirt,
      ...files,
      // Where libvirt keeps UEFI variables and TPM state: the helper's rule, which an import's plan names.
      dirs: libvirtStateDirs(privileged),
      model,
      jobs,
      ownUri: endpoint.uri,
      serviceBus: buses.service,
      trust: hostWide ? 'any-caller' : 'caller-is-owner',
    });
    const reach = this.reach(files.stateDir, buses.libvirtChoice, access.resolver);
    // Live figures, read only while a client watches.
    const stats = this.own(
      new StatsSampler(buses.service, libvirt.registry, {
        read: () => allDomainStats(libvirt.client),
        timeoutMs: CONNECT_TIMEOUT_MS,
      }),
      (s) => s.stop(),
    );
    const stops = this.own(new GuestStops(libvirt.client, libvirt.registry), (s) => s.stop());

    exporter.export(MANAGER_PATH, [
      new ManagerObject({
        uri: endpoint.uri,
        scope: hostWide ? 'host' : 'user',
        sharingAllowed: reach.sharing !== undefined,
        ...libvirt,
        usb,
        seats,
        creator,
        transfers,
        jobs,
        authority: access.authority,
        stats,
        expensive: access.expensive,
      }),
    ]);
    publishUsbDevices(exporter, usb, { authority: access.authority, seats, registry: libvirt.registry });
    publishSeats(exporter, seats, access.authority);
    publishJobs(exporter, jobs, access.authority);
    publishStops(exporter, stops);
    publishGuests(exporter, {
      registry: libvirt.registry,
      actions: libvirt.actions,
      viewers,
      authority: access.authority,
      transfers,
      expensive: access.expensive,
      displaySettings,
      stats,
      reach,
    });
    libvirt.registry.on('connected', (connected) => {
      log.info(`libvirt ${endpoint.uri}: ${connected ? 'connected' : 'disconnected'}`);
      exporter.emitPropertiesChanged(MANAGER_PATH, MANAGER_INTERFACE, { Connected: connected });
    });

    await this.startWork(libvirt, files, { stops, usb, seats });
    await this.takeName(buses.service);
    log.info(
      `serving ${BUS_NAME} for ${endpoint.uri} (${count(libvirt.registry.paths().length, 'guest')}, libvirt ${libvirt.registry.connected ? 'connected' : 'not connected'})`,
    );
  }

  private own<T>(resource: T, release: (resource: T) => void): T {
    this.cleanups.push(() => release(resource));
    return resource;
  }

  private async connect(choice: BusChoice): Promise<MessageBus> {
    const where = choice === 'session' || choice === 'system' ? `the ${choice} bus` : `the bus at ${choice}`;
    const failed = (error: unknown): Error => new Error(`cannot reach ${where}: ${errorMessage(error)}`);
    let bus: MessageBus;
    try {
      // Told, per reason, when its count is a power of two: a flood costs the log a few lines, not one each.
      const refusals = new Map<string, number>();
      const onRefused = ({ sender, bytes, reason }: RefusedMessage): void => {
        const count = (refusals.get(reason) ?? 0) + 1;
        refusals.set(reason, count);
        if ((count & (count - 1)) !== 0) return;
        log.warning(
          `refused a ${bytes}-byte message from ${sender || 'an unnamed sender'} unread: ${reason} (${count} so far)`,
        );
      };
      const check: CallCheck = (call) => this.judgeCall?.(call);
      // Callers are on the service's bus: a sender's name means nothing on another.
      const budget =
        choice === this.options.bus
          ? (sender: string, bytes: number) => this.inboundBudget?.(sender, bytes) ?? true
          : undefined;
      bus = this.own(openBus(choice, { check, budget, onRefused }), (b) => b.disconnect());
    } catch (error) {
      throw failed(error);
    }
    // A failed connection is reported through the returned promise; keep the emitter quiet.
    onBusError(bus, (error) => log.debug(`bus ${choice}: ${errorMessage(error)}`));
    await whenConnected(bus, CONNECT_TIMEOUT_MS).catch((error: unknown) => {
      throw failed(error);
    });
    onBusClosed(bus, () => this.closedHandler?.());
    return bus;
  }

  private async connectBuses(endpoint: LibvirtEndpoint): Promise<Buses> {
    const { options } = this;
    const service = await this.connect(options.bus);
    const libvirtChoice = options.libvirtBus ?? endpoint.bus;
    const libvirt = libvirtChoice === options.bus ? service : await this.connect(libvirtChoice);
    // With --seats none (one person, no logind) there are no seats and nothing is checked; otherwise a
    // logind that cannot be reached refuses every change: never no checks.
    const system =
      options.seats === 'none'
        ? undefined
        : await this.connect(options.systemBus ?? 'system').catch((error: unknown) => {
            log.warning(
              `no system bus, so no logind nor polkit: every change is refused (${errorMessage(error)}); ` +
                'on a host with one person and no logind, run with --seats none',
            );
            return undefined;
          });
    return { service, libvirt, libvirtChoice, system };
  }

  /** Our D-Bus face; objects are exported on it as they come. */
  private exporter(bus: MessageBus, contract: ReturnType<typeof loadContract>): ObjectExporter {
    const exporter = this.own(new ObjectExporter(bus, contract, MANAGER_PATH), (e) => e.stop());
    exporter.onMissingObject(GUEST_PATH_PREFIX, (path) => noSuchGuest(`at ${path}`));
    exporter.onMissingObject(USB_PATH_PREFIX, (path) => noSuchDevice(`at ${path}`));
    this.judgeCall = (call) => exporter.judgeCall(call);
    exporter.start();
    return exporter;
  }

  private libvirt(bus: MessageBus, endpoint: LibvirtEndpoint): Libvirt {
    const client = new LibvirtClient(bus, endpoint, this.options.deadlines ?? DEFAULT_DEADLINES);
    const registry = this.own(new GuestRegistry(client, this.options.reconnect, this.options.clock), (r) => r.stop());
    // libvirt's daemon restarting is something libvirt-dbus does not tell: watch its socket ourselves.
    const daemonSocket = this.options.libvirtSocket ?? daemonSocketFor(endpoint.uri);
    if (daemonSocket) {
      const watch = this.own(new LibvirtDaemonWatch(daemonSocket), (w) => w.stop());
      watch.on('gone', (reason) => registry.daemonGone(reason));
      watch.on('back', () => registry.daemonBack());
      watch.start();
    }
    const actions = this.own(new GuestActions(registry, client), (a) => a.stop());
    return { client, registry, actions };
  }

  private access(buses: Buses, registry: GuestRegistry): Access {
    const { options } = this;
    const logind = buses.system ? new LogindClient(buses.system) : undefined;
    const resolver = new CallerResolver(buses.service, logind);
    const authority = new Authority(resolver, new PolkitClient(buses.system), registry, {
      seats: options.seats ?? 'logind',
      // A caller on polkit's own bus is named to it by bus name; one on another bus, by its process.
      subject: options.bus === (options.systemBus ?? 'system') ? 'system-bus-name' : 'unix-process',
    });
    const uids = new SenderUids(async (sender) => (await resolver.credentials(sender)).uid);
    // Expensive calls (DescribeInstaller, CreateGuest, the transfers, the OS list) are limited per uid and in all.
    const expensive = new PerUserCalls(new CallLimiter(), (sender) => uids.uid(sender));
    if (options.hostWide) {
      // What other users send is decoded up to a rate each; root and the service's own user are not counted.
      const budget = new InboundBudget(DEFAULT_BUDGET, options.clock ?? REAL_CLOCK);
      const keysOf = budgetKeys(uids, (uid) => uid === 0 || uid === process.geteuid?.());
      this.inboundBudget = (sender, bytes) => budget.take(keysOf(sender), bytes);
    }
    return { logind, resolver, authority, expensive };
  }

  private viewers({ client }: Libvirt, uri: string): ViewerManager {
    const isRunning = async (guest: Guest): Promise<boolean> => {
      const state = stateFromLibvirt(...(await client.domainState(guest.libvirtPath)));
      return state === 'running' || state === 'paused';
    };
    const options = {
      ...DEFAULT_VIEWER_OPTIONS,
      ...(this.options.viewerCommand ? { command: this.options.viewerCommand } : {}),
      uri: this.options.viewerUri ?? uri,
    };
    return this.own(new ViewerManager(options, isRunning), (v) => v.stop());
  }

  /**
   * Every file of a guest's or a caller's is the guest-files helper's to open (host-wide: a unit of its own,
   * root with few capabilities; per user: our child, as us), and the paths callers name its workers'.
   */
  private files(uri: string, libvirtChoice: BusChoice): Files {
    const { options } = this;
    const stateDir = options.stateDir ?? defaultStateDir(options.hostWide === true);
    const link: FilesLink = options.hostWide
      ? { socket: options.filesSocket ?? DEFAULT_FILES_SOCKET }
      : {
          command: [
            ...(options.filesHelper ?? [locateFilesHelper()]),
            '--stdio',
            '--connect',
            uri,
            '--libvirt-bus',
            libvirtChoice,
            '--state-dir',
            join(stateDir, 'files'),
          ],
        };
    const files = this.own(new FilesClient(link), (f) => f.stop());
    return { stateDir, journal: new Journal(join(stateDir, 'journal')), files };
  }

  /**
   * The host-wide service shows guests in the users' own sessions, through display sockets; a share (either
   * service) reaches its guest's display through a socket of the service's own the same way.
   */
  private reach(stateDir: string, libvirtChoice: BusChoice, resolver: CallerResolver): Reach {
    const { options } = this;
    const hostWide = options.hostWide === true;
    if (!hostWide && !options.sharing) return { displays: undefined, opener: undefined, sharing: undefined };
    const displays = this.own(
      new DisplaySockets({
        dir: options.displayDir ?? defaultDisplayDir(hostWide, stateDir),
        relay: options.displayRelay ?? ['gjs', '-m', locateRelay()],
        libvirtBus: libvirtChoice,
      }),
      (d) => d.stop(),
    );
    const opener: DisplayOpener | undefined = hostWide
      ? { open: async (caller, guest) => displays.open((await resolver.credentials(caller.sender)).uid, guest) }
      : undefined;
    const sharing = options.sharing ? this.sharing(options.sharing, stateDir, displays, resolver) : undefined;
    return { displays, opener, sharing };
  }

  /** The shares of guests with other computers, and the Guest objects' door to them. */
  private sharing(
    settings: SharingSettings,
    stateDir: string,
    displays: DisplaySockets,
    resolver: CallerResolver,
  ): { shares: Shares; door: GuestSharing } {
    const clock = this.options.clock ?? REAL_CLOCK;
    // Made (or read) on the first share, once; again after a failure.
    let certificate: Promise<HostCertificate> | undefined;
    const shares = this.own(
      new Shares({
        settings,
        certificate: () => {
          certificate ??= hostCertificate(join(stateDir, 'sharing'), settings.addresses, clock.now()).catch(
            (error: unknown) => {
              certificate = undefined;
              throw error;
            },
          );
          return certificate;
        },
        openDisplay: (guest) => displays.openOwn(guest),
        closeDisplay: (guestPath) => displays.closeOwn(guestPath),
        clock,
      }),
      (s) => s.stop(),
    );
    const door: GuestSharing = {
      request: (options) => parseShareOptions(options, settings),
      share: async (caller, guest, request) =>
        shares.share(guest, request, (await resolver.credentials(caller.sender)).uid),
      unshare: (guestPath) => void shares.unshare(guestPath, 'its owner ended it'),
      state: (guestPath) => shares.state(guestPath),
    };
    return { shares, door };
  }

  /** Starts what watches and recovers, once every object and its signals are wired. */
  private async startWork(
    { client, registry }: Libvirt,
    { stateDir, journal, files }: Files,
    watchers: { stops: GuestStops; usb: UsbManager; seats: SeatManager },
  ): Promise<void> {
    // What jobs of a service killed mid-way left in libvirt is dealt with once libvirt can be asked.
    let recovered = false;
    const recover = (): void => {
      if (recovered || !registry.connected) return;
      recovered = true;
      void recoverJobs(client, journal).catch((error: unknown) => log.warning(`recovery: ${errorMessage(error)}`));
    };
    registry.on('connected', recover);
    await registry.start();
    recover();
    // The helper deals with what it left when it starts: start it now where it may have left something (the
    // host-wide one's journal is root's to read: it is always reached at once).
    if (this.options.hostWide || hasJournal(join(stateDir, 'files', 'journal'))) {
      void files.start().catch((error: unknown) => log.warning(`guest-files helper: ${errorMessage(error)}`));
    }
    watchers.stops.start();
    await watchers.usb.start();
    await watchers.seats.start();
  }

  /**
   * Takes our name last, so whoever the bus starts us for finds every guest already there. It goes with the
   * connection when we stop: no release call to wait on.
   */
  private async takeName(bus: MessageBus): Promise<void> {
    const request = [BUS_NAME, DBUS_NAME_FLAG_DO_NOT_QUEUE];
    const [reply] = (await callBusDaemon(bus, 'RequestName', 'su', request, CONNECT_TIMEOUT_MS)).body;
    if (reply !== REQUEST_NAME_PRIMARY_OWNER) {
      throw new SwitcherError('InvalidState', `${BUS_NAME} is already owned on this bus; is another instance running?`);
    }
  }
}

/** USB devices as objects, and the Manager's signals about them. */
function publishUsbDevices(
  exporter: ObjectExporter,
  usb: UsbManager,
  parts: { authority: Authority; seats: SeatManager; registry: GuestRegistry },
): void {
  usb.on('added', (device) => {
    const path = usbDevicePath(device.id);
    exporter.export(path, [new UsbDeviceObject(device.id, usb, parts.authority, parts.seats, parts.registry)]);
    exporter.emitSignal(MANAGER_PATH, MANAGER_INTERFACE, 'UsbDeviceAdded', [path]);
  });
  usb.on('removed', (device) => {
    const path = usbDevicePath(device.id);
    exporter.unexport(path);
    exporter.emitSignal(MANAGER_PATH, MANAGER_INTERFACE, 'UsbDeviceRemoved', [path]);
  });
  usb.on('changed', (device) => {
    const { Name, Classes, Serial } = usbDeviceProperties(device, usb.owner(device.id));
    exporter.emitPropertiesChanged(usbDevicePath(device.id), USB_DEVICE_INTERFACE, { Name, Classes, Serial });
  });
  usb.on('owner', (device, owner) =>
    exporter.emitPropertiesChanged(usbDevicePath(device.id), USB_DEVICE_INTERFACE, { Owner: owner }),
  );
  usb.on('ask', (device, guest) =>
    exporter.emitSignal(MANAGER_PATH, MANAGER_INTERFACE, 'UsbAttachRequested', [usbDevicePath(device.id), guest]),
  );
}

/** logind's seats as objects. */
function publishSeats(exporter: ObjectExporter, seats: SeatManager, authority: Authority): void {
  seats.on('added', (seat) => {
    exporter.export(seatPath(seat.id), [new SeatObject(seat.id, seats, authority)]);
    exporter.emitSignal(MANAGER_PATH, MANAGER_INTERFACE, 'SeatAdded', [seatPath(seat.id)]);
  });
  seats.on('removed', (seat) => {
    exporter.unexport(seatPath(seat.id));
    exporter.emitSignal(MANAGER_PATH, MANAGER_INTERFACE, 'SeatRemoved', [seatPath(seat.id)]);
  });
  seats.on('changed', (seat) => {
    exporter.emitPropertiesChanged(
      seatPath(seat.id),
      SEAT_INTERFACE,
      new SeatObject(seat.id, seats, authority).changing(),
    );
  });
}

/** Each job as its own object while it runs and a while after. */
function publishJobs(exporter: ObjectExporter, jobs: JobManager, authority: Authority): void {
  jobs.on('added', (job) => {
    const object = new JobObject(job, authority);
    exporter.export(job.path, [object]);
    job.on('changed', (fields) => exporter.emitPropertiesChanged(job.path, JOB_INTERFACE, object.changes(fields)));
    // How it ended names what its caller named (a folder, a host): said to that caller alone, as
    // xdg-desktop-portal sends a Request's Response. What all may read (State, Result) names none of it.
    job.on('completed', (success, message) =>
      exporter.emitSignal(job.path, JOB_INTERFACE, 'Completed', [success, message], job.startedBy.sender),
    );
    exporter.emitSignal(MANAGER_PATH, MANAGER_INTERFACE, 'JobAdded', [job.path]);
  });
  jobs.on('removed', (job) => {
    exporter.unexport(job.path);
    exporter.emitSignal(MANAGER_PATH, MANAGER_INTERFACE, 'JobRemoved', [job.path]);
  });
}

function publishStops(exporter: ObjectExporter, stops: GuestStops): void {
  stops.on('stopped', (guest, reason) =>
    exporter.emitSignal(MANAGER_PATH, MANAGER_INTERFACE, 'GuestStopped', [guest.path, reason]),
  );
}

/** Each guest as an object, its properties kept current, and what it had open closed when it stops or goes. */
function publishGuests(
  exporter: ObjectExporter,
  parts: Omit<GuestObjectParts, 'path' | 'figures' | 'displays' | 'sharing'> & { stats: StatsSampler; reach: Reach },
): void {
  const { registry, viewers, stats, reach } = parts;
  const { displays, sharing } = reach;
  registry.on('added', (guest) => {
    exporter.export(guest.path, [
      new GuestObject({
        path: guest.path,
        registry,
        actions: parts.actions,
        viewers,
        authority: parts.authority,
        transfers: parts.transfers,
        expensive: parts.expensive,
        displaySettings: parts.displaySettings,
        displays: reach.opener,
        figures: (path) => stats.figures(path),
        sharing: sharing?.door,
      }),
    ]);
    exporter.emitSignal(MANAGER_PATH, MANAGER_INTERFACE, 'GuestAdded', [guest.path]);
  });
  registry.on('removed', (guest) => {
    viewers.close(guest.path);
    sharing?.shares.unshare(guest.path, 'the guest is gone');
    displays?.closeGuest(guest.path);
    exporter.unexport(guest.path);
    exporter.emitSignal(MANAGER_PATH, MANAGER_INTERFACE, 'GuestRemoved', [guest.path]);
  });
  registry.on('changed', (guest, changed, before) => {
    const pid = viewers.pid(guest.path);
    exporter.emitPropertiesChanged(
      guest.path,
      GUEST_INTERFACE,
      changedGuestProperties(guestProperties(before, pid), guestProperties(guest, pid)),
    );
    // A stopped guest has no figures; its viewer would only show a dead display: close it, not to reopen.
    if (changed.includes('state') && isDown(guest.state)) {
      stats.forget(guest.path);
      viewers.close(guest.path);
      sharing?.shares.unshare(guest.path, 'the guest stopped');
      displays?.closeGuest(guest.path);
    }
    // Whoever was let in for its old seat is not necessarily for its new one; nor was a share asked for there.
    if (changed.includes('settings') && guest.settings.seat !== before.settings.seat) {
      sharing?.shares.unshare(guest.path, 'the guest changed seat');
      displays?.closeGuest(guest.path);
    }
  });
  viewers.on('pid', (path, pid) => {
    if (registry.get(path)) exporter.emitPropertiesChanged(path, GUEST_INTERFACE, { ViewerPid: pid });
  });
  stats.on('figures', (path, { cpuPercent, memoryUsedMiB }) => {
    if (registry.get(path))
      exporter.emitPropertiesChanged(path, GUEST_INTERFACE, { CpuPercent: cpuPercent, MemoryUsedMiB: memoryUsedMiB });
  });
  sharing?.shares.on('changed', (guestPath) => {
    if (registry.get(guestPath))
      exporter.emitPropertiesChanged(guestPath, GUEST_INTERFACE, shareProperties(sharing.shares.state(guestPath)));
  });
}
