// The full-screen guest launcher: a tile per guest with its name, OS, state
// and, when its viewer is open, a live picture of its screen. Arrow keys
// move, Enter or a click switches, Escape closes.

import { _, Clutter, Main, Meta, Shell, St } from '../gi.js';
import type { GuestList, GuestSummary } from '../model/guest-list.js';
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
const TILES_PER_ROW = 4;

export class Launcher {
  private overlay: St.Widget | undefined;
  private grab: Clutter.Grab | undefined;

  constructor(
    private readonly guests: GuestList,
    private readonly windowFor: (guest: GuestSummary) => Meta.Window | undefined,
    private readonly onChoose: (guest: GuestSummary) => void,
    private readonly transfers?: LauncherTransfers,
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
    this.overlay = overlay;
    Main.uiGroup.add_child(overlay);
    this.grab = Main.pushModal(overlay, { actionMode: Shell.ActionMode.SYSTEM_MODAL });
    this.fill(focusPath);
  }

  /** Rebuilds the tiles (a guest came, went or changed) keeping the focus where it was. */
  refresh(): void {
    if (!this.overlay) return;
    const focused = global.stage.get_key_focus();
    this.fill((focused as (St.Widget & { guestPath?: string }) | null)?.guestPath);
  }

  close(): void {
    if (this.grab) Main.popModal(this.grab);
    this.grab = undefined;
    this.overlay?.destroy();
    this.overlay = undefined;
  }

  /** What the launcher shows, for tests through Eval. */
  describe(): { name: string; details: string; preview: boolean; focused: boolean; transfers: string[] }[] {
    const focus = global.stage.get_key_focus();
    return this.tiles().map((tile) => ({
      name: tile.nameLabel.text,
      details: tile.detailsLabel.text,
      preview: tile.hasPreview,
      focused: tile.button === focus,
      transfers: tile.transferButtons.map((b) => b.label ?? ''),
    }));
  }

  private tileRecords: {
    button: St.Button;
    nameLabel: St.Label;
    detailsLabel: St.Label;
    hasPreview: boolean;
    transferButtons: St.Button[];
  }[] = [];

  private tiles(): typeof this.tileRecords {
    return this.tileRecords;
  }

  private fill(focusPath?: string): void {
    const overlay = this.overlay;
    if (!overlay) return;
    overlay.destroy_all_children();
    this.tileRecords = [];
    const column = new St.BoxLayout({
      style_class: 'phyllome-launcher-column',
      vertical: true,
      x_align: Clutter.ActorAlign.CENTER,
      y_align: Clutter.ActorAlign.CENTER,
    });
    column.add_child(
      new St.Label({ text: 'Guests', style_class: 'phyllome-launcher-title', x_align: Clutter.ActorAlign.CENTER }),
    );
    const transfers = this.transfers;
    if (transfers) {
      column.add_child(this.smallButton(_('Import…'), () => transfers.importBundle(), Clutter.ActorAlign.CENTER));
    }
    const ordered = this.guests.ordered();
    if (ordered.length === 0) {
      column.add_child(
        new St.Label({
          text: 'No guests yet',
          style_class: 'phyllome-launcher-empty',
          x_align: Clutter.ActorAlign.CENTER,
        }),
      );
    }
    let row: St.BoxLayout | undefined;
    let toFocus: St.Button | undefined;
    ordered.forEach((guest, index) => {
      if (index % TILES_PER_ROW === 0) {
        row = new St.BoxLayout({ style_class: 'phyllome-launcher-row', x_align: Clutter.ActorAlign.CENTER });
        column.add_child(row);
      }
      const tile = this.tile(guest, index + 1);
      row?.add_child(this.withTransfers(guest, tile));
      if (guest.path === focusPath || !toFocus) toFocus = tile;
    });
    overlay.add_child(column);
    toFocus?.grab_key_focus();
  }

  private tile(guest: GuestSummary, place: number): St.Button {
    const box = new St.BoxLayout({ vertical: true, style_class: 'phyllome-launcher-tile-box' });
    const preview = new St.Bin({ style_class: 'phyllome-launcher-preview', width: TILE_WIDTH, height: PREVIEW_HEIGHT });
    const windowActor = this.windowFor(guest)?.get_compositor_private() as Clutter.Actor | null | undefined;
    if (windowActor) {
      // A live picture: the viewer's own window, scaled into the tile.
      const [width, height] = [windowActor.width || 1, windowActor.height || 1];
      const scale = Math.min(TILE_WIDTH / width, PREVIEW_HEIGHT / height);
      preview.set_child(new Clutter.Clone({ source: windowActor, width: width * scale, height: height * scale }));
    } else {
      preview.set_child(
        new St.Icon({ icon_name: 'computer-symbolic', icon_size: 96, style_class: 'phyllome-launcher-icon' }),
      );
    }
    box.add_child(preview);
    const nameLabel = new St.Label({
      text: guest.name,
      style_class: 'phyllome-launcher-name',
      x_align: Clutter.ActorAlign.CENTER,
    });
    const details = [osLabel(guest.osId), presentState(guest.state).label].filter(Boolean).join(' · ');
    const detailsLabel = new St.Label({
      text: details,
      style_class: 'phyllome-launcher-details',
      x_align: Clutter.ActorAlign.CENTER,
    });
    box.add_child(nameLabel);
    box.add_child(detailsLabel);
    const button = new St.Button({
      style_class: 'phyllome-launcher-tile',
      child: box,
      can_focus: true,
      reactive: true,
      track_hover: true,
      accessible_name: `${guest.name}, ${details}, shortcut ${place <= 9 ? place : 'none'}`,
    });
    (button as St.Button & { guestPath?: string }).guestPath = guest.path;
    button.connect('clicked', () => {
      this.close();
      this.onChoose(guest);
    });
    this.tileRecords.push({ button, nameLabel, detailsLabel, hasPreview: Boolean(windowActor), transferButtons: [] });
    return button;
  }

  /** The tile with a row of its transfer actions under it; each closes the launcher first. */
  private withTransfers(guest: GuestSummary, tile: St.Button): St.Widget {
    const transfers = this.transfers;
    if (!transfers) return tile;
    const box = new St.BoxLayout({ vertical: true, style_class: 'phyllome-launcher-tile-column' });
    box.add_child(tile);
    const row = new St.BoxLayout({ style_class: 'phyllome-launcher-transfers', x_align: Clutter.ActorAlign.CENTER });
    const record = this.tileRecords.at(-1);
    for (const action of transfersFor(guest.state)) {
      const button = this.smallButton(transferLabel(action), () => transfers.run(guest, action));
      row.add_child(button);
      record?.transferButtons.push(button);
    }
    box.add_child(row);
    return box;
  }

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

  private onKey(event: Clutter.Event): boolean {
    const directions: Record<number, St.DirectionType> = {
      [Clutter.KEY_Left]: St.DirectionType.LEFT,
      [Clutter.KEY_Right]: St.DirectionType.RIGHT,
      [Clutter.KEY_Up]: St.DirectionType.UP,
      [Clutter.KEY_Down]: St.DirectionType.DOWN,
    };
    const symbol = event.get_key_symbol();
    if (symbol === Clutter.KEY_Escape) {
      this.close();
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
    return Clutter.EVENT_PROPAGATE;
  }
}
