// me.phyllo.Switcher1.Seat on /me/phyllo/Switcher1/seat/<id>.

import { SEAT_INTERFACE, type SeatProperties } from '../contract/switcher1.js';
import { invalidArgument } from '../errors.js';
import type { Authority } from '../access/authority.js';
import type { SeatManager } from '../seats/seat-manager.js';
import { usbDeviceIdFromPath, usbDevicePath } from '../usb/usb-device.js';
import type { InterfaceImpl } from './exporter.js';

export { SEAT_INTERFACE };

export class SeatObject implements InterfaceImpl<typeof SEAT_INTERFACE> {
  readonly interfaceName = SEAT_INTERFACE;

  constructor(
    private readonly id: string,
    private readonly seats: SeatManager,
    private readonly authority: Authority,
  ) {}

  properties(): SeatProperties {
    return {
      Id: this.id,
      Guest: this.seats.guestOf(this.id) ?? '/',
      Devices: this.seats.devicesOf(this.id).map(usbDevicePath),
      Sessions: this.seats.get(this.id)?.sessions ?? [],
    };
  }

  /** The properties that change (Id does not). */
  changing(): Partial<SeatProperties> {
    const { Guest, Devices, Sessions } = this.properties();
    return { Guest, Devices, Sessions };
  }

  // Each: its arguments checked, then the caller (on every seat the call touches), then the action.
  readonly methods: InterfaceImpl<typeof SEAT_INTERFACE>['methods'] = {
    AssignGuest: async ([guest], caller) => {
      const seats = this.seats.assignTargets(this.id, guest);
      await this.authority.require(caller, seats, `the seats ${seats.filter(Boolean).join(' and ')}`);
      await this.seats.assignGuest(this.id, guest);
      return [];
    },
    AttachDevice: async ([path], caller) => {
      const deviceId = usbDeviceIdFromPath(path);
      if (!deviceId) throw invalidArgument(`${path} is not one of our USB devices`);
      const seats = this.seats.attachTargets(this.id, deviceId);
      await this.authority.require(caller, seats, `the USB device at ${deviceId} and ${this.id}`);
      await this.seats.attachDevice(this.id, deviceId);
      return [];
    },
    PassInput: async ([enable], caller) => {
      const seats = this.seats.passInputTargets(this.id);
      await this.authority.require(caller, seats, `the input devices of ${this.id}`);
      await this.seats.passInput(this.id, enable);
      return [];
    },
  };
}
