// The USB "ask" rule: a device just plugged in that a guest's rule says to
// ask about is offered to that guest in a notification (Attach / Not Now).
// The service may ask before our list has the device: the question then
// waits for it to arrive.

import { _ } from '../gi.js';
import type { GuestSummary } from '../model/guest-list.js';
import type { UsbSummary } from '../model/usb-list.js';
import type { Notices } from './prompts.js';

export interface UsbAskOptions {
  /** The device as our list has it now. */
  device(path: string): UsbSummary | undefined;
  guest(path: string): GuestSummary | undefined;
  notices: Notices;
  /** Attach: gives the device to the guest. */
  give(guest: GuestSummary, device: UsbSummary): void;
}

export class UsbAsk {
  /** Devices asked about before our list had them: the guest each is for. */
  private readonly pending = new Map<string, string>();

  constructor(private readonly options: UsbAskOptions) {}

  /** The service asks whether to give the device to the guest. */
  ask(devicePath: string, guestPath: string): void {
    const device = this.options.device(devicePath);
    if (!device) {
      this.pending.set(devicePath, guestPath);
      return;
    }
    const guest = this.options.guest(guestPath);
    if (!guest) return;
    this.options.notices.notify(
      _('Attach %1$s to %2$s?').format(device.name, guest.name),
      _('It was just plugged in.'),
      [
        { label: _('Attach'), run: () => this.options.give(guest, device) },
        { label: _('Not Now'), run: () => undefined },
      ],
    );
  }

  /** A device reached our list: a question that waited for it is asked now. */
  deviceAdded(devicePath: string): void {
    const guestPath = this.pending.get(devicePath);
    this.pending.delete(devicePath);
    if (guestPath) this.ask(devicePath, guestPath);
  }

  destroy(): void {
    this.pending.clear();
  }
}
