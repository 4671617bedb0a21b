// The one client of the service, for every process of ours: the Shell, the
// preferences and the New Guest window. It finds the service's bus (the
// system bus where the host-wide service is, else the session bus) and
// follows its name with one watch: for each owner, by its unique name, a
// Gio.DBusProxy for the Manager (its properties, methods and signals) and,
// where asked for, one Gio.DBusObjectManagerClient that holds every guest,
// USB device and seat with all their properties (org.freedesktop.DBus.
// ObjectManager: one round trip, then InterfacesAdded, InterfacesRemoved
// and PropertiesChanged keep it exactly the service's). Both are made anew
// for each owner and dropped when it vanishes: a service replaced (a
// restart) is a new owner, never missed, and nothing made for an old owner
// or before destroy() asks anything of a later one. Every call is packed
// from the contract's signatures (switcher1.ts, generated), has a deadline
// and the one cancellable that destroy() cancels. It holds no word a person
// reads: what it cannot do, the service says (its typed errors).

import { Gio, GLib, GObject } from '../gi-shared.js';
import { isCancelled, isServiceGone, newProxy, serviceConnection } from './calls.js';
import { JobWatcher, type JobListener } from './job-watcher.js';
import {
  BUS_NAME,
  INTERFACE_XML,
  MANAGER_INTERFACE,
  MANAGER_PATH,
  SIGNATURES,
  type InterfaceName,
  type ManagerProperties,
  type ManagerSignals,
  type MethodIn,
  type MethodName,
  type MethodOut,
  type Switcher1,
} from './switcher1.js';

/** A call's deadline when nothing else is said. */
export const CALL_TIMEOUT_MS = 30_000;
/** What a person asked for may wait for them to authenticate (polkit, through the service: up to 2 min). */
export const INTERACTION_MS = 120_000;

/** What a client tells those who follow the service; every member is optional. */
export interface ClientEvents {
  /** The service's bus was found: told once, before anything is asked of the service there. */
  connected?(connection: Gio.DBusConnection): void;
  /** An owner of the name is followed now (true), or none is any more (false). */
  presenceChanged?(present: boolean): void;
  /** Some of the Manager's properties changed (their names). */
  managerChanged?(names: string[]): void;
  /** One of the Manager's signals, its arguments unpacked. */
  managerSignal?(signal: keyof ManagerSignals, args: unknown[]): void;
  /** An object of the service came, or went (read what it holds now with properties()). */
  objectChanged?(path: string): void;
  /** Some properties of one of an object's interfaces changed (their names). */
  propertiesChanged?(path: string, iface: InterfaceName, names: string[]): void;
}

export interface ClientOptions {
  /** Follow every guest, USB device and seat (an object manager client); the New Guest window needs none. */
  objects?: boolean;
  /** Follow jobs' progress and endings (watchJob), subscribed before any job can start. */
  jobs?: boolean;
  /** By default the bus the service is found on (calls.ts serviceConnection). */
  connection?: Gio.DBusConnection;
}

export interface CallOptions {
  /** A person asked for it: polkit (through the service) may ask them to authenticate, within INTERACTION_MS more. */
  interactive?: boolean;
  /** The deadline before the interaction's time; CALL_TIMEOUT_MS by default. */
  timeoutMs?: number;
}

/** The properties of one interface of the contract, as recursiveUnpack() gives them. */
export type PropertiesOf<I extends InterfaceName> = Switcher1[I]['properties'];

interface Followed {
  /** The owner's unique name: everything is asked of it alone. */
  owner: string;
  manager: Gio.DBusProxy;
  objects: Gio.DBusObjectManagerClient | undefined;
}

interface GObjectLike {
  connect(signal: string, handler: (...args: unknown[]) => void): number;
  disconnect(id: number): void;
}

export class SwitcherClient {
  private readonly cancellable = new Gio.Cancellable();
  private readonly nodeInfo = Gio.DBusNodeInfo.new_for_xml(INTERFACE_XML);
  private readonly listeners = new Set<ClientEvents>();
  private readonly jobs: JobWatcher | undefined;
  private connection: Gio.DBusConnection | undefined;
  /** Settles once the service's bus is known (undefined: start() could not find it, or destroy() came first). */
  private found: Promise<Gio.DBusConnection | undefined> | undefined;
  private followed: Followed | undefined;
  private readonly handlers: [GObjectLike, number][] = [];
  /** The watch on the service's name (Gio.bus_watch_name_on_connection), 0 when none. */
  private nameWatch = 0;
  /** Counts the owners followed: what was made for an earlier one is dropped. */
  private generation = 0;
  private destroyed = false;

