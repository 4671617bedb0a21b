// The "Seats" page: with several seats (systemd-logind's, as the service
// reports them), the guest a person at each seat lands in, one combo row per
// seat. The page is there only while the service is and reports more than
// one seat. It follows changes made elsewhere: the seats' and guests'
// PropertiesChanged, seats and guests coming and going, the service leaving
// or restarting. A refused change is shown as a toast with the service's
// words, and the row goes back to the seat's real guest. Every call is
// async, on one cancellable that destroy() (the window closing) cancels.

import {
  BUS_NAME,
  GUEST_INTERFACE,
  INTERFACE_XML,
  MANAGER_INTERFACE,
  MANAGER_PATH,
  SEAT_INTERFACE,
} from '../client/switcher1.js';
import { _, Adw, Gio, GLib, Gtk } from '../gi-prefs.js';
import { N_ } from '../model/i18n.js';
import {
  callProxy,
  describeError,
  isCancelled,
  isServiceGone,
  newProxy,
  serviceConnection,
  unpack,
} from '../client/calls.js';

const CALL_TIMEOUT_MS = 30_000;
const NO_GUEST = '/';
const NO_GUEST_LABEL = N_('No Guest');
/** Manager signals after which the seats and guests are listed anew. */
// What a person asks for may wait for them to authenticate (polkit, through the service).
const INTERACTION_MS = 120_000;
const RELIST_SIGNALS = new Set(['SeatAdded', 'SeatRemoved', 'GuestAdded', 'GuestRemoved']);

interface Watched {
  path: string;
  proxy: Gio.DBusProxy;
  handler: number;
}

interface SeatEntry extends Watched {
  id: string;
  row: Adw.ComboRow;
  model: Gtk.StringList;
}

export class SeatsPage {
  private readonly cancellable = new Gio.Cancellable();
  private readonly nodeInfo = Gio.DBusNodeInfo.new_for_xml(INTERFACE_XML);
  private manager: Gio.DBusProxy | undefined;
  private readonly managerHandlers: number[] = [];
  private page: Adw.PreferencesPage | undefined;
  private group: Adw.PreferencesGroup | undefined;
  private seats: SeatEntry[] = [];
  /** In the order of the combo rows' choices, after "No Guest". */
  private guests: Watched[] = [];
  // Bumped on every relisting: the results of older async work are dropped.
  private generation = 0;
  // Set while we change a row's selection ourselves, so that it is not taken for the user's.
  private syncing = 0;

  private connection: Gio.DBusConnection | undefined;

  constructor(private readonly window: Adw.PreferencesWindow) {}

  async start(): Promise<void> {
    let manager: Gio.DBusProxy;
    try {
      // The host-wide service's bus (the system bus) where it is installed, else the session bus.
      this.connection = await serviceConnection(this.cancellable);
      manager = await newProxy(this.info(MANAGER_INTERFACE), BUS_NAME, MANAGER_PATH, this.cancellable, {
        connection: this.connection,
      });
    } catch (error) {
      if (!isCancelled(error)) console.warn(`Phyllome Switcher: no proxy for the service: ${describeError(error)}`);
      return;
    }
    if (this.cancellable.is_cancelled()) return;
    this.manager = manager;
    this.managerHandlers.push(
      manager.connect('notify::g-name-owner', () => void this.relist()),
      manager.connect('g-signal', (_proxy, _sender, signal: string) => {
        if (RELIST_SIGNALS.has(signal)) void this.relist();
      }),
    );
    await this.relist();
  }

  destroy(): void {
    this.generation++;
    this.cancellable.cancel();
    if (this.manager) for (const id of this.managerHandlers.splice(0)) this.manager.disconnect(id);
    this.manager = undefined;
    this.unwatch();
  }

  private info(name: string): Gio.DBusInterfaceInfo {
    const info = this.nodeInfo.lookup_interface(name);
    if (!info) throw new Error(`${name} is not in the D-Bus contract`);
    return info;
  }

  /** Lists the seats and guests anew, with a proxy each, and shows them (or hides the page). */
  private async relist(): Promise<void> {
    const generation = ++this.generation;
    const manager = this.manager;
    if (!manager?.g_name_owner) {
      this.show([], []);
      return;
    }
    try {
      const list = (method: string): Promise<string[]> =>
        callProxy(manager, method, null, CALL_TIMEOUT_MS, this.cancellable).then(
          (reply) => (reply.deepUnpack() as [string[]])[0],
        );
      const [seatPaths, guestPaths] = await Promise.all([list('ListSeats'), list('ListGuests')]);
      if (generation !== this.generation) return;
      // Fewer than two seats: no page, and no proxies to make.
      const wanted = seatPaths.length > 1;
      const proxies = (paths: string[], iface: string): Promise<Gio.DBusProxy[]> =>
        Promise.all(
          paths.map((path) =>
            newProxy(this.info(iface), BUS_NAME, path, this.cancellable, {
              flags: Gio.DBusProxyFlags.DO_NOT_AUTO_START,
              ...(this.connection ? { connection: this.connection } : {}),
            }),
          ),
        );
      const [seats, guests] = wanted
        ? await Promise.all([proxies(seatPaths, SEAT_INTERFACE), proxies(guestPaths, GUEST_INTERFACE)])
        : [[], []];
      if (generation !== this.generation) return;
      this.show(seats, guests);
    } catch (error) {
      if (isCancelled(error) || generation !== this.generation) return;
      if (!isServiceGone(error)) console.warn(`Phyllome Switcher: cannot list the seats: ${describeError(error)}`);
      this.show([], []);
    }
  }

