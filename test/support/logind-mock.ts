// A fake systemd-logind and polkit on a private "system" bus: python-dbusmock's
// logind template, completed with what our service uses of the real
// org.freedesktop.login1 API (see logind-mock/logind_extras.py), and a polkitd
// that decides as the real one does, by who asks: the subject's session and
// uid, our .policy file's defaults, per-user rules and an authentication agent
// (logind-mock/polkitd_by_subject.py). Every process is started in the
// caller's ProcessGroup and stopped by PID.

import { resolve } from 'node:path';
import { DBusError, Variant } from '@jellybrick/dbus-next';
import { TestClient } from './dbus-client.js';
import type { PrivateBus } from './private-bus.js';
import { startPrivateBus } from './private-bus.js';
import type { ProcessGroup, TrackedProcess } from './processes.js';
import { ROOT } from './root.js';

export const LOGIND = 'org.freedesktop.login1';
export const LOGIND_PATH = '/org/freedesktop/login1';
export const LOGIND_MANAGER = 'org.freedesktop.login1.Manager';
export const POLKIT = 'org.freedesktop.PolicyKit1';
export const POLKIT_PATH = '/org/freedesktop/PolicyKit1/Authority';
export const POLKIT_AUTHORITY = 'org.freedesktop.PolicyKit1.Authority';
const MOCK = 'org.freedesktop.DBus.Mock';
/** Debian's python3: the one with the dbus and gi modules dbusmock needs. */
const PYTHON = '/usr/bin/python3';
const EXTRAS_DIR = resolve(ROOT, 'test/support/logind-mock');
/** polkitd deciding by subject (logind-mock/polkitd_by_subject.py), with our actions' defaults. */
const POLKIT_TEMPLATE = resolve(EXTRAS_DIR, 'polkitd_by_subject.py');
const POLICY = resolve(ROOT, 'data/me.phyllo.switcher.policy');

const EXTRAS = resolve(EXTRAS_DIR, 'logind_extras.py');

function dbusmockEnv(address: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DBUS_SYSTEM_BUS_ADDRESS: address,
    PYTHONPATH: EXTRAS_DIR,
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
  };
}

function startDbusmock(
  group: ProcessGroup,
  address: string,
  template: string,
  parameters?: Record<string, unknown>,
): TrackedProcess {
  const env = dbusmockEnv(address);
  const args = ['-m', 'dbusmock', '--system', '--template', template];
  if (parameters) args.push('--parameters', JSON.stringify(parameters));
  return group.start(`dbusmock-${template.includes('polkit') ? 'polkitd' : 'logind'}`, PYTHON, args, { env });
}

