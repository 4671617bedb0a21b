import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evdevInputXml } from '../../service/seats/evdev-xml.js';
import { eventNodes } from '../../service/seats/input-nodes.js';
import { seatPath } from '../../service/seats/seat-manager.js';
import { serializeSwitcherSettings, validateSeat } from '../../service/libvirt/switcher-metadata.js';
import { udevSeat } from '../../service/usb/sysfs.js';
import { validateDevicesXml } from '../support/validate-xml.js';

function validates(devicesXml: string): [number | null, string] {
  const { status, output } = validateDevicesXml(devicesXml);
  return [status, output];
}

describe("evdev input for a seat's guest", () => {
  it('grabs the keyboard with a Ctrl+Ctrl toggle and passes the mouse, valid for libvirt', () => {
    const keyboard = evdevInputXml('/dev/input/event5', 'keyboard');
    const mouse = evdevInputXml('/dev/input/by-id/usb-Logitech_USB_Optical_Mouse-event-mouse', 'mouse');
    expect(keyboard).toBe(
      '<input type="evdev"><source dev="/dev/input/event5" grab="all" grabToggle="ctrl-ctrl" repeat="on"/></input>',
    );
    expect(mouse).toBe(
      '<input type="evdev"><source dev="/dev/input/by-id/usb-Logitech_USB_Optical_Mouse-event-mouse"/></input>',
    );
    expect(validates(keyboard + mouse)).toEqual([0, 'FILE validates']);
  });

  it('takes only input device nodes', () => {
    for (const bad of ['/dev/sda', '/dev/input/../sda', '/dev/input/event5"/><x', 'event5']) {
      expect(() => evdevInputXml(bad, 'keyboard')).toThrow(/not an input device node/);
    }
  });

  it("finds a USB device's event nodes below its interfaces in sysfs", async () => {
    const root = mkdtempSync(join(tmpdir(), 'phyllome-sys-'));
    try {
      for (const [iface, input, event] of [
        ['1-2:1.0', 'input5', 'event5'],
        ['1-2:1.1', 'input6', 'event6'],
      ]) {
        mkdirSync(
          join(
            root,
            'bus/usb/devices/1-2',
            iface as string,
            '0003:413C:2113.0001/input',
            input as string,
            event as string,
          ),
          { recursive: true },
        );
      }
      expect(await eventNodes(root, '1-2')).toEqual(['/dev/input/event5', '/dev/input/event6']);
      expect(await eventNodes(root, '1-3')).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('seats', () => {
  it("are kept in the guest's metadata, by valid name only", () => {
    expect(serializeSwitcherSettings({ monitor: '', headMonitors: [], usbRules: [], seat: 'seat1' })).toBe(
      '<switcher><seat id="seat1"></seat></switcher>'.replace('></seat>', '/>'),
    );
    expect(() => validateSeat('seat 1')).toThrow(/not a seat name/);
    expect(() => validateSeat('../x')).toThrow(/not a seat name/);
    expect(validateSeat('seat-2_b')).toBe('seat-2_b');
  });

  it('have object paths from their ids', () => {
    expect(seatPath('seat0')).toBe('/me/phyllo/Switcher1/seat/seat0');
    expect(seatPath('seat-2')).toBe('/me/phyllo/Switcher1/seat/seat_2');
  });

  it("read a device's seat from udev's database, seat0 when untagged", async () => {
    const root = mkdtempSync(join(tmpdir(), 'phyllome-udev-'));
    try {
      mkdirSync(join(root, 'sys/bus/usb/devices/1-2'), { recursive: true });
      mkdirSync(join(root, 'sys/bus/usb/devices/1-3'), { recursive: true });
      mkdirSync(join(root, 'data'));
      writeFileSync(join(root, 'sys/bus/usb/devices/1-2/dev'), '189:2\n');
      writeFileSync(join(root, 'sys/bus/usb/devices/1-3/dev'), '189:3\n');
      writeFileSync(join(root, 'data/c189:2'), 'I:123\nE:ID_SEAT=seat1\nG:seat\nQ:seat\n');
      expect(await udevSeat(join(root, 'data'), join(root, 'sys'), '1-2')).toBe('seat1');
      expect(await udevSeat(join(root, 'data'), join(root, 'sys'), '1-3')).toBe('seat0');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
