// The full-screen guest launcher: a tile per guest with its name, OS, state
// and, when its viewer is open, a live picture of its screen. Arrow keys
// move, Enter or a click switches, Escape closes; typing filters by name or
// OS. The tiles scroll; they are made for the first guests that match, and
// more as the grid is scrolled (or walked) towards its end, so a thousand
// guests neither stall the Shell nor overflow it. While it is open it
// follows the guest list, one tile at a time.

import { _, Clutter, ensureActorVisibleInScrollView, Main, Meta, Shell, St } from '../gi.js';
import { sortedIndex, type GuestList, type GuestSummary } from '../model/guest-list.js';
import { figuresText } from '../model/figures.js';
import { presentState } from '../model/guest-state.js';
import { osLabel } from '../model/os-label.js';
import { transfersFor, type TransferAction } from '../model/transfer.js';
import { transferLabel } from './transfer-labels.js';

/** Export…, Clone…, Move to… under each tile and Import… under the title, when given. */
export interface LauncherTransfers {
  run(guest: GuestSummary, action: TransferAction): void;
  importBundle(): void;
}

const TILE_WIDTH = 320;
const PREVIEW_HEIGHT = 200;
/** Tiles made when it opens (or the filter changes), and added each time it is scrolled near the end. */
const TILES_PER_STEP = 24;

interface Tile {
  guest: GuestSummary;
  /** What the grid holds: the tile's button, with its transfer actions under it when there are any. */
  root: St.Widget;
  /** The row of transfer actions, when the launcher has them. */
  transferRow: St.BoxLayout | undefined;
  transferButtons: St.Button[];
  button: St.Button;
  nameLabel: St.Label;
  detailsLabel: St.Label;
  hasPreview: boolean;
}

export class Launcher {
  private overlay: St.Widget | undefined;
  private grid: St.BoxLayout | undefined;
  /** Tiles per row: as many as the monitor is wide enough for. */
  private perRow = 1;
  /** While tiles are added in a batch, or moved: one reflow at the end. */
  private reflowing = false;
  private scroll: St.ScrollView | undefined;
  private filterLabel: St.Label | undefined;
  private grab: Clutter.Grab | undefined;
  private tiles: Tile[] = [];
  private filter = '';
  /** The guests that match the filter, in list order; tiles exist for the first ones. */
  private matching: GuestSummary[] = [];

