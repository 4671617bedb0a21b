// The extension's view of the service, through the standard
// org.freedesktop.DBus.ObjectManager: one Gio.DBusObjectManagerClient gets
// every guest, USB device and seat with all their properties in one round
// trip, and keeps them exactly in step with the service (InterfacesAdded,
// InterfacesRemoved, PropertiesChanged). What it hands on is applied a
// little at a time (work-queue.ts), always read from the manager client's
// current state, so at rest our lists are the service's. A Gio.DBusProxy for
// the Manager carries its properties, methods and signals. One watch on the
// service's name follows its owners: both are made anew for each owner, by
// its unique name, and dropped when it vanishes — a service replaced (a
// restart) is a new owner, never missed, and nothing made for an old owner
// or before a disable asks anything of a later one. Everything is created
// asynchronously with one cancellable, cancelled on destroy.

import { _, Gio, GLib, GObject } from '../gi.js';
import type { CollectionListener } from '../model/collection.js';
import { displayDescription, type DisplayChange, type DisplayDescription } from '../model/display.js';
import type { GuestSummary, ServiceStatus } from '../model/guest-list.js';
import type { GuestAction } from '../model/guest-state.js';
import type { SeatSummary } from '../model/seats.js';
import type { UsbSummary } from '../model/usb-list.js';
import {
  callProxy,
  isCancelled,
  isServiceGone,
  newProxy,
  remoteErrorName,
  serviceConnection,
  unpack,
} from './calls.js';
import { guestChanges, guestSummary, seatSummary, usbSummary } from '../model/summaries.js';
import {
  BUS_NAME,
  ERROR,
  GUEST_INTERFACE,
  INTERFACE_XML,
  JOB_INTERFACE,
  MANAGER_PATH,
  MANAGER_INTERFACE,
  SEAT_INTERFACE,
  USB_DEVICE_INTERFACE,
} from './switcher1.js';
import { WorkQueue } from '../model/work-queue.js';

const CALL_TIMEOUT_MS = 30_000;
// What a person asked for may wait for them to authenticate (polkit, through the service: up to 2 min).
const INTERACTION_MS = 120_000;
const ACTION_TIMEOUT_MS = CALL_TIMEOUT_MS + INTERACTION_MS;
// Show may start a guest first: the service allows it a minute.
const SHOW_TIMEOUT_MS = 90_000;

/** Receives one kind of object: a fresh start, then single changes, in order. */
export type { CollectionListener };

export interface SwitcherClientListener {
  statusChanged(status: ServiceStatus): void;
  guests: CollectionListener<GuestSummary>;
  usb: CollectionListener<UsbSummary>;
  seats: CollectionListener<SeatSummary>;
  /** A plugged-in device that a guest's 'ask' rule matches. */
  usbAsk(devicePath: string, guestPath: string): void;
  /**
   * Where the service places this process (logind's session of it, else its
   * user's display session): its seat, '' when none or unknown. Told each
   * time the service (re)appears.
   */
  ownSeat(seat: string): void;
  /** The bus the service was found on, told once, before anything is asked of the service. */
  connected(connection: Gio.DBusConnection): void;
  /** A guest stopped, and why (the contract's GuestStopped reasons: crashed, failed, shutdown…). */
  guestStopped?(guestPath: string, reason: string): void;
}

/** How one kind of object becomes what the listener gets. */
interface Kind<T extends { path: string }> {
  listener: CollectionListener<T>;
  summarize(path: string, proxy: Gio.DBusProxy): T;
  changes(proxy: Gio.DBusProxy, names: string[]): Partial<Omit<T, 'path'>>;
  /** The paths the listener knows. */
  known: Set<string>;
}

/** Where each kind of object lives, by the service's naming. */
const KIND_BY_PATH: [prefix: string, iface: string][] = [
  [`${MANAGER_PATH}/guest/`, GUEST_INTERFACE],
  [`${MANAGER_PATH}/usb/`, USB_DEVICE_INTERFACE],
  [`${MANAGER_PATH}/seat/`, SEAT_INTERFACE],
];

