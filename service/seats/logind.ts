// systemd-logind (org.freedesktop.login1) on the system bus: seats, their
// sessions, which session a process belongs to, and moving a device to a
// seat. Its signals say when to look again; nothing polls.

import { EventEmitter } from 'node:events';
import { SwitcherError } from '../errors.js';
import { callWithDeadline, DBusError, Message, type MessageBus } from '../dbus/bus.js';
import { NameWatcher } from '../dbus/name-watcher.js';

export const LOGIND = 'org.freedesktop.login1';
const PATH = '/org/freedesktop/login1';
const MANAGER = 'org.freedesktop.login1.Manager';
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
    await this.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'AddMatch', 's', [
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
   * The seat of the session a process belongs to; '' when it has none (a
   * system service). Any other failure throws: the caller cannot be placed.
   */
  async seatOfPid(pid: number): Promise<string> {
    let session: string;
    try {
      [session] = (await this.logind('GetSessionByPID', 'u', [pid])) as [string];
    } catch (error) {
      if (error instanceof SwitcherError && error.message.endsWith('.NoSessionForPID)')) return '';
      throw error;
    }
    const [value] = await this.call(LOGIND, session, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [
      'org.freedesktop.login1.Session',
      'Seat',
    ]);
    const [seat] = ((value as { value?: unknown }).value ?? []) as [string?];
    return seat ?? '';
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
        throw new SwitcherError('InvalidState', `logind: ${error.text || error.message} (${error.type})`);
      }
      throw new SwitcherError(
        'NotConnected',
        `systemd-logind is not reachable: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