/** What logind's path encoding (sd_bus_path_encode) makes of an id. */
export function busLabel(id: string): string {
  if (id === '') return '_';
  let out = '';
  for (const [i, char] of [...id].entries()) {
    if (/[A-Za-z]/.test(char) || (i > 0 && /[0-9]/.test(char))) out += char;
    else for (const byte of Buffer.from(char)) out += `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

export const seatPath = (id: string): string => `${LOGIND_PATH}/seat/${busLabel(id)}`;
export const sessionPath = (id: string): string => `${LOGIND_PATH}/session/${busLabel(id)}`;
export const userPath = (uid: number): string => `${LOGIND_PATH}/user/_${uid}`;

export interface SessionOptions {
  /** Session.Leader; this PID is bound to the session for GetSessionByPID. */
  leaderPid?: number;
  /** Becomes its seat's ActiveSession (default true; never for a seatless session). */
  active?: boolean;
  type?: string;
  class?: string;
  desktop?: string;
  service?: string;
  vtnr?: number;
  tty?: string;
  display?: string;
  remote?: boolean;
}

export interface AttachedDevice {
  seat: string;
  sysfsPath: string;
  interactive: boolean;
}

export interface PolkitCheck {
  actionId: string;
  /** The subject's kind ('unix-process', 'system-bus-name', …) and its details, unwrapped. */
  subject: { kind: string; details: Record<string, unknown> };
  details: Record<string, string>;
  flags: number;
}

/** The D-Bus error name a call fails with, or 'ok'. */
export async function dbusErrorOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    if (error instanceof DBusError) return error.type;
    throw error;
  }
}

function unwrap(value: unknown): unknown {
  return value instanceof Variant ? unwrap(value.value) : value;
}

export class LogindMock {
  private constructor(
    private readonly group: ProcessGroup,
    readonly bus: PrivateBus,
    /** The bus's dbus-daemon, when this helper started it. */
    readonly daemon: TrackedProcess | undefined,
    public logind: TrackedProcess,
    public polkitd: TrackedProcess,
    /** The helper's own connection, for the mock's control calls. */
    readonly control: TestClient,
    /** The .policy files polkit reads, kept to start it again the same. */
    private readonly policies: string[],
  ) {}

  /**
   * Starts fake logind and polkit on `options.bus` (a private "system" bus
   * started elsewhere), or on a private bus of their own.
   */
  static async start(
    group: ProcessGroup,
    /** policies: the .policy files polkit reads (ours, as installed, by default). */
    options: { bus?: PrivateBus; policies?: string[] } = {},
  ): Promise<LogindMock> {
    // A bus of its own is stopped by PID and its directory removed with the mock (stop()).
    const bus = options.bus ?? (await startPrivateBus(group));
    const daemon = options.bus ? undefined : bus.daemon;
    const logind = startDbusmock(group, bus.address, 'logind');
    const policies = options.policies ?? [POLICY];
    const polkitd = startDbusmock(group, bus.address, POLKIT_TEMPLATE, { policies });
    let control: TestClient | undefined;
    try {
      control = await TestClient.connect(bus.address);
      const mock = new LogindMock(group, bus, daemon, logind, polkitd, control, policies);
      await mock.control.waitForName(POLKIT, polkitd);
      await mock.completeLogind();
      return mock;
    } catch (error) {
      control?.disconnect();
      for (const process of [polkitd, logind, daemon]) await process?.stop();
      if (!options.bus) bus.dispose();
      throw error;
    }
  }

  /** Waits for logind on the bus and gives it what the template lacks of the real API (logind_extras.py). */
  private async completeLogind(): Promise<void> {
    await this.control.waitForName(LOGIND, this.logind);
    const completing = this.group.start('logind_extras complete', PYTHON, [EXTRAS, 'complete'], {
      env: dbusmockEnv(this.bus.address),
    });
    if ((await completing.exited) !== 0) throw new Error(`logind_extras.py complete failed: ${completing.output()}`);
  }

  /** Takes logind off the bus (its process stopped by PID): calls to it then fail with ServiceUnknown. */
  async stopLogind(): Promise<void> {
    await this.logind.stop();
  }

  /**
   * Starts logind again, empty (a restarted logind reads its state back from
   * /run; the test adds the seats and sessions again).
   */
  async startLogind(): Promise<void> {
    if (this.logind.running) throw new Error('logind is running');
    this.logind = startDbusmock(this.group, this.bus.address, 'logind');
    await this.completeLogind();
  }

  /** The private bus to use as the system bus (DBUS_SYSTEM_BUS_ADDRESS). */
  get address(): string {
    return this.bus.address;
  }

  /** Starts polkit again after stopPolkit, with no rules, no agent and no calls recorded. */
  async startPolkit(): Promise<void> {
    if (this.polkitd.running) throw new Error('polkit is running');
    this.polkitd = startDbusmock(this.group, this.bus.address, POLKIT_TEMPLATE, { policies: this.policies });
    await this.control.waitForName(POLKIT, this.polkitd);
  }

  /** PIDs of everything this helper started. */
  get pids(): number[] {
    return [...(this.daemon ? [this.daemon.pid] : []), this.logind.pid, this.polkitd.pid];
  }

  private logindControl(member: string, signature = '', body: unknown[] = []): Promise<unknown[]> {
    return this.control.call(LOGIND, LOGIND_PATH, MOCK, member, signature, body);
  }

  private polkitControl(member: string, signature = '', body: unknown[] = []): Promise<unknown[]> {
    return this.control.call(POLKIT, POLKIT_PATH, MOCK, member, signature, body);
  }

  // --- logind -------------------------------------------------------------

  /** The ids of logind's seats, as its ListSeats answers. */
  async seats(): Promise<string[]> {
    const [rows] = await this.control.call(LOGIND, LOGIND_PATH, LOGIND_MANAGER, 'ListSeats');
    return (rows as [string, string][]).map(([id]) => id);
  }

  /** logind's sessions, as its ListSessions answers. */
  async sessions(): Promise<{ id: string; uid: number; seat: string }[]> {
    const [rows] = await this.control.call(LOGIND, LOGIND_PATH, LOGIND_MANAGER, 'ListSessions');
    return (rows as [string, number, string, string, string][]).map(([id, uid, , seat]) => ({ id, uid, seat }));
  }

  /** Adds a seat and emits SeatNew; resolves to its object path. */
  async addSeat(id: string, options: { canGraphical?: boolean } = {}): Promise<string> {
    const [path] = await this.logindControl('PhylloAddSeat', 'sb', [id, options.canGraphical ?? true]);
    return path as string;
  }

  /** Ends the seat's sessions (SessionRemoved each), then removes it (SeatRemoved). */
  async removeSeat(id: string): Promise<void> {
    await this.logindControl('PhylloRemoveSeat', 's', [id]);
  }

  /**
   * Adds a session on an existing seat ('' for none) and emits SessionNew
   * (after UserNew if the user is new); it is listed in the seat's and the
   * user's Sessions. Resolves to its object path.
   */
  async addSession(
    sessionId: string,
    seatId: string,
    uid: number,
    user: string,
    options: SessionOptions = {},
  ): Promise<string> {
    const extra: Record<string, Variant> = {};
    const strings = {
      type: 'Type',
      class: 'Class',
      desktop: 'Desktop',
      service: 'Service',
      tty: 'TTY',
      display: 'Display',
    };
    for (const [key, property] of Object.entries(strings)) {
      const value = options[key as keyof typeof strings];
      if (value !== undefined) extra[property] = new Variant('s', value);
    }
    if (options.vtnr !== undefined) extra.VTNr = new Variant('u', options.vtnr);
    if (options.remote !== undefined) extra.Remote = new Variant('b', options.remote);
    if (options.active !== undefined) extra.Active = new Variant('b', options.active);
    const [path] = await this.logindControl('PhylloAddSession', 'ssusua{sv}', [
      sessionId,
      seatId,
      uid,
      user,
      options.leaderPid ?? 0,
      extra,
    ]);
    return path as string;
  }

  /** Removes a session (SessionRemoved; UserRemoved after the user's last one) and unbinds its PIDs. */
  async removeSession(sessionId: string): Promise<void> {
    await this.logindControl('PhylloRemoveSession', 's', [sessionId]);
  }

  /** Makes a session the active one of its seat, as a switch of VT or a greeter does (logind's ActivateSession). */
  async activate(sessionId: string): Promise<void> {
    await this.control.call(LOGIND, LOGIND_PATH, LOGIND_MANAGER, 'ActivateSession', 's', [sessionId]);
  }

  /** GetSessionByPID(pid) will answer this session (which must exist). */
  async bindPid(pid: number, sessionId: string): Promise<void> {
    await this.logindControl('PhylloBindPid', 'us', [pid, sessionId]);
  }

  async unbindPid(pid: number): Promise<void> {
    await this.logindControl('PhylloUnbindPid', 'u', [pid]);
  }

  /** Every AttachDevice call logind accepted, in order. */
  async attachedDevices(): Promise<AttachedDevice[]> {
    const [rows] = await this.logindControl('PhylloAttachedDevices');
    return (rows as [string, string, boolean][]).map(([seat, sysfsPath, interactive]) => ({
      seat,
      sysfsPath,
      interactive,
    }));
  }

  /**
   * AttachDevice of this path fails with this error from now on, as real logind
   * does for a device it cannot open ('org.freedesktop.DBus.Error.FileNotFound')
   * or one without the udev 'seat' tag ('System.Error.ENODEV'). errorName ''
   * accepts it again.
   */
  async refuseDevice(sysfsPath: string, errorName = 'System.Error.ENODEV', message = ''): Promise<void> {
    const text = message || `Device '${sysfsPath}' lacks 'seat' udev tag.`;
    await this.logindControl('PhylloRefuseDevice', 'sss', [sysfsPath, errorName, text]);
  }

  // --- polkit -------------------------------------------------------------

  /**
   * For this action, subjects of this uid get `result` (yes, no, auth_admin,
   * auth_admin_keep…) before the action's defaults: a polkit.addRule() for a user.
   */
  async polkitRule(actionId: string, uid: number, result: string): Promise<void> {
    await this.polkitControl('PhylloAddRule', 'sus', [actionId, uid, result]);
  }

  /** No rules and nothing kept from an authentication: the .policy defaults alone. */
  async clearPolkitRules(): Promise<void> {
    await this.polkitControl('PhylloClearRules');
  }

  /** What the authentication agent answers when polkit may ask the user: yes, no, or none (no agent). */
  async polkitAgent(answer: 'yes' | 'no' | 'none'): Promise<void> {
    await this.polkitControl('PhylloSetAgent', 's', [answer]);
  }

  /** While true, CheckAuthorization never answers (until releaseHangingCalls). */
  async hang(hanging: boolean): Promise<void> {
    await this.polkitControl('SimulateHang', 'b', [hanging]);
  }

  /** Answers the calls held by hang(true). */
  async releaseHangingCalls(): Promise<void> {
    await this.polkitControl('ReleaseHangingCalls');
  }

  /** Every CheckAuthorization polkit received (answered or not), in order. */
  async checkedActions(): Promise<PolkitCheck[]> {
    const [calls] = await this.polkitControl('GetMethodCalls', 's', ['CheckAuthorization']);
    return (calls as [bigint, Variant[]][]).map(([, args]) => {
      const [subject, actionId, details, flags] = args.map(unwrap) as [
        [string, Record<string, Variant>],
        string,
        Record<string, string>,
        number,
      ];
      const subjectDetails = Object.fromEntries(Object.entries(subject[1]).map(([k, v]) => [k, unwrap(v)]));
      return { actionId, subject: { kind: subject[0], details: subjectDetails }, details, flags };
    });
  }

  async clearCheckedActions(): Promise<void> {
    await this.polkitControl('ClearCalls');
  }

  /** Takes polkit off the bus (its process stopped by PID): calls then fail with ServiceUnknown. */
  async stopPolkit(): Promise<void> {
    await this.polkitd.stop();
  }

  /** Stops polkit, logind and (when it started it) the bus, each by PID, and removes the bus's directory. */
  async stop(): Promise<void> {
    this.control.disconnect();
    for (const process of [this.polkitd, this.logind, this.daemon]) await process?.stop();
    if (this.daemon) this.bus.dispose();
  }
}
