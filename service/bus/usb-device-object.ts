// me.phyllo.Switcher1.UsbDevice on /me/phyllo/Switcher1/usb/<port>.

import { USB_DEVICE_INTERFACE, type UsbDeviceProperties } from '../contract/switcher1.js';
import { noSuchDevice } from '../errors.js';
import type { Authority } from '../seats/authority.js';
import type { SeatManager } from '../seats/seat-manager.js';
import { displayName, type UsbDeviceInfo } from '../usb/usb-device.js';
import type { UsbManager } from '../usb/usb-manager.js';
import type { Caller, InterfaceImpl } from './exporter.js';

export { USB_DEVICE_INTERFACE };

export function usbDeviceProperties(device: UsbDeviceInfo, owner: string): UsbDeviceProperties {
  return {
    Vendor: device.vendor,
    Product: device.product,
    Name: displayName(device),
    Serial: device.serial,
    Port: device.id,
    Classes: device.classes,
    Owner: owner,
  };
}

export class UsbDeviceObject implements InterfaceImpl<typeof USB_DEVICE_INTERFACE> {
  readonly interfaceName = USB_DEVICE_INTERFACE;

  constructor(
    private readonly id: string,
    private readonly usb: UsbManager,
    private readonly authority: Authority,
    private readonly seats: Pick<SeatManager, 'passDeviceInput'>,
  ) {}

  properties(): UsbDeviceProperties {
    return usbDeviceProperties(this.device(), this.usb.owner(this.id));
  }

  readonly methods: InterfaceImpl<typeof USB_DEVICE_INTERFACE>['methods'] = {
    Attach: async ([guest], caller) => {
      await this.authorize(caller);
      await this.usb.attach(this.id, guest, false);
      return [];
    },
    ForceAttach: async ([guest], caller) => {
      await this.authorize(caller);
      await this.usb.attach(this.id, guest, true);
      return [];
    },
    Detach: async (_args, caller) => {
      await this.authorize(caller);
      await this.usb.detach(this.id);
      return [];
    },
    PassInput: async ([guest, enable], caller) => {
      await this.authorize(caller);
      await this.seats.passDeviceInput(this.id, guest, enable);
      return [];
    },
    SetRule: async ([guest, mode, matchBy], caller) => {
      await this.authorize(caller);
      await this.usb.setRule(this.id, guest, mode, matchBy);
      return [];
    },
  };

  private device(): UsbDeviceInfo {
    const device = this.usb.devices().find((d) => d.id === this.id);
    if (!device) throw noSuchDevice(`at port ${this.id}`);
    return device;
  }

  /** A device on another seat is that seat's. */
  private async authorize(caller: Caller): Promise<void> {
    const device = this.device();
    await this.authority.require(caller.sender, device.seat ?? 'seat0', displayName(device));
  }
}
