// Seats as a boundary, against a faithful fake systemd-logind and a polkit
// that decides by who asks (python-dbusmock, extended with logind's real API
// and polkitd's rules), with USB devices replayed by umockdev and the
// per-user service inside that world. The caller is this test process: logind
// puts it in a session on a seat, in none (as a GNOME Shell run as a systemd
// user unit, placed by its user's display session), or nowhere at all.
// Arguments are checked first, then the caller, then the service acts; every
// refusal changes nothing; no answer from logind or polkit is a refusal.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Variant } from '@jellybrick/dbus-next';
import { ServiceStack } from '../support/stack.js';
import {
  ALLOW_INTERACTIVE_AUTHORIZATION,
  GUEST,
  MANAGER,
  MANAGER_PATH,
  propertiesChanged,
} from '../support/dbus-client.js';
import { defineTestGuest, libvirtState, switcherMetadata } from '../support/libvirt.js';
import { LogindMock, sessionPath } from '../support/logind-mock.js';
import { UsbLab } from '../support/usb-lab.js';
import { waitFor } from '../support/wait.js';
import { startServiceInLab, type LabService } from '../support/usb-service.js';

const SEAT = 'me.phyllo.Switcher1.Seat';
const USB = 'me.phyllo.Switcher1.UsbDevice';
const ERR = 'me.phyllo.Switcher1.Error';
const DENIED = `${ERR}.AccessDenied`;
const OTHER_SEAT = 'me.phyllo.switcher.manage-other-seat';
const KEYBOARD = '/me/phyllo/Switcher1/usb/1_2';
const MOUSE = '/me/phyllo/Switcher1/usb/1_3';
const RUNNING = 1;
const PAUSED = 3;
const seat = (id: string): string => `/me/phyllo/Switcher1/seat/${id}`;
/** This test process's uid, which polkit's rules name. */
const ME = process.getuid?.() ?? 0;

let stack: ServiceStack;
let logind: LogindMock;
let lab: UsbLab;
let service: LabService;
let test: string;
let second: string;
let third: string;
/** Whether the service runs on the fake logind's bus (one test starts it on none). */
let serviceSeesLogind = true;

/** Puts this test process (the caller) in the active session of `seatId`. */
async function sitAt(seatId: string): Promise<void> {
  await logind.unbindPid(process.pid);
  await logind.bindPid(process.pid, seatId === 'seat0' ? 'c0' : 'c1');
}

/** Takes this process out of every session: logind places it nowhere. */
async function standUp(): Promise<void> {
  await logind.unbindPid(process.pid);
}

const call = (path: string, iface: string, member: string, signature = '', body: unknown[] = []) =>
  stack.client.service(path, iface, member, signature, body);
const errorOf = (path: string, iface: string, member: string, signature = '', body: unknown[] = [], flags = 0) =>
  stack.client.errorOf(path, iface, member, signature, body, flags);
const checks = async (): Promise<{ actionId: string; flags: number; subject: string }[]> =>
  (await logind.checkedActions()).map((c) => ({
    actionId: c.actionId,
    flags: c.flags,
    subject: `${c.subject.kind}:${String(c.subject.details.pid)}`,
  }));
const state = (name: string): Promise<number> => libvirtState(stack, name);

async function twoSeats(): Promise<void> {
  await logind.addSeat('seat0');
  await logind.addSeat('seat1');
  await logind.addSession('c0', 'seat0', 1000, 'ada');
  await logind.addSession('c1', 'seat1', 1001, 'bob');
}

beforeAll(async () => {
  stack = await ServiceStack.start({ withService: false });
  logind = await LogindMock.start(stack.group);
  await twoSeats();
  lab = await UsbLab.start({ group: stack.group });
  for (const name of ['xhci-root-hub', 'dell-kb216', 'logitech-mouse']) await lab.add(name);
  service = await startServiceInLab(stack, lab, 'test:///default', ['--system-bus', logind.address]);
  await stack.client.watch();
  test = await stack.client.guestByName('test');
  await defineTestGuest(stack, 'second');
  await defineTestGuest(stack, 'third');
  second = await stack.client.waitForGuest('second');
  third = await stack.client.waitForGuest('third');
}, 60_000);

