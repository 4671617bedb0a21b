// me.phyllo.Switcher1.Manager on /me/phyllo/Switcher1.

import { MANAGER_INTERFACE, type ManagerProperties } from '../contract/switcher1.js';
import { Variant } from '../dbus/bus.js';
import { encodeBody, encodeStringArray, type EncodedBody } from '../dbus/encoded-reply.js';
import { invalidArgument, noSuchGuest } from '../errors.js';
import type { GuestActions } from '../guests/actions.js';
import type { Guest } from '../guests/guest.js';
import type { GuestRegistry } from '../guests/registry.js';
import type { Authority } from '../access/authority.js';
import { seatPath, type SeatManager } from '../seats/seat-manager.js';
import { usbDevicePath } from '../usb/usb-device.js';
import type { UsbManager } from '../usb/usb-manager.js';
import type { GuestCreator } from '../create/creator.js';
import type { JobManager } from '../jobs/job-manager.js';
import type { StatsSampler } from '../stats/sampler.js';
import type { Transfers } from '../transfer/transfers.js';
import type { ExpensiveCalls } from '../access/expensive-calls.js';
import type { Caller, InterfaceImpl } from './exporter.js';

export const MANAGER_PATH = '/me/phyllo/Switcher1';
export { MANAGER_INTERFACE };

const MAX_NAME_LENGTH = 1024;

/** What the Manager answers from, by name. */
export interface ManagerObjectParts {
  /** The libvirt connection the service serves. */
  uri: string;
  /** 'user': one person's service on the session bus; 'host': every user's, on the system bus. */
  scope: 'user' | 'host';
  /** An administrator allowed sharing guests with other computers (--share-listen). */
  sharingAllowed: boolean;
  registry: GuestRegistry;
  actions: GuestActions;
  usb: UsbManager;
  seats: SeatManager;
  creator: GuestCreator;
  transfers: Transfers;
  jobs: JobManager;
  authority: Authority;
  stats: StatsSampler;
  /** DescribeInstaller, CreateGuest, Import and ListOperatingSystems: a few at once per caller and in all. */
  expensive: ExpensiveCalls;
}

export class ManagerObject implements InterfaceImpl<typeof MANAGER_INTERFACE> {
  readonly interfaceName = MANAGER_INTERFACE;
  // ListGuests' reply, marshalled once per change of the guest list.
  private encodedFor: readonly string[] | undefined;
  private encodedList: EncodedBody | undefined;
  // ListOperatingSystems('')'s reply: libosinfo's database does not change while the service runs.
  private encodedOsList: EncodedBody | undefined;

  constructor(private readonly parts: ManagerObjectParts) {}

  properties(): ManagerProperties {
    return {
      Connection: this.parts.uri,
      Connected: this.parts.registry.connected,
      Scope: this.parts.scope,
      SharingAllowed: this.parts.sharingAllowed,
    };
  }

  readonly methods: InterfaceImpl<typeof MANAGER_INTERFACE>['methods'] = {
    ListGuests: () => this.listGuests(),
    FindGuest: ([nameOrUuid]) => [this.findGuest(nameOrUuid)],
    // Bulk: only the guests the caller may act on.
    PauseAll: async (_args, caller) => [await this.parts.actions.pauseAll(await this.allowedGuests(caller))],
    ResumeAll: async (_args, caller) => [await this.parts.actions.resumeAll(await this.allowedGuests(caller))],
    ListUsbDevices: () => [this.parts.usb.devices().map((d) => usbDevicePath(d.id))],
    ListSeats: () => [this.parts.seats.list().map((s) => seatPath(s.id))],
    // Each reads a caller's files or starts helper processes: limited per caller and in all (Busy beyond).
    DescribeInstaller: ([path], caller) =>
      this.parts.expensive.run(caller, async () => [await this.parts.creator.describeInstaller(path, caller.sender)]),
    // Anybody may ask, and the whole list is 790 OSes (40 KB): marshalled by us, once for the whole list,
    // and limited per caller like the expensive calls, so one user's flood cannot queue megabytes of
    // replies on the service's connection ahead of everybody else's answers.
    ListOperatingSystems: ([search], caller) =>
      this.parts.expensive.run(caller, async () => {
        if (search !== '') return encodeBody('a(ss)', await this.parts.creator.listOperatingSystems(search));
        this.encodedOsList ??= encodeBody('a(ss)', await this.parts.creator.listOperatingSystems(''));
        return this.encodedOsList;
      }),
    // A new guest is of no seat; its arguments are checked (creator) before the caller is.
    CreateGuest: ([name, osId, installer, options], caller) =>
      this.parts.expensive.run(caller, async () => [
        await this.parts.creator.createGuest(
          name,
          osId,
          installer,
          options as Record<string, unknown>,
          caller.sender,
          () => this.parts.authority.require(caller, [''], `a new guest '${name}'`),
        ),
      ]),
    // A bundle's guest keeps the seat its metadata names: the caller must be allowed there.
    Import: ([bundle], caller) =>
      this.parts.expensive.run(caller, async () => [
        (
          await this.parts.transfers.importBundle(bundle, {
            sender: caller.sender,
            authorize: (seat) => this.parts.authority.requireStarter(caller, [seat], `the guest in ${bundle}`),
          })
        ).path,
      ]),
    WatchStats: async (_args, caller) => {
      await this.parts.stats.watch(caller.sender);
      return [];
    },
    UnwatchStats: (_args, caller) => {
      this.parts.stats.unwatch(caller.sender);
      return [];
    },
    ListJobs: () => [this.parts.jobs.list().map((job) => job.path)],
    SetFocusedGuest: async ([guest], caller) => {
      const to = guest === '/' ? '' : guest;
      if (to && !this.parts.registry.get(to)) throw noSuchGuest(`at ${to}`);
      // Devices that follow the focus leave the guest that had it for the new one: both are acted on.
      const from = this.parts.usb.focusedGuest;
      if (from === to) return [];
      const seats = [from, to].map((path) => (path ? (this.parts.registry.get(path)?.settings.seat ?? '') : ''));
      await this.parts.authority.require(caller, seats, 'the focus');
      this.parts.usb.setFocused(guest);
      return [];
    },
    DescribeCaller: async (_args, caller) => {
      const where = await this.parts.authority.describe(caller);
      return [
        {
          uid: new Variant('u', where.uid),
          session: new Variant('s', where.session),
          seat: new Variant('s', where.seat),
          active: new Variant('b', where.active),
          local: new Variant('b', where.local),
        },
      ];
    },
  };

  /** The guests the caller may act on, as a test for the bulk actions. */
  private async allowedGuests(caller: Caller): Promise<(guest: Guest) => boolean> {
    const allowed = await this.parts.authority.filter(
      caller,
      this.parts.registry.guests(),
      (guest) => guest.settings.seat,
    );
    const paths = new Set(allowed.map((guest) => guest.path));
    return (guest) => paths.has(guest.path);
  }

  private listGuests(): EncodedBody {
    const paths = this.parts.registry.paths(); // the same array until the list changes
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
    const guest = this.parts.registry.find(nameOrUuid);
    if (!guest) throw noSuchGuest(`named or with UUID '${nameOrUuid}'`);
    return guest.path;
  }
}
