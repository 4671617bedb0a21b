// systemd-logind (org.freedesktop.login1) on the system bus: seats, their
// sessions, which session a process belongs to, and moving a device to a
// seat. Its signals say when to look again; nothing polls.

import { EventEmitter } from 'node:events';
import { errorMessage, SwitcherError } from '../errors.js';
import { BUS_DAEMON, BUS_DAEMON_PATH, callWithDeadline, DBusError, Message, type MessageBus } from '../dbus/bus.js';
import { NameWatcher } from '../dbus/name-watcher.js';

export const LOGIND = 'org.freedesktop.login1';
const PATH = '/org/freedesktop/login1';
const MANAGER = 'org.freedesktop.login1.Manager';
const SESSION = 'org.freedesktop.login1.Session';
const USER = 'org.freedesktop.login1.User';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
const ERROR = 'org.freedesktop.login1';
const SIGNALS = ['SeatNew', 'SeatRemoved', 'SessionNew', 'SessionRemoved'];
const UNREACHABLE = new Set([
  'org.freedesktop.DBus.Error.ServiceUnknown',
  'org.freedesktop.DBus.Error.NameHasNoOwner',
  'org.freedesktop.DBus.Error.NoReply',
  'org.freedesktop.DBus.Error.Disconnected',
]);

export interface LogindSession {
  id: string;
  seat: string;
  path: string;
}

export interface LogindSessionFacts {
  id: string;
  /** '' for a session on no seat. */
  seat: string;
  /** The foreground session of its seat. */
  active: boolean;
  remote: boolean;
}

/** logind's own refusal of a call (NoSessionForPID, NoSuchUser, AccessDenied…), with its D-Bus error name. */
export class LogindRefusal extends SwitcherError {
  constructor(
    readonly dbusName: string,
    message: string,
  ) {
    super('InvalidState', message);
  }
}

export interface LogindEvents {
  /** Seats or sessions came or went, or logind (re)appeared: read them again. */
  changed: [];
}

export class LogindClient extends EventEmitter<LogindEvents> {
  private readonly watcher: NameWatcher;
  private readonly onMessage = (message: Message): void => {
    if (
      message.type === 4 &&
      message.interface === MANAGER &&
      SIGNALS.includes(message.member) &&
      message.sender === this.watcher.owner
    ) {
      this.emit('changed');
    }
  };

  constructor(
    private readonly bus: MessageBus,
    private readonly timeoutMs = 5_000,
  ) {
    super();
    this.watcher = new NameWatcher(bus, LOGIND, timeoutMs);
  }

  get available(): boolean {
    return this.watcher.owner !== '';
  }

  async start(): Promise<void> {
    this.bus.on('message', this.onMessage);
    await this.call(BUS_DAEMON, BUS_DAEMON_PATH, BUS_DAEMON, 'AddMatch', 's', [
      `type='signal',sender='${LOGIND}',path='${PATH}',interface='${MANAGER}'`,
    ]);
    this.watcher.on('owner', () => this.emit('changed'));
    await this.watcher.start();
  }

  stop(): void {
    this.bus.off('message', this.onMessage);
    this.watcher.stop();
    this.removeAllListeners();
  }

  async seats(): Promise<string[]> {
    const [seats] = await this.logind('ListSeats');
    return (seats as [string, string][]).map(([id]) => id).sort();
  }

  async sessions(): Promise<LogindSession[]> {
    const [sessions] = await this.logind('ListSessions');
    return (sessions as [string, number, string, string, string][]).map(([id, , , seat, path]) => ({ id, seat, path }));
  }

  /**
   * The object path of the session a process belongs to; '' when logind
   * places it in none (NoSessionForPID: a system service, or a GNOME Shell
   * run as a systemd user unit). Any other failure throws.
   */
  async sessionOfPid(pid: number): Promise<string> {
    try {
      const [path] = (await this.logind('GetSessionByPID', 'u', [pid])) as [string];
      return path;
    } catch (error) {
      if (error instanceof LogindRefusal && error.dbusName === `${ERROR}.NoSessionForPID`) return '';
      throw error;
    }
  }

  /**
   * The object path of the session a user has on a display (logind's
   * User.Display: where mutter and polkit place a process of no session of
   * its own); '' when the user has none, or no session at all.
   */
  async displaySessionOf(uid: number): Promise<string> {
    let user: string;
    try {
      [user] = (await this.logind('GetUser', 'u', [uid])) as [string];
    } catch (error) {
      if (error instanceof LogindRefusal && error.dbusName === `${ERROR}.NoSuchUser`) return '';
      throw error;
    }
    const [display] = await this.call(LOGIND, user, PROPERTIES, 'Get', 'ss', [USER, 'Display']);
    const [, path] = ((display as { value?: unknown }).value ?? []) as [string?, string?];
    return path && path !== '/' ? path : '';
  }

  /** What logind says of a session: its id, seat ('' for none), and whether it is active and remote. */
  async session(path: string): Promise<LogindSessionFacts> {
    const [all] = await this.call(LOGIND, path, PROPERTIES, 'GetAll', 's', [SESSION]);
    const value = (name: string): unknown => (all as Record<string, { value?: unknown }>)[name]?.value;
    const [seat] = (value('Seat') ?? []) as [string?];
    return {
      id: String(value('Id') ?? ''),
      seat: seat ?? '',
      active: value('Active') === true,
      remote: value('Remote') !== false,
    };
  }

  /** Moves a device (by sysfs path) to a seat; logind writes the udev rule and retriggers it. */
  async attachDevice(seat: string, sysfsPath: string): Promise<void> {
    await this.logind('AttachDevice', 'ssb', [seat, sysfsPath, false]);
  }

  private logind(member: string, signature = '', body: unknown[] = []): Promise<unknown[]> {
    return this.call(LOGIND, PATH, MANAGER, member, signature, body);
  }

  private async call(
    destination: string,
    path: string,
    iface: string,
    member: string,
    signature: string,
    body: unknown[],
  ): Promise<unknown[]> {
    try {
      const reply = await callWithDeadline(
        this.bus,
        new Message({ destination, path, interface: iface, member, signature, body }),
        this.timeoutMs,
      );
      return reply.body;
    } catch (error) {
      if (error instanceof DBusError && !UNREACHABLE.has(error.type)) {
        // logind's own refusal (InvalidArgs, NoSessionForPID, AccessDenied…), in its words.
        throw new LogindRefusal(error.type, `logind: ${error.text || error.message} (${error.type})`);
      }
      throw new SwitcherError('NotConnected', `systemd-logind is not reachable: ${errorMessage(error)}`);
    }
  }
}
