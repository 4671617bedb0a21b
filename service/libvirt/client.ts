// Our one line to libvirt: org.libvirt (libvirt-dbus) on a bus. Calls carry
// deadlines and come back as typed errors; DomainEvent and the per-domain
// signals arrive as events; the name owner tells us when libvirt-dbus leaves
// and returns, so nothing here polls.

import { EventEmitter } from 'node:events';
import {
  CallTimeoutError,
  DBusError,
  Message,
  Variant,
  callBusDaemon,
  callWithDeadline,
  type MessageBus,
} from '../dbus/bus.js';
import { NameWatcher } from '../dbus/name-watcher.js';
import { errorMessage, SwitcherError } from '../errors.js';
import type { LibvirtEndpoint } from './uri.js';

export const LIBVIRT_NAME = 'org.libvirt';
const CONNECT = 'org.libvirt.Connect';
const DOMAIN = 'org.libvirt.Domain';
const SIGNAL = 4;

export interface Deadlines {
  /** Reads: lists, XML, state. */
  queryMs: number;
  /** Actions that may take libvirt a while (starting a QEMU guest). */
  actionMs: number;
}

export const DEFAULT_DEADLINES: Deadlines = { queryMs: 5_000, actionMs: 60_000 };

export interface LibvirtClientEvents {
  /** libvirt-dbus got a new owner (started or restarted) or lost it (''). */
  owner: [owner: string];
  domainEvent: [domainPath: string, event: number, detail: number];
  metadataChange: [domainPath: string];
  /** A device was added to or removed from a running domain (USB host devices among them). */
  deviceChange: [domainPath: string];
  /** A domain's job (a migration…) ended; libvirt's final statistics (typed parameters as D-Bus values). */
  jobCompleted: [domainPath: string, stats: Record<string, unknown>];
}

/** Whether libvirt said the domain does not exist (any more). */
export function isDomainGone(error: unknown): boolean {
  return error instanceof SwitcherError && error.kind === 'NoSuchGuest';
}

export class LibvirtClient extends EventEmitter<LibvirtClientEvents> {
  private readonly watcher: NameWatcher;
  private readonly rules: string[];
  private readonly onMessage = (message: Message): void => this.handleSignal(message);

  constructor(
    private readonly bus: MessageBus,
    readonly endpoint: LibvirtEndpoint,
    private readonly deadlines: Deadlines = DEFAULT_DEADLINES,
  ) {
    super();
    this.watcher = new NameWatcher(bus, LIBVIRT_NAME, deadlines.queryMs);
    const base = `type='signal',sender='${LIBVIRT_NAME}'`;
    this.rules = [
      `${base},path='${endpoint.connectPath}',interface='${CONNECT}',member='DomainEvent'`,
      `${base},interface='${DOMAIN}',member='MetadataChange',path_namespace='${endpoint.connectPath}/domain'`,
      `${base},interface='${DOMAIN}',member='DeviceAdded',path_namespace='${endpoint.connectPath}/domain'`,
      `${base},interface='${DOMAIN}',member='DeviceRemoved',path_namespace='${endpoint.connectPath}/domain'`,
      `${base},interface='${DOMAIN}',member='JobCompleted',path_namespace='${endpoint.connectPath}/domain'`,
    ];
  }

  get owner(): string {
    return this.watcher.owner;
  }

  async start(): Promise<void> {
    this.bus.on('message', this.onMessage);
    this.watcher.on('owner', (owner) => this.emit('owner', owner));
    for (const rule of this.rules) await callBusDaemon(this.bus, 'AddMatch', 's', [rule], this.deadlines.queryMs);
    await this.watcher.start();
  }

  /** Whether the bus can start libvirt-dbus for us when it is not running. */
  isActivatable(): Promise<boolean> {
    return this.watcher.isActivatable();
  }

  stop(): void {
    this.bus.off('message', this.onMessage);
    this.watcher.stop();
    this.removeAllListeners();
  }

  async listDomains(): Promise<string[]> {
    const [paths] = await this.call(this.endpoint.connectPath, CONNECT, 'ListDomains', 'u', [0]);
    return asStringArray(paths);
  }

  /** The live definition of a running domain (flags 0), or with VIR_DOMAIN_XML_INACTIVE (2) the one its next start takes. */
  async domainXml(path: string, flags = 0): Promise<string> {
    const [xml] = await this.call(path, DOMAIN, 'GetXMLDesc', 'u', [flags]);
    return String(xml);
  }

  async domainState(path: string): Promise<[state: number, reason: number]> {
    const [pair] = await this.call(path, DOMAIN, 'GetState', 'u', [0]);
    const [state, reason] = Array.isArray(pair) ? pair : [];
    return [Number(state), Number(reason)];
  }

  async domainAutostart(path: string): Promise<boolean> {
    const [value] = await this.call(path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [DOMAIN, 'Autostart']);
    return Boolean((value as { value?: unknown } | undefined)?.value);
  }

  /** Whether the domain has a definition of its own (not transient: it does not vanish when it stops). */
  async domainPersistent(path: string): Promise<boolean> {
    const [value] = await this.call(path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [DOMAIN, 'Persistent']);
    return Boolean((value as { value?: unknown } | undefined)?.value);
  }