/** The two seats with their one active session each, and nothing else: what every test starts from. */
async function resetLogind(): Promise<void> {
  if (!logind.polkitd.running) await logind.startPolkit();
  await logind.hang(false);
  await logind.releaseHangingCalls();
  await logind.polkitAgent('none');
  await logind.clearPolkitRules();
  if (!logind.logind.running) await logind.startLogind();
  const seats = await logind.seats();
  for (const id of seats) if (id !== 'seat0' && id !== 'seat1') await logind.removeSeat(id);
  for (const id of ['seat0', 'seat1']) if (!seats.includes(id)) await logind.addSeat(id);
  const sessions = await logind.sessions();
  for (const { id } of sessions) if (id !== 'c0' && id !== 'c1') await logind.removeSession(id);
  if (!sessions.some((s) => s.id === 'c0')) await logind.addSession('c0', 'seat0', 1000, 'ada');
  if (!sessions.some((s) => s.id === 'c1')) await logind.addSession('c1', 'seat1', 1001, 'bob');
  await logind.activate('c0');
  await logind.activate('c1');
  if (!serviceSeesLogind) {
    await service.stop();
    service = await startServiceInLab(stack, lab, 'test:///default', ['--system-bus', logind.address]);
    serviceSeesLogind = true;
  }
  // The service follows logind's signals: a test starts once it has seen all of the above.
  const seen = async (): Promise<boolean> => {
    const [ids] = await call(MANAGER_PATH, MANAGER, 'ListSeats').catch(() => [[]]);
    if (JSON.stringify(ids) !== JSON.stringify([seat('seat0'), seat('seat1')])) return false;
    for (const [id, session] of [
      ['seat0', 'c0'],
      ['seat1', 'c1'],
    ] as const) {
      const sessions = await stack.client.property(seat(id), SEAT, 'Sessions').catch(() => []);
      if (JSON.stringify(sessions) !== JSON.stringify([sessionPath(session)])) return false;
    }
    return true;
  };
  await waitFor(seen, { what: "the service to see logind's two seats", on: [[stack.client.events, 'signal']] });
}

/**
 * test on seat0, second on seat1, third on none; all three running; the
 * focus on the host; no USB rules; both devices on seat0. Mended with
 * polkit's yes, as an administrator would, then polkit's record cleared and
 * the caller placed nowhere: each test sits where it needs.
 */
async function resetService(): Promise<void> {
  await standUp();
  await logind.polkitRule(OTHER_SEAT, ME, 'yes');
  for (const [guest, seatId] of [
    [test, 'seat0'],
    [second, 'seat1'],
  ] as const) {
    if ((await stack.client.property(guest, GUEST, 'Seat')) !== seatId)
      await call(seat(seatId), SEAT, 'AssignGuest', 'o', [guest]);
  }
  if ((await stack.client.property(third, GUEST, 'Seat')) !== '') {
    const where = (await stack.client.property(third, GUEST, 'Seat')) as string;
    await call(seat(where), SEAT, 'AssignGuest', 'o', ['/']);
  }
  for (const guest of [test, second, third]) {
    const now = await stack.client.property(guest, GUEST, 'State');
    if (now === 'paused') await call(guest, GUEST, 'Resume');
    else if (now !== 'running') await call(guest, GUEST, 'Start');
    await stack.client.waitForProperty(guest, 'State', 'running');
    if (((await stack.client.property(guest, GUEST, 'UsbRules')) as unknown[]).length > 0)
      for (const device of [KEYBOARD, MOUSE]) await call(device, USB, 'SetRule', 'oss', [guest, '', 'device']);
  }
  await call(MANAGER_PATH, MANAGER, 'SetFocusedGuest', 'o', ['/']);
  for (const device of [KEYBOARD, MOUSE]) {
    if (!((await stack.client.property(seat('seat0'), SEAT, 'Devices')) as string[]).includes(device))
      await call(seat('seat0'), SEAT, 'AttachDevice', 'o', [device]);
  }
  await logind.clearPolkitRules();
  await logind.clearCheckedActions();
}

beforeEach(async () => {
  await resetLogind();
  await resetService();
}, 30_000);

afterAll(async () => {
  await service?.stop();
  await lab?.stop();
  await logind?.stop();
  await stack?.stop();
});

