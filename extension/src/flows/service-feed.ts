// What the service says, fed into the Shell's lists: every guest, USB
// device and seat, handed on a little at a time (model/work-queue.ts), each
// step read from what the client holds at that moment, so that at rest the
// lists are the service's and no burst (a thousand guests on enable or
// after a restart) stalls the Shell. Also the service's status, this
// session's seat (the service places it: DescribeCaller), live figures
// while someone looks (WatchStats, asked again of a service that comes
// back) and the guest that has the focus. Signals come after the object
// changes that came before them.

import type { SwitcherClient } from '../client/switcher-client.js';
import { isCancelled, isServiceGone, remoteErrorName } from '../client/calls.js';
import {
  ERROR,
  GUEST_INTERFACE,
  MANAGER_INTERFACE,
  MANAGER_PATH,
  SEAT_INTERFACE,
  USB_DEVICE_INTERFACE,
  type InterfaceName,
} from '../client/switcher1.js';
import { GLib } from '../gi.js';
import type { CollectionListener } from '../model/collection.js';
import type { GuestSummary, ServiceStatus } from '../model/guest-list.js';
import type { SeatSummary } from '../model/seats.js';
import { GUEST_PROPERTIES, guestChanges, guestSummary, seatSummary, usbSummary } from '../model/summaries.js';
import type { UsbSummary } from '../model/usb-list.js';
import { WorkQueue, type IdleScheduler } from '../model/work-queue.js';

export interface FeedListener {
  statusChanged(status: ServiceStatus): void;
  guests: CollectionListener<GuestSummary>;
  usb: CollectionListener<UsbSummary>;
  seats: CollectionListener<SeatSummary>;
  /** A plugged-in device that a guest's 'ask' rule matches. */
  usbAsk(devicePath: string, guestPath: string): void;
  /**
   * Where the service places this process (logind's session of it, else its
   * user's display session): its seat, '' when none or unknown. Told each
   * time the service (re)appears.
   */
  ownSeat(seat: string): void;
  /** A guest stopped, and why (the contract's GuestStopped reasons: crashed, failed, shutdown…). */
  guestStopped(guestPath: string, reason: string): void;
}

/** How one kind of object becomes what the listener gets. */
interface Kind {
  listener: CollectionListener<{ path: string }>;
  summarize(path: string, properties: Record<string, unknown>): { path: string };
  changes(properties: Record<string, unknown>, names: string[]): Record<string, unknown>;
  /** The properties read to summarize (all when undefined). */
  names?: readonly string[];
  /** The properties a change is read from (those that changed when undefined). */
  followed?: readonly string[];
  /** The paths the listener knows. */
  known: Set<string>;
}

export const glibScheduler: IdleScheduler = {
  idle: (fn) => GLib.idle_add(GLib.PRIORITY_DEFAULT_IDLE, fn),
  remove: (id) => {
    GLib.source_remove(id);
  },
  now: () => GLib.get_monotonic_time() / 1000,
};

export class ServiceFeed {
  private readonly queue: WorkQueue;
  private listener: FeedListener | undefined;
  private kinds: [InterfaceName, Kind][] = [];
  private unsubscribe: (() => void) | undefined;
  /** Whether we want live figures: asked again of a service that (re)appears. */
  private statsWanted = false;
  /** Counts the service's appearances: an answer meant for an earlier one is dropped. */
  private appearance = 0;

  constructor(
    private readonly client: SwitcherClient,
    scheduler: IdleScheduler = glibScheduler,
  ) {
    this.queue = new WorkQueue(scheduler);
  }

  /** Follows the client from now on: the listener hears the status at once, then every change. */
  start(listener: FeedListener): void {
    if (this.listener) return;
    this.listener = listener;
    const kind = <T extends { path: string }>(
      listener: CollectionListener<T>,
      summarize: (path: string, properties: Record<string, unknown>) => T,
      changes: (properties: Record<string, unknown>, names: string[]) => Partial<Omit<T, 'path'>>,
      names?: readonly string[],
      followed?: readonly string[],
    ): Kind => ({ listener, summarize, changes, names, followed, known: new Set() }) as unknown as Kind;
    this.kinds = [
      [GUEST_INTERFACE, kind(listener.guests, guestSummary, guestChanges, GUEST_PROPERTIES)],
      // A device's owner and a seat's guest are what change; the rest is fixed while the object lives.
      [
        USB_DEVICE_INTERFACE,
        kind(listener.usb, usbSummary, (p) => ({ owner: usbSummary('', p).owner }), undefined, ['Owner']),
      ],
      [
        SEAT_INTERFACE,
        kind(listener.seats, seatSummary, (p) => ({ guest: seatSummary('', p).guest }), undefined, ['Guest']),
      ],
    ];
    this.unsubscribe = this.client.subscribe({
      presenceChanged: (present) => this.presenceChanged(present),
      managerChanged: () => this.reportStatus(),
      managerSignal: (signal, args) => {
        if (signal === 'UsbAttachRequested') {
          const [device, guest] = args as [string, string];
          // After the device's own InterfacesAdded, which came before this signal.
          this.queue.push(() => listener.usbAsk(device, guest));
        } else if (signal === 'GuestStopped') {
          const [guest, reason] = args as [string, string];
          // After the State change the service sent first.
          this.queue.push(() => listener.guestStopped(guest, reason));
        }
      },
      objectChanged: (path) => this.queue.push(() => this.apply(path)),
      propertiesChanged: (path, iface, names) => this.queue.push(() => this.applyChanges(path, iface, names)),
    });
    this.reportStatus();
  }