  /** Replaces the rows with one per seat; removes the page with fewer than two seats. */
  private show(seats: Gio.DBusProxy[], guests: Gio.DBusProxy[]): void {
    this.unwatch();
    if (seats.length < 2) {
      if (this.page) this.window.remove(this.page);
      this.page = undefined;
      return;
    }
    if (!this.page) {
      this.page = new Adw.PreferencesPage({ title: _('Seats'), icon_name: 'system-users-symbolic' });
      this.window.add(this.page);
    }
    this.group = new Adw.PreferencesGroup({
      title: _('Guests at Each Seat'),
      description: _(
        'A seat is a screen, keyboard and mouse for one person. Whoever signs in at a seat lands in its guest, started full-screen.',
      ),
    });
    this.guests = guests.map((proxy) => ({
      path: proxy.g_object_path,
      proxy,
      handler: proxy.connect('g-properties-changed', (_proxy, changed: GLib.Variant) => {
        if ('Name' in (changed.deepUnpack() as Record<string, unknown>)) this.renameGuest(proxy.g_object_path);
      }),
    }));
    const labels = [_(NO_GUEST_LABEL), ...guests.map((proxy) => unpack(proxy.get_cached_property('Name'), ''))];
    for (const proxy of seats) this.seats.push(this.seatRow(proxy, labels));
    this.page.add(this.group);
  }

  private seatRow(proxy: Gio.DBusProxy, labels: string[]): SeatEntry {
    const id = unpack(proxy.get_cached_property('Id'), '');
    const model = Gtk.StringList.new(labels);
    const row = new Adw.ComboRow({
      title: GLib.markup_escape_text(id, -1),
      subtitle: _('The guest a person at this seat lands in'),
      model,
    });
    const seat: SeatEntry = {
      path: proxy.g_object_path,
      id,
      proxy,
      row,
      model,
      handler: proxy.connect('g-properties-changed', (_proxy, changed: GLib.Variant) => {
        if ('Guest' in (changed.deepUnpack() as Record<string, unknown>)) this.select(seat);
      }),
    };
    this.select(seat);
    row.connect('notify::selected', () => {
      if (this.syncing === 0) this.assign(seat);
    });
    this.group?.add(row);
    return seat;
  }

  /** The seat's guest as the service says (its cached property). */
  private guestOf(seat: SeatEntry): string {
    return unpack(seat.proxy.get_cached_property('Guest'), NO_GUEST);
  }

  /** Shows the seat's real guest in its row. */
  private select(seat: SeatEntry): void {
    const guest = this.guestOf(seat);
    const index = guest === NO_GUEST ? 0 : this.guests.findIndex((g) => g.path === guest) + 1;
    this.syncing++;
    try {
      // A guest we do not list yet: its GuestAdded is on its way, and with it a new list.
      seat.row.selected = guest === NO_GUEST || index > 0 ? index : Gtk.INVALID_LIST_POSITION;
    } finally {
      this.syncing--;
    }
  }

  /** The user picked a choice: assigns it, or says why not and shows the real one again. */
  private assign(seat: SeatEntry): void {
    const index = seat.row.selected;
    const guest = index === 0 ? NO_GUEST : this.guests[index - 1]?.path;
    if (guest === undefined || guest === this.guestOf(seat)) return;
    const generation = this.generation;
    // Asked for by the person at the window: polkit may ask them to authenticate.
    const parameters = new GLib.Variant('(o)', [guest]);
    callProxy(seat.proxy, 'AssignGuest', parameters, CALL_TIMEOUT_MS + INTERACTION_MS, this.cancellable, true).catch(
      (error: unknown) => {
        if (isCancelled(error)) return;
        // Adw.Toast titles are markup.
        this.window.add_toast(new Adw.Toast({ title: GLib.markup_escape_text(describeError(error), -1), timeout: 8 }));
        if (generation === this.generation) this.select(seat);
      },
    );
  }

  private renameGuest(path: string): void {
    const index = this.guests.findIndex((g) => g.path === path);
    const guest = this.guests[index];
    if (!guest) return;
    const name = unpack(guest.proxy.get_cached_property('Name'), '');
    for (const seat of this.seats) {
      this.syncing++;
      try {
        seat.model.splice(index + 1, 1, [name]);
      } finally {
        this.syncing--;
      }
      this.select(seat);
    }
  }

  /** Drops the rows and every proxy but the manager's. */
  private unwatch(): void {
    for (const { proxy, handler } of [...this.seats, ...this.guests]) proxy.disconnect(handler);
    this.seats = [];
    this.guests = [];
    if (this.group && this.page) this.page.remove(this.group);
    this.group = undefined;
  }
}
