// The fake logind and polkit (test/support/logind-mock.ts), proved with plain
// D-Bus calls on its bus, the way our service talks to the real ones.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Variant } from '@jellybrick/dbus-next';
import { TestClient } from '../support/dbus-client.js';
import {
  LOGIND,
  LOGIND_MANAGER,
  LOGIND_PATH,
  LogindMock,
  POLKIT,
  POLKIT_AUTHORITY,
  POLKIT_PATH,
  dbusErrorOf,
  seatPath,
  sessionPath,
  userPath,
} from '../support/logind-mock.js';
import { ProcessGroup } from '../support/processes.js';

const PROPS = 'org.freedesktop.DBus.Properties';
const SEAT = 'org.freedesktop.login1.Seat';
const SESSION = 'org.freedesktop.login1.Session';
const ERR = 'org.freedesktop.login1';
const USB = '/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2';
const ACTION = 'me.phyllo.switcher.manage-other-seat';

let group: ProcessGroup;
let mock: LogindMock;
let client: TestClient;

function manager(member: string, signature = '', body: unknown[] = []): Promise<unknown[]> {
  return client.call(LOGIND, LOGIND_PATH, LOGIND_MANAGER, member, signature, body);
}

async function properties(path: string, iface: string): Promise<Record<string, unknown>> {
  const [all] = await client.call(LOGIND, path, PROPS, 'GetAll', 's', [iface]);
  return Object.fromEntries(Object.entries(all as Record<string, Variant>).map(([k, v]) => [k, v.value]));
}

type Subject = [string, Record<string, Variant>];

function checkAuthorization(actionId: string, timeoutMs?: number, subject?: Subject, flags = 0): Promise<unknown[]> {
  const who: Subject = subject ?? [
    'unix-process',
    { pid: new Variant('u', process.pid), 'start-time': new Variant('t', 0n) },
  ];
  return client.call(
    POLKIT,
    POLKIT_PATH,
    POLKIT_AUTHORITY,
    'CheckAuthorization',
    '(sa{sv})sa{ss}us',
    [who, actionId, {}, flags, ''],
    timeoutMs,
  );
}

