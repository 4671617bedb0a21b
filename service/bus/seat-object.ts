// me.phyllo.Switcher1.Seat on /me/phyllo/Switcher1/seat/<id>.

import type { SeatManager } from '../seats/seat-manager.js';
import type { Authority } from '../seats/authority.js';
import { usbDeviceIdFromPath, usbDevicePath } from '../usb/usb-device.js';
import { invalidArgument } from '../errors.js';
import type { InterfaceImpl } from './exporter.js';

export const SEAT_INTERFACE = 'me.phyllo.Switcher1.Seat';

export class SeatObject implements InterfaceImpl {
  readonly interfaceName = SEAT_INTERFACE;

  constructor(
    private readonly id: string,
    private readonly seats: SeatManager,
    private readonly authority: Authority,
  ) {}

  /** The properties that change (Id does not). */
  changing(): Record<string, unknown> {
    return {
      Guest: this.getProperty('Guest'),
      Devices: this.getProperty('Devices'),
      Sessions: this.getProperty('Sessions'),
    };
  }

  getProperty(name: string): unknown {
    switch (name) {
      case 'Id':
        return this.id;
      case 'Guest':
        return this.seats.guestOf(this.id) ?? '/';
      case 'Devices':
        return this.seats.devicesOf(this.id).map(usbDevicePath);
      case 'Sessions':
        return this.seats.get(this.id)?.sessions ?? [];
      default:
        throw new Error(`no property ${name}`);
    }
  }

  async call(method: string, args: unknown[], sender: string): Promise<unknown[]> {
    // Acting on a seat is acting on what belongs to it.
    await this.authority.require(sender, this.id, `This seat (${this.id})`);
    switch (method) {
      case 'AssignGuest':
        await this.seats.assignGuest(this.id, args[0] as string);
        return [];
      case 'AttachDevice': {
        const path = args[0] as string;
        const deviceId = usbDeviceIdFromPath(path);
        if (!deviceId) throw invalidArgument(`${path} is not one of our USB devices`);
        // Taking a device from a seat is acting on that seat too.
        await this.authority.require(sender, this.seats.seatOfDevice(deviceId), `That device (${deviceId})`);
        await this.seats.attachDevice(this.id, deviceId);
        return [];
      }
      case 'PassInput':
        await this.seats.passInput(this.id, args[0] as boolean);
        return [];
      default:
        throw new Error(`no method ${method}`);
    }
  }
}