  /** Sets libvirt's autostart flag of a (persistent) domain. */
  async setDomainAutostart(path: string, autostart: boolean): Promise<void> {
    await this.call(path, 'org.freedesktop.DBus.Properties', 'Set', 'ssv', [
      DOMAIN,
      'Autostart',
      new Variant('b', autostart),
    ]);
  }

  async domainLookupByUuid(uuid: string): Promise<string> {
    const [path] = await this.call(this.endpoint.connectPath, CONNECT, 'DomainLookupByUUID', 's', [uuid]);
    return String(path);
  }

  /** A lifecycle action on a domain (Create, Shutdown, Destroy, Reboot, Suspend, Resume). */
  async domainAction(path: string, member: string, signature = '', body: unknown[] = []): Promise<void> {
    await this.call(path, DOMAIN, member, signature, body, this.deadlines.actionMs);
  }

  /** Replaces our metadata element (VIR_DOMAIN_METADATA_ELEMENT) in the domain. */
  async setMetadata(path: string, element: string, prefix: string, ns: string, flags: number): Promise<void> {
    await this.call(path, DOMAIN, 'SetMetadata', 'isssu', [2, element, prefix, ns, flags]);
  }

  /** Hot-plugs (attach) or unplugs (detach) a device in a running domain. */
  async domainDevice(path: string, attach: boolean, xml: string, flags: number): Promise<void> {
    await this.call(
      path,
      DOMAIN,
      attach ? 'AttachDevice' : 'DetachDevice',
      'su',
      [xml, flags],
      this.deadlines.actionMs,
    );
  }

  /** Defines a domain from XML; for demos and tests. */
  async defineXml(xml: string): Promise<string> {
    const [path] = await this.call(this.endpoint.connectPath, CONNECT, 'DomainDefineXML', 's', [xml]);
    return String(path);
  }

  /**
   * Any libvirt-dbus method, with a deadline (queryMs unless given) and
   * libvirt's failures as typed errors. The typed wrappers above and the
   * per-object modules beside this one (storage, capabilities…) use it.
   */
  async call(
    path: string,
    iface: string,
    member: string,
    signature: string,
    body: unknown[],
    timeoutMs = this.deadlines.queryMs,
  ): Promise<unknown[]> {
    const message = new Message({ destination: LIBVIRT_NAME, path, interface: iface, member, signature, body });
    try {
      const reply = await callWithDeadline(this.bus, message, timeoutMs);
      return reply.body;
    } catch (error) {
      throw translateError(error, member);
    }
  }

  private handleSignal(message: Message): void {
    if (message.type !== SIGNAL || !this.watcher.owner || message.sender !== this.watcher.owner) return;
    if (
      message.interface === CONNECT &&
      message.member === 'DomainEvent' &&
      message.path === this.endpoint.connectPath
    ) {
      const [domainPath, event, detail] = message.body;
      if (typeof domainPath === 'string') this.emit('domainEvent', domainPath, Number(event), Number(detail));
    } else if (message.interface === DOMAIN && message.member === 'MetadataChange') {
      this.emit('metadataChange', message.path);
    } else if (
      message.interface === DOMAIN &&
      (message.member === 'DeviceAdded' || message.member === 'DeviceRemoved')
    ) {
      this.emit('deviceChange', message.path);
    } else if (message.interface === DOMAIN && message.member === 'JobCompleted') {
      const [stats] = message.body;
      this.emit('jobCompleted', message.path, (stats ?? {}) as Record<string, unknown>);
    }
  }
}

function asStringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

const GONE_ERRORS = new Set(['org.freedesktop.DBus.Error.UnknownObject', 'org.freedesktop.DBus.Error.UnknownMethod']);
const UNREACHABLE_ERRORS = new Set([
  'org.freedesktop.DBus.Error.ServiceUnknown',
  'org.freedesktop.DBus.Error.NameHasNoOwner',
  'org.freedesktop.DBus.Error.NoReply',
  'org.freedesktop.DBus.Error.Disconnected',
  'org.freedesktop.DBus.Error.Spawn.ChildExited',
]);
// What libvirt-dbus says when libvirtd behind it is gone.
const LIBVIRTD_GONE =
  /Failed to connect socket|client socket is closed|Cannot (recv|write) data|Broken pipe|End of file while reading|no connection driver available/i;

/** libvirt's and the bus's failures as our typed errors, keeping libvirt's words. */
export function translateError(error: unknown, member: string): SwitcherError {
  if (error instanceof SwitcherError) return error;
  if (error instanceof CallTimeoutError) {
    return new SwitcherError('Timeout', `libvirt did not answer ${member} within ${error.timeoutMs / 1000} s`);
  }
  if (error instanceof DBusError) {
    const text = error.text || error.message;
    if (GONE_ERRORS.has(error.type) || /^Domain not found/i.test(text)) {
      return new SwitcherError('NoSuchGuest', `No such guest: ${text}`);
    }
    if (UNREACHABLE_ERRORS.has(error.type) || LIBVIRTD_GONE.test(text)) {
      return new SwitcherError('NotConnected', `libvirt is not reachable: ${text}`);
    }
    return new SwitcherError('Libvirt', text);
  }
  return new SwitcherError('NotConnected', `libvirt is not reachable: ${errorMessage(error)}`);
}