export const glibScheduler = {
  idle: (fn: () => boolean): number => GLib.idle_add(GLib.PRIORITY_DEFAULT_IDLE, fn),
  remove: (id: number): void => {
    GLib.source_remove(id);
  },
  now: (): number => GLib.get_monotonic_time() / 1000,
};

export class SwitcherClient {
  private readonly cancellable = new Gio.Cancellable();
  private readonly nodeInfo = Gio.DBusNodeInfo.new_for_xml(INTERFACE_XML);
  private readonly queue = new WorkQueue(glibScheduler);
  private manager: Gio.DBusProxy | undefined;
  private objects: Gio.DBusObjectManagerClient | undefined;
  private readonly handlers: [GObjectLike, number][] = [];
  private readonly kinds: Record<string, Kind<{ path: string }>>;
  /** Whether we want live figures: asked again of a service that (re)appears. */
  private statsWanted = false;
  /** The watch on the service's name (Gio.bus_watch_name_on_connection), 0 when none. */
  private nameWatch = 0;
  /** Counts the owners followed: proxies made for an earlier one are dropped. */
  private owner = 0;

  constructor(
    private readonly listener: SwitcherClientListener,
    /** By default the bus the service is found on (calls.ts serviceConnection). */
    private connection?: Gio.DBusConnection,
  ) {
    const kind = <T extends { path: string }>(
      listener: CollectionListener<T>,
      summarize: (path: string, proxy: Gio.DBusProxy) => T,
      changes: (proxy: Gio.DBusProxy, names: string[]) => Partial<Omit<T, 'path'>>,
    ): Kind<{ path: string }> =>
      ({ listener, summarize, changes, known: new Set() }) as unknown as Kind<{ path: string }>;
    this.kinds = {
      [GUEST_INTERFACE]: kind(listener.guests, guestSummary, guestChanges),
      [USB_DEVICE_INTERFACE]: kind(listener.usb, usbSummary, (proxy) => ({ owner: usbSummary('', proxy).owner })),
      [SEAT_INTERFACE]: kind(listener.seats, seatSummary, (proxy) => ({ guest: seatSummary('', proxy).guest })),
    };
  }

  async start(): Promise<void> {
    let connection: Gio.DBusConnection;
    try {
      connection = this.connection ?? (await serviceConnection(this.cancellable));
    } catch (error) {
      if (!isCancelled(error)) console.error(`Phyllome Switcher: cannot find the service's bus: ${String(error)}`);
      return;
    }
    this.connection = connection;
    if (this.cancellable.is_cancelled()) return;
    this.listener.connected(connection);
    // One watch on the name tells each owner that comes and goes, a replacement (systemd's restart)
    // as the old one vanishing and the new one appearing; AUTO_START: the first look starts an
    // activatable service, as a proxy's first call would.
    this.nameWatch = Gio.bus_watch_name_on_connection(
      connection,
      BUS_NAME,
      Gio.BusNameWatcherFlags.AUTO_START,
      ((_c: Gio.DBusConnection, _name: string, owner: string) =>
        void this.follow(connection, owner)) as unknown as GObject.Closure,
      (() => this.unfollow()) as unknown as GObject.Closure,
    );
    this.reportStatus();
  }