describe('seats', () => {
  it("are logind's, with their sessions, devices and guests", async () => {
    const [seats] = await call(MANAGER_PATH, MANAGER, 'ListSeats');
    expect(seats).toEqual([seat('seat0'), seat('seat1')]);
    expect(await stack.client.properties(seat('seat1'), SEAT)).toEqual({
      Id: 'seat1',
      Guest: second,
      Devices: [],
      Sessions: [sessionPath('c1')],
    });
    // Untagged devices are on seat0.
    expect(await stack.client.property(seat('seat0'), SEAT, 'Devices')).toEqual([KEYBOARD, MOUSE]);
    expect(await stack.client.property(MANAGER_PATH, MANAGER, 'Scope')).toBe('user');
    // Kept in each guest's own libvirt metadata.
    expect(await switcherMetadata(stack, 'test')).toContain('<seat id="seat0"/>');
    expect(await switcherMetadata(stack, 'second')).toContain('<seat id="seat1"/>');
  });

  it('come and go live, from logind signals', async () => {
    const from = stack.client.signals.length;
    await logind.addSeat('seat2');
    expect((await stack.client.waitForSignal((s) => s.member === 'SeatAdded', 5_000, from)).body).toEqual([
      seat('seat2'),
    ]);
    await logind.removeSeat('seat2');
    expect((await stack.client.waitForSignal((s) => s.member === 'SeatRemoved', 5_000, from)).body).toEqual([
      seat('seat2'),
    ]);
    await logind.addSession('c9', 'seat1', 1002, 'cy', { active: false });
    await stack.client.waitForSignal(propertiesChanged(seat('seat1'), 'Sessions'), 5_000, from);
    expect(await stack.client.property(seat('seat1'), SEAT, 'Sessions')).toEqual(
      [sessionPath('c1'), sessionPath('c9')].sort(),
    );
    await logind.removeSession('c9');
  });
});

describe('where the caller sits', () => {
  it("is its process's session and that session's seat", async () => {
    await sitAt('seat1');
    const [where] = (await call(MANAGER_PATH, MANAGER, 'DescribeCaller')) as [Record<string, Variant>];
    expect(Object.fromEntries(Object.entries(where).map(([k, v]) => [k, v.value]))).toEqual({
      uid: ME,
      session: 'c1',
      seat: 'seat1',
      active: true,
      local: true,
    });
  });

  it('is, for a process in no session (a Shell run as a systemd user unit), its user’s display session', async () => {
    await standUp();
    // This user logs in on seat1: logind makes that session the user's Display.
    await logind.addSession('c7', 'seat1', ME, 'me');
    const [where] = (await call(MANAGER_PATH, MANAGER, 'DescribeCaller')) as [Record<string, Variant>];
    expect(where.session?.value).toBe('c7');
    expect(where.seat?.value).toBe('seat1');
    // Its own seat's guest, and one of no seat, it may act on; seat0's it may not.
    await call(second, GUEST, 'Pause');
    await call(second, GUEST, 'Resume');
    await call(third, GUEST, 'Pause');
    await call(third, GUEST, 'Resume');
    expect(await errorOf(test, GUEST, 'Pause')).toBe(DENIED);
    expect(await state('test')).toBe(RUNNING);
    await logind.removeSession('c7');
    await logind.activate('c1');
  });

  it('is nowhere for a process of no session whose user has none: polkit decides even for a guest of no seat', async () => {
    await standUp();
    expect(await errorOf(third, GUEST, 'Pause')).toBe(DENIED);
    expect(await state('third')).toBe(RUNNING);
    expect(await checks()).toEqual([{ actionId: OTHER_SEAT, flags: 0, subject: `unix-process:${process.pid}` }]);
    // What the stock templates once showed (no GetSessionByPID, polkit saying yes): allowed, because polkit said so.
    await logind.polkitRule(OTHER_SEAT, ME, 'yes');
    await call(third, GUEST, 'Pause');
    await call(third, GUEST, 'Resume');
    await call(seat('seat1'), SEAT, 'AssignGuest', 'o', [second]);
    await logind.clearPolkitRules();
  });

  it('is not in front of its seat when its session is in the background, or remote', async () => {
    await logind.addSession('c8', 'seat1', 1002, 'cy', { active: false });
    await logind.bindPid(process.pid, 'c8');
    expect(await errorOf(second, GUEST, 'Pause')).toBe(DENIED);
    await logind.removeSession('c8');
    await logind.addSession('r1', 'seat1', 1002, 'cy', { remote: true });
    await logind.bindPid(process.pid, 'r1');
    expect(await errorOf(second, GUEST, 'Pause')).toBe(DENIED);
    await logind.removeSession('r1');
    await logind.activate('c1');
    expect(await state('second')).toBe(RUNNING);
  });
});

