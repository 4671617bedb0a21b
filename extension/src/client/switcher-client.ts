// The extension's view of the service: a Gio.DBusProxy for the manager and
// one per guest, all created asynchronously with one cancellable, kept in
// step with the service's signals, and rebuilt from scratch whenever the
// service's name changes owner (it left, or restarted).

import { Gio, GLib } from '../gi.js';
import type { GuestSummary, ServiceStatus } from '../model/guest-list.js';
import type { GuestAction } from '../model/guest-state.js';
import { callProxy, isCancelled, newProxy, unpackString } from './dbus.js';
import { INTERFACE_XML } from './interface.js';

export const BUS_NAME = 'me.phyllo.Switcher1';
export const MANAGER_PATH = '/me/phyllo/Switcher1';
const MANAGER_INTERFACE = 'me.phyllo.Switcher1.Manager';
const GUEST_INTERFACE = 'me.phyllo.Switcher1.Guest';
const CALL_TIMEOUT_MS = 30_000;
// Show may start a guest first: the service allows it a minute.
const SHOW_TIMEOUT_MS = 90_000;

export interface SwitcherClientListener {
  statusChanged(status: ServiceStatus): void;
  /** The whole list anew (after the service appeared or restarted). */
  guestsReset(guests: GuestSummary[]): void;
  guestAdded(guest: GuestSummary): void;
  guestRemoved(path: string): void;
  guestChanged(path: string, changes: Partial<Omit<GuestSummary, 'path'>>): void;
}

export class SwitcherClient {
  private readonly cancellable = new Gio.Cancellable();
  private readonly nodeInfo = Gio.DBusNodeInfo.new_for_xml(INTERFACE_XML);
  private manager: Gio.DBusProxy | undefined;
  private readonly managerHandlers: number[] = [];
  private readonly guests = new Map<string, { proxy: Gio.DBusProxy; handler: number }>();
  // Bumped on every owner change: results of older async work are dropped.
  private generation = 0;

  constructor(
    private readonly listener: SwitcherClientListener,
    private readonly connection: Gio.DBusConnection = Gio.DBus.session,
  ) {}

