// The full-screen guest launcher: a tile per guest with its name, OS, state
// and, when its viewer is open, a live picture of its screen. Arrow keys
// move, Enter or a click switches, Escape closes; typing filters by name or
// OS. The tiles scroll, and are made a screenful at once and the rest in
// idle time, so a thousand guests neither stall the Shell nor overflow it.
// While it is open it follows the guest list, one tile at a time.

import { _, Clutter, ensureActorVisibleInScrollView, Main, Meta, Shell, St } from '../gi.js';
import { WorkQueue, type IdleScheduler } from '../client/work-queue.js';
import { compareGuests, type GuestList, type GuestSummary } from '../model/guest-list.js';
import { figuresText } from '../model/figures.js';
import { presentState } from '../model/guest-state.js';
import { osLabel } from '../model/os-label.js';

const TILE_WIDTH = 320;
const PREVIEW_HEIGHT = 200;
const FIRST_TILES = 24;

interface Tile {
  guest: GuestSummary;
  button: St.Button;
  nameLabel: St.Label;
  detailsLabel: St.Label;
  hasPreview: boolean;
}

export class Launcher {
  private overlay: St.Widget | undefined;
  private grid: St.Widget | undefined;
  private scroll: St.ScrollView | undefined;
  private filterLabel: St.Label | undefined;
  private grab: Clutter.Grab | undefined;
  private tiles: Tile[] = [];
  private filter = '';
  private readonly queue: WorkQueue;

  constructor(
    private readonly guests: GuestList,
    private readonly windowFor: (guest: GuestSummary) => Meta.Window | undefined,
    private readonly onChoose: (guest: GuestSummary) => void,
    scheduler: IdleScheduler,
    /** Told when the launcher opens and closes (live figures are wanted while it is open). */
    private readonly onOpenChanged: (open: boolean) => void = () => undefined,
  ) {
    this.queue = new WorkQueue(scheduler);
  }

  get isOpen(): boolean {
    return this.overlay !== undefined;
  }

  toggle(): void {
    if (this.isOpen) this.close();
    else this.open();
  }

  open(focusPath?: string): void {
    if (this.overlay) return;
    const monitor = Main.layoutManager.currentMonitor ?? Main.layoutManager.primaryMonitor;
    if (!monitor) return;
    const overlay = new St.Widget({
      style_class: 'phyllome-launcher',
      reactive: true,
      layout_manager: new Clutter.BinLayout(),
      x: monitor.x,
      y: monitor.y,
      width: monitor.width,
      height: monitor.height,
    });
    overlay.connect('key-press-event', (_actor, event: Clutter.Event) => this.onKey(event));
    overlay.connect('button-press-event', (_actor, event: Clutter.Event) => {
      // A click beside the tiles closes, like the overview's background.
      if (event.get_source() === overlay) this.close();
      return Clutter.EVENT_STOP;
    });
    const column = new St.BoxLayout({
      style_class: 'phyllome-launcher-column',
      vertical: true,
      x_expand: true,
      y_expand: true,
    });
    column.add_child(
      new St.Label({ text: _('Guests'), style_class: 'phyllome-launcher-title', x_align: Clutter.ActorAlign.CENTER }),
    );
    this.filterLabel = new St.Label({ style_class: 'phyllome-launcher-filter', x_align: Clutter.ActorAlign.CENTER });
    column.add_child(this.filterLabel);
    const perRow = Math.max(1, Math.floor((monitor.width - 96) / (TILE_WIDTH + 48)));
    const layout = new Clutter.FlowLayout({
      column_spacing: 24,
      row_spacing: 24,
      max_column_width: TILE_WIDTH + 24,
      homogeneous: true,
    });
    this.grid = new St.Widget({
      layout_manager: layout,
      style_class: 'phyllome-launcher-grid',
      width: perRow * (TILE_WIDTH + 48),
      x_align: Clutter.ActorAlign.CENTER,
    });
    // A ScrollView's child must scroll itself: a box around the grid does.
    const content = new St.BoxLayout({ vertical: true, x_expand: true });
    content.add_child(this.grid);
    this.scroll = new St.ScrollView({
      style_class: 'phyllome-launcher-scroll',
      hscrollbar_policy: St.PolicyType.NEVER,
      vscrollbar_policy: St.PolicyType.AUTOMATIC,
      x_expand: true,
      y_expand: true,
      child: content,
    });
    column.add_child(this.scroll);
    overlay.add_child(column);
    this.overlay = overlay;
    this.filter = '';
    Main.uiGroup.add_child(overlay);
    this.grab = Main.pushModal(overlay, { actionMode: Shell.ActionMode.SYSTEM_MODAL });
    this.fill(focusPath);
    this.onOpenChanged(true);
  }

