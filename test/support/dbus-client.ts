// A plain D-Bus client for tests: calls with deadlines, property reads and a
// signal recorder, on any bus address. Its waits wake on the signals that
// announce what they wait for (NameOwnerChanged, GuestAdded,
// PropertiesChanged), each with a deadline; none sleeps.

import { EventEmitter } from 'node:events';
import { DBusError, Message, MessageBus, Variant, sessionBus } from '@jellybrick/dbus-next';
import { callWithDeadline, whenConnected } from '../../service/dbus/bus.js';
import { waitFor } from './wait.js';

export const SERVICE = 'me.phyllo.Switcher1';
export const MANAGER_PATH = '/me/phyllo/Switcher1';
export const MANAGER = 'me.phyllo.Switcher1.Manager';
export const GUEST = 'me.phyllo.Switcher1.Guest';
/** The message flag that lets the service have polkit ask the user. */
export const ALLOW_INTERACTIVE_AUTHORIZATION = 0x4;

export interface RecordedSignal {
  path: string;
  interface: string;
  member: string;
  body: unknown[];
  at: bigint;
}

const DBUS: [string, string, string] = ['org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus'];

export class TestClient {
  readonly signals: RecordedSignal[] = [];
  /** Emits 'signal' with each signal recorded. */
  readonly events = new EventEmitter();
  private readonly matches = new Set<string>();
  private readonly onMessage = (message: Message): void => {
    if (message.type !== 4) return;
    const signal = {
      path: message.path,
      interface: message.interface,
      member: message.member,
      body: message.body,
      at: process.hrtime.bigint(),
    };
    this.signals.push(signal);
    this.events.emit('signal', signal);
  };

  private constructor(readonly bus: MessageBus) {}

  static async connect(address: string): Promise<TestClient> {
    const bus = sessionBus({ busAddress: address });
    await whenConnected(bus, 5_000);
    const client = new TestClient(bus);
    bus.on('message', client.onMessage);
    return client;
  }

  /** Records every signal our service (or the given sender) sends. */
  async watch(sender = SERVICE): Promise<void> {
    await this.addMatch(`type='signal',sender='${sender}'`);
  }

  /** Records the signals a match rule selects (each rule added once). */
  async addMatch(rule: string): Promise<void> {
    if (this.matches.has(rule)) return;
    await this.call(...DBUS, 'AddMatch', 's', [rule]);
    this.matches.add(rule);
  }

  async call(
    destination: string,
    path: string,
    iface: string | undefined,
    member: string,
    signature = '',
    body: unknown[] = [],
    timeoutMs = 10_000,
    /** Message flags, e.g. ALLOW_INTERACTIVE_AUTHORIZATION. */
    flags = 0,
  ): Promise<unknown[]> {
    const message = new Message({
      destination,
      path,
      member,
      signature,
      body,
      flags,
      ...(iface ? { interface: iface } : {}),
    });
    const reply = await callWithDeadline(this.bus, message, timeoutMs);
    return reply.body;
  }

  /** Calls our service; resolves to the reply body. */
  service(
    path: string,
    iface: string,
    member: string,
    signature = '',
    body: unknown[] = [],
    timeoutMs?: number,
  ): Promise<unknown[]> {
    return this.call(SERVICE, path, iface, member, signature, body, timeoutMs);
  }

  /** The D-Bus error name a call to our service fails with, or 'ok'. */
  async errorOf(
    path: string,
    iface: string | undefined,
    member: string,
    signature = '',
    body: unknown[] = [],
    flags = 0,
  ): Promise<string> {
    try {
      await this.call(SERVICE, path, iface, member, signature, body, undefined, flags);
      return 'ok';
    } catch (error) {
      if (error instanceof DBusError) return error.type;
      throw error;
    }
  }

  async listGuests(): Promise<string[]> {
    const [paths] = await this.service(MANAGER_PATH, MANAGER, 'ListGuests');
    return paths as string[];
  }

  async properties(path: string, iface = GUEST): Promise<Record<string, unknown>> {
    const [all] = await this.service(path, 'org.freedesktop.DBus.Properties', 'GetAll', 's', [iface]);
    return Object.fromEntries(Object.entries(all as Record<string, Variant>).map(([k, v]) => [k, v.value]));
  }

  async property(path: string, iface: string, name: string): Promise<unknown> {
    const [value] = await this.service(path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [iface, name]);
    return (value as Variant).value;
  }

  async guestByName(name: string): Promise<string> {
    const [path] = await this.service(MANAGER_PATH, MANAGER, 'FindGuest', 's', [name]);
    return path as string;
  }