describe("another seat's guest", () => {
  it('is refused without polkit, changing nothing', async () => {
    await sitAt('seat1');
    for (const member of ['Pause', 'ForceOff', 'Reboot', 'Show']) {
      expect(await errorOf(test, GUEST, member)).toBe(DENIED);
    }
    expect(await errorOf(test, GUEST, 'Shutdown', 'u', [5])).toBe(DENIED);
    expect(await errorOf(test, GUEST, 'SetMonitor', 's', ['DP-1'])).toBe(DENIED);
    expect(await errorOf(test, GUEST, 'SetMonitors', 'as', [['DP-1', 'DP-2']])).toBe(DENIED);
    expect(await state('test')).toBe(RUNNING);
    expect(await stack.client.property(test, GUEST, 'Monitor')).toBe('');
    expect(await stack.client.property(test, GUEST, 'Monitors')).toEqual([]);
    // Asked without user interaction: polkit cannot prompt, and says so (a challenge).
    expect((await checks()).map((c) => [c.actionId, c.flags])).toEqual(Array(7).fill([OTHER_SEAT, 0]));
  });

  it('cannot be taken to the caller’s seat', async () => {
    await sitAt('seat1');
    expect(await errorOf(seat('seat1'), SEAT, 'AssignGuest', 'o', [test])).toBe(DENIED);
    expect(await errorOf(seat('seat0'), SEAT, 'AssignGuest', 'o', ['/'])).toBe(DENIED);
    expect(await stack.client.property(test, GUEST, 'Seat')).toBe('seat0');
    expect(await stack.client.property(seat('seat1'), SEAT, 'Guest')).toBe(second);
  });

  it('is allowed when polkit says yes for this user', async () => {
    await sitAt('seat1');
    await logind.polkitRule(OTHER_SEAT, ME, 'yes');
    await call(test, GUEST, 'Pause');
    expect(await state('test')).toBe(PAUSED);
    await call(test, GUEST, 'Resume');
    await logind.clearPolkitRules();
    // A rule for someone else is nothing to this user.
    await logind.polkitRule(OTHER_SEAT, ME + 1, 'yes');
    expect(await errorOf(test, GUEST, 'Pause')).toBe(DENIED);
    await logind.clearPolkitRules();
  });

  it('asks with user interaction allowed when the call allows it, and the answer is kept', async () => {
    await sitAt('seat1');
    await logind.polkitAgent('no');
    expect(await errorOf(test, GUEST, 'Pause', '', [], ALLOW_INTERACTIVE_AUTHORIZATION)).toBe(DENIED);
    await logind.polkitAgent('yes');
    expect(await errorOf(test, GUEST, 'Pause', '', [], ALLOW_INTERACTIVE_AUTHORIZATION)).toBe('ok');
    expect(await state('test')).toBe(PAUSED);
    await logind.polkitAgent('none');
    // auth_admin_keep: this session authenticated, so the next call needs no prompt.
    await call(test, GUEST, 'Resume');
    expect((await checks()).map((c) => c.flags)).toEqual([1, 1, 0]);
    await logind.clearPolkitRules();
  });

  it('is fine from its own seat', async () => {
    await sitAt('seat0');
    await call(test, GUEST, 'Pause');
    expect(await state('test')).toBe(PAUSED);
    await call(test, GUEST, 'Resume');
  });
});

describe('arguments', () => {
  it('are checked before the caller: a bad one is the same error for everybody, and polkit is not asked', async () => {
    await sitAt('seat1');
    expect(await errorOf(test, GUEST, 'Shutdown', 'u', [0])).toBe(`${ERR}.InvalidArgument`);
    expect(await errorOf(test, GUEST, 'SetMonitor', 's', ['no such connector!'])).toBe(`${ERR}.InvalidArgument`);
    expect(await errorOf(test, GUEST, 'SetMonitors', 'as', [['DP-1', 'DP-1']])).toBe(`${ERR}.InvalidArgument`);
    expect(await errorOf(test, GUEST, 'SetDisplay', 'a{sv}', [{ heads: new Variant('u', 9) }])).toBe(
      `${ERR}.InvalidArgument`,
    );
    expect(await errorOf(KEYBOARD, USB, 'SetRule', 'oss', [test, 'sometimes', 'device'])).toBe(
      `${ERR}.InvalidArgument`,
    );
    expect(await errorOf(KEYBOARD, USB, 'Attach', 'o', ['/me/phyllo/Switcher1/guest/nope'])).toBe(`${ERR}.NoSuchGuest`);
    expect(await errorOf(seat('seat0'), SEAT, 'AssignGuest', 'o', ['/me/phyllo/Switcher1/guest/nope'])).toBe(
      `${ERR}.NoSuchGuest`,
    );
    expect(await errorOf(seat('seat0'), SEAT, 'AttachDevice', 'o', ['/me/phyllo/Switcher1/usb/9_9'])).toBe(
      `${ERR}.NoSuchDevice`,
    );
    expect(await errorOf(MANAGER_PATH, MANAGER, 'SetFocusedGuest', 'o', ['/me/phyllo/Switcher1/guest/nope'])).toBe(
      `${ERR}.NoSuchGuest`,
    );
    expect(await errorOf(test, GUEST, 'OpenDisplay')).toBe(`${ERR}.InvalidState`);
    expect(await checks()).toEqual([]);
  });
});