  /**
   * Makes the Manager's proxy and the object manager client for one owner of
   * the name (its unique name: they follow that process only, so one that
   * outlives us or its owner never asks anything of a later one), and
   * follows them until the owner vanishes. Made while the owner leaves, they
   * fail: the next owner comes with its own appearance.
   */
  private async follow(connection: Gio.DBusConnection, owner: string): Promise<void> {
    this.unfollow();
    const followed = this.owner;
    let manager: Gio.DBusProxy;
    let objects: Gio.DBusObjectManagerClient;
    try {
      [manager, objects] = await Promise.all([
        newProxy(this.info(MANAGER_INTERFACE), owner, MANAGER_PATH, this.cancellable, {
          connection,
          flags: Gio.DBusProxyFlags.DO_NOT_AUTO_START,
        }),
        newObjectManager(connection, owner, this.cancellable),
      ]);
    } catch (error) {
      if (isCancelled(error)) return;
      if (isServiceGone(error)) console.log(`Phyllome Switcher: the service (${owner}) left as we reached it`);
      else console.error(`Phyllome Switcher: cannot reach the service: ${String(error)}`);
      return;
    }
    // destroy() (a quick disable) or another owner came meanwhile: these are nobody's.
    if (this.cancellable.is_cancelled() || followed !== this.owner) return;
    this.manager = manager;
    this.objects = objects;
    this.wire(manager, objects);
  }

  /** The owner vanished (or another came): what it served is gone, until the next one is followed. */
  private unfollow(): void {
    this.owner++;
    for (const [object, id] of this.handlers.splice(0)) object.disconnect(id);
    const followed = this.manager !== undefined;
    this.manager = undefined;
    this.objects = undefined;
    if (!followed) return;
    this.reportStatus();
    this.queue.push(() => this.resync());
  }

  /** Follows one owner's Manager and objects; all it hands on goes through the queue, in order. */
  private wire(manager: Gio.DBusProxy, objects: Gio.DBusObjectManagerClient): void {
    this.connect(manager, 'g-properties-changed', () => this.reportStatus());
    this.connect(manager, 'g-signal', (_proxy: unknown, _sender: string, signal: string, parameters: GLib.Variant) => {
      if (signal === 'UsbAttachRequested') {
        const [device, guest] = parameters.deepUnpack() as [string, string];
        // After the device's own InterfacesAdded, which came before this signal.
        this.queue.push(() => this.listener.usbAsk(device, guest));
      } else if (signal === 'GuestStopped') {
        const [guest, reason] = parameters.deepUnpack() as [string, string];
        // After the State change the service sent first.
        this.queue.push(() => this.listener.guestStopped?.(guest, reason));
      }
    });
    // A new owner knows nothing of our watch.
    if (this.statsWanted) this.callStats('WatchStats');
    this.connect(objects, 'object-added', (_m: unknown, object: Gio.DBusObject) => {
      const path = object.get_object_path();
      this.queue.push(() => this.apply(path));
    });
    this.connect(objects, 'object-removed', (_m: unknown, object: Gio.DBusObject) => {
      const path = object.get_object_path();
      this.queue.push(() => this.apply(path));
    });
    this.connect(
      objects,
      'interface-proxy-properties-changed',
      (_m: unknown, object: Gio.DBusObjectProxy, proxy: Gio.DBusProxy, changed: GLib.Variant) => {
        const path = object.get_object_path();
        const names = Object.keys(changed.deepUnpack() as Record<string, unknown>);
        const iface = proxy.get_interface_name();
        this.queue.push(() => this.applyChanges(path, iface, names));
      },
    );
    this.reportStatus();
    this.placeCaller();
    this.queue.push(() => this.resync());
  }

  /**
   * Whom the service serves: 'user' (it opens viewers itself, Show) or
   * 'host' (viewers run here, from OpenDisplay).
   */
  get scope(): 'user' | 'host' {
    return unpack<string>(this.manager?.get_cached_property('Scope'), '') === 'host' ? 'host' : 'user';
  }

  /** Whether an administrator allowed sharing guests with other computers (the Manager's SharingAllowed). */
  get sharingAllowed(): boolean {
    const value = this.manager?.get_cached_property('SharingAllowed');
    return value ? value.get_boolean() : false;
  }

