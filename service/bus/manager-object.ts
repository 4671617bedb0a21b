// me.phyllo.Switcher1.Manager on /me/phyllo/Switcher1.

import { MANAGER_INTERFACE, type ManagerProperties } from '../contract/switcher1.js';
import { encodeStringArray, type EncodedBody } from '../dbus/encoded-reply.js';
import { invalidArgument, noSuchGuest } from '../errors.js';
import type { GuestActions } from '../guests/actions.js';
import type { GuestRegistry } from '../guests/registry.js';
import { seatPath, type SeatManager } from '../seats/seat-manager.js';
import { usbDevicePath } from '../usb/usb-device.js';
import type { UsbManager } from '../usb/usb-manager.js';
import type { GuestCreator } from '../create/creator.js';
import type { StatsSampler } from '../stats/sampler.js';
import type { InterfaceImpl } from './exporter.js';

export const MANAGER_PATH = '/me/phyllo/Switcher1';
export { MANAGER_INTERFACE };

const MAX_NAME_LENGTH = 1024;

export class ManagerObject implements InterfaceImpl<typeof MANAGER_INTERFACE> {
  readonly interfaceName = MANAGER_INTERFACE;
  // ListGuests' reply, marshalled once per change of the guest list.
  private encodedFor: readonly string[] | undefined;
  private encodedList: EncodedBody | undefined;

  constructor(
    private readonly uri: string,
    private readonly registry: GuestRegistry,
    private readonly actions: GuestActions,
    private readonly usb: UsbManager,
    private readonly seats: SeatManager,
    private readonly creator: GuestCreator,
    private readonly stats: StatsSampler,
  ) {}

  properties(): ManagerProperties {
    return { Connection: this.uri, Connected: this.registry.connected };
  }

  readonly methods: InterfaceImpl<typeof MANAGER_INTERFACE>['methods'] = {
    ListGuests: () => this.listGuests(),
    FindGuest: ([nameOrUuid]) => [this.findGuest(nameOrUuid)],
    PauseAll: async () => [await this.actions.pauseAll()],
    ResumeAll: async () => [await this.actions.resumeAll()],
    ListUsbDevices: () => [this.usb.devices().map((d) => usbDevicePath(d.id))],
    ListSeats: () => [this.seats.list().map((s) => seatPath(s.id))],
    DescribeInstaller: async ([path], caller) => [await this.creator.describeInstaller(path, caller.sender)],
    ListOperatingSystems: async ([search]) => [await this.creator.listOperatingSystems(search)],
    CreateGuest: async ([name, osId, installer, options], caller) => [
      await this.creator.createGuest(name, osId, installer, options as Record<string, unknown>, caller.sender),
    ],
    WatchStats: async (_args, caller) => {
      await this.stats.watch(caller.sender);
      return [];
    },
    UnwatchStats: (_args, caller) => {
      this.stats.unwatch(caller.sender);
      return [];
    },
    SetFocusedGuest: ([guest]) => {
      this.usb.setFocused(guest);
      return [];
    },
  };

  private listGuests(): EncodedBody {
    const paths = this.registry.paths(); // the same array until the list changes
    if (paths !== this.encodedFor || !this.encodedList) {
      this.encodedList = encodeStringArray('ao', paths);
      this.encodedFor = paths;
    }
    return this.encodedList;
  }

  private findGuest(nameOrUuid: string): string {
    if (nameOrUuid.length === 0) throw invalidArgument('FindGuest needs a guest name or UUID, not an empty string');
    if (nameOrUuid.length > MAX_NAME_LENGTH)
      throw invalidArgument(`A guest name is at most ${MAX_NAME_LENGTH} characters`);
    const guest = this.registry.find(nameOrUuid);
    if (!guest) throw noSuchGuest(`named or with UUID '${nameOrUuid}'`);
    return guest.path;
  }
}
