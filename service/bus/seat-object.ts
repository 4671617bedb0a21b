// me.phyllo.Switcher1.Seat on /me/phyllo/Switcher1/seat/<id>.

import { SEAT_INTERFACE, type SeatProperties } from '../contract/switcher1.js';
import { invalidArgument } from '../errors.js';
import type { Authority } from '../seats/authority.js';
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

  readonly methods: InterfaceImpl<typeof SEAT_INTERFACE>['methods'] = {
    AssignGuest: async ([guest], caller) => {
      await this.authority.require(caller.sender, this.id, `This seat (${this.id})`);
      await this.seats.assignGuest(this.id, guest);
      return [];
    },
    AttachDevice: async ([path], caller) => {
      await this.authority.require(caller.sender, this.id, `This seat (${this.id})`);
      const deviceId = usbDeviceIdFromPath(path);
      if (!deviceId) throw invalidArgument(`${path} is not one of our USB devices`);
      // Taking a device from a seat is acting on that seat too.
      await this.authority.require(caller.sender, this.seats.seatOfDevice(deviceId), `That device (${deviceId})`);
      await this.seats.attachDevice(this.id, deviceId);
      return [];
    },
    PassInput: async ([enable], caller) => {
      await this.authority.require(caller.sender, this.id, `This seat (${this.id})`);
      await this.seats.passInput(this.id, enable);
      return [];
    },
  };
}
