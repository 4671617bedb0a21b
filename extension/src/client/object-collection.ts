// A set of the service's objects of one kind (guests, USB devices): listed
// by a manager method, grown and shrunk by its Added/Removed signals, one
// proxy each, their property changes passed on as plain summaries.

import { Gio, GLib } from '../gi.js';
import { callProxy, isCancelled, newProxy } from './dbus.js';

export interface CollectionKind<T extends { path: string }> {
  /** Manager method, signals and the objects' interface. */
  list: string;
  added: string;
  removed: string;
  info: Gio.DBusInterfaceInfo;
  /** The summary of an object from its proxy's cached properties. */
  summarize(path: string, proxy: Gio.DBusProxy): T;
  /** The summary fields a PropertiesChanged touches. */
  changes(values: Record<string, GLib.Variant>): Partial<Omit<T, 'path'>>;
}

export interface CollectionListener<T> {
  reset(items: T[]): void;
  added(item: T): void;
  removed(path: string): void;
  changed(path: string, changes: Partial<Omit<T, 'path'>>): void;
}

const CALL_TIMEOUT_MS = 30_000;

export class ObjectCollection<T extends { path: string }> {
  private readonly proxies = new Map<string, { proxy: Gio.DBusProxy; handler: number }>();
  // Bumped on every resync: results of older async work are dropped.
  private generation = 0;

  constructor(
    private readonly kind: CollectionKind<T>,
    private readonly listener: CollectionListener<T>,
    private readonly busName: string,
    private readonly connection: Gio.DBusConnection,
    private readonly cancellable: Gio.Cancellable,
  ) {}

  proxy(path: string): Gio.DBusProxy | undefined {
    return this.proxies.get(path)?.proxy;
  }

  /** Drops every proxy and, when the manager is there, lists the objects anew. */
  async resync(manager: Gio.DBusProxy | undefined): Promise<void> {
    const generation = ++this.generation;
    this.clear();
    if (!manager?.g_name_owner) {
      this.listener.reset([]);
      return;
    }
    try {
      const reply = await callProxy(manager, this.kind.list, null, CALL_TIMEOUT_MS, this.cancellable);
      const [paths] = reply.deepUnpack() as [string[]];
      const items: (T | undefined)[] = await Promise.all(paths.map((path) => this.add(path, generation)));
      if (generation !== this.generation) return;
      this.listener.reset(items.filter((i): i is T => i !== undefined));
    } catch (error) {
      if (!isCancelled(error) && generation === this.generation) {
        console.warn(`Phyllome Switcher: ${this.kind.list} failed: ${String(error)}`);
      }
    }
  }

  /** Handles a manager signal; false if it is not one of this kind's. */
  onSignal(signal: string, parameters: GLib.Variant): boolean {
    if (signal !== this.kind.added && signal !== this.kind.removed) return false;
    const [path] = parameters.deepUnpack() as [string];
    if (signal === this.kind.added) {
      const generation = this.generation;
      void this.add(path, generation).then((item) => {
        if (item && generation === this.generation) this.listener.added(item);
      });
    } else {
      this.drop(path);
      this.listener.removed(path);
    }
    return true;
  }

  destroy(): void {
    this.generation++;
    this.clear();
  }

  private async add(path: string, generation: number): Promise<T | undefined> {
    const known = this.proxies.get(path);
    if (known) return this.kind.summarize(path, known.proxy);
    let proxy: Gio.DBusProxy;
    try {
      proxy = await newProxy(this.kind.info, this.busName, path, this.cancellable, { connection: this.connection });
    } catch (error) {
      if (!isCancelled(error)) console.warn(`Phyllome Switcher: no proxy for ${path}: ${String(error)}`);
      return undefined;
    }
    // The service restarted or we were disabled meanwhile: this proxy is stale.
    const now = this.proxies.get(path);
    if (now) return this.kind.summarize(path, now.proxy);
    if (generation !== this.generation) return undefined;
    const handler = proxy.connect('g-properties-changed', (_proxy, changed: GLib.Variant) => {
      const changes = this.kind.changes(changed.deepUnpack() as Record<string, GLib.Variant>);
      if (Object.keys(changes).length > 0) this.listener.changed(path, changes);
    });
    this.proxies.set(path, { proxy, handler });
    return this.kind.summarize(path, proxy);
  }

  private drop(path: string): void {
    const entry = this.proxies.get(path);
    if (!entry) return;
    entry.proxy.disconnect(entry.handler);
    this.proxies.delete(path);
  }

  private clear(): void {
    for (const { proxy, handler } of this.proxies.values()) proxy.disconnect(handler);
    this.proxies.clear();
  }
}