  /** The PID of the process that owns a name (well-known or unique), as the bus says. */
  async pidOf(name: string): Promise<number> {
    const [pid] = await this.call(
      'org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus',
      'GetConnectionUnixProcessID',
      's',
      [name],
    );
    return Number(pid);
  }

  /** Whether a name has an owner on the bus now. */
  async hasOwner(name: string): Promise<boolean> {
    return this.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetNameOwner', 's', [
      name,
    ]).then(
      () => true,
      () => false,
    );
  }

  /** Waits until `owner` (still running) has taken `name` on the bus: woken by NameOwnerChanged. */
  async waitForName(
    name: string,
    owner: { name: string; running: boolean; output(): string; exited?: Promise<unknown> },
    timeoutMs = 10_000,
  ): Promise<void> {
    await this.addMatch(`type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${name}'`);
    const exited = new EventEmitter();
    void owner.exited?.then(() => exited.emit('exit'));
    await waitFor(
      async () => {
        if (await this.hasOwner(name)) return true;
        if (!owner.running) throw new Error(`${owner.name} exited: ${owner.output()}`);
        return false;
      },
      {
        what: () => `${name} to appear: ${owner.output()}`,
        timeoutMs,
        on: [
          [this.events, 'signal'],
          [exited, 'exit'],
        ],
      },
    );
  }

  /** Waits until `name` has an owner on the bus (whoever starts it): woken by NameOwnerChanged. */
  async waitForOwner(name: string, timeoutMs = 10_000): Promise<void> {
    await this.addMatch(`type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${name}'`);
    await waitFor(() => this.hasOwner(name), { what: `${name} on the bus`, timeoutMs, on: [[this.events, 'signal']] });
  }

  /** A guest's path once the service knows it (it may still be reading it from libvirt): woken by GuestAdded. */
  async waitForGuest(name: string, timeoutMs = 10_000): Promise<string> {
    await this.addMatch(`type='signal',sender='${SERVICE}',path='${MANAGER_PATH}',member='GuestAdded'`);
    return waitFor(() => this.guestByName(name).catch(() => ''), {
      what: `guest ${name}`,
      timeoutMs,
      on: [[this.events, 'signal']],
    });
  }

  /** Waits until a recorded signal (from index `from` on) satisfies match. */
  async waitForSignal(match: (s: RecordedSignal) => boolean, timeoutMs = 5_000, from = 0): Promise<RecordedSignal> {
    return waitFor(() => this.signals.slice(from).find(match), {
      what: () => `a matching signal; saw ${this.signals.map((s) => `${s.member}@${s.path}`).join(', ')}`,
      timeoutMs,
      on: [[this.events, 'signal']],
    });
  }

  /** Waits until a guest property has a value, re-reading it on each PropertiesChanged of that object. */
  async waitForProperty(path: string, name: string, expected: unknown, timeoutMs = 5_000): Promise<void> {
    await this.waitForPropertyThat(path, name, (value) => value === expected, { timeoutMs, wanted: String(expected) });
  }

  /** Resolves to a property's value (a guest's by default) once `check` accepts it, re-read on each PropertiesChanged of that object. */
  async waitForPropertyThat<T>(
    path: string,
    name: string,
    check: (value: T) => boolean,
    {
      timeoutMs = 5_000,
      iface = GUEST,
      wanted = 'as wanted',
    }: { timeoutMs?: number; iface?: string; wanted?: string } = {},
  ): Promise<T> {
    await this.addMatch(
      `type='signal',sender='${SERVICE}',path='${path}',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'`,
    );
    let value: unknown;
    await waitFor(
      async () => {
        value = await this.property(path, iface, name).catch(() => undefined);
        return value !== undefined && check(value as T);
      },
      {
        what: () => `${name} of ${path} to be ${wanted} (it is ${String(value)})`,
        timeoutMs,
        on: [[this.events, 'signal']],
      },
    );
    return value as T;
  }

  disconnect(): void {
    this.bus.off('message', this.onMessage);
    this.bus.disconnect();
  }
}

/** A PropertiesChanged signal of a guest that carries the property `name`. */
export function propertiesChanged(path: string, name: string, value?: unknown): (s: RecordedSignal) => boolean {
  return (s) => {
    if (s.member !== 'PropertiesChanged' || s.path !== path) return false;
    const changed = s.body[1] as Record<string, Variant>;
    return name in changed && (value === undefined || changed[name]?.value === value);
  };
}
