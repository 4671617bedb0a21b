// This session's seat: which of the service's guests it shows (with several
// seats, those of its seat and of none), and, the first time it learns that
// its seat has a guest, starting that guest full-screen (a session on a
// guest's seat lands in the guest). Landing is once per login: the extension
// is disabled and enabled again at each screen lock, and must not land again.

import type { CollectionListener } from '../model/collection.js';
import type { GuestSummary } from '../model/guest-list.js';
import { seatGuest, usableBy, type SeatSummary } from '../model/seats.js';

export class SeatSession {
  private readonly seats = new Map<string, SeatSummary>();
  private readonly all = new Map<string, GuestSummary>();
  private readonly shown = new Set<string>();

  constructor(
    private ownSeat: string,
    /** Where the usable guests go: the menu and the launcher. */
    private readonly view: CollectionListener<GuestSummary>,
    /** Shows a guest full-screen, starting it if needed. */
    private readonly land: (guest: GuestSummary) => void,
    /** Whether this login has landed already (kept by the extension across disable and enable). */
    private readonly landing: { landed: boolean },
  ) {}

  /** The session's seat, once logind has told it (it may come after the guests). */
  setOwnSeat(seat: string): void {
    if (seat === this.ownSeat) return;
    this.ownSeat = seat;
    this.show();
  }

  seatList(): SeatSummary[] {
    return [...this.seats.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  readonly guests: CollectionListener<GuestSummary> = {
    reset: (list) => {
      this.all.clear();
      for (const guest of list) this.all.set(guest.path, guest);
      this.show();
    },
    added: (guest) => {
      this.all.set(guest.path, guest);
      if (this.usable(guest)) {
        this.shown.add(guest.path);
        this.view.added(guest);
      }
      this.maybeLand();
    },
    removed: (path) => {
      this.all.delete(path);
      if (this.shown.delete(path)) this.view.removed(path);
    },
    changed: (path, changes) => {
      const guest = this.all.get(path);
      if (!guest) return;
      const next = { ...guest, ...changes };
      this.all.set(path, next);
      if (changes.seat !== undefined && this.usable(next) !== this.shown.has(path)) this.show();
      else if (this.shown.has(path)) this.view.changed(path, changes);
    },
  };

  readonly seatEvents: CollectionListener<SeatSummary> = {
    reset: (list) => {
      this.seats.clear();
      for (const seat of list) this.seats.set(seat.path, seat);
      this.show();
    },
    added: (seat) => {
      this.seats.set(seat.path, seat);
      this.show();
    },
    removed: (path) => {
      this.seats.delete(path);
      this.show();
    },
    changed: (path, changes) => {
      const seat = this.seats.get(path);
      if (seat) this.seats.set(path, { ...seat, ...changes });
      this.maybeLand();
    },
  };

  private usable(guest: GuestSummary): boolean {
    return usableBy(guest, this.ownSeat, this.seats.size);
  }

  /** Shows anew exactly the usable guests. */
  private show(): void {
    const usable = [...this.all.values()].filter((g) => this.usable(g));
    this.shown.clear();
    for (const guest of usable) this.shown.add(guest.path);
    this.view.reset(usable);
    this.maybeLand();
  }

  private maybeLand(): void {
    if (this.landing.landed) return;
    const path = seatGuest(this.seats.values(), this.ownSeat);
    const guest = path ? this.all.get(path) : undefined;
    if (!guest) return;
    this.landing.landed = true;
    this.land(guest);
  }
}
