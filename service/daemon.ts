// Wires the service together and is the one owner of everything it starts:
// stop() releases it all, in the reverse order it was made.

import {
  callWithDeadline,
  Message,
  onBusClosed,
  onBusError,
  openBus,
  whenConnected,
  type BusChoice,
  type MessageBus,
} from './dbus/bus.js';
import { loadContract } from './contract/interface-xml.js';
import { errorMessage, noSuchDevice, noSuchGuest, SwitcherError } from './errors.js';
import { ObjectExporter } from './api/exporter.js';
import {
  changedGuestProperties,
  GuestObject,
  GUEST_INTERFACE,
  guestProperties,
  shareProperties,
  type GuestSharing,
} from './api/guest-object.js';
import { GuestDisplays } from './guests/displays.js';
import { MANAGER_INTERFACE, MANAGER_PATH, ManagerObject } from './api/manager-object.js';
import { GuestActions } from './guests/actions.js';
import { GUEST_PATH_PREFIX, type Guest } from './guests/guest.js';
import { stateFromLibvirt } from './guests/state.js';
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
import { daemonSocketFor, endpointFor } from './libvirt/uri.js';
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
import { REAL_CLOCK, type Clock } from './sharing/clock.js';
import { hostCertificate, type HostCertificate } from './sharing/host-certificate.js';
import { parseShareOptions, type SharingSettings } from './sharing/share-options.js';
import { Shares, type ShareState } from './sharing/shares.js';
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

export class Daemon {
  private readonly cleanups: (() => void)[] = [];
  private closedHandler: (() => void) | undefined;
  /** Announces a guest's share beginning or ending (set once the exporter is up). */
  private shareChanged: ((guestPath: string, share: ShareState | undefined) => void) | undefined;
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

  private own<T>(resource: T, release: (resource: T) => void): T {
    this.cleanups.push(() => release(resource));
    return resource;
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
    shares.on('changed', (guestPath) => this.shareChanged?.(guestPath, shares.state(guestPath)));
    const door: GuestSharing = {
      request: (options) => parseShareOptions(options, settings),
      share: async (caller, guest, request) =>
        shares.share(guest, request, (await resolver.credentials(caller.sender)).uid),
      unshare: (guestPath) => void shares.unshare(guestPath, 'its owner ended it'),
      state: (guestPath) => shares.state(guestPath),
    };
    return { shares, door };
  }

