// The "Displays" page: each guest's display from its next start — its
// resolution (following the window, or a fixed size however large, shown
// scaled), how many screens (heads) and 3D acceleration — one expander row
// per guest, which asks the service what the guest's video model takes when
// it is first opened. A switch the host or guest cannot have is insensitive
// and says why; turning 3D on says first, once, what it costs. The rows
// follow changes made elsewhere (the guests' PropertiesChanged, guests
// coming and going, the service restarting); a refusal is a toast with the
// service's words, and the row shows the guest's real setting again. Every
// call is async, on one cancellable that destroy() (the window closing)
// cancels.

import { BUS_NAME, GUEST_INTERFACE, INTERFACE_XML, MANAGER_INTERFACE, MANAGER_PATH } from '../client/switcher1.js';
import { _, Adw, Gio, GLib, Gtk, ngettext } from '../gi-prefs.js';
import {
  ACCEL3D_COST,
  ACCEL3D_COST_TITLE,
  displayDescription,
  displayPending,
  headChoices,
  isCurrent,
  resolutionChoices,
  resolutionLabel,
  type DisplayChange,
  type DisplayDescription,
  type ResolutionChoice,
} from '../model/display.js';
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
// What a person asks for may wait for them to authenticate (polkit, through the service).
const INTERACTION_MS = 120_000;
const RELIST_SIGNALS = new Set(['GuestAdded', 'GuestRemoved']);
const DISPLAY_PROPERTIES = ['Name', 'Heads', 'Resolution', 'Accel3D', 'RunningDisplay', 'Display'];

/** A guest's expander row, and its rows once opened. */
interface GuestEntry {
  path: string;
  proxy: Gio.DBusProxy;
  handler: number;
  expander: Adw.ExpanderRow;
  limits?: DisplayDescription;
  resolution?: { row: Adw.ComboRow; choices: ResolutionChoice[] };
  heads?: { row: Adw.ComboRow; choices: number[] };
  accel3d?: Adw.SwitchRow;
}

export class DisplaysPage {
  private readonly cancellable = new Gio.Cancellable();
  private readonly nodeInfo = Gio.DBusNodeInfo.new_for_xml(INTERFACE_XML);
  private manager: Gio.DBusProxy | undefined;
  private readonly managerHandlers: number[] = [];
  private connection: Gio.DBusConnection | undefined;
  private page: Adw.PreferencesPage | undefined;
  private group: Adw.PreferencesGroup | undefined;
  private guests: GuestEntry[] = [];
  // Bumped on every relisting: the results of older async work are dropped.
  private generation = 0;
  // Set while we change a row ourselves, so that it is not taken for the user's.
  private syncing = 0;

  constructor(
    private readonly window: Adw.PreferencesWindow,
    private readonly settings: Gio.Settings,
  ) {}

