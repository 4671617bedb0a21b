// Seats against a faithful fake systemd-logind and polkit (python-dbusmock,
// extended with logind's real API), with USB devices replayed by umockdev and
// the service inside that world: seats and sessions live, a guest per seat
// kept in libvirt, devices moved to a seat through logind, and who may act
// on another seat's guest decided by polkit - any failure refusing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceStack } from '../support/stack.js';
import { GUEST, MANAGER, MANAGER_PATH, propertiesChanged } from '../support/dbus-client.js';
import { defineTestGuest, switcherMetadata } from '../support/libvirt.js';
import { LogindMock, sessionPath } from '../support/logind-mock.js';
import { UsbLab } from '../support/usb-lab.js';
import { startServiceInLab, type LabService } from '../support/usb-service.js';

const SEAT = 'me.phyllo.Switcher1.Seat';
const ERR = 'me.phyllo.Switcher1.Error';
const OTHER_SEAT = 'me.phyllo.switcher.manage-other-seat';
const seat = (id: string): string => `/me/phyllo/Switcher1/seat/${id}`;

let stack: ServiceStack;
let logind: LogindMock;
let lab: UsbLab;
let service: LabService;
let test: string;

/** Puts this test process (the caller) in a session on `seatId`. */
async function sitAt(seatId: string): Promise<void> {
  await logind.unbindPid(process.pid).catch(() => undefined);
  await logind.bindPid(process.pid, seatId === 'seat0' ? 'c0' : 'c1');
}

beforeAll(async () => {
  stack = await ServiceStack.start({ withService: false });
  logind = await LogindMock.start(stack.group);
  await logind.addSeat('seat0');
  await logind.addSeat('seat1');
  await logind.addSession('c0', 'seat0', 1000, 'ada');
  await logind.addSession('c1', 'seat1', 1001, 'bob');
  lab = await UsbLab.start({ group: stack.group });
  for (const name of ['xhci-root-hub', 'dell-kb216', 'logitech-mouse']) await lab.add(name);
  service = await startServiceInLab(stack, lab, 'test:///default', ['--system-bus', logind.address]);
  await stack.client.watch();
  test = await stack.client.guestByName('test');
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await lab?.stop();
  await logind?.stop();
  await stack?.stop();
});

describe('seats', () => {
  it("are logind's, with their sessions and devices", async () => {
    const [seats] = await stack.client.service(MANAGER_PATH, MANAGER, 'ListSeats');
    expect(seats).toEqual([seat('seat0'), seat('seat1')]);
    expect(await stack.client.properties(seat('seat1'), SEAT)).toEqual({
      Id: 'seat1',
      Guest: '/',
      Devices: [],
      Sessions: [sessionPath('c1')],
    });
    // Untagged devices are on seat0.
    expect(await stack.client.property(seat('seat0'), SEAT, 'Devices')).toEqual([
      '/me/phyllo/Switcher1/usb/1_2',
      '/me/phyllo/Switcher1/usb/1_3',
    ]);
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
    await logind.addSession('c9', 'seat1', 1002, 'cy');
    await stack.client.waitForSignal(propertiesChanged(seat('seat1'), 'Sessions'), 5_000, from);
    expect(await stack.client.property(seat('seat1'), SEAT, 'Sessions')).toEqual(
      [sessionPath('c1'), sessionPath('c9')].sort(),
    );
    await logind.removeSession('c9');
  });
});

describe('a guest per seat', () => {
  it("is kept in the guest's libvirt metadata", async () => {
    await sitAt('seat1');
    await stack.client.service(seat('seat1'), SEAT, 'AssignGuest', 'o', [test]);
    expect(await stack.client.property(test, GUEST, 'Seat')).toBe('seat1');
    expect(await stack.client.property(seat('seat1'), SEAT, 'Guest')).toBe(test);
    expect(await switcherMetadata(stack, 'test')).toContain('<seat id="seat1"/>');
  });

  it('takes the seat from the guest that had it', async () => {
    const uuid = await defineTestGuest(stack, 'second');
    const second = await stack.client.waitForGuest('second');
    expect(second).toContain(uuid.replace(/-/g, '_'));
    await stack.client.service(seat('seat1'), SEAT, 'AssignGuest', 'o', [second]);
    expect(await stack.client.property(seat('seat1'), SEAT, 'Guest')).toBe(second);
    expect(await stack.client.property(test, GUEST, 'Seat')).toBe('');
    await stack.client.service(seat('seat1'), SEAT, 'AssignGuest', 'o', ['/']);
    expect(await stack.client.property(second, GUEST, 'Seat')).toBe('');
  });
});