  close(): void {
    const wasOpen = this.isOpen;
    this.queue.clear();
    if (this.grab) Main.popModal(this.grab);
    this.grab = undefined;
    this.overlay?.destroy();
    this.overlay = undefined;
    this.grid = undefined;
    this.scroll = undefined;
    this.filterLabel = undefined;
    this.tiles = [];
    if (wasOpen) this.onOpenChanged(false);
  }

  destroy(): void {
    this.close();
    this.queue.destroy();
  }

  /** A guest came or its name changed: its tile goes where it now belongs (only while open). */
  put(guest: GuestSummary): void {
    if (!this.grid) return;
    this.removeTile(guest.path);
    if (this.matches(guest)) this.addTile(guest);
  }

  /** A guest changed: its tile says so (only while open). */
  change(path: string): void {
    const guest = this.guests.get(path);
    const tile = this.tiles.find((t) => t.guest.path === path);
    if (!guest || !tile) return;
    if (tile.guest.name !== guest.name) this.put(guest);
    else this.describeTile(tile, guest);
  }

  remove(path: string): void {
    this.removeTile(path);
  }

  /** All tiles anew (the list was reset). */
  refresh(): void {
    if (!this.grid) return;
    const focused = this.focusedPath();
    this.fill(focused);
  }

  /** What the launcher shows, for tests through Eval. */
  describe(): { name: string; details: string; preview: boolean; focused: boolean }[] {
    const focus = global.stage.get_key_focus();
    return this.tiles.map((tile) => ({
      name: tile.nameLabel.text,
      details: tile.detailsLabel.text,
      preview: tile.hasPreview,
      focused: tile.button === focus,
    }));
  }

  private matches(guest: GuestSummary): boolean {
    if (!this.filter) return true;
    const wanted = this.filter.toLocaleLowerCase();
    return guest.name.toLocaleLowerCase().includes(wanted) || osLabel(guest.osId).toLocaleLowerCase().includes(wanted);
  }

  private focusedPath(): string | undefined {
    const focused = global.stage.get_key_focus();
    return this.tiles.find((t) => t.button === focused)?.guest.path;
  }

  /** Tiles for the guests that match: a screenful now, the rest in idle time. */
  private fill(focusPath?: string): void {
    const grid = this.grid;
    if (!grid) return;
    this.queue.clear();
    grid.destroy_all_children();
    this.tiles = [];
    if (this.filterLabel) {
      this.filterLabel.text = this.filter ? _('Showing “%s”').replace('%s', this.filter) : '';
      this.filterLabel.visible = this.filter !== '';
    }
    const shown = this.guests.ordered().filter((g) => this.matches(g));
    if (shown.length === 0) {
      grid.add_child(
        new St.Label({
          text: this.filter ? _('No guest matches') : _('No guests yet'),
          style_class: 'phyllome-launcher-empty',
        }),
      );
      this.overlay?.grab_key_focus();
      return;
    }
    const focusTile = (path: string | undefined): void => {
      const tile = this.tiles.find((t) => t.guest.path === path) ?? this.tiles[0];
      tile?.button.grab_key_focus();
    };
    shown.slice(0, FIRST_TILES).forEach((guest) => this.addTile(guest));
    focusTile(focusPath);
    for (const { path } of shown.slice(FIRST_TILES)) {
      this.queue.push(() => {
        const guest = this.guests.get(path);
        if (guest && this.matches(guest) && !this.tiles.some((t) => t.guest.path === path)) {
          this.addTile(guest);
          if (path === focusPath) focusTile(path);
        }
      });
    }
  }