  async start(): Promise<void> {
    let manager: Gio.DBusProxy;
    try {
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

  /** Lists the guests anew, a proxy and a row each; no guests (or no service): no page. */
  private async relist(): Promise<void> {
    const generation = ++this.generation;
    const manager = this.manager;
    if (!manager?.g_name_owner) {
      this.show([]);
      return;
    }
    try {
      const reply = await callProxy(manager, 'ListGuests', null, CALL_TIMEOUT_MS, this.cancellable);
      const [paths] = reply.deepUnpack() as [string[]];
      const proxies = await Promise.all(
        paths.map((path) =>
          newProxy(this.info(GUEST_INTERFACE), BUS_NAME, path, this.cancellable, {
            flags: Gio.DBusProxyFlags.DO_NOT_AUTO_START,
            ...(this.connection ? { connection: this.connection } : {}),
          }),
        ),
      );
      if (generation !== this.generation) return;
      this.show(proxies);
    } catch (error) {
      if (isCancelled(error) || generation !== this.generation) return;
      if (!isServiceGone(error)) console.warn(`Phyllome Switcher: cannot list the guests: ${describeError(error)}`);
      this.show([]);
    }
  }

  private show(proxies: Gio.DBusProxy[]): void {
    this.unwatch();
    // Guests on a screen of their own (a passed-through GPU) have no display of ours to set.
    const shown = proxies.filter((p) => unpack(p.get_cached_property('Display'), '') !== '');
    if (shown.length === 0) {
      if (this.page) this.window.remove(this.page);
      this.page = undefined;
      return;
    }
    if (!this.page) {
      this.page = new Adw.PreferencesPage({ title: _('Displays'), icon_name: 'video-display-symbolic' });
      this.window.add(this.page);
    }
    this.group = new Adw.PreferencesGroup({
      title: _('Each Guest’s Display'),
      description: _(
        'A fixed resolution may be larger than your monitor: the guest is shown scaled to fit. Several screens show the guest on several monitors, one each. Changes take effect when the guest next starts.',
      ),
    });
    for (const proxy of shown) this.guests.push(this.guestRow(proxy));
    this.page.add(this.group);
  }

  private guestRow(proxy: Gio.DBusProxy): GuestEntry {
    const expander = new Adw.ExpanderRow({ title: GLib.markup_escape_text(this.name(proxy), -1) });
    const entry: GuestEntry = {
      path: proxy.g_object_path,
      proxy,
      expander,
      handler: proxy.connect('g-properties-changed', (_proxy, changed: GLib.Variant) => {
        const names = Object.keys(changed.deepUnpack() as Record<string, unknown>);
        if (names.some((n) => DISPLAY_PROPERTIES.includes(n))) this.sync(entry);
      }),
    };
    // What the guest's model takes is asked once, when its row is first opened.
    expander.connect('notify::expanded', () => {
      if (expander.expanded && !entry.limits) void this.describe(entry);
    });
    this.sync(entry);
    this.group?.add(expander);
    return entry;
  }

  private name(proxy: Gio.DBusProxy): string {
    return unpack(proxy.get_cached_property('Name'), '');
  }

  private current(entry: GuestEntry): { heads: number; resolution: [number, number]; accel3d: boolean } {
    return {
      heads: unpack(entry.proxy.get_cached_property('Heads'), 1),
      resolution: unpack(entry.proxy.get_cached_property('Resolution'), [0, 0] as [number, number]),
      accel3d: unpack(entry.proxy.get_cached_property('Accel3D'), false),
    };
  }

  private async describe(entry: GuestEntry): Promise<void> {
    const generation = this.generation;
    try {
      const reply = await callProxy(entry.proxy, 'DescribeDisplay', null, CALL_TIMEOUT_MS, this.cancellable);
      if (generation !== this.generation) return;
      entry.limits = displayDescription((reply.recursiveUnpack() as [Record<string, unknown>])[0]);
      this.addRows(entry, entry.limits);
      this.sync(entry);
    } catch (error) {
      if (isCancelled(error) || generation !== this.generation) return;
      this.toast(describeError(error));
    }
  }

  /** The rows the guest's video model has a use for. */
  private addRows(entry: GuestEntry, limits: DisplayDescription): void {
    const { heads, resolution } = this.current(entry);
    if (limits.maxWidth > 0) {
      const choices = resolutionChoices(limits, heads, resolution);
      const row = new Adw.ComboRow({
        title: _('Resolution'),
        model: Gtk.StringList.new(choices.map((c) => _(resolutionLabel(c)))),
      });
      entry.resolution = { row, choices };
      row.connect('notify::selected', () => {
        const choice = entry.resolution?.choices[row.selected];
        if (this.syncing > 0 || !choice || isCurrent(choice, this.current(entry).resolution)) return;
        this.change(entry, { resolution: choice.kind === 'window' ? 'window' : [choice.width, choice.height] });
      });
      entry.expander.add_row(row);
    }
    const counts = headChoices(limits);
    if (counts.length > 0) {
      const row = new Adw.ComboRow({
        title: _('Screens'),
        subtitle: _('One monitor each, full-screen'),
        model: Gtk.StringList.new(counts.map((n) => ngettext('%d Screen', '%d Screens', n).replace('%d', String(n)))),
      });
      entry.heads = { row, choices: counts };
      row.connect('notify::selected', () => {
        const count = entry.heads?.choices[row.selected];
        if (this.syncing > 0 || count === undefined || count === this.current(entry).heads) return;
        this.change(entry, { heads: count });
      });
      entry.expander.add_row(row);
    }
    const accel3d = new Adw.SwitchRow({ title: _('3D Acceleration') });
    entry.accel3d = accel3d;
    accel3d.connect('notify::active', () => {
      if (this.syncing > 0 || accel3d.active === this.current(entry).accel3d) return;
      void this.changeAccel3d(entry, accel3d.active);
    });
    entry.expander.add_row(accel3d);
  }

  /** Shows the guest's real settings in its rows. */
  private sync(entry: GuestEntry): void {
    const { heads, resolution, accel3d } = this.current(entry);
    const pending = displayPending(unpack(entry.proxy.get_cached_property('RunningDisplay'), {}));
    this.syncing++;
    try {
      entry.expander.title = GLib.markup_escape_text(this.name(entry.proxy), -1);
      const summary = [
        _(
          resolutionLabel(
            resolution[0] > 0 ? { kind: 'fixed', width: resolution[0], height: resolution[1] } : { kind: 'window' },
          ),
        ),
        ngettext('%d screen', '%d screens', heads).replace('%d', String(heads)),
        ...(accel3d ? [_('3D')] : []),
        ...(pending ? [_('changes take effect when it next starts')] : []),
      ];
      entry.expander.subtitle = GLib.markup_escape_text(summary.join(' · '), -1);
      if (entry.resolution && entry.limits) {
        // A size set elsewhere that the list lacks gets its own choice.
        const choices = resolutionChoices(entry.limits, heads, resolution);
        if (choices.length !== entry.resolution.choices.length) {
          entry.resolution.choices = choices;
          entry.resolution.row.model = Gtk.StringList.new(choices.map((c) => _(resolutionLabel(c))));
        }
        entry.resolution.row.selected = Math.max(
          choices.findIndex((c) => isCurrent(c, resolution)),
          0,
        );
      }
      if (entry.heads) entry.heads.row.selected = Math.max(entry.heads.choices.indexOf(heads), 0);
      if (entry.accel3d && entry.limits) {
        entry.accel3d.active = accel3d;
        // Where it cannot be had, the switch is insensitive and says why.
        const why = accel3d ? '' : entry.limits.accel3d;
        entry.accel3d.sensitive = why === '';
        entry.accel3d.subtitle = GLib.markup_escape_text(why, -1);
      }
    } finally {
      this.syncing--;
    }
  }

  /** 3D says first, once, what it costs (the same as the Shell's menu says). */
  private async changeAccel3d(entry: GuestEntry, on: boolean): Promise<void> {
    if (on && !this.settings.get_boolean('accel3d-cost-told')) {
      const dialog = new Adw.AlertDialog({ heading: _(ACCEL3D_COST_TITLE), body: _(ACCEL3D_COST) });
      dialog.add_response('cancel', _('Cancel'));
      dialog.add_response('on', _('Turn On 3D'));
      dialog.set_response_appearance('on', Adw.ResponseAppearance.DESTRUCTIVE);
      dialog.set_close_response('cancel');
      const answer = await new Promise<string>((resolve) => {
        dialog.connect('response', (_dialog, response: string) => resolve(response));
        dialog.present(this.window);
      });
      if (answer !== 'on' || this.cancellable.is_cancelled()) {
        this.sync(entry);
        return;
      }
      this.settings.set_boolean('accel3d-cost-told', true);
    }
    this.change(entry, { accel3d: on });
  }

  /** Asks the service; a refusal is said, and the row shows the guest's real setting again. */
  private change(entry: GuestEntry, change: DisplayChange): void {
    const settings: Record<string, GLib.Variant> = {};
    if (change.heads !== undefined) settings.heads = GLib.Variant.new_uint32(change.heads);
    if (change.resolution === 'window') settings.resolution = GLib.Variant.new_string('window');
    else if (change.resolution) settings.resolution = new GLib.Variant('(uu)', change.resolution);
    if (change.accel3d !== undefined) settings.accel3d = GLib.Variant.new_boolean(change.accel3d);
    const generation = this.generation;
    callProxy(
      entry.proxy,
      'SetDisplay',
      new GLib.Variant('(a{sv})', [settings]),
      CALL_TIMEOUT_MS + INTERACTION_MS,
      this.cancellable,
      true,
    ).catch((error: unknown) => {
      if (isCancelled(error)) return;
      this.toast(describeError(error));
      if (generation === this.generation) this.sync(entry);
    });
  }

  private toast(message: string): void {
    // Adw.Toast titles are markup.
    this.window.add_toast(new Adw.Toast({ title: GLib.markup_escape_text(message, -1), timeout: 8 }));
  }

  /** Drops the rows and every proxy but the manager's. */
  private unwatch(): void {
    for (const { proxy, handler } of this.guests) proxy.disconnect(handler);
    this.guests = [];
    if (this.group && this.page) this.page.remove(this.group);
    this.group = undefined;
  }
}