describe("another seat's guest", () => {
  it('is refused without polkit, changing nothing', async () => {
    await sitAt('seat0');
    await stack.client.service(seat('seat0'), SEAT, 'AssignGuest', 'o', [test]);
    await sitAt('seat1');
    await logind.clearCheckedActions();
    expect(await stack.client.errorOf(test, GUEST, 'Pause')).toBe(`${ERR}.AccessDenied`);
    expect(await stack.client.errorOf(seat('seat0'), SEAT, 'AssignGuest', 'o', ['/'])).toBe(`${ERR}.AccessDenied`);
    expect(await stack.client.property(test, GUEST, 'State')).toBe('running');
    expect((await logind.checkedActions()).map((c) => c.actionId)).toContain(OTHER_SEAT);
  });

  it('is allowed when polkit says yes', async () => {
    await logind.allow([OTHER_SEAT]);
    await stack.client.service(test, GUEST, 'Pause');
    await stack.client.waitForProperty(test, 'State', 'paused');
    await stack.client.service(test, GUEST, 'Resume');
    await logind.allow([]);
  });

  it('is fine from its own seat', async () => {
    await sitAt('seat0');
    await stack.client.service(test, GUEST, 'Pause');
    await stack.client.waitForProperty(test, 'State', 'paused');
    await stack.client.service(test, GUEST, 'Resume');
  });
});

describe('devices', () => {
  it('move to a seat through logind, and taking one from another seat needs polkit', async () => {
    await sitAt('seat1');
    const keyboard = '/me/phyllo/Switcher1/usb/1_2';
    expect(await stack.client.errorOf(seat('seat1'), SEAT, 'AttachDevice', 'o', [keyboard])).toBe(
      `${ERR}.AccessDenied`,
    );
    expect(await logind.attachedDevices()).toEqual([]);
    await logind.allow([OTHER_SEAT]);
    const from = stack.client.signals.length;
    await stack.client.service(seat('seat1'), SEAT, 'AttachDevice', 'o', [keyboard]);
    await logind.allow([]);
    expect(await logind.attachedDevices()).toEqual([
      { seat: 'seat1', sysfsPath: '/sys/bus/usb/devices/1-2', interactive: false },
    ]);
    await stack.client.waitForSignal(propertiesChanged(seat('seat1'), 'Devices'), 5_000, from);
    expect(await stack.client.property(seat('seat1'), SEAT, 'Devices')).toEqual([keyboard]);
    expect(await stack.client.property(seat('seat0'), SEAT, 'Devices')).toEqual(['/me/phyllo/Switcher1/usb/1_3']);
  });

  it('give no input to a guest when the seat has none with an input node', async () => {
    await sitAt('seat1');
    await stack.client.service(seat('seat1'), SEAT, 'AssignGuest', 'o', [await stack.client.waitForGuest('second')]);
    await stack.client.service(await stack.client.waitForGuest('second'), GUEST, 'Start');
    await stack.client.waitForProperty(await stack.client.waitForGuest('second'), 'State', 'running');
    // The recorded keyboard has no HID/input children (see test/fixtures/usb/README.md).
    expect(await stack.client.errorOf(seat('seat1'), SEAT, 'PassInput', 'b', [true])).toBe(`${ERR}.InvalidState`);
    expect(await stack.client.errorOf(seat('seatX'), SEAT, 'PassInput', 'b', [true])).toBe(`${ERR}.InvalidArgument`);
  });
});

// Last: it takes polkit away.
describe('with polkit failing', () => {
  beforeAll(async () => {
    await sitAt('seat1');
  });

  it('is refused when polkit hangs or is gone', async () => {
    await logind.hang(true);
    expect(await stack.client.errorOf(test, GUEST, 'Pause')).toBe(`${ERR}.AccessDenied`);
    await logind.hang(false);
    await logind.releaseHangingCalls();
    await logind.stopPolkit();
    expect(await stack.client.errorOf(test, GUEST, 'Pause')).toBe(`${ERR}.AccessDenied`);
    expect(await stack.client.property(test, GUEST, 'State')).toBe('running');
  }, 30_000);
});
