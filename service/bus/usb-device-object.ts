// me.phyllo.Switcher1.UsbDevice on /me/phyllo/Switcher1/usb/<port>.

import type { UsbManager } from '../usb/usb-manager.js';
import { noSuchDevice } from '../errors.js';
import { displayName } from '../usb/usb-device.js';
import type { Authority } from '../seats/authority.js';
import type { SeatManager } from '../seats/seat-manager.js';
import type { InterfaceImpl } from './exporter.js';

export const USB_DEVICE_INTERFACE = 'me.phyllo.Switcher1.UsbDevice';

export class UsbDeviceObject implements InterfaceImpl {
  readonly interfaceName = USB_DEVICE_INTERFACE;

  constructor(
    private readonly id: string,
    private readonly usb: UsbManager,
    private readonly authority: Authority,
    private readonly seats: Pick<SeatManager, 'passDeviceInput'>,
  ) {}

  getProperty(name: string): unknown {
    const device = this.usb.devices().find((d) => d.id === this.id);
    if (!device) throw noSuchDevice(`at port ${this.id}`);
    switch (name) {
      case 'Vendor':
        return device.vendor;
      case 'Product':
        return device.product;
      case 'Name':
        return displayName(device);
      case 'Serial':
        return device.serial;
      case 'Port':
        return device.id;
      case 'Classes':
        return device.classes;
      case 'Owner':
        return this.usb.owner(this.id);
      default:
        throw new Error(`no property ${name}`);
    }
  }

  async call(method: string, args: unknown[], sender: string): Promise<unknown[]> {
    const device = this.usb.devices().find((d) => d.id === this.id);
    if (!device) throw noSuchDevice(`at port ${this.id}`);
    // A device on another seat is that seat's.
    await this.authority.require(sender, device.seat ?? 'seat0', displayName(device));
    switch (method) {
      case 'Attach':
        await this.usb.attach(this.id, args[0] as string, false);
        return [];
      case 'ForceAttach':
        await this.usb.attach(this.id, args[0] as string, true);
        return [];
      case 'Detach':
        await this.usb.detach(this.id);
        return [];
      case 'PassInput':
        await this.seats.passDeviceInput(this.id, args[0] as string, args[1] as boolean);
        return [];
      case 'SetRule':
        await this.usb.setRule(this.id, args[0] as string, args[1] as string, args[2] as string);
        return [];
      default:
        throw new Error(`no method ${method}`);
    }
  }
}
