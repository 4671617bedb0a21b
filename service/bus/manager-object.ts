// me.phyllo.Switcher1.Manager on /me/phyllo/Switcher1.

import { encodeStringArray, type EncodedBody } from '../dbus/encoded-reply.js';
import type { GuestActions } from '../guests/actions.js';
import { usbDevicePath } from '../usb/usb-device.js';
import type { UsbManager } from '../usb/usb-manager.js';
import { seatPath, type SeatManager } from '../seats/seat-manager.js';
import type { GuestRegistry } from '../guests/registry.js';
import { invalidArgument, noSuchGuest } from '../errors.js';
import type { JobManager } from '../jobs/job-manager.js';
import type { Transfers } from '../transfer/transfers.js';
import type { InterfaceImpl } from './exporter.js';

export const MANAGER_PATH = '/me/phyllo/Switcher1';
export const MANAGER_INTERFACE = 'me.phyllo.Switcher1.Manager';

const MAX_NAME_LENGTH = 1024;

export class ManagerObject implements InterfaceImpl {
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
    private readonly transfers: Transfers,
    private readonly jobs: JobManager,
  ) {}

  getProperty(name: string): unknown {
    switch (name) {
      case 'Connection':
        return this.uri;
      case 'Connected':
        return this.registry.connected;
      default:
        throw new Error(`no property ${name}`);
    }
  }

  async call(method: string, args: unknown[]): Promise<unknown[] | EncodedBody> {
    switch (method) {
      case 'ListGuests':
        return this.listGuests();
      case 'FindGuest':
        return [this.findGuest(args[0] as string)];
      case 'PauseAll':
        return [await this.actions.pauseAll()];
      case 'ResumeAll':
        return [await this.actions.resumeAll()];
      case 'ListUsbDevices':
        return [this.usb.devices().map((d) => usbDevicePath(d.id))];
      case 'ListSeats':
        return [this.seats.list().map((s) => seatPath(s.id))];
      case 'Import':
        return [(await this.transfers.importBundle(args[0] as string)).path];
      case 'ListJobs':
        return [this.jobs.list().map((job) => job.path)];
      case 'SetFocusedGuest':
        this.usb.setFocused(args[0] as string);
        return [];
      default:
        throw new Error(`no method ${method}`);
    }
  }

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
