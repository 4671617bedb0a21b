// me.phyllo.Switcher1.UsbDevice on /me/phyllo/Switcher1/usb/<port>.

import { USB_DEVICE_INTERFACE, type UsbDeviceProperties } from '../contract/switcher1.js';
import { noSuchDevice, noSuchGuest } from '../errors.js';
import type { GuestRegistry } from '../guests/registry.js';
import type { Authority } from '../access/authority.js';
import type { SeatManager } from '../seats/seat-manager.js';
import { displayName, type UsbDeviceInfo } from '../usb/usb-device.js';
import { checkRuleArguments, type UsbManager } from '../usb/usb-manager.js';
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
    private readonly registry: Pick<GuestRegistry, 'get'>,
  ) {}

  properties(): UsbDeviceProperties {
    return usbDeviceProperties(this.device(), this.usb.owner(this.id));
  }

  // Each: its arguments checked, then the caller — on the device's seat and the guest's — then the action.
  readonly methods: InterfaceImpl<typeof USB_DEVICE_INTERFACE>['methods'] = {
    Attach: async ([guest], caller) => {
      await this.authorize(caller, guest);
      await this.usb.attach(this.id, guest, false);
      return [];
    },
    ForceAttach: async ([guest], caller) => {
      await this.authorize(caller, guest);
      await this.usb.attach(this.id, guest, true);
      return [];
    },
    Detach: async (_args, caller) => {
      // Taking it back is acting on the guest that has it.
      await this.authorize(caller, this.usb.owner(this.id));
      await this.usb.detach(this.id);
      return [];
    },
    PassInput: async ([guest, enable], caller) => {
      await this.authorize(caller, guest);
      await this.seats.passDeviceInput(this.id, guest, enable);
      return [];
    },
    SetRule: async ([guest, mode, matchBy], caller) => {
      checkRuleArguments(mode, matchBy);
      await this.authorize(caller, guest);
      await this.usb.setRule(this.id, guest, mode, matchBy);
      return [];
    },
  };

  private device(): UsbDeviceInfo {
    const device = this.usb.devices().find((d) => d.id === this.id);
    if (!device) throw noSuchDevice(`at port ${this.id}`);
    return device;
  }

  /** A device is its seat's (seat0 when untagged); a guest the call names ('' for none) is its seat's. */
  private async authorize(caller: Caller, guestPath: string): Promise<void> {
    const device = this.device();
    const guest = guestPath ? this.registry.get(guestPath) : undefined;
    if (guestPath && !guest) throw noSuchGuest(`at ${guestPath}`);
    const seats = [device.seat ?? 'seat0', guest?.settings.seat ?? ''];
    await this.authority.require(
      caller,
      seats,
      guest ? `${displayName(device)} and ${guest.name}` : displayName(device),
    );
  }
}
