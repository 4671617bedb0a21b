// The "Displays" page: each guest's display from its next start — its
// resolution (following the window, or a fixed size however large, shown
// scaled), how many screens (heads) and 3D acceleration — one expander row
// per guest, which asks the service what the guest's video model takes when
// it is first opened. A switch the host or guest cannot have is insensitive
// and says why; turning 3D on says first, once, what it costs. The rows
// follow changes made elsewhere, as the client of the service tells them
// (the guests' properties, guests coming and going, the service
// restarting); a refusal is a toast with the service's words, and the row
// shows the guest's real setting again.

import { describeError, isCancelled } from '../client/calls.js';
import { displaySettings, type SwitcherClient } from '../client/switcher-client.js';
import { GUEST_INTERFACE } from '../client/switcher1.js';
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
import { compareGuests } from '../model/guest-list.js';
import { OptionalPage } from './optional-page.js';

const DISPLAY_PROPERTIES = ['Name', 'Heads', 'Resolution', 'Accel3D', 'RunningDisplay', 'Display'];

/** A guest's expander row, and its rows once opened. */
interface GuestEntry {
  path: string;
  expander: Adw.ExpanderRow;
  limits?: DisplayDescription;
  resolution?: { row: Adw.ComboRow; choices: ResolutionChoice[] };
  heads?: { row: Adw.ComboRow; choices: number[] };
  accel3d?: Adw.SwitchRow;
}

export class DisplaysPage {
  private readonly page: OptionalPage;
  private group: Adw.PreferencesGroup | undefined;
  private guests: GuestEntry[] = [];
  private destroyed = false;
  // Bumped on every relisting: the answers of calls made for an older list are dropped.
  private generation = 0;
  // Set while we change a row ourselves, so that it is not taken for the user's.
  private syncing = 0;
  private readonly unsubscribe: () => void;

  constructor(
    window: Adw.PreferencesWindow,
    private readonly settings: Gio.Settings,
    private readonly client: SwitcherClient,
  ) {
    this.page = new OptionalPage(window, {
      title: _('Displays'),
      iconName: 'video-display-symbolic',
      groupTitle: _('Each Guest’s Display'),
      groupDescription: _(
        'A fixed resolution may be larger than your monitor: the guest is shown scaled to fit. Several screens show the guest on several monitors, one each. Changes take effect when the guest next starts.',
      ),
    });
    this.unsubscribe = client.subscribe({
      presenceChanged: () => this.relist(),
      objectChanged: (path) => {
        const listed = this.guests.some((g) => g.path === path);
        if (listed !== (this.client.properties(path, GUEST_INTERFACE, []) !== undefined)) this.relist();
      },
      propertiesChanged: (path, iface, names) => {
        if (iface !== GUEST_INTERFACE || !names.some((n) => DISPLAY_PROPERTIES.includes(n))) return;
        const entry = this.guests.find((g) => g.path === path);
        // A guest that gains or loses a display of ours comes or goes; a rename may move it.
        if (!entry || names.includes('Display') || names.includes('Name')) this.relist();
        else this.sync(entry);
      },
    });
  }

  destroy(): void {
    this.destroyed = true;
    this.generation++;
    this.unsubscribe();
    this.unwatch();
  }

  /** A row per guest with a display of ours, as the service has them now; none (or no service): no page. */
  private relist(): void {
    this.generation++;
    this.unwatch();
    // Guests on a screen of their own (a passed-through GPU) have no display of ours to set.
    const shown = this.client
      .paths(GUEST_INTERFACE)
      .map((path) => ({ path, ...this.client.properties(path, GUEST_INTERFACE, ['Name', 'Display']) }))
      .filter((g) => (g.Display ?? '') !== '')
      .map((g) => ({ path: g.path, name: g.Name ?? '' }))
      .sort(compareGuests);
    this.group = this.page.show(shown.length > 0);
    for (const { path } of shown) this.guests.push(this.guestRow(path));
  }

  private guestRow(path: string): GuestEntry {
    const expander = new Adw.ExpanderRow({ title: GLib.markup_escape_text(this.name(path), -1) });
    const entry: GuestEntry = { path, expander };
    // What the guest's model takes is asked once, when its row is first opened.
    expander.connect('notify::expanded', () => {
      if (expander.expanded && !entry.limits) void this.describe(entry);
    });
    this.sync(entry);
    this.group?.add(expander);
    return entry;
  }

  private name(path: string): string {
    return this.client.properties(path, GUEST_INTERFACE, ['Name'])?.Name ?? '';
  }

  private current(entry: GuestEntry): { heads: number; resolution: [number, number]; accel3d: boolean } {
    const properties = this.client.properties(entry.path, GUEST_INTERFACE, ['Heads', 'Resolution', 'Accel3D']);
    return {
      heads: properties?.Heads ?? 1,
      resolution: properties?.Resolution ?? [0, 0],
      accel3d: properties?.Accel3D ?? false,
    };
  }

  private async describe(entry: GuestEntry): Promise<void> {
    const generation = this.generation;
    try {
      const [description] = await this.client.call(entry.path, GUEST_INTERFACE, 'DescribeDisplay', []);
      if (generation !== this.generation) return;
      entry.limits = displayDescription(description);
      this.addRows(entry, entry.limits);
      this.sync(entry);
    } catch (error) {
      if (isCancelled(error) || generation !== this.generation) return;
      this.page.toast(describeError(error));
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
    const pending = displayPending(
      this.client.properties(entry.path, GUEST_INTERFACE, ['RunningDisplay'])?.RunningDisplay,
    );
    this.syncing++;
    try {
      entry.expander.title = GLib.markup_escape_text(this.name(entry.path), -1);
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
        dialog.present(this.page.parent);
      });
      if (answer !== 'on' || this.destroyed) {
        this.sync(entry);
        return;
      }
      this.settings.set_boolean('accel3d-cost-told', true);
    }
    this.change(entry, { accel3d: on });
  }

  /** Asks the service; a refusal is said, and the row shows the guest's real setting again. */
  private change(entry: GuestEntry, change: DisplayChange): void {
    const generation = this.generation;
    const settings = displaySettings(change);
    this.client
      .call(entry.path, GUEST_INTERFACE, 'SetDisplay', [settings], { interactive: true })
      .catch((error: unknown) => {
        if (isCancelled(error)) return;
        this.page.toast(describeError(error));
        if (generation === this.generation) this.sync(entry);
      });
  }

  /** Drops the rows. */
  private unwatch(): void {
    this.guests = [];
    this.page.clear();
    this.group = undefined;
  }
}