  constructor(
    private readonly guests: GuestList,
    private readonly windowFor: (guest: GuestSummary) => Meta.Window | undefined,
    private readonly onChoose: (guest: GuestSummary) => void,
    private readonly transfers?: LauncherTransfers,
    /** Told when the launcher opens and closes (live figures are wanted while it is open). */
    private readonly onOpenChanged: (open: boolean) => void = () => undefined,
  ) {}

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
      orientation: Clutter.Orientation.VERTICAL,
      x_expand: true,
      y_expand: true,
    });
    column.add_child(
      new St.Label({ text: _('Guests'), style_class: 'phyllome-launcher-title', x_align: Clutter.ActorAlign.CENTER }),
    );
    const transfers = this.transfers;
    if (transfers) {
      column.add_child(this.smallButton(_('Import…'), () => transfers.importBundle(), Clutter.ActorAlign.CENTER));
    }
    this.filterLabel = new St.Label({ style_class: 'phyllome-launcher-filter', x_align: Clutter.ActorAlign.CENTER });
    column.add_child(this.filterLabel);
    this.perRow = Math.max(1, Math.floor((monitor.width - 96) / (TILE_WIDTH + 48)));
    // Rows of tiles, laid out by hand (reflow): Clutter's FlowLayout allocated them no height here.
    this.grid = new St.BoxLayout({
      orientation: Clutter.Orientation.VERTICAL,
      style_class: 'phyllome-launcher-grid',
      x_align: Clutter.ActorAlign.CENTER,
    });
    // A ScrollView's child must scroll itself: a box around the grid does.
    const content = new St.BoxLayout({ orientation: Clutter.Orientation.VERTICAL, x_expand: true });
    content.add_child(this.grid);
    this.scroll = new St.ScrollView({
      style_class: 'phyllome-launcher-scroll',
      hscrollbar_policy: St.PolicyType.NEVER,
      vscrollbar_policy: St.PolicyType.AUTOMATIC,
      x_expand: true,
      y_expand: true,
      child: content,
    });
    this.scroll.vadjustment.connect('notify::value', () => this.extendIfNearEnd());
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
  }

  /** A guest came or its name changed: its tile goes where it now belongs (only while open). */
  put(guest: GuestSummary): void {
    if (!this.grid) return;
    this.removeTile(guest.path);
    this.matching = this.matching.filter((g) => g.path !== guest.path);
    if (!this.matches(guest)) return;
    const at = sortedIndex(this.matching, guest);
    this.matching.splice(at, 0, guest);
    // A tile if it sorts among those made (else it comes with scrolling).
    if (at < this.tiles.length || this.tiles.length < TILES_PER_STEP) this.addTile(guest);
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
    this.matching = this.matching.filter((g) => g.path !== path);
    this.removeTile(path);
  }

  /** All tiles anew (the list was reset). */
  refresh(): void {
    if (!this.grid) return;
    const focused = this.focusedPath();
    this.fill(focused);
  }

  /** What the launcher shows, for tests through Eval. */
  describe(): { name: string; details: string; preview: boolean; focused: boolean; transfers: string[] }[] {
    const focus = global.stage.get_key_focus();
    return this.tiles.map((tile) => ({
      name: tile.nameLabel.text,
      details: tile.detailsLabel.text,
      preview: tile.hasPreview,
      focused: tile.button === focus,
      transfers: tile.transferButtons.map((b) => b.label ?? ''),
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

  /** Tiles for the first guests that match (and up to the one to focus); the rest come with scrolling. */
  private fill(focusPath?: string): void {
    const grid = this.grid;
    if (!grid) return;
    grid.destroy_all_children();
    this.tiles = [];
    if (this.filterLabel) {
      this.filterLabel.text = this.filter ? _('Showing “%s”').format(this.filter) : '';
      this.filterLabel.visible = this.filter !== '';
    }
    this.matching = this.guests.ordered().filter((g) => this.matches(g));
    if (this.matching.length === 0) {
      grid.add_child(
        new St.Label({
          text: this.filter ? _('No guest matches') : _('No guests yet'),
          style_class: 'phyllome-launcher-empty',
        }),
      );
      this.overlay?.grab_key_focus();
      return;
    }
    const focusAt = this.matching.findIndex((g) => g.path === focusPath);
    this.extend(Math.max(TILES_PER_STEP, focusAt + 1));
    const tile = this.tiles.find((t) => t.guest.path === focusPath) ?? this.tiles[0];
    tile?.button.grab_key_focus();
  }

  /** Makes tiles for the next `count` matching guests after those that have one. */
  private extend(count: number): void {
    const until = Math.min(this.matching.length, this.tiles.length + count);
    // One reflow for the lot: the new tiles go at the end, in order.
    this.reflowing = true;
    for (let i = this.tiles.length; i < until; i++) this.addTile(this.matching[i] as GuestSummary);
    this.reflowing = false;
    this.reflow();
  }

  private extendIfNearEnd(): void {
    const scroll = this.scroll;
    if (!scroll || this.tiles.length >= this.matching.length) return;
    const { value, page_size: page, upper } = scroll.vadjustment;
    if (value + page >= upper - page / 2) this.extend(TILES_PER_STEP);
  }

  private addTile(guest: GuestSummary): void {
    const grid = this.grid;
    if (!grid) return;
    const box = new St.BoxLayout({
      orientation: Clutter.Orientation.VERTICAL,
      style_class: 'phyllome-launcher-tile-box',
    });
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
    let root: St.Widget = button;
    let transferRow: St.BoxLayout | undefined;
    if (this.transfers) {
      root = new St.BoxLayout({
        orientation: Clutter.Orientation.VERTICAL,
        style_class: 'phyllome-launcher-tile-column',
      });
      root.add_child(button);
      transferRow = new St.BoxLayout({
        style_class: 'phyllome-launcher-transfers',
        x_align: Clutter.ActorAlign.CENTER,
      });
      root.add_child(transferRow);
    }
    const tile: Tile = {
      guest,
      root,
      transferRow,
      transferButtons: [],
      button,
      nameLabel,
      detailsLabel,
      hasPreview: Boolean(windowActor),
    };
    this.describeTile(tile, guest);
    button.connect('clicked', () => {
      const chosen = this.guests.get(tile.guest.path);
      this.close();
      if (chosen) this.onChoose(chosen);
    });
    button.connect('key-focus-in', () => {
      if (this.scroll) ensureActorVisibleInScrollView(this.scroll, button);
      // Walking towards the end with the keyboard: the next tiles come first.
      if (this.tiles.findIndex((t) => t.button === button) >= this.tiles.length - 8) this.extend(TILES_PER_STEP);
    });
    // In list order among the tiles already there.
    const at = sortedIndex(
      this.tiles.map((t) => t.guest),
      guest,
    );
    this.tiles.splice(at, 0, tile);
    if (!this.reflowing) this.reflow();
  }

  /**
   * Puts the tiles in rows of `perRow`, in list order: only a tile out of
   * its place moves, and the key focus stays on the tile that had it.
   */
  private reflow(): void {
    const grid = this.grid;
    if (!grid) return;
    this.reflowing = true;
    const focus = global.stage.get_key_focus();
    const rows = grid
      .get_children()
      .filter((c): c is St.BoxLayout => c instanceof St.BoxLayout && c.has_style_class_name('phyllome-launcher-row'));
    this.tiles.forEach((tile, i) => {
      const at = Math.floor(i / this.perRow);
      let row = rows[at];
      if (!row) {
        row = new St.BoxLayout({ style_class: 'phyllome-launcher-row' });
        grid.add_child(row);
        rows.push(row);
      }
      const place = i % this.perRow;
      if (tile.root.get_parent() === row && row.get_child_at_index(place) === tile.root) return;
      tile.root.get_parent()?.remove_child(tile.root);
      row.insert_child_at_index(tile.root, place);
    });
    for (const row of rows.slice(Math.ceil(this.tiles.length / this.perRow))) row.destroy();
    if (focus instanceof St.Button && !focus.has_key_focus() && this.tiles.some((t) => t.button === focus))
      focus.grab_key_focus();
    this.reflowing = false;
  }

  private describeTile(tile: Tile, guest: GuestSummary): void {
    const stateChanged = tile.guest.state !== guest.state || tile.transferButtons.length === 0;
    tile.guest = guest;
    const transfers = this.transfers;
    if (transfers && tile.transferRow && stateChanged) {
      tile.transferRow.destroy_all_children();
      tile.transferButtons = transfersFor(guest.state).map((action) => {
        const button = this.smallButton(transferLabel(action), () => transfers.run(tile.guest, action));
        tile.transferRow?.add_child(button);
        return button;
      });
    }
    tile.nameLabel.text = guest.name;
    const state = guest.display === '' ? _('On a screen of its own') : '';
    const details = [osLabel(guest.osId), _(presentState(guest.state).label), figuresText(guest, _), state]
      .filter(Boolean)
      .join(' · ');
    tile.detailsLabel.text = details;
    const place = this.guests.indexOf(guest.path) + 1;
    tile.button.accessible_name =
      place >= 1 && place <= 9
        ? _('%1$s, %2$s, shortcut %3$d').format(guest.name, details, place)
        : `${guest.name}, ${details}`;
  }

  /** A small action button; it closes the launcher before it acts. */
  private smallButton(label: string, run: () => void, align = Clutter.ActorAlign.FILL): St.Button {
    const button = new St.Button({
      label,
      style_class: 'phyllome-launcher-action',
      can_focus: true,
      reactive: true,
      track_hover: true,
      x_align: align,
    });
    button.connect('clicked', () => {
      this.close();
      run();
    });
    return button;
  }

  private removeTile(path: string): void {
    const index = this.tiles.findIndex((t) => t.guest.path === path);
    if (index < 0) return;
    const [tile] = this.tiles.splice(index, 1);
    tile?.root.destroy();
    this.reflow();
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
