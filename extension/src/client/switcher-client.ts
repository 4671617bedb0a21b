// The extension's view of the service: a Gio.DBusProxy for the manager and
// one per guest and USB device, all created asynchronously with one
// cancellable, kept in step with the service's signals, and rebuilt from
// scratch whenever the service's name changes owner (it left, or restarted).

import { Gio, GLib } from '../gi.js';
import type { GuestSummary, ServiceStatus } from '../model/guest-list.js';
import type { GuestAction } from '../model/guest-state.js';
import type { UsbSummary } from '../model/usb-list.js';
import type { SeatSummary } from '../model/seats.js';
import { callProxy, isCancelled, isServiceGone, newProxy, unpack, unpackString } from './dbus.js';
import { INTERFACE_XML } from './interface.js';
import { ObjectCollection, type CollectionListener } from './object-collection.js';

export const BUS_NAME = 'me.phyllo.Switcher1';
export const MANAGER_PATH = '/me/phyllo/Switcher1';
const CALL_TIMEOUT_MS = 30_000;
// Show may start a guest first: the service allows it a minute.
const SHOW_TIMEOUT_MS = 90_000;

export interface SwitcherClientListener {
  statusChanged(status: ServiceStatus): void;
  guests: CollectionListener<GuestSummary>;
  usb: CollectionListener<UsbSummary>;
  seats: CollectionListener<SeatSummary>;
  /** A plugged-in device that a guest's 'ask' rule matches. */
  usbAsk(devicePath: string, guestPath: string): void;
}

export class SwitcherClient {
  private readonly cancellable = new Gio.Cancellable();
  private readonly nodeInfo = Gio.DBusNodeInfo.new_for_xml(INTERFACE_XML);
  private manager: Gio.DBusProxy | undefined;
  private readonly managerHandlers: number[] = [];
  readonly guests: ObjectCollection<GuestSummary>;
  readonly usb: ObjectCollection<UsbSummary>;
  readonly seats: ObjectCollection<SeatSummary>;

  constructor(
    private readonly listener: SwitcherClientListener,
    private readonly connection: Gio.DBusConnection = Gio.DBus.session,
  ) {
    this.guests = new ObjectCollection<GuestSummary>(
      {
        list: 'ListGuests',
        added: 'GuestAdded',
        removed: 'GuestRemoved',
        info: this.info('me.phyllo.Switcher1.Guest'),
        summarize: (path, proxy) => ({
          path,
          name: unpackString(proxy.get_cached_property('Name')),
          state: unpackString(proxy.get_cached_property('State')),
          osId: unpackString(proxy.get_cached_property('OsId')),
          monitor: unpackString(proxy.get_cached_property('Monitor')),
          viewerPid: unpack(proxy.get_cached_property('ViewerPid'), 0),
          usbRules: unpack(proxy.get_cached_property('UsbRules'), []),
          seat: unpackString(proxy.get_cached_property('Seat')),
        }),
        changes: (values) => {
          const changes: Partial<Omit<GuestSummary, 'path'>> = {};
          if (values.Name) changes.name = unpack(values.Name, '');
          if (values.State) changes.state = unpack(values.State, '');
          if (values.OsId) changes.osId = unpack(values.OsId, '');
          if (values.Monitor) changes.monitor = unpack(values.Monitor, '');
          if (values.ViewerPid) changes.viewerPid = unpack(values.ViewerPid, 0);
          if (values.UsbRules) changes.usbRules = unpack(values.UsbRules, []);
          if (values.Seat) changes.seat = unpack(values.Seat, '');
          return changes;
        },
      },
      listener.guests,
      BUS_NAME,
      connection,
      this.cancellable,
    );
    this.usb = new ObjectCollection<UsbSummary>(
      {
        list: 'ListUsbDevices',
        added: 'UsbDeviceAdded',
        removed: 'UsbDeviceRemoved',
        info: this.info('me.phyllo.Switcher1.UsbDevice'),
        summarize: (path, proxy) => ({
          path,
          name: unpackString(proxy.get_cached_property('Name')),
          vendor: unpackString(proxy.get_cached_property('Vendor')),
          product: unpackString(proxy.get_cached_property('Product')),
          serial: unpackString(proxy.get_cached_property('Serial')),
          port: unpackString(proxy.get_cached_property('Port')),
          classes: unpack(proxy.get_cached_property('Classes'), []),
          owner: unpackString(proxy.get_cached_property('Owner')),
        }),
        changes: (values) => (values.Owner ? { owner: unpack(values.Owner, '') } : {}),
      },
      listener.usb,
      BUS_NAME,
      connection,
      this.cancellable,
    );
    this.seats = this.makeSeats(listener.seats);
  }