  private async connect(choice: BusChoice): Promise<MessageBus> {
    const where = choice === 'session' || choice === 'system' ? `the ${choice} bus` : `the bus at ${choice}`;
    const failed = (error: unknown): Error => new Error(`cannot reach ${where}: ${errorMessage(error)}`);
    let bus: MessageBus;
    try {
      bus = this.own(openBus(choice), (b) => b.disconnect());
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

  private async init(): Promise<void> {
    const { options } = this;
    const endpoint = endpointFor(options.uri);
    const contract = loadContract(options.contractPath);
    const serviceBus = await this.connect(options.bus);
    const libvirtChoice = options.libvirtBus ?? endpoint.bus;
    const libvirtBus = libvirtChoice === options.bus ? serviceBus : await this.connect(libvirtChoice);

    const exporter = this.own(new ObjectExporter(serviceBus, contract, MANAGER_PATH), (e) => e.stop());
    exporter.onMissingObject(GUEST_PATH_PREFIX, (path) => noSuchGuest(`at ${path}`));
    exporter.start();

    const client = new LibvirtClient(libvirtBus, endpoint, options.deadlines ?? DEFAULT_DEADLINES);
    const registry = this.own(new GuestRegistry(client, options.reconnect, options.clock), (r) => r.stop());
    // libvirt's daemon restarting is something libvirt-dbus does not tell: watch its socket ourselves.
    const daemonSocket = options.libvirtSocket ?? daemonSocketFor(endpoint.uri);
    if (daemonSocket) {
      const watch = this.own(new LibvirtDaemonWatch(daemonSocket), (w) => w.stop());
      watch.on('gone', (reason) => registry.daemonGone(reason));
      watch.on('back', () => registry.daemonBack());
      watch.start();
    }
    const isRunning = async (guest: Guest): Promise<boolean> => {
      const state = stateFromLibvirt(...(await client.domainState(guest.libvirtPath)));
      return state === 'running' || state === 'paused';
    };
    const viewers = this.own(
      new ViewerManager(
        {
          ...DEFAULT_VIEWER_OPTIONS,
          ...(options.viewerCommand ? { command: options.viewerCommand } : {}),
          uri: options.viewerUri ?? endpoint.uri,
        },
        isRunning,
      ),
      (v) => v.stop(),
    );
    const actions = this.own(new GuestActions(registry, client), (a) => a.stop());
    viewers.on('pid', (path, pid) => {
      if (registry.get(path)) exporter.emitPropertiesChanged(path, GUEST_INTERFACE, { ViewerPid: pid });
    });

    const sysfsRoot = options.sysfsRoot ?? '/sys';
    const inventory = new UsbInventory(sysfsRoot, new UdevMonitor(options.udevadmCommand), options.udevDataRoot);
    const usb = this.own(new UsbManager(inventory, registry, client, actions), (u) => u.stop());
    exporter.onMissingObject(USB_PATH_PREFIX, (path) => noSuchDevice(`at ${path}`));
    usb.on('added', (device) => {
      const path = usbDevicePath(device.id);
      exporter.export(path, [new UsbDeviceObject(device.id, usb, authority, seats, registry)]);
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

    // Seats, from logind on the system bus. With --seats none (one person, no logind) there are none and
    // nothing is checked; otherwise a logind that cannot be reached refuses every change: never no checks.
    const seatsMode = options.seats ?? 'logind';
    const systemChoice = options.systemBus ?? 'system';
    const systemBus =
      seatsMode === 'none'
        ? undefined
        : await this.connect(systemChoice).catch((error: unknown) => {
            log.warning(
              `no system bus, so no logind nor polkit: every change is refused (${errorMessage(error)}); ` +
                'on a host with one person and no logind, run with --seats none',
            );
            return undefined;
          });
    const logind = systemBus ? new LogindClient(systemBus) : undefined;
    const seats = this.own(new SeatManager(logind, registry, actions, client, inventory, sysfsRoot), (m) => m.stop());
    const resolver = new CallerResolver(serviceBus, logind);
    const authority = new Authority(resolver, new PolkitClient(systemBus), registry, {
      seats: seatsMode,
      // A caller on polkit's own bus is named to it by bus name; one on another bus, by its process.
      subject: options.bus === systemChoice ? 'system-bus-name' : 'unix-process',
    });
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

    // Every file of a guest's or a caller's is the guest-files helper's to open (host-wide: a unit of its own,
    // root with few capabilities; per user: our child, as us), and the paths callers name its workers'.
    const stateDir = options.stateDir ?? defaultStateDir(options.hostWide === true);
    const journal = new Journal(join(stateDir, 'journal'));
    const filesLink: FilesLink = options.hostWide
      ? { socket: options.filesSocket ?? DEFAULT_FILES_SOCKET }
      : {
          command: [
            ...(options.filesHelper ?? [locateFilesHelper()]),
            '--stdio',
            '--connect',
            endpoint.uri,
            '--libvirt-bus',
            libvirtChoice,
            '--state-dir',
            join(stateDir, 'files'),
          ],
        };
    const files = this.own(new FilesClient(filesLink), (f) => f.stop());
    // Where libvirt keeps UEFI variables and TPM state: the helper's rule, which an import's plan names.
    const stateDirs = libvirtStateDirs(isPrivilegedUri(endpoint.uri, process.geteuid?.() ?? -1));
    // Phyllome's model on this host: one for CreateGuest and Import, so both make guests one way.
    const model = new GuestModel(client, {
      uri: endpoint.uri,
      ...(options.virtType ? { virtType: options.virtType } : {}),
    });
    const creator = new GuestCreator(client, registry, serviceBus, files, journal, model, {
      // On the system daemon QEMU runs as its own user, who may not read the caller's installer.
      copyMedia: isPrivilegedUri(endpoint.uri, process.geteuid?.() ?? -1),
    });
    // A guest's display in its definition; what the host has for 3D is the model's host probe.
    const displaySettings = new GuestDisplays(registry, client, actions, () => model.capabilities());
    // Export, Import, Clone and the live move run as jobs, each its own object.
    const jobs = this.own(new JobManager(options.jobLingerMs), (j) => j.stop());
    this.jobs = jobs;
    const transfers = new Transfers(
      client,
      registry,
      stateDirs,
      model,
      files,
      journal,
      jobs,
      endpoint.uri,
      serviceBus,
      options.hostWide ? 'any-caller' : 'caller-is-owner',
    );
    jobs.on('added', (job) => {
      const object = new JobObject(job, authority);
      exporter.export(job.path, [object]);
      job.on('changed', (fields) => exporter.emitPropertiesChanged(job.path, JOB_INTERFACE, object.changes(fields)));
      job.on('completed', (success, message) =>
        exporter.emitSignal(job.path, JOB_INTERFACE, 'Completed', [success, message]),
      );
      exporter.emitSignal(MANAGER_PATH, MANAGER_INTERFACE, 'JobAdded', [job.path]);
    });
    jobs.on('removed', (job) => {
      exporter.unexport(job.path);
      exporter.emitSignal(MANAGER_PATH, MANAGER_INTERFACE, 'JobRemoved', [job.path]);
    });

    // The host-wide service shows guests in the users' own sessions, through display sockets; a share
    // (either service) reaches its guest's display through a socket of the service's own the same way.
    const hostWide = options.hostWide === true;
    const displays =
      hostWide || options.sharing
        ? this.own(
            new DisplaySockets({
              dir: options.displayDir ?? defaultDisplayDir(hostWide, stateDir),
              relay: options.displayRelay ?? ['gjs', '-m', locateRelay()],
              libvirtBus: libvirtChoice,
            }),
            (d) => d.stop(),
          )
        : undefined;
    // Expensive calls (DescribeInstaller, CreateGuest and the transfers) are limited per uid and in all.
    const expensive = new PerUserCalls(new CallLimiter(), async (sender) => (await resolver.credentials(sender)).uid);
    const displayOpener = hostWide &&
      displays && {
        open: async (caller: { sender: string }, guest: Guest) =>
          displays.open((await resolver.credentials(caller.sender)).uid, guest),
      };
    const sharing =
      displays && options.sharing ? this.sharing(options.sharing, stateDir, displays, resolver) : undefined;

    // Live figures, read only while a client watches.
    const stats = this.own(
      new StatsSampler(serviceBus, registry, { read: () => allDomainStats(client), timeoutMs: CONNECT_TIMEOUT_MS }),
      (s) => s.stop(),
    );
    stats.on('figures', (path, { cpuPercent, memoryUsedMiB }) => {
      if (registry.get(path))
        exporter.emitPropertiesChanged(path, GUEST_INTERFACE, { CpuPercent: cpuPercent, MemoryUsedMiB: memoryUsedMiB });
    });
    const stops = this.own(new GuestStops(client, registry), (s) => s.stop());
    stops.on('stopped', (guest, reason) =>
      exporter.emitSignal(MANAGER_PATH, MANAGER_INTERFACE, 'GuestStopped', [guest.path, reason]),
    );
    exporter.export(MANAGER_PATH, [
      new ManagerObject(
        endpoint.uri,
        registry,
        actions,
        usb,
        seats,
        creator,
        transfers,
        jobs,
        authority,
        stats,
        expensive,
        options.hostWide ? 'host' : 'user',
        sharing !== undefined,
      ),
    ]);
    this.shareChanged = (guestPath, share) => {
      if (registry.get(guestPath)) exporter.emitPropertiesChanged(guestPath, GUEST_INTERFACE, shareProperties(share));
    };
    registry.on('added', (guest) => {
      exporter.export(guest.path, [
        new GuestObject(
          guest.path,
          registry,
          actions,
          viewers,
          authority,
          transfers,
          expensive,
          displaySettings,
          displayOpener || undefined,
          (path) => stats.figures(path),
          sharing?.door,
        ),
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
      // A stopped guest's viewer would only show a dead display: close it, and it is not reopened.
      if (changed.includes('state') && (guest.state === 'shutoff' || guest.state === 'crashed')) {
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
    registry.on('connected', (connected) => {
      log.info(`libvirt ${endpoint.uri}: ${connected ? 'connected' : 'disconnected'}`);
      exporter.emitPropertiesChanged(MANAGER_PATH, MANAGER_INTERFACE, { Connected: connected });
    });

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
    if (options.hostWide || hasJournal(join(stateDir, 'files', 'journal'))) {
      void files.start().catch((error: unknown) => log.warning(`guest-files helper: ${errorMessage(error)}`));
    }
    stops.start();
    await usb.start();
    await seats.start();

    // Take the name last, so whoever the bus starts us for finds every guest already there.
    // It goes with the connection when we stop: no release call to wait on.
    const request = new Message({
      destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      member: 'RequestName',
      signature: 'su',
      body: [BUS_NAME, DBUS_NAME_FLAG_DO_NOT_QUEUE],
    });
    const [reply] = (await callWithDeadline(serviceBus, request, CONNECT_TIMEOUT_MS)).body;
    if (reply !== REQUEST_NAME_PRIMARY_OWNER) {
      throw new SwitcherError('InvalidState', `${BUS_NAME} is already owned on this bus; is another instance running?`);
    }
    log.info(
      `serving ${BUS_NAME} for ${endpoint.uri} (${count(registry.paths().length, 'guest')}, libvirt ${registry.connected ? 'connected' : 'not connected'})`,
    );
  }
}