  /** Shares a guest with another computer for `seconds`; resolves to Share's answer, unpacked (for this caller only). */
  async share(path: string, seconds: number): Promise<Record<string, unknown>> {
    const proxy = this.proxy(path, GUEST_INTERFACE, _('This guest is gone'));
    const options = new GLib.Variant('(a{sv})', [{ duration: GLib.Variant.new_uint32(seconds) }]);
    const reply = await callProxy(proxy, 'Share', options, ACTION_TIMEOUT_MS, this.cancellable, true);
    return (reply.recursiveUnpack() as [Record<string, unknown>])[0];
  }

  /** Ends a guest's share at once. */
  async unshare(path: string): Promise<void> {
    const proxy = this.proxy(path, GUEST_INTERFACE, _('This guest is gone'));
    await callProxy(proxy, 'Unshare', null, ACTION_TIMEOUT_MS, this.cancellable, true);
  }

  /** Asks the service where it places this process, and tells the listener its seat. */
  private placeCaller(): void {
    const manager = this.manager;
    if (!manager) return;
    // An answer (or the failure) of an owner that has since been replaced is not this one's.
    const asked = this.owner;
    callProxy(manager, 'DescribeCaller', null, CALL_TIMEOUT_MS, this.cancellable).then(
      (reply) => {
        if (asked !== this.owner) return;
        const [where] = reply.deepUnpack() as [Record<string, GLib.Variant>];
        this.listener.ownSeat(unpack(where.seat, ''));
      },
      (error: unknown) => {
        // Not placed (logind unreachable): no seat of its own, which shows only what is of no seat.
        if (isCancelled(error) || asked !== this.owner) return;
        if (!isServiceGone(error))
          console.warn(`Phyllome Switcher: cannot tell the seat of this session: ${String(error)}`);
        this.listener.ownSeat('');
      },
    );
  }

  destroy(): void {
    // Our connection outlives us (it is the Shell's): the service must not go on sampling for it.
    if (this.statsWanted && this.manager) {
      this.manager.call('UnwatchStats', null, Gio.DBusCallFlags.NONE, CALL_TIMEOUT_MS, null, null);
    }
    this.statsWanted = false;
    if (this.nameWatch) Gio.bus_unwatch_name(this.nameWatch);
    this.nameWatch = 0;
    this.owner++;
    this.cancellable.cancel();
    this.queue.destroy();
    for (const [object, id] of this.handlers.splice(0)) object.disconnect(id);
    this.manager = undefined;
    this.objects = undefined;
    for (const kind of Object.values(this.kinds)) kind.known.clear();
  }

  /** Calls a guest action; rejects with the service's error. */
  async guestAction(path: string, action: GuestAction, shutdownTimeoutSeconds: number): Promise<void> {
    const proxy = this.proxy(path, GUEST_INTERFACE, _('This guest is gone'));
    if (action === 'Shutdown') {
      const parameters = new GLib.Variant('(u)', [shutdownTimeoutSeconds]);
      const reply = await callProxy(
        proxy,
        'Shutdown',
        parameters,
        (shutdownTimeoutSeconds + 10) * 1000 + INTERACTION_MS,
        this.cancellable,
        true,
      );
      const [stopped] = reply.deepUnpack() as [boolean];
      if (!stopped) throw new ShutdownTimedOut(shutdownTimeoutSeconds);
      return;
    }
    await callProxy(proxy, action, null, ACTION_TIMEOUT_MS, this.cancellable, true);
  }

  /** Starts the guest if needed and opens its viewer; resolves once the viewer shows it. */
  async show(path: string): Promise<void> {
    const proxy = this.proxy(path, GUEST_INTERFACE, _('This guest is gone'));
    await callProxy(proxy, 'Show', null, SHOW_TIMEOUT_MS + INTERACTION_MS, this.cancellable, true);
  }