/** Two seats with a session each, as on a host with two sets of screen, keyboard and mouse. */
async function twoSeats(): Promise<void> {
  await mock.addSeat('seat0');
  await mock.addSeat('seat1');
  await mock.addSession('2', 'seat0', 1000, 'alice', { leaderPid: 4242 });
  await mock.addSession('c1', 'seat1', 1001, 'bob', { leaderPid: 4343 });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeEach(async () => {
  group = new ProcessGroup();
  mock = await LogindMock.start(group);
  client = await TestClient.connect(mock.address);
});

afterEach(async () => {
  client.disconnect();
  const pids = mock.pids;
  await mock.stop();
  await group.stopAll();
  expect(pids.filter(alive)).toEqual([]);
});

describe('the fake logind', () => {
  it('lists two seats with a session each, with logind’s paths and properties', async () => {
    await twoSeats();
    const [seats] = await manager('ListSeats');
    expect((seats as [string, string][]).sort()).toEqual([
      ['seat0', '/org/freedesktop/login1/seat/seat0'],
      ['seat1', '/org/freedesktop/login1/seat/seat1'],
    ]);
    const [sessions] = await manager('ListSessions');
    expect((sessions as unknown[][]).sort()).toEqual([
      // logind escapes a leading digit: session "2" lives at …/session/_32.
      ['2', 1000, 'alice', 'seat0', '/org/freedesktop/login1/session/_32'],
      ['c1', 1001, 'bob', 'seat1', '/org/freedesktop/login1/session/c1'],
    ]);
    expect(await manager('GetSeat', 's', ['seat1'])).toEqual([seatPath('seat1')]);
    expect(await manager('GetSession', 's', ['2'])).toEqual([sessionPath('2')]);
    expect(await manager('GetUser', 'u', [1000])).toEqual([userPath(1000)]);

    const seat1 = await properties(seatPath('seat1'), SEAT);
    expect(seat1).toMatchObject({
      Id: 'seat1',
      CanGraphical: true,
      Sessions: [['c1', sessionPath('c1')]],
      ActiveSession: ['c1', sessionPath('c1')],
    });
    const session = await properties(sessionPath('2'), SESSION);
    expect(session).toMatchObject({
      Id: '2',
      Seat: ['seat0', seatPath('seat0')],
      User: [1000, userPath(1000)],
      Name: 'alice',
      Leader: 4242,
      Active: true,
      State: 'active',
      Class: 'user',
    });
    // The way our service reads a session's seat.
    const [seat] = await client.call(LOGIND, sessionPath('c1'), PROPS, 'Get', 'ss', [SESSION, 'Seat']);
    expect((seat as Variant).value).toEqual(['seat1', seatPath('seat1')]);
  });

  it('refuses unknown names as logind does', async () => {
    await twoSeats();
    expect(await dbusErrorOf(manager('GetSeat', 's', ['seat9']))).toBe(`${ERR}.NoSuchSeat`);
    expect(await dbusErrorOf(manager('GetSession', 's', ['77']))).toBe(`${ERR}.NoSuchSession`);
    expect(await dbusErrorOf(manager('GetUser', 'u', [4711]))).toBe(`${ERR}.NoSuchUser`);
    // "self" is the caller's session, and a test process has none.
    expect(await dbusErrorOf(manager('GetSession', 's', ['self']))).toBe(`${ERR}.NoSessionForPID`);
  });

  it('answers GetSessionByPID for bound PIDs and refuses the others', async () => {
    await twoSeats();
    expect(await manager('GetSessionByPID', 'u', [4242])).toEqual([sessionPath('2')]);
    expect(await dbusErrorOf(manager('GetSessionByPID', 'u', [process.pid]))).toBe(`${ERR}.NoSessionForPID`);
    await mock.bindPid(process.pid, 'c1');
    expect(await manager('GetSessionByPID', 'u', [process.pid])).toEqual([sessionPath('c1')]);
    await mock.unbindPid(process.pid);
    expect(await dbusErrorOf(manager('GetSessionByPID', 'u', [process.pid]))).toBe(`${ERR}.NoSessionForPID`);
    // A session's PIDs leave with it.
    await mock.removeSession('2');
    expect(await dbusErrorOf(manager('GetSessionByPID', 'u', [4242]))).toBe(`${ERR}.NoSessionForPID`);
  });

  it("answers session/self and session/auto as the caller's session, auto falling back to its user's display", async () => {
    const self = `${LOGIND_PATH}/session/self`;
    const auto = `${LOGIND_PATH}/session/auto`;
    await twoSeats();
    // This process is in no session, and its user (root here) has none yet.
    expect(await dbusErrorOf(properties(self, SESSION))).toBe(`${ERR}.NoSessionForPID`);
    expect(await dbusErrorOf(properties(auto, SESSION))).toBe(`${ERR}.NoSessionForPID`);
    // A graphical login of this process's user: its Display, which GNOME Shell 50 finds through session/auto.
    await mock.addSession('c7', 'seat0', process.getuid?.() ?? 0, 'me', { active: false });
    expect(await properties(auto, SESSION)).toMatchObject({ Id: 'c7', Seat: ['seat0', seatPath('seat0')] });
    const [id] = await client.call(LOGIND, auto, PROPS, 'Get', 'ss', [SESSION, 'Id']);
    expect((id as Variant).value).toBe('c7');
    expect(await dbusErrorOf(properties(self, SESSION))).toBe(`${ERR}.NoSessionForPID`);
    // Its own session, once logind places its PID in one, for both.
    await mock.bindPid(process.pid, 'c1');
    expect(await properties(self, SESSION)).toMatchObject({ Id: 'c1' });
    expect(await properties(auto, SESSION)).toMatchObject({ Id: 'c1' });
    await mock.unbindPid(process.pid);
    expect(await properties(auto, SESSION)).toMatchObject({ Id: 'c7' });
  });

  it('sends SeatNew, SessionNew, SessionRemoved and SeatRemoved, keeping Seat.Sessions right', async () => {
    await twoSeats();
    await client.watch(LOGIND);
    const from = client.signals.length;
    const isManager = (member: string) => (s: { interface: string; member: string; path: string }) =>
      s.interface === LOGIND_MANAGER && s.member === member && s.path === LOGIND_PATH;

    await mock.addSeat('seat2');
    expect((await client.waitForSignal(isManager('SeatNew'), 5_000, from)).body).toEqual(['seat2', seatPath('seat2')]);
    await mock.addSession('c7', 'seat1', 1002, 'carol', { active: false });
    expect((await client.waitForSignal(isManager('SessionNew'), 5_000, from)).body).toEqual(['c7', sessionPath('c7')]);
    expect((await client.waitForSignal(isManager('UserNew'), 5_000, from)).body).toEqual([1002, userPath(1002)]);
    expect((await properties(seatPath('seat1'), SEAT)).Sessions).toEqual([
      ['c1', sessionPath('c1')],
      ['c7', sessionPath('c7')],
    ]);
    // Not activated: seat1 keeps its active session.
    expect((await properties(seatPath('seat1'), SEAT)).ActiveSession).toEqual(['c1', sessionPath('c1')]);

    await mock.removeSession('c1');
    expect((await client.waitForSignal(isManager('SessionRemoved'), 5_000, from)).body).toEqual([
      'c1',
      sessionPath('c1'),
    ]);
    const seat1 = await properties(seatPath('seat1'), SEAT);
    expect(seat1.Sessions).toEqual([['c7', sessionPath('c7')]]);
    expect(seat1.ActiveSession).toEqual(['', '/']);
    const changed = client.signals
      .slice(from)
      .find((s) => s.member === 'PropertiesChanged' && s.path === seatPath('seat1'));
    expect(Object.keys((changed?.body[1] ?? {}) as object)).toEqual(['ActiveSession']);

    await mock.removeSeat('seat1');
    const removed = await client.waitForSignal(isManager('SeatRemoved'), 5_000, from);
    expect(removed.body).toEqual(['seat1', seatPath('seat1')]);
    // Its remaining session went first, as logind stops a seat's sessions before the seat.
    const order = client.signals
      .slice(from)
      .filter((s) => s.member.startsWith('Se') && s.interface === LOGIND_MANAGER)
      .map((s) => `${s.member} ${String(s.body[0])}`);
    expect(order).toEqual([
      'SeatNew seat2',
      'SessionNew c7',
      'SessionRemoved c1',
      'SessionRemoved c7',
      'SeatRemoved seat1',
    ]);
    const [seats] = await manager('ListSeats');
    expect((seats as [string, string][]).map(([id]) => id).sort()).toEqual(['seat0', 'seat2']);
    const [sessions] = await manager('ListSessions');
    expect((sessions as unknown[][]).map(([id]) => id)).toEqual(['2']);
  });

  it('records AttachDevice and refuses what logind refuses', async () => {
    await twoSeats();
    expect(await manager('AttachDevice', 'ssb', ['seat1', USB, false])).toEqual([]);
    // logind accepts a valid seat name that has no seat yet: attaching a
    // master device is how a seat comes into being.
    expect(await manager('AttachDevice', 'ssb', ['seat5', `${USB}.1`, true])).toEqual([]);
    expect(await mock.attachedDevices()).toEqual([
      { seat: 'seat1', sysfsPath: USB, interactive: false },
      { seat: 'seat5', sysfsPath: `${USB}.1`, interactive: true },
    ]);

    const invalid = 'org.freedesktop.DBus.Error.InvalidArgs';
    expect(await dbusErrorOf(manager('AttachDevice', 'ssb', ['desk1', USB, false]))).toBe(invalid);
    expect(await dbusErrorOf(manager('AttachDevice', 'ssb', ['seat1', '/dev/bus/usb/001/002', false]))).toBe(invalid);
    expect(await dbusErrorOf(manager('AttachDevice', 'ssb', ['seat1', `${USB}/../1-3`, false]))).toBe(invalid);
    expect(await dbusErrorOf(manager('AttachDevice', 'ssb', ['self', USB, false]))).toBe(`${ERR}.NoSessionForPID`);
    await mock.refuseDevice(`${USB}.9`);
    expect(await dbusErrorOf(manager('AttachDevice', 'ssb', ['seat1', `${USB}.9`, false]))).toBe('System.Error.ENODEV');
    // The refused calls moved nothing.
    expect(await mock.attachedDevices()).toHaveLength(2);
  });
});

describe('the fake polkit', () => {
  const inProcess = (pid: number, uid: number): Subject => [
    'unix-process',
    { pid: new Variant('u', pid), 'start-time': new Variant('t', 0n), uid: new Variant('i', uid) },
  ];
  const answer = async (subject: Subject, flags = 0): Promise<unknown[]> =>
    ((await checkAuthorization(ACTION, undefined, subject, flags))[0] as unknown[]).slice(0, 2);
  const YES = [true, false];
  const CHALLENGE = [false, true];
  const NO = [false, false];

  it("decides by the subject's session, from the action's defaults and per-user rules, and records the checks", async () => {
    await twoSeats();
    await mock.addSession('3', 'seat0', 1002, 'cy', { active: false });
    await mock.bindPid(4444, '3');
    // allow_active auth_admin_keep: the active local session may, after authenticating.
    expect(await answer(inProcess(4242, 1000))).toEqual(CHALLENGE);
    // A process in no session of its own, whose user has one on a display (logind's User.Display): that one counts.
    expect(await answer(inProcess(5555, 1001))).toEqual(CHALLENGE);
    // allow_inactive no; allow_any no (no session at all).
    expect(await answer(inProcess(4444, 1002))).toEqual(NO);
    expect(await answer(inProcess(6666, 1003))).toEqual(NO);
    // With user interaction allowed, the agent answers; auth_admin_keep is kept for that session.
    await mock.polkitAgent('no');
    expect(await answer(inProcess(4242, 1000), 1)).toEqual(NO);
    await mock.polkitAgent('yes');
    expect(await answer(inProcess(4242, 1000), 1)).toEqual(YES);
    await mock.polkitAgent('none');
    expect(await answer(inProcess(4242, 1000))).toEqual(YES);
    expect(await answer(inProcess(4343, 1001))).toEqual(CHALLENGE);
    // A rule for a user comes before the defaults.
    await mock.polkitRule(ACTION, 1003, 'yes');
    expect(await answer(inProcess(6666, 1003))).toEqual(YES);
    await mock.clearPolkitRules();
    expect(await answer(inProcess(6666, 1003))).toEqual(NO);
    expect(await answer(inProcess(4242, 1000))).toEqual(CHALLENGE);
    // Unknown actions: no.
    expect(((await checkAuthorization('org.example.other', undefined, inProcess(4242, 1000)))[0] as unknown[])[0]).toBe(
      false,
    );

    const checks = await mock.checkedActions();
    expect(checks).toHaveLength(12);
    expect(checks[0]).toEqual({
      actionId: ACTION,
      subject: { kind: 'unix-process', details: { pid: 4242, 'start-time': 0n, uid: 1000 } },
      details: {},
      flags: 0,
    });
    expect(checks[4]?.flags).toBe(1);
    await mock.clearCheckedActions();
    expect(await mock.checkedActions()).toEqual([]);
  });

  it('names a system-bus-name subject through the bus, as polkitd does', async () => {
    await twoSeats();
    await mock.bindPid(process.pid, '2');
    expect(await answer(['system-bus-name', { name: new Variant('s', client.bus.name as string) }])).toEqual(CHALLENGE);
    await mock.unbindPid(process.pid);
    // Root (this test) has no session, nor one on a display: allow_any.
    expect(await answer(['system-bus-name', { name: new Variant('s', client.bus.name as string) }])).toEqual(NO);
  });

  it('can hang, and can go away, so that a caller must cope with no answer', async () => {
    await twoSeats();
    await mock.polkitRule(ACTION, 1000, 'yes');
    await mock.hang(true);
    await expect(checkAuthorization(ACTION, 300, inProcess(4242, 1000))).rejects.toThrow(/CheckAuthorization/);
    await mock.hang(false);
    await mock.releaseHangingCalls();
    expect(await answer(inProcess(4242, 1000))).toEqual(YES);

    const pid = mock.polkitd.pid;
    await mock.stopPolkit();
    expect(alive(pid)).toBe(false);
    expect(await dbusErrorOf(checkAuthorization(ACTION, undefined, inProcess(4242, 1000)))).toBe(
      'org.freedesktop.DBus.Error.ServiceUnknown',
    );
  });
});
