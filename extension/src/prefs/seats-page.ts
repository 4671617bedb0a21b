// The "Seats" page: with several seats (systemd-logind's, as the service
// reports them), the guest a person at each seat lands in, one combo row per
// seat. The page is there only while the service is and reports more than
// one seat. It follows changes made elsewhere, as the client of the service
// tells them: the seats' and guests' properties, seats and guests coming
// and going, the service leaving or restarting. A refused change is shown
// as a toast with the service's words, and the row goes back to the seat's
// real guest.

import { describeError, isCancelled } from '../client/calls.js';
import type { SwitcherClient } from '../client/switcher-client.js';
import { GUEST_INTERFACE, SEAT_INTERFACE } from '../client/switcher1.js';
import { _, Adw, GLib, Gtk } from '../gi-prefs.js';
import { compareGuests } from '../model/guest-list.js';
import { OptionalPage } from './optional-page.js';
import { N_ } from '../model/i18n.js';

const NO_GUEST = '/';
const NO_GUEST_LABEL = N_('No Guest');

interface SeatRow {
  path: string;
  row: Adw.ComboRow;
  model: Gtk.StringList;
}

export class SeatsPage {
  private readonly page: OptionalPage;
  private group: Adw.PreferencesGroup | undefined;
  private seats: SeatRow[] = [];
  /** In the order of the combo rows' choices, after "No Guest". */
  private guests: string[] = [];
  // Bumped on every relisting: the answers of calls made for an older list are dropped.
  private generation = 0;
  // Set while we change a row's selection ourselves, so that it is not taken for the user's.
  private syncing = 0;
  private readonly unsubscribe: () => void;

  constructor(
    window: Adw.PreferencesWindow,
    private readonly client: SwitcherClient,
  ) {
    this.page = new OptionalPage(window, {
      title: _('Seats'),
      iconName: 'system-users-symbolic',
      groupTitle: _('Guests at Each Seat'),
      groupDescription: _(
        'A seat is a screen, keyboard and mouse for one person. Whoever signs in at a seat lands in its guest, started full-screen.',
      ),
    });
    this.unsubscribe = client.subscribe({
      presenceChanged: () => this.relist(),
      objectChanged: (path) => {
        const listed = this.seats.some((s) => s.path === path) || this.guests.includes(path);
        const known =
          this.client.properties(path, SEAT_INTERFACE, []) ?? this.client.properties(path, GUEST_INTERFACE, []);
        if (listed !== (known !== undefined)) this.relist();
      },
      propertiesChanged: (path, iface, names) => {
        if (iface === SEAT_INTERFACE && names.includes('Guest')) {
          const seat = this.seats.find((s) => s.path === path);
          if (seat) this.select(seat);
        } else if (iface === GUEST_INTERFACE && names.includes('Name') && this.guests.includes(path)) {
          // Renamed: its place among the choices may change.
          this.relist();
        }
      },
    });
  }

  destroy(): void {
    this.generation++;
    this.unsubscribe();
    this.unwatch();
  }

  /** Shows one row per seat, as the service has them now; no page with fewer than two seats. */
  private relist(): void {
    this.generation++;
    this.unwatch();
    const seats = this.client
      .paths(SEAT_INTERFACE)
      .map((path) => ({ path, id: this.client.properties(path, SEAT_INTERFACE, ['Id'])?.Id ?? '' }))
      .sort((a, b) => a.id.localeCompare(b.id));
    this.group = this.page.show(seats.length >= 2);
    if (!this.group) return;
    const guests = this.client
      .paths(GUEST_INTERFACE)
      .map((path) => ({ path, name: this.client.properties(path, GUEST_INTERFACE, ['Name'])?.Name ?? '' }))
      .sort(compareGuests);
    this.guests = guests.map((g) => g.path);
    const labels = [_(NO_GUEST_LABEL), ...guests.map((g) => g.name)];
    for (const { path, id } of seats) this.seats.push(this.seatRow(path, id, labels));
  }

  private seatRow(path: string, id: string, labels: string[]): SeatRow {
    const model = Gtk.StringList.new(labels);
    const row = new Adw.ComboRow({
      title: GLib.markup_escape_text(id, -1),
      subtitle: _('The guest a person at this seat lands in'),
      model,
    });
    const seat: SeatRow = { path, row, model };
    this.select(seat);
    row.connect('notify::selected', () => {
      if (this.syncing === 0) this.assign(seat);
    });
    this.group?.add(row);
    return seat;
  }

  /** The seat's guest as the service says. */
  private guestOf(seat: SeatRow): string {
    return this.client.properties(seat.path, SEAT_INTERFACE, ['Guest'])?.Guest ?? NO_GUEST;
  }

  /** Shows the seat's real guest in its row. */
  private select(seat: SeatRow): void {
    const guest = this.guestOf(seat);
    const index = guest === NO_GUEST ? 0 : this.guests.indexOf(guest) + 1;
    this.syncing++;
    try {
      // A guest we do not list yet: it is on its way, and with it a new list.
      seat.row.selected = guest === NO_GUEST || index > 0 ? index : Gtk.INVALID_LIST_POSITION;
    } finally {
      this.syncing--;
    }
  }

  /** The user picked a choice: assigns it, or says why not and shows the real one again. */
  private assign(seat: SeatRow): void {
    const index = seat.row.selected;
    const guest = index === 0 ? NO_GUEST : this.guests[index - 1];
    if (guest === undefined || guest === this.guestOf(seat)) return;
    const generation = this.generation;
    // Asked for by the person at the window: polkit may ask them to authenticate.
    this.client
      .call(seat.path, SEAT_INTERFACE, 'AssignGuest', [guest], { interactive: true })
      .catch((error: unknown) => {
        if (isCancelled(error)) return;
        this.page.toast(describeError(error));
        if (generation === this.generation) this.select(seat);
      });
  }

  /** Drops the rows. */
  private unwatch(): void {
    this.seats = [];
    this.guests = [];
    this.page.clear();
    this.group = undefined;
  }
}