  /** The host-wide service: starts the guest if needed; resolves to the URI of its display socket for a viewer here. */
  async openDisplay(path: string): Promise<string> {
    const proxy = this.proxy(path, GUEST_INTERFACE, _('This guest is gone'));
    const reply = await callProxy(proxy, 'OpenDisplay', null, SHOW_TIMEOUT_MS + INTERACTION_MS, this.cancellable, true);
    return (reply.deepUnpack() as [string])[0];
  }

  async setMonitor(path: string, connector: string): Promise<void> {
    const proxy = this.proxy(path, GUEST_INTERFACE, _('This guest is gone'));
    const parameters = new GLib.Variant('(s)', [connector]);
    await callProxy(proxy, 'SetMonitor', parameters, ACTION_TIMEOUT_MS, this.cancellable, true);
  }

  /** Each head's monitor, head 1 first ('' for none). */
  async setMonitors(path: string, connectors: string[]): Promise<void> {
    const proxy = this.proxy(path, GUEST_INTERFACE, _('This guest is gone'));
    await callProxy(
      proxy,
      'SetMonitors',
      new GLib.Variant('(as)', [connectors]),
      ACTION_TIMEOUT_MS,
      this.cancellable,
      true,
    );
  }

  /** What the guest's display may be set to here (its video model's limits, and whether 3D can be had). */
  async describeDisplay(path: string): Promise<DisplayDescription> {
    const proxy = this.proxy(path, GUEST_INTERFACE, _('This guest is gone'));
    const reply = await callProxy(proxy, 'DescribeDisplay', null, CALL_TIMEOUT_MS, this.cancellable);
    return displayDescription((reply.recursiveUnpack() as [Record<string, unknown>])[0]);
  }

  /** Changes the guest's display from its next start: heads, a resolution (or following the window), 3D. */
  async setDisplay(path: string, change: DisplayChange): Promise<void> {
    const proxy = this.proxy(path, GUEST_INTERFACE, _('This guest is gone'));
    const settings: Record<string, GLib.Variant> = {};
    if (change.heads !== undefined) settings.heads = GLib.Variant.new_uint32(change.heads);
    if (change.resolution === 'window') settings.resolution = GLib.Variant.new_string('window');
    else if (change.resolution) settings.resolution = new GLib.Variant('(uu)', change.resolution);
    if (change.accel3d !== undefined) settings.accel3d = GLib.Variant.new_boolean(change.accel3d);
    await callProxy(
      proxy,
      'SetDisplay',
      new GLib.Variant('(a{sv})', [settings]),
      ACTION_TIMEOUT_MS,
      this.cancellable,
      true,
    );
  }

  /** Attach (forced or not), Detach, or SetRule on a USB device. */
  async usbAction(
    devicePath: string,
    method: 'Attach' | 'ForceAttach' | 'Detach' | 'SetRule',
    args?: GLib.Variant,
  ): Promise<void> {
    const proxy = this.proxy(devicePath, USB_DEVICE_INTERFACE, _('This device was unplugged'));
    await callProxy(proxy, method, args ?? null, ACTION_TIMEOUT_MS, this.cancellable, true);
  }

  /**
   * Starts Export(s directory), Clone(s name) or MigrateTo(s uri, a{sv} options)
   * on a guest; resolves to the job's object path.
   */
  async startGuestJob(path: string, method: 'Export' | 'Clone' | 'MigrateTo', args: GLib.Variant): Promise<string> {
    const proxy = this.proxy(path, GUEST_INTERFACE, _('This guest is gone'));
    const reply = await callProxy(proxy, method, args, CALL_TIMEOUT_MS + INTERACTION_MS, this.cancellable, true);
    return (reply.deepUnpack() as [string])[0];
  }

  /** Import(s bundle); resolves to the job's object path. */
  async importBundle(bundle: string): Promise<string> {
    if (!this.manager) throw new Error(_('The guest service is not running'));
    const reply = await callProxy(
      this.manager,
      'Import',
      new GLib.Variant('(s)', [bundle]),
      CALL_TIMEOUT_MS + INTERACTION_MS,
      this.cancellable,
      true,
    );
    return (reply.deepUnpack() as [string])[0];
  }