describe('bulk methods', () => {
  it('act only on the guests the caller may act on', async () => {
    await sitAt('seat1');
    const [paused] = await call(MANAGER_PATH, MANAGER, 'PauseAll');
    expect(paused).toEqual([second, third].sort());
    expect(await state('test')).toBe(RUNNING);
    // seat0's session resumes nothing of seat1's, and pauses its own.
    await sitAt('seat0');
    expect((await call(MANAGER_PATH, MANAGER, 'ResumeAll'))[0]).toEqual([third]);
    expect(await state('second')).toBe(PAUSED);
    expect((await call(MANAGER_PATH, MANAGER, 'PauseAll'))[0]).toEqual([test, third].sort());
    // With polkit's yes, everything.
    await logind.polkitRule(OTHER_SEAT, ME, 'yes');
    expect((await call(MANAGER_PATH, MANAGER, 'ResumeAll'))[0]).toEqual([second, test, third].sort());
    await logind.clearPolkitRules();
  });

  it('act on nothing for a caller logind places nowhere, polkit saying no', async () => {
    await standUp();
    const [paused] = await call(MANAGER_PATH, MANAGER, 'PauseAll');
    expect(paused).toEqual([]);
    for (const name of ['test', 'second', 'third']) expect(await state(name)).toBe(RUNNING);
  });
});

describe('the focus', () => {
  it('may be moved only between guests the caller may act on: devices follow it', async () => {
    await sitAt('seat1');
    expect(await errorOf(MANAGER_PATH, MANAGER, 'SetFocusedGuest', 'o', [test])).toBe(DENIED);
    await call(MANAGER_PATH, MANAGER, 'SetFocusedGuest', 'o', [second]);
    await call(MANAGER_PATH, MANAGER, 'SetFocusedGuest', 'o', ['/']);
    // seat0's session cannot take the focus from seat1's guest, nor give it to its own from there.
    await call(MANAGER_PATH, MANAGER, 'SetFocusedGuest', 'o', [second]);
    await sitAt('seat0');
    expect(await errorOf(MANAGER_PATH, MANAGER, 'SetFocusedGuest', 'o', [test])).toBe(DENIED);
    expect(await errorOf(MANAGER_PATH, MANAGER, 'SetFocusedGuest', 'o', ['/'])).toBe(DENIED);
    await sitAt('seat1');
    await call(MANAGER_PATH, MANAGER, 'SetFocusedGuest', 'o', ['/']);
  });
});