  constructor(private readonly options: ClientOptions = {}) {
    this.connection = options.connection;
    this.jobs = options.jobs ? new JobWatcher(BUS_NAME) : undefined;
  }

  /** Adds a follower; the returned function takes it away. */
  subscribe(events: ClientEvents): () => void {
    this.listeners.add(events);
    return () => this.listeners.delete(events);
  }

  /** Finds the service's bus and follows its name; resolves once the watch is there (not the service). */
  async start(): Promise<void> {
    this.found ??= this.findBus();
    const connection = await this.found;
    if (!connection || this.destroyed || this.nameWatch) return;
    // Jobs are followed from before the first is started there, so none ends unseen.
    this.jobs?.start(connection);
    this.emit((l) => l.connected?.(connection));
    // One watch on the name tells each owner that comes and goes, a replacement (systemd's restart)
    // as the old one vanishing and the new one appearing; AUTO_START: the first look starts an
    // activatable service, as a first call would.
    this.nameWatch = Gio.bus_watch_name_on_connection(
      connection,
      BUS_NAME,
      Gio.BusNameWatcherFlags.AUTO_START,
      ((_c: Gio.DBusConnection, _name: string, owner: string) =>
        void this.follow(connection, owner)) as unknown as GObject.Closure,
      (() => this.unfollow()) as unknown as GObject.Closure,
    );
  }

  private async findBus(): Promise<Gio.DBusConnection | undefined> {
    try {
      const connection = this.connection ?? (await serviceConnection(this.cancellable));
      this.connection = connection;
      return this.destroyed ? undefined : connection;
    } catch (error) {
      if (!isCancelled(error)) console.error(`Phyllome Switcher: cannot find the service's bus: ${String(error)}`);
      return undefined;
    }
  }

  destroy(): void {
    this.destroyed = true;
    if (this.nameWatch) Gio.bus_unwatch_name(this.nameWatch);
    this.nameWatch = 0;
    this.generation++;
    this.cancellable.cancel();
    this.jobs?.stop();
    this.disconnectAll();
    this.followed = undefined;
    this.listeners.clear();
  }

  /** Whether an owner of the name is followed now. */
  get present(): boolean {
    return this.followed !== undefined;
  }

  /** The bus the service is on, once found. */
  get bus(): Gio.DBusConnection | undefined {
    return this.connection;
  }

  /** One of the Manager's properties as the service last said it, or the fallback while none is known. */
  managerProperty<K extends keyof ManagerProperties>(name: K, fallback: ManagerProperties[K]): ManagerProperties[K] {
    return unpackRecursive(this.followed?.manager.get_cached_property(name), fallback);
  }

  /** The paths of every object of the service with this interface (objects: true). */
  paths(iface: InterfaceName): string[] {
    const objects = this.followed?.objects;
    if (!objects) return [];
    return objects
      .get_objects()
      .filter((object) => object.get_interface(iface) !== null)
      .map((object) => object.get_object_path());
  }

  /**
   * An object's properties of one interface (those named, or all), as the
   * service last said them; undefined when it has no such object.
   */
  properties<I extends InterfaceName>(
    path: string,
    iface: I,
    names?: readonly string[],
  ): Partial<PropertiesOf<I>> | undefined {
    const proxy = this.followed?.objects?.get_interface(path, iface) as Gio.DBusProxy | null | undefined;
    if (!proxy) return undefined;
    const properties: Record<string, unknown> = {};
    for (const name of names ?? proxy.get_cached_property_names() ?? []) {
      const value = proxy.get_cached_property(name);
      if (value) properties[name] = value.recursiveUnpack();
    }
    return properties as Partial<PropertiesOf<I>>;
  }