  /** Cancels a job; it ends (Completed) once it has undone its work. */
  cancelJob(job: string): Promise<void> {
    const connection = this.connection;
    if (!connection) return Promise.reject(new Error(_('The guest service is not running')));
    return new Promise((resolve, reject) => {
      connection.call(
        BUS_NAME,
        job,
        JOB_INTERFACE,
        'Cancel',
        null,
        null,
        // A person asked; for another seat's job polkit may ask them who they are.
        Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION,
        CALL_TIMEOUT_MS + INTERACTION_MS,
        this.cancellable,
        (source, result) => {
          try {
            (source as Gio.DBusConnection).call_finish(result);
            resolve();
          } catch (error) {
            reject(error);
          }
        },
      );
    });
  }

  /** Assigns a guest ('/' for none) to a seat. */
  async assignSeat(seatPath: string, guestPath: string): Promise<void> {
    const proxy = this.proxy(seatPath, SEAT_INTERFACE, _('This seat is gone'));
    const parameters = new GLib.Variant('(o)', [guestPath]);
    await callProxy(proxy, 'AssignGuest', parameters, ACTION_TIMEOUT_MS, this.cancellable, true);
  }

  /** Tells the service which guest has the focus ('/' for the host). */
  setFocusedGuest(path: string): void {
    if (!this.manager) return;
    callProxy(
      this.manager,
      'SetFocusedGuest',
      new GLib.Variant('(o)', [path]),
      CALL_TIMEOUT_MS,
      this.cancellable,
    ).catch((error: unknown) => {
      // The service leaving meanwhile is no news: it is told again once it is back. Refused: with
      // several seats, the focus is another seat's guest's; this session's is not for it to move.
      if (!isCancelled(error) && !isServiceGone(error) && remoteErrorName(error) !== ERROR.AccessDenied)
        console.warn(`Phyllome Switcher: SetFocusedGuest failed: ${String(error)}`);
    });
  }

  /** Sets a guest's Autostart (libvirt's own flag); rejects with the service's error. */
  async setAutostart(path: string, autostart: boolean): Promise<void> {
    const proxy = this.proxy(path, GUEST_INTERFACE, _('This guest is gone'));
    const args = new GLib.Variant('(ssv)', [GUEST_INTERFACE, 'Autostart', GLib.Variant.new_boolean(autostart)]);
    await callProxy(proxy, 'org.freedesktop.DBus.Properties.Set', args, ACTION_TIMEOUT_MS, this.cancellable, true);
  }

  /**
   * Asks the service for live figures (on) or says we no longer need them;
   * asked again whenever the service comes back while on.
   */
  watchStats(on: boolean): void {
    if (on === this.statsWanted) return;
    this.statsWanted = on;
    this.callStats(on ? 'WatchStats' : 'UnwatchStats');
  }

  private callStats(method: 'WatchStats' | 'UnwatchStats'): void {
    if (!this.manager) return;
    callProxy(this.manager, method, null, CALL_TIMEOUT_MS, this.cancellable).catch((error: unknown) => {
      if (!isCancelled(error) && !isServiceGone(error))
        console.warn(`Phyllome Switcher: ${method} failed: ${String(error)}`);
    });
  }

  /** PauseAll or ResumeAll; resolves to the number of guests acted on. */
  async managerAction(method: 'PauseAll' | 'ResumeAll'): Promise<number> {
    if (!this.manager) throw new Error(_('The guest service is not running'));
    const reply = await callProxy(this.manager, method, null, ACTION_TIMEOUT_MS, this.cancellable, true);
    const [paths] = reply.deepUnpack() as [string[]];
    return paths.length;
  }

  /** Work still queued (for tests and the bench: 0 means our lists are the service's). */
  get pendingWork(): number {
    return this.queue.pending;
  }