  destroy(): void {
    // Our connection outlives us (it is the Shell's): the service must not go on sampling for it.
    if (this.statsWanted) this.client.tell(MANAGER_PATH, MANAGER_INTERFACE, 'UnwatchStats', []);
    this.statsWanted = false;
    this.appearance++;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.queue.destroy();
    for (const [, kind] of this.kinds) kind.known.clear();
    this.listener = undefined;
  }

  /**
   * Asks the service for live figures (on) or says we no longer need them;
   * asked again whenever the service comes back while on.
   */
  watchStats(on: boolean): void {
    if (on === this.statsWanted) return;
    this.statsWanted = on;
    this.callStats(on ? 'WatchStats' : 'UnwatchStats');
  }

  /** Tells the service which guest has the focus ('/' for the host). */
  setFocusedGuest(path: string): void {
    if (!this.client.present) return;
    this.client.call(MANAGER_PATH, MANAGER_INTERFACE, 'SetFocusedGuest', [path]).catch((error: unknown) => {
      // The service leaving meanwhile is no news: it is told again once it is back. Refused: with
      // several seats, the focus is another seat's guest's; this session's is not for it to move.
      if (!isCancelled(error) && !isServiceGone(error) && remoteErrorName(error) !== ERROR.AccessDenied)
        console.warn(`Phyllome Switcher: SetFocusedGuest failed: ${String(error)}`);
    });
  }

  private presenceChanged(present: boolean): void {
    this.appearance++;
    this.reportStatus();
    // Gone: every list empties (a resync with nothing), until the next owner is followed.
    this.queue.push(() => this.resync());
    if (!present) return;
    // A new owner knows nothing of our watch.
    if (this.statsWanted) this.callStats('WatchStats');
    this.placeCaller();
  }

  /** Asks the service where it places this process, and tells the listener its seat. */
  private placeCaller(): void {
    // An answer (or the failure) of an owner that has since been replaced is not this one's.
    const asked = this.appearance;
    this.client.call(MANAGER_PATH, MANAGER_INTERFACE, 'DescribeCaller', []).then(
      ([where]) => {
        if (asked !== this.appearance) return;
        this.listener?.ownSeat(typeof where.seat === 'string' ? where.seat : '');
      },
      (error: unknown) => {
        // Not placed (logind unreachable): no seat of its own, which shows only what is of no seat.
        if (isCancelled(error) || asked !== this.appearance) return;
        if (!isServiceGone(error))
          console.warn(`Phyllome Switcher: cannot tell the seat of this session: ${String(error)}`);
        this.listener?.ownSeat('');
      },
    );
  }

  private callStats(method: 'WatchStats' | 'UnwatchStats'): void {
    this.client.call(MANAGER_PATH, MANAGER_INTERFACE, method, []).catch((error: unknown) => {
      if (!isCancelled(error) && !isServiceGone(error))
        console.warn(`Phyllome Switcher: ${method} failed: ${String(error)}`);
    });
  }

  private status(): ServiceStatus {
    // Followed only while its owner is there.
    if (!this.client.present) return { kind: 'absent' };
    const uri = this.client.managerProperty('Connection', '');
    // Right after the service (re)appears its properties are still on their way: not a disconnection.
    const connected = this.client.managerProperty('Connected', true);
    return connected ? { kind: 'ready', uri } : { kind: 'disconnected', uri };
  }

  private reportStatus(): void {
    this.listener?.statusChanged(this.status());
  }

  /**
   * Starts each listener afresh from what the client holds now: an empty
   * list at once, then one object per task, so that a thousand guests are
   * taken in small steps.
   */
  private resync(): void {
    for (const [iface, kind] of this.kinds) {
      kind.known.clear();
      kind.listener.reset([]);
      for (const path of this.client.paths(iface)) this.queue.push(() => this.apply(path));
    }
  }

  /** Brings one object in line with the client: added, removed, or left as it is. */
  private apply(path: string): void {
    for (const [iface, kind] of this.kinds) {
      const properties = this.client.properties(path, iface, kind.names);
      if (properties && !kind.known.has(path)) {
        kind.known.add(path);
        kind.listener.added(kind.summarize(path, properties));
      } else if (!properties && kind.known.delete(path)) {
        kind.listener.removed(path);
      }
    }
  }

  private applyChanges(path: string, iface: InterfaceName, names: string[]): void {
    const kind = this.kinds.find(([name]) => name === iface)?.[1];
    if (!kind || !kind.known.has(path)) return;
    const properties = this.client.properties(path, iface, kind.followed ?? names);
    if (!properties) return;
    const changes = kind.changes(properties, names);
    if (Object.keys(changes).length > 0) kind.listener.changed(path, changes);
  }
}