  /**
   * Calls a method of the Manager or of one of its objects, packed from the
   * contract's signature; resolves to its reply, unpacked. It goes to the
   * owner followed now (to the name, which may start the service, while
   * none is) and rejects with the service's error.
   */
  async call<I extends InterfaceName, M extends MethodName<I>>(
    path: string,
    iface: I,
    method: M,
    args: MethodIn<I, M>,
    options: CallOptions = {},
  ): Promise<MethodOut<I, M>> {
    const [parameters, replyType] = pack(iface, method, args);
    const reply = await this.send(path, iface, method, parameters, replyType, options);
    return reply.recursiveUnpack() as MethodOut<I, M>;
  }

  /**
   * Sends a call to the owner followed now, at once, and waits for nothing:
   * for what must still reach the service as we go (destroy() cancels every
   * call still waiting). Nothing is sent while no owner is followed.
   */
  tell<I extends InterfaceName, M extends MethodName<I>>(
    path: string,
    iface: I,
    method: M,
    args: MethodIn<I, M>,
  ): void {
    const followed = this.followed;
    const connection = this.connection;
    if (!followed || !connection) return;
    const [parameters] = pack(iface, method, args);
    connection.call(
      followed.owner,
      path,
      iface,
      method,
      parameters,
      null,
      Gio.DBusCallFlags.NONE,
      CALL_TIMEOUT_MS,
      null,
      null,
    );
  }

  /** Sets a writable property of an object (org.freedesktop.DBus.Properties.Set). */
  async setProperty<I extends InterfaceName>(
    path: string,
    iface: I,
    name: keyof PropertiesOf<I> & string,
    value: GLib.Variant,
    options: CallOptions = {},
  ): Promise<void> {
    const parameters = new GLib.Variant('(ssv)', [iface, name, value]);
    await this.send(path, 'org.freedesktop.DBus.Properties', 'Set', parameters, null, options);
  }

  /** Follows a job until it ends (at once, if it already has); needs jobs: true. */
  watchJob(path: string, listener: JobListener): void {
    if (!this.jobs) throw new Error('this client follows no jobs');
    this.jobs.watch(path, listener);
  }

  /** The D-Bus interface description of one of the contract's interfaces. */
  interfaceInfo(name: InterfaceName): Gio.DBusInterfaceInfo {
    const info = this.nodeInfo.lookup_interface(name);
    if (!info) throw new Error(`${name} is missing from the interface XML`);
    return info;
  }

  private async send(
    path: string,
    iface: string,
    method: string,
    parameters: GLib.Variant | null,
    replyType: GLib.VariantType | null,
    { interactive = false, timeoutMs = CALL_TIMEOUT_MS }: CallOptions,
  ): Promise<GLib.Variant> {
    // A call may come while the bus is still looked for (the New Guest window's first): it waits for it.
    const connection = await (this.found ?? Promise.reject(new Error('the client was not started')));
    if (this.destroyed) throw cancelled();
    if (!connection) throw new Error("The guest service's bus could not be found");
    const flags = interactive ? Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION : Gio.DBusCallFlags.NONE;
    const deadline = timeoutMs + (interactive ? INTERACTION_MS : 0);
    return new Promise((resolve, reject) => {
      connection.call(
        this.followed?.owner ?? BUS_NAME,
        path,
        iface,
        method,
        parameters,
        replyType,
        flags,
        deadline,
        this.cancellable,
        (source, result) => {
          try {
            resolve((source as Gio.DBusConnection).call_finish(result));
          } catch (error) {
            reject(error);
          }
        },
      );
    });
  }