describe('devices', () => {
  it("are refused for another seat's guest even when the device is the caller's", async () => {
    await sitAt('seat0');
    // The keyboard is on seat0, the caller's; second is seat1's.
    expect(await errorOf(KEYBOARD, USB, 'SetRule', 'oss', [second, 'always', 'device'])).toBe(DENIED);
    expect(await errorOf(KEYBOARD, USB, 'Attach', 'o', [second])).toBe(DENIED);
    expect(await errorOf(KEYBOARD, USB, 'ForceAttach', 'o', [second])).toBe(DENIED);
    expect(await errorOf(KEYBOARD, USB, 'PassInput', 'ob', [second, true])).toBe(DENIED);
    expect(await stack.client.property(second, GUEST, 'UsbRules')).toEqual([]);
    // Its own seat's guest, and one of no seat: fine.
    await call(KEYBOARD, USB, 'SetRule', 'oss', [third, 'ask', 'device']);
    expect(await stack.client.property(third, GUEST, 'UsbRules')).toEqual([
      expect.objectContaining({ mode: 'ask', match_by: 'device', vendor: '413c' }),
    ]);
    await call(KEYBOARD, USB, 'SetRule', 'oss', [third, '', 'device']);
  });

  it('move to a seat through logind, and taking one from another seat needs polkit', async () => {
    await sitAt('seat1');
    // logind keeps every AttachDevice it took, the reset's own included: this test's are those after now.
    const before = (await logind.attachedDevices()).length;
    expect(await errorOf(seat('seat1'), SEAT, 'AttachDevice', 'o', [KEYBOARD])).toBe(DENIED);
    expect((await logind.attachedDevices()).slice(before)).toEqual([]);
    await logind.polkitRule(OTHER_SEAT, ME, 'yes');
    const from = stack.client.signals.length;
    await call(seat('seat1'), SEAT, 'AttachDevice', 'o', [KEYBOARD]);
    await logind.clearPolkitRules();
    expect((await logind.attachedDevices()).slice(before)).toEqual([
      { seat: 'seat1', sysfsPath: '/sys/bus/usb/devices/1-2', interactive: false },
    ]);
    await stack.client.waitForSignal(propertiesChanged(seat('seat1'), 'Devices'), 5_000, from);
    expect(await stack.client.property(seat('seat1'), SEAT, 'Devices')).toEqual([KEYBOARD]);
    expect(await stack.client.property(seat('seat0'), SEAT, 'Devices')).toEqual([MOUSE]);
    // Now the keyboard is seat1's: seat0's session may not give it to seat0's guest.
    await sitAt('seat0');
    expect(await errorOf(KEYBOARD, USB, 'SetRule', 'oss', [test, 'always', 'device'])).toBe(DENIED);
  });

  it('give no input to a guest when the seat has none with an input node', async () => {
    await sitAt('seat1');
    // The recorded keyboard has no HID/input children (see test/fixtures/usb/README.md).
    expect(await errorOf(seat('seat1'), SEAT, 'PassInput', 'b', [true])).toBe(`${ERR}.InvalidState`);
    // A seat that is not there is no object, as the contract says of every path where nothing is.
    expect(await errorOf(seat('seatX'), SEAT, 'PassInput', 'b', [true])).toBe(
      'org.freedesktop.DBus.Error.UnknownObject',
    );
  });
});

// They take logind and polkit away; the next test's reset brings them back.
describe('when logind or polkit cannot answer', () => {
  it('refuses while logind is gone, though seats are then unknown, and allows again once it is back', async () => {
    await sitAt('seat1');
    const from = stack.client.signals.length;
    await logind.stopLogind();
    await stack.client.waitForSignal((s) => s.member === 'SeatRemoved', 5_000, from);
    const [seats] = await call(MANAGER_PATH, MANAGER, 'ListSeats');
    expect(seats).toEqual([]);
    // Even its own seat's guest, and one of no seat: where the caller sits cannot be told.
    expect(await errorOf(second, GUEST, 'Pause')).toBe(DENIED);
    expect(await errorOf(third, GUEST, 'Pause')).toBe(DENIED);
    expect(await errorOf(MANAGER_PATH, MANAGER, 'PauseAll')).toBe(DENIED);
    for (const name of ['test', 'second', 'third']) expect(await state(name)).toBe(RUNNING);
    // logind comes back with its state (a real one reads it back from /run).
    await logind.startLogind();
    await twoSeats();
    await sitAt('seat1');
    await stack.client.waitForSignal((s) => s.member === 'SeatAdded', 5_000, from);
    await call(second, GUEST, 'Pause');
    await call(second, GUEST, 'Resume');
  }, 30_000);

  it('refuses when polkit hangs or is gone', async () => {
    await sitAt('seat1');
    await logind.hang(true);
    expect(await errorOf(test, GUEST, 'Pause')).toBe(DENIED);
    await logind.hang(false);
    await logind.releaseHangingCalls();
    await logind.stopPolkit();
    expect(await errorOf(test, GUEST, 'Pause')).toBe(DENIED);
    expect(await state('test')).toBe(RUNNING);
    // Its own seat's needs no polkit.
    await call(second, GUEST, 'Pause');
    await call(second, GUEST, 'Resume');
  }, 30_000);

  it('refuses every change of a service that found no system bus: no seats known is no checks passed', async () => {
    await service.stop();
    serviceSeesLogind = false;
    service = await startServiceInLab(stack, lab, 'test:///default', ['--system-bus', 'unix:path=/nonexistent']);
    expect(await stack.client.listGuests()).toHaveLength(3);
    expect(await errorOf(third, GUEST, 'Pause')).toBe(DENIED);
    expect(await errorOf(MANAGER_PATH, MANAGER, 'PauseAll')).toBe(DENIED);
    expect(await state('third')).toBe(RUNNING);
  }, 30_000);
});