  private connect(object: GObjectLike, signal: string, handler: (...args: never[]) => void): void {
    this.handlers.push([object, object.connect(signal, handler as (...args: unknown[]) => void)]);
  }

  private proxy(path: string, iface: string, gone: string): Gio.DBusProxy {
    const proxy = this.objects?.get_interface(path, iface) as Gio.DBusProxy | null | undefined;
    if (!proxy) throw new Error(gone); // shown to the user: translated by the caller
    return proxy;
  }

  private info(name: string): Gio.DBusInterfaceInfo {
    const info = this.nodeInfo.lookup_interface(name);
    if (!info) throw new Error(`${name} is missing from the interface XML`);
    return info;
  }

  private status(): ServiceStatus {
    const manager = this.manager;
    // Followed only while its owner is there (see follow and unfollow).
    if (!manager) return { kind: 'absent' };
    const uri = unpack(manager.get_cached_property('Connection'), '');
    // Right after the service (re)appears its properties are still on their way: not a disconnection.
    const connected = unpack(manager.get_cached_property('Connected'), true);
    return connected ? { kind: 'ready', uri } : { kind: 'disconnected', uri };
  }

  private reportStatus(): void {
    this.listener.statusChanged(this.status());
  }

  /**
   * Starts each listener afresh from what the manager client holds now: an
   * empty list at once, then one object per task, so that a thousand guests
   * are taken in small steps.
   */
  private resync(): void {
    for (const kind of Object.values(this.kinds)) {
      kind.known.clear();
      kind.listener.reset([]);
    }
    for (const object of this.objects?.get_objects() ?? []) {
      const path = object.get_object_path();
      this.queue.push(() => this.apply(path));
    }
  }

  /** Brings one object in line with the manager client: added, removed, or read anew. */
  private apply(path: string): void {
    // Each kind of object lives under its own path (…/guest/, …/usb/, …/seat/): one look-up, not three.
    const iface = KIND_BY_PATH.find(([prefix]) => path.startsWith(prefix))?.[1];
    const kind = iface ? this.kinds[iface] : undefined;
    if (!iface || !kind) return;
    const proxy = this.objects?.get_interface(path, iface) as Gio.DBusProxy | null | undefined;
    if (proxy && !kind.known.has(path)) {
      kind.known.add(path);
      kind.listener.added(kind.summarize(path, proxy));
    } else if (!proxy && kind.known.delete(path)) {
      kind.listener.removed(path);
    }
  }

  private applyChanges(path: string, iface: string, names: string[]): void {
    const kind = this.kinds[iface];
    const proxy = this.objects?.get_interface(path, iface) as Gio.DBusProxy | null | undefined;
    if (!kind || !proxy || !kind.known.has(path)) return;
    const changes = kind.changes(proxy, names);
    if (Object.keys(changes).length > 0) kind.listener.changed(path, changes);
  }
}

/** The guest did not go down in the time allowed (the menu says so in the user's words). */
export class ShutdownTimedOut extends Error {
  constructor(readonly seconds: number) {
    super(`did not shut down within ${seconds} s`);
  }
}

interface GObjectLike {
  connect(signal: string, handler: (...args: unknown[]) => void): number;
  disconnect(id: number): void;
}

/** An object manager client of one owner (a unique name), never starting a service. */
function newObjectManager(
  connection: Gio.DBusConnection,
  owner: string,
  cancellable: Gio.Cancellable,
): Promise<Gio.DBusObjectManagerClient> {
  return new Promise((resolve, reject) => {
    Gio.DBusObjectManagerClient.new(
      connection,
      Gio.DBusObjectManagerClientFlags.DO_NOT_AUTO_START,
      owner,
      MANAGER_PATH,
      null,
      cancellable,
      (_source, result) => {
        try {
          resolve(Gio.DBusObjectManagerClient.new_finish(result) as Gio.DBusObjectManagerClient);
        } catch (error) {
          reject(error);
        }
      },
    );
  });
}