  /** Builds the seats collection (kept apart from the constructor to stay readable). */
  private makeSeats(listener: CollectionListener<SeatSummary>): ObjectCollection<SeatSummary> {
    return new ObjectCollection<SeatSummary>(
      {
        list: 'ListSeats',
        added: 'SeatAdded',
        removed: 'SeatRemoved',
        info: this.info('me.phyllo.Switcher1.Seat'),
        summarize: (path, proxy) => ({
          path,
          id: unpackString(proxy.get_cached_property('Id')),
          guest: unpack(proxy.get_cached_property('Guest'), '/'),
        }),
        changes: (values) => (values.Guest ? { guest: unpack(values.Guest, '/') } : {}),
      },
      listener,
      BUS_NAME,
      this.connection,
      this.cancellable,
    );
  }

  async start(): Promise<void> {
    try {
      this.manager = await newProxy(
        this.info('me.phyllo.Switcher1.Manager'),
        BUS_NAME,
        MANAGER_PATH,
        this.cancellable,
        { connection: this.connection },
      );
    } catch (error) {
      if (!isCancelled(error)) console.error(`Phyllome Switcher: cannot create the service proxy: ${String(error)}`);
      return;
    }
    // destroy() may have run while the proxy was being made (a quick disable): then wire nothing.
    if (this.cancellable.is_cancelled()) {
      this.manager = undefined;
      return;
    }
    const manager = this.manager;
    this.managerHandlers.push(
      manager.connect('notify::g-name-owner', () => void this.resync()),
      manager.connect('g-signal', (_proxy, _sender, signal: string, parameters: GLib.Variant) =>
        this.onManagerSignal(signal, parameters),
      ),
      manager.connect('g-properties-changed', () => this.reportStatus()),
    );
    await this.resync();
  }

  destroy(): void {
    this.cancellable.cancel();
    if (this.manager) for (const id of this.managerHandlers.splice(0)) this.manager.disconnect(id);
    this.manager = undefined;
    this.guests.destroy();
    this.usb.destroy();
    this.seats.destroy();
  }

  /** Calls a guest action; rejects with the service's error. */
  async guestAction(path: string, action: GuestAction, shutdownTimeoutSeconds: number): Promise<void> {
    const proxy = this.need(this.guests.proxy(path), 'This guest is gone');
    if (action === 'Shutdown') {
      const parameters = new GLib.Variant('(u)', [shutdownTimeoutSeconds]);
      const reply = await callProxy(
        proxy,
        'Shutdown',
        parameters,
        (shutdownTimeoutSeconds + 10) * 1000,
        this.cancellable,
      );
      const [stopped] = reply.deepUnpack() as [boolean];
      if (!stopped) throw new Error(`It did not shut down within ${shutdownTimeoutSeconds} seconds and is still on`);
      return;
    }
    await callProxy(proxy, action, null, CALL_TIMEOUT_MS, this.cancellable);
  }

  /** Starts the guest if needed and opens its viewer; resolves once the viewer is up. */
  async show(path: string): Promise<void> {
    await callProxy(
      this.need(this.guests.proxy(path), 'This guest is gone'),
      'Show',
      null,
      SHOW_TIMEOUT_MS,
      this.cancellable,
    );
  }

  async setMonitor(path: string, connector: string): Promise<void> {
    const proxy = this.need(this.guests.proxy(path), 'This guest is gone');
    await callProxy(proxy, 'SetMonitor', new GLib.Variant('(s)', [connector]), CALL_TIMEOUT_MS, this.cancellable);
  }

  /** Attach (forced or not), Detach, or SetRule on a USB device. */
  async usbAction(
    devicePath: string,
    method: 'Attach' | 'ForceAttach' | 'Detach' | 'SetRule',
    args?: GLib.Variant,
  ): Promise<void> {
    const proxy = this.need(this.usb.proxy(devicePath), 'This device was unplugged');
    await callProxy(proxy, method, args ?? null, CALL_TIMEOUT_MS, this.cancellable);
  }