  async start(): Promise<void> {
    try {
      this.manager = await newProxy(
        this.info(MANAGER_INTERFACE),
        BUS_NAME,
        MANAGER_PATH,
        this.cancellable,
        this.connection,
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
    this.generation++;
    if (this.manager) for (const id of this.managerHandlers.splice(0)) this.manager.disconnect(id);
    this.manager = undefined;
    this.dropGuests();
  }

  /** Calls a guest action; rejects with the service's error. */
  async guestAction(path: string, action: GuestAction, shutdownTimeoutSeconds: number): Promise<void> {
    const proxy = this.guests.get(path)?.proxy;
    if (!proxy) throw new Error('This guest is gone');
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
    const proxy = this.guests.get(path)?.proxy;
    if (!proxy) throw new Error('This guest is gone');
    await callProxy(proxy, 'Show', null, SHOW_TIMEOUT_MS, this.cancellable);
  }

  async setMonitor(path: string, connector: string): Promise<void> {
    const proxy = this.guests.get(path)?.proxy;
    if (!proxy) throw new Error('This guest is gone');
    await callProxy(proxy, 'SetMonitor', new GLib.Variant('(s)', [connector]), CALL_TIMEOUT_MS, this.cancellable);
  }

  /** PauseAll or ResumeAll; resolves to the number of guests acted on. */
  async managerAction(method: 'PauseAll' | 'ResumeAll'): Promise<number> {
    if (!this.manager) throw new Error('The guest service is not running');
    const reply = await callProxy(this.manager, method, null, CALL_TIMEOUT_MS, this.cancellable);
    const [paths] = reply.deepUnpack() as [string[]];
    return paths.length;
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
    const connected = manager.get_cached_property('Connected')?.deepUnpack() as boolean | undefined;
    return connected ? { kind: 'ready', uri } : { kind: 'disconnected', uri };
  }

  private reportStatus(): void {
    this.listener.statusChanged(this.status());
  }

  /** Drops every guest proxy and, when the service is there, reads the list anew. */
  private async resync(): Promise<void> {
    const generation = ++this.generation;
    this.dropGuests();
    this.reportStatus();
    const manager = this.manager;
    if (!manager?.g_name_owner) {
      this.listener.guestsReset([]);
      return;
    }
    try {
      const reply = await callProxy(manager, 'ListGuests', null, CALL_TIMEOUT_MS, this.cancellable);
      const [paths] = reply.deepUnpack() as [string[]];
      const summaries = await Promise.all(paths.map((path) => this.addGuestProxy(path, generation)));
      if (generation !== this.generation) return;
      this.listener.guestsReset(summaries.filter((s): s is GuestSummary => s !== undefined));
    } catch (error) {
      if (!isCancelled(error) && generation === this.generation) {
        console.warn(`Phyllome Switcher: could not list guests: ${String(error)}`);
      }
    }
  }

  private async addGuestProxy(path: string, generation: number): Promise<GuestSummary | undefined> {
    if (this.guests.has(path)) return this.summary(path);
    let proxy: Gio.DBusProxy;
    try {
      proxy = await newProxy(this.info(GUEST_INTERFACE), BUS_NAME, path, this.cancellable, this.connection);
    } catch (error) {
      if (!isCancelled(error)) console.warn(`Phyllome Switcher: no proxy for ${path}: ${String(error)}`);
      return undefined;
    }
    // The service restarted or we were disabled meanwhile: this proxy is stale.
    if (generation !== this.generation || this.guests.has(path))
      return this.guests.has(path) ? this.summary(path) : undefined;
    const handler = proxy.connect('g-properties-changed', (_proxy, changed: GLib.Variant) => {
      const values = changed.deepUnpack() as Record<string, GLib.Variant>;
      const changes: Partial<Omit<GuestSummary, 'path'>> = {};
      if (values.Name) changes.name = values.Name.deepUnpack() as string;
      if (values.State) changes.state = values.State.deepUnpack() as string;
      if (values.OsId) changes.osId = values.OsId.deepUnpack() as string;
      if (values.Monitor) changes.monitor = values.Monitor.deepUnpack() as string;
      if (values.ViewerPid) changes.viewerPid = values.ViewerPid.deepUnpack() as number;
      if (Object.keys(changes).length > 0) this.listener.guestChanged(path, changes);
    });
    this.guests.set(path, { proxy, handler });
    return this.summary(path);
  }

  private summary(path: string): GuestSummary | undefined {
    const proxy = this.guests.get(path)?.proxy;
    if (!proxy) return undefined;
    return {
      path,
      name: unpackString(proxy.get_cached_property('Name')),
      state: unpackString(proxy.get_cached_property('State')),
      osId: unpackString(proxy.get_cached_property('OsId')),
      monitor: unpackString(proxy.get_cached_property('Monitor')),
      viewerPid: (proxy.get_cached_property('ViewerPid')?.deepUnpack() as number | undefined) ?? 0,
    };
  }

  private onManagerSignal(signal: string, parameters: GLib.Variant): void {
    const [path] = parameters.deepUnpack() as [string];
    const generation = this.generation;
    if (signal === 'GuestAdded') {
      void this.addGuestProxy(path, generation).then((summary) => {
        if (summary && generation === this.generation) this.listener.guestAdded(summary);
      });
    } else if (signal === 'GuestRemoved') {
      const entry = this.guests.get(path);
      if (entry) {
        entry.proxy.disconnect(entry.handler);
        this.guests.delete(path);
      }
      this.listener.guestRemoved(path);
    }
  }

  private dropGuests(): void {
    for (const { proxy, handler } of this.guests.values()) proxy.disconnect(handler);
    this.guests.clear();
  }
}