  /**
   * Makes the Manager's proxy and the object manager client for one owner
   * of the name (its unique name: they follow that process only), and
   * follows them until the owner vanishes. Made while the owner leaves, they
   * fail: the next owner comes with its own appearance.
   */
  private async follow(connection: Gio.DBusConnection, owner: string): Promise<void> {
    this.unfollow();
    const generation = this.generation;
    let manager: Gio.DBusProxy;
    let objects: Gio.DBusObjectManagerClient | undefined;
    try {
      [manager, objects] = await Promise.all([
        newProxy(this.interfaceInfo(MANAGER_INTERFACE), owner, MANAGER_PATH, this.cancellable, {
          connection,
          flags: Gio.DBusProxyFlags.DO_NOT_AUTO_START,
        }),
        this.options.objects ? newObjectManager(connection, owner, this.cancellable) : undefined,
      ]);
    } catch (error) {
      if (isCancelled(error)) return;
      if (isServiceGone(error)) console.log(`Phyllome Switcher: the service (${owner}) left as we reached it`);
      else console.error(`Phyllome Switcher: cannot reach the service: ${String(error)}`);
      return;
    }
    // destroy() or another owner came meanwhile: these are nobody's.
    if (this.destroyed || generation !== this.generation) return;
    this.followed = { owner, manager, objects };
    this.connect(manager, 'g-properties-changed', (_proxy: unknown, changed: GLib.Variant) => {
      const names = Object.keys(changed.deepUnpack() as Record<string, unknown>);
      this.emit((l) => l.managerChanged?.(names));
    });
    this.connect(manager, 'g-signal', (_proxy: unknown, _sender: string, signal: string, parameters: GLib.Variant) => {
      const args = parameters.recursiveUnpack() as unknown[];
      this.emit((l) => l.managerSignal?.(signal as keyof ManagerSignals, args));
    });
    if (objects) {
      const changed = (_m: unknown, object: Gio.DBusObject): void => {
        const path = object.get_object_path();
        this.emit((l) => l.objectChanged?.(path));
      };
      this.connect(objects, 'object-added', changed);
      this.connect(objects, 'object-removed', changed);
      this.connect(
        objects,
        'interface-proxy-properties-changed',
        (_m: unknown, object: Gio.DBusObjectProxy, proxy: Gio.DBusProxy, properties: GLib.Variant) => {
          const path = object.get_object_path();
          const names = Object.keys(properties.deepUnpack() as Record<string, unknown>);
          const iface = proxy.get_interface_name() as InterfaceName;
          this.emit((l) => l.propertiesChanged?.(path, iface, names));
        },
      );
    }
    this.emit((l) => l.presenceChanged?.(true));
  }

  /** The owner vanished (or another came): what it served is gone, until the next one is followed. */
  private unfollow(): void {
    this.generation++;
    this.disconnectAll();
    const followed = this.followed !== undefined;
    this.followed = undefined;
    if (followed) this.emit((l) => l.presenceChanged?.(false));
  }

  private emit(tell: (listener: ClientEvents) => void): void {
    for (const listener of [...this.listeners]) {
      try {
        tell(listener);
      } catch (error) {
        console.error(`Phyllome Switcher: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    }
  }

  private connect(object: GObjectLike, signal: string, handler: (...args: never[]) => void): void {
    this.handlers.push([object, object.connect(signal, handler as (...args: unknown[]) => void)]);
  }

  private disconnectAll(): void {
    for (const [object, id] of this.handlers.splice(0)) object.disconnect(id);
  }
}

/** A change of a guest's display, as Guest.SetDisplay takes it (model/display.ts reads it the same way). */
export interface DisplaySettings {
  heads?: number;
  resolution?: [number, number] | 'window';
  accel3d?: boolean;
}

/** SetDisplay's a{sv}: only what the change sets. */
export function displaySettings(change: DisplaySettings): Record<string, GLib.Variant> {
  const settings: Record<string, GLib.Variant> = {};
  if (change.heads !== undefined) settings.heads = GLib.Variant.new_uint32(change.heads);
  if (change.resolution === 'window') settings.resolution = GLib.Variant.new_string('window');
  else if (change.resolution) settings.resolution = new GLib.Variant('(uu)', change.resolution);
  if (change.accel3d !== undefined) settings.accel3d = GLib.Variant.new_boolean(change.accel3d);
  return settings;
}

/** A call's arguments packed as the contract's signature says, and the type of its reply. */
function pack(iface: string, method: string, args: unknown): [GLib.Variant | null, GLib.VariantType] {
  const signatures = (SIGNATURES as Record<string, Record<string, { in: string; out: string }>>)[iface]?.[method];
  if (!signatures) throw new Error(`${iface}.${method} is not in the contract`);
  const parameters = signatures.in === '()' ? null : new GLib.Variant(signatures.in, args);
  return [parameters, new GLib.VariantType(signatures.out)];
}

/** A value as recursiveUnpack() gives it, or the fallback when there is none. */
function unpackRecursive<T>(value: GLib.Variant | null | undefined, fallback: T): T {
  return value ? (value.recursiveUnpack() as T) : fallback;
}

function cancelled(): GLib.Error {
  return GLib.Error.new_literal(
    Gio.io_error_quark(),
    Gio.IOErrorEnum.CANCELLED,
    'The client of the service was destroyed',
  );
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