  /**
   * Starts Export(s directory), Clone(s name) or MigrateTo(s uri, a{sv} options)
   * on a guest; resolves to the job's object path.
   */
  async startGuestJob(path: string, method: 'Export' | 'Clone' | 'MigrateTo', args: GLib.Variant): Promise<string> {
    const proxy = this.need(this.guests.proxy(path), 'This guest is gone');
    const reply = await callProxy(proxy, method, args, CALL_TIMEOUT_MS, this.cancellable);
    return (reply.deepUnpack() as [string])[0];
  }

  /** Import(s bundle); resolves to the job's object path. */
  async importBundle(bundle: string): Promise<string> {
    const manager = this.need(this.manager, 'The guest service is not running');
    const reply = await callProxy(
      manager,
      'Import',
      new GLib.Variant('(s)', [bundle]),
      CALL_TIMEOUT_MS,
      this.cancellable,
    );
    return (reply.deepUnpack() as [string])[0];
  }

  /** Cancels a job; it ends (Completed) once it has undone its work. */
  cancelJob(job: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.connection.call(
        BUS_NAME,
        job,
        'me.phyllo.Switcher1.Job',
        'Cancel',
        null,
        null,
        Gio.DBusCallFlags.NONE,
        CALL_TIMEOUT_MS,
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
    const proxy = this.need(this.seats.proxy(seatPath), 'This seat is gone');
    await callProxy(proxy, 'AssignGuest', new GLib.Variant('(o)', [guestPath]), CALL_TIMEOUT_MS, this.cancellable);
  }

  /** Tells the service which guest has the focus ('/' for the host). */
  setFocusedGuest(path: string): void {
    if (!this.manager?.g_name_owner) return;
    callProxy(
      this.manager,
      'SetFocusedGuest',
      new GLib.Variant('(o)', [path]),
      CALL_TIMEOUT_MS,
      this.cancellable,
    ).catch((error: unknown) => {
      // The service leaving meanwhile is no news: it is told again once it is back.
      if (!isCancelled(error) && !isServiceGone(error))
        console.warn(`Phyllome Switcher: SetFocusedGuest failed: ${String(error)}`);
    });
  }

  /** PauseAll or ResumeAll; resolves to the number of guests acted on. */
  async managerAction(method: 'PauseAll' | 'ResumeAll'): Promise<number> {
    const manager = this.need(this.manager, 'The guest service is not running');
    const reply = await callProxy(manager, method, null, CALL_TIMEOUT_MS, this.cancellable);
    const [paths] = reply.deepUnpack() as [string[]];
    return paths.length;
  }

  private need<T>(value: T | undefined, why: string): T {
    if (value === undefined) throw new Error(why);
    return value;
  }

  private info(name: string): Gio.DBusInterfaceInfo {
    const info = this.nodeInfo.lookup_interface(name);
    if (!info) throw new Error(`${name} is missing from the interface XML`);
    return info;
  }

  private status(): ServiceStatus {
    const manager = this.manager;
    if (!manager?.g_name_owner) return { kind: 'absent' };
    const uri = unpackString(manager.get_cached_property('Connection'));
    const connected = unpack(manager.get_cached_property('Connected'), false);
    return connected ? { kind: 'ready', uri } : { kind: 'disconnected', uri };
  }

  private reportStatus(): void {
    this.listener.statusChanged(this.status());
  }

  private async resync(): Promise<void> {
    this.reportStatus();
    await Promise.all([
      this.guests.resync(this.manager),
      this.usb.resync(this.manager),
      this.seats.resync(this.manager),
    ]);
  }

  private onManagerSignal(signal: string, parameters: GLib.Variant): void {
    if (
      this.guests.onSignal(signal, parameters) ||
      this.usb.onSignal(signal, parameters) ||
      this.seats.onSignal(signal, parameters)
    )
      return;
    if (signal === 'UsbAttachRequested') {
      const [device, guest] = parameters.deepUnpack() as [string, string];
      this.listener.usbAsk(device, guest);
    }
  }
}