  private addTile(guest: GuestSummary): void {
    const grid = this.grid;
    if (!grid) return;
    const box = new St.BoxLayout({ vertical: true, style_class: 'phyllome-launcher-tile-box' });
    const preview = new St.Bin({ style_class: 'phyllome-launcher-preview', width: TILE_WIDTH, height: PREVIEW_HEIGHT });
    const windowActor = this.windowFor(guest)?.get_compositor_private() as Clutter.Actor | null | undefined;
    if (windowActor) {
      // A live picture: the viewer's own window, scaled into the tile.
      const [width, height] = [windowActor.width || 1, windowActor.height || 1];
      const scale = Math.min(TILE_WIDTH / width, PREVIEW_HEIGHT / height);
      preview.set_child(new Clutter.Clone({ source: windowActor, width: width * scale, height: height * scale }));
    } else {
      const ownScreen = guest.display === '';
      preview.set_child(
        new St.Icon({
          icon_name: ownScreen ? 'video-display-symbolic' : 'computer-symbolic',
          icon_size: 96,
          style_class: 'phyllome-launcher-icon',
        }),
      );
    }
    box.add_child(preview);
    const nameLabel = new St.Label({ style_class: 'phyllome-launcher-name', x_align: Clutter.ActorAlign.CENTER });
    const detailsLabel = new St.Label({ style_class: 'phyllome-launcher-details', x_align: Clutter.ActorAlign.CENTER });
    box.add_child(nameLabel);
    box.add_child(detailsLabel);
    const button = new St.Button({
      style_class: 'phyllome-launcher-tile',
      child: box,
      can_focus: true,
      reactive: true,
      track_hover: true,
    });
    const tile: Tile = { guest, button, nameLabel, detailsLabel, hasPreview: Boolean(windowActor) };
    this.describeTile(tile, guest);
    button.connect('clicked', () => {
      const chosen = this.guests.get(tile.guest.path);
      this.close();
      if (chosen) this.onChoose(chosen);
    });
    button.connect('key-focus-in', () => {
      if (this.scroll) ensureActorVisibleInScrollView(this.scroll, button);
    });
    // In list order among the tiles already there (binary search: tiles stay in list order).
    let at = 0;
    for (let high = this.tiles.length; at < high;) {
      const middle = (at + high) >> 1;
      if (compareGuests((this.tiles[middle] as Tile).guest, guest) < 0) at = middle + 1;
      else high = middle;
    }
    this.tiles.splice(at, 0, tile);
    grid.insert_child_at_index(button, at);
  }

  private describeTile(tile: Tile, guest: GuestSummary): void {
    tile.guest = guest;
    tile.nameLabel.text = guest.name;
    const state = guest.display === '' ? _('On a screen of its own') : '';
    const details = [osLabel(guest.osId), _(presentState(guest.state).label), figuresText(guest, _), state]
      .filter(Boolean)
      .join(' · ');
    tile.detailsLabel.text = details;
    const place = this.guests.indexOf(guest.path) + 1;
    tile.button.accessible_name =
      place >= 1 && place <= 9
        ? _('%1$s, %2$s, shortcut %3$d')
            .replace('%1$s', guest.name)
            .replace('%2$s', details)
            .replace('%3$d', String(place))
        : `${guest.name}, ${details}`;
  }

  private removeTile(path: string): void {
    const index = this.tiles.findIndex((t) => t.guest.path === path);
    if (index < 0) return;
    const [tile] = this.tiles.splice(index, 1);
    tile?.button.destroy();
  }

  private onKey(event: Clutter.Event): boolean {
    const directions: Record<number, St.DirectionType> = {
      [Clutter.KEY_Left]: St.DirectionType.LEFT,
      [Clutter.KEY_Right]: St.DirectionType.RIGHT,
      [Clutter.KEY_Up]: St.DirectionType.UP,
      [Clutter.KEY_Down]: St.DirectionType.DOWN,
    };
    const symbol = event.get_key_symbol();
    if (symbol === Clutter.KEY_Escape) {
      if (this.filter) {
        this.filter = '';
        this.fill();
      } else this.close();
      return Clutter.EVENT_STOP;
    }
    const direction = directions[symbol];
    if (direction !== undefined && this.overlay) {
      this.overlay.navigate_focus(global.stage.get_key_focus(), direction, false);
      return Clutter.EVENT_STOP;
    }
    if (symbol === Clutter.KEY_Return || symbol === Clutter.KEY_KP_Enter) {
      const focused = global.stage.get_key_focus();
      if (focused instanceof St.Button) focused.emit('clicked', 1);
      return Clutter.EVENT_STOP;
    }
    if (symbol === Clutter.KEY_BackSpace && this.filter) {
      this.filter = this.filter.slice(0, -1);
      this.fill();
      return Clutter.EVENT_STOP;
    }
    // Typing filters the guests by name or OS.
    const character = String.fromCodePoint(Clutter.keysym_to_unicode(symbol) || 0);
    if (character > ' ' && !(event.get_state() & Clutter.ModifierType.CONTROL_MASK)) {
      this.filter += character;
      this.fill();
      return Clutter.EVENT_STOP;
    }
    return Clutter.EVENT_PROPAGATE;
  }
}
