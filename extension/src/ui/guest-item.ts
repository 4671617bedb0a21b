// One guest in the menu: name, state icon and words, and a submenu with
// Switch To, the actions that make sense in its state, its USB devices, its
// display (resolution, heads, 3D: from its next start, which it says while
// a change waits) and, with several monitors or seats, where each of its
// heads is shown. The submenu's items are
// made when it opens and destroyed when it closes: a closed submenu holds no
// actors, so a thousand guests cost a thousand small rows.

import { _, Clutter, GLib, GObject, ngettext, PopupMenu, St } from '../gi.js';
import {
  displayPending,
  headChoices,
  headsShown,
  isCurrent,
  resolutionChoices,
  resolutionLabel,
  type DisplayChange,
  type DisplayDescription,
} from '../model/display.js';
import { figuresText } from '../model/figures.js';
import type { GuestSummary } from '../model/guest-list.js';
import { ACTION_LABEL, actionsFor, canSwitchTo, presentState, type GuestAction } from '../model/guest-state.js';
import type { MonitorChoice } from '../windows/monitor-list.js';
import type { SeatSummary } from '../model/seats.js';
import { nextRule, RULE_LABEL, ruleFor, type UsbRuleMode, type UsbSummary } from '../model/usb-list.js';
import { transfersFor, type TransferAction } from '../model/transfer.js';
import { canShare } from '../model/sharing.js';
import { addSection, dropSection, untrackSubmenu } from './sections.js';
import { transferLabel } from './transfer-labels.js';

export type MenuAction = GuestAction | 'Switch';

export interface GuestItemHandlers {
  action(guest: GuestSummary, action: MenuAction): void;
  assignMonitor(guest: GuestSummary, connector: string): void;
  /** Puts one head of a guest with several on a monitor ('' for none). */
  assignHeadMonitor(guest: GuestSummary, head: number, connector: string): void;
  /** What the guest's display may be set to here. */
  describeDisplay(guest: GuestSummary): Promise<DisplayDescription>;
  /** Changes the guest's display from its next start (3D asks first, once: see extension.ts). */
  setDisplay(guest: GuestSummary, change: DisplayChange): void;
  /** The monitors to offer; empty when there is only one. */
  monitors(): Promise<MonitorChoice[]>;
  /** The host's USB devices, each with its owner. */
  usbDevices(): UsbSummary[];
  /** Gives the device to the guest, or takes it back if the guest has it. */
  usbToggle(guest: GuestSummary, device: UsbSummary): void;
  usbRule(guest: GuestSummary, device: UsbSummary, mode: UsbRuleMode | ''): void;
  /** logind's seats, when the service knows any. */
  seats(): SeatSummary[];
  /** Puts the guest on a seat (by the seat's path), or on none (undefined). */
  assignSeat(guest: GuestSummary, seatPath: string | undefined): void;
  /** Export…, Clone… or Move to… (each asks for what it needs first). */
  transfer(guest: GuestSummary, action: TransferAction): void;
  /** Sets whether libvirt starts the guest with the host. */
  autostart(guest: GuestSummary, enabled: boolean): void;
  /** Whether the host allows sharing guests with other computers. */
  sharingAllowed(): boolean;
  /** Share… (asks how long, then shows the credential once) and Stop Sharing. */
  share(guest: GuestSummary): void;
  unshare(guest: GuestSummary): void;
}

/** The labels of the actions a guest offers now, in menu order (untranslated keys: MenuAction). */
export function menuActions(guest: GuestSummary): MenuAction[] {
  return [...(canSwitchTo(guest.state) ? ['Switch' as const] : []), ...actionsFor(guest.state)];
}

export function actionLabel(action: MenuAction): string {
  return action === 'Switch' ? _('Switch To') : _(ACTION_LABEL[action]);
}

export const GuestItem = GObject.registerClass(
  { GTypeName: 'PhyllomeGuestItem' },
  class GuestItem extends PopupMenu.PopupSubMenuMenuItem {
    private guest!: GuestSummary;
    private handlers!: GuestItemHandlers;
    private stateLabel!: St.Label;
    /** Sections of the open submenu; undefined while it is closed. */
    private sections:
      | {
          actions: PopupMenu.PopupMenuSection;
          usb: PopupMenu.PopupMenuSection;
          transfers?: PopupMenu.PopupMenuSection;
          display?: PopupMenu.PopupMenuSection;
          sharing?: PopupMenu.PopupMenuSection;
          all: PopupMenu.PopupMenuSection[];
        }
      | undefined;
    /** "Start with the Host", while the submenu is open. */
    private autostartItem: PopupMenu.PopupMenuItem | undefined;
    private shownState: string | undefined;
    /** Counts the times the submenu was filled, so that a late monitor list lands only in its own. */
    private fills = 0;
    /** What the guest's display may be, once asked for this opening of the submenu. */
    private displayLimits: DisplayDescription | undefined;

    constructor(guest: GuestSummary, handlers: GuestItemHandlers) {
      super(guest.name, true);
      this.guest = guest;
      this.handlers = handlers;
      this.add_style_class_name('phyllome-guest-item');
      this.stateLabel = new St.Label({ style_class: 'phyllome-guest-state', y_align: Clutter.ActorAlign.CENTER });
      // Before the expander arrow, after the name.
      this.insert_child_below(this.stateLabel, this.get_last_child());
      this.menu.connect('open-state-changed', (_menu, open: boolean) => {
        if (!open) this.empty();
        return undefined;
      });
      this.update(guest);
      this.connect('destroy', () => {
        this.empty();
        untrackSubmenu(this);
      });
    }

    get path(): string {
      return this.guest.path;
    }

    update(guest: GuestSummary): void {
      const before = this.guest as GuestSummary | undefined;
      this.guest = guest;
      // St.Label's text is never parsed as markup.
      if (this.label.text !== guest.name) this.label.text = guest.name;
      const presentation = presentState(guest.state);
      // PopupSubMenuMenuItem makes `icon` when asked for one (wantIcon); its types leave it out.
      const icon = (this as unknown as { icon: St.Icon }).icon;
      if (icon.icon_name !== presentation.iconName) icon.icon_name = presentation.iconName;
      const state = _(presentation.label);
      // Live figures beside the state, while the menu is open (they are known only then).
      const figures = figuresText(guest, _);
      const details = figures ? `${state} · ${figures}` : state;
      if (this.stateLabel.text !== details) this.stateLabel.text = details;
      this.accessible_name = `${guest.name}, ${details}`;
      if (this.sections && guest.state !== this.shownState) this.fillActions();
      this.autostartItem?.setOrnament(guest.autostart ? PopupMenu.Ornament.CHECK : PopupMenu.Ornament.NONE);
      // Figures change every second: the USB items (perhaps under the keyboard focus) only when they must.
      if (!before || before.state !== guest.state || before.usbRules !== guest.usbRules) this.refreshUsb();
      if (
        before &&
        (before.heads !== guest.heads ||
          before.resolution !== guest.resolution ||
          before.accel3d !== guest.accel3d ||
          before.runningDisplay !== guest.runningDisplay)
      )
        this.showDisplay();
      if (before && (before.shared !== guest.shared || before.sharedUntil !== guest.sharedUntil)) this.fillSharing();
    }

    /** The submenu is filled as it opens: a PopupSubMenu will not open while empty. */
    override setSubmenuShown(open: boolean): void {
      if (open) this.fill();
      super.setSubmenuShown(open);
    }

    /** Runs one of the actions the submenu offers now, as a click would (for tests through Eval). */
    activateAction(action: MenuAction): boolean {
      if (!menuActions(this.guest).includes(action)) return false;
      this.handlers.action(this.guest, action);
      return true;
    }

    /** USB: shown again when devices or their owners change (only while the submenu is open). */
    refreshUsb(): void {
      const section = this.sections?.usb;
      if (!section) return;
      section.removeAll();
      const running = this.guest.state === 'running' || this.guest.state === 'paused';
      const rules = this.guest.usbRules ?? [];
      const shown = this.handlers
        .usbDevices()
        .filter((d) => d.owner === this.guest.path || (running && d.owner === '') || ruleFor(rules, d) !== '');
      if (shown.length === 0) return;
      section.addMenuItem(new PopupMenu.PopupSeparatorMenuItem(_('USB')));
      for (const device of shown) {
        const mine = device.owner === this.guest.path;
        if (mine || (running && device.owner === '')) {
          const item = new PopupMenu.PopupMenuItem(device.name);
          item.setOrnament(mine ? PopupMenu.Ornament.CHECK : PopupMenu.Ornament.NONE);
          item.connect('activate', () => this.handlers.usbToggle(this.guest, device));
          section.addMenuItem(item);
        }
        const rule = ruleFor(rules, device);
        if (mine || rule !== '') {
          const ruleItem = new PopupMenu.PopupMenuItem(`${device.name}: ${_(RULE_LABEL[rule])}`);
          ruleItem.add_style_class_name('phyllome-usb-rule');
          ruleItem.connect('activate', () => this.handlers.usbRule(this.guest, device, nextRule(rule)));
          section.addMenuItem(ruleItem);
        }
      }
    }

    private fill(): void {
      if (this.sections) return;
      const actions = addSection(this.menu);
      const usb = addSection(this.menu);
      this.sections = { actions, usb, all: [actions, usb] };
      this.fills++;
      this.fillSeats();
      // After the seats; the display and the monitors (their lists come later) go last, in that order.
      const transfers = addSection(this.menu);
      this.sections.transfers = transfers;
      this.sections.all.push(transfers);
      // Sharing with another computer: a section of its own, after moving and copying.
      const sharing = addSection(this.menu);
      this.sections.sharing = sharing;
      this.sections.all.push(sharing);
      const display = addSection(this.menu);
      this.sections.display = display;
      this.sections.all.push(display);
      this.fillActions();
      this.refreshUsb();
      void this.fillDisplay();
      void this.fillMonitors();
    }

    private empty(): void {
      const sections = this.sections;
      this.sections = undefined;
      this.autostartItem = undefined;
      this.shownState = undefined;
      this.displayLimits = undefined;
      for (const section of sections?.all ?? []) dropSection(this.menu, section);
    }

    private fillActions(): void {
      const section = this.sections?.actions;
      if (!section) return;
      this.shownState = this.guest.state;
      section.removeAll();
      if (this.guest.display === '') {
        const note = new PopupMenu.PopupMenuItem(_('Shows on a screen of its own'), {
          reactive: false,
          can_focus: false,
        });
        note.add_style_class_name('phyllome-guest-note');
        section.addMenuItem(note);
      }
      for (const action of menuActions(this.guest)) {
        const item = new PopupMenu.PopupMenuItem(actionLabel(action));
        item.connect('activate', () => this.handlers.action(this.guest, action));
        section.addMenuItem(item);
      }
      section.addMenuItem(new PopupMenu.PopupSeparatorMenuItem());
      const autostart = new PopupMenu.PopupMenuItem(_('Start with the Host'));
      autostart.setOrnament(this.guest.autostart ? PopupMenu.Ornament.CHECK : PopupMenu.Ornament.NONE);
      autostart.connect('activate', () => this.handlers.autostart(this.guest, !this.guest.autostart));
      section.addMenuItem(autostart);
      this.autostartItem = autostart;
      this.fillTransfers();
      this.fillSharing();
    }

    /** Share… for a running guest the host lets share; Stop Sharing (and until when) for a shared one. */
    private fillSharing(): void {
      const section = this.sections?.sharing;
      if (!section) return;
      section.removeAll();
      const shared = this.guest.shared === true;
      if (!shared && !canShare(this.guest, this.handlers.sharingAllowed())) return;
      section.addMenuItem(new PopupMenu.PopupSeparatorMenuItem(_('Another Computer')));
      if (shared) {
        const until = GLib.DateTime.new_from_unix_local(this.guest.sharedUntil ?? 0)?.format('%X') ?? '';
        const note = new PopupMenu.PopupMenuItem(_('Shared until %s').format(until), {
          reactive: false,
          can_focus: false,
        });
        note.add_style_class_name('phyllome-guest-note');
        section.addMenuItem(note);
        const stop = new PopupMenu.PopupMenuItem(_('Stop Sharing'));
        stop.connect('activate', () => this.handlers.unshare(this.guest));
        section.addMenuItem(stop);
        return;
      }
      const share = new PopupMenu.PopupMenuItem(_('Share…'));
      share.connect('activate', () => this.handlers.share(this.guest));
      section.addMenuItem(share);
    }

    /** Export…, Clone… (off) or Move to… (running), after a labelled separator. */
    private fillTransfers(): void {
      const section = this.sections?.transfers;
      if (!section) return;
      section.removeAll();
      const transfers = transfersFor(this.guest.state);
      if (transfers.length > 0) section.addMenuItem(new PopupMenu.PopupSeparatorMenuItem(_('Move or Copy')));
      for (const action of transfers) {
        const item = new PopupMenu.PopupMenuItem(transferLabel(action));
        item.connect('activate', () => this.handlers.transfer(this.guest, action));
        section.addMenuItem(item);
      }
    }

    /** With several seats: which one the guest belongs to (a person at that seat lands in it). */
    private fillSeats(): void {
      const seats = this.handlers.seats();
      if (seats.length < 2 || !this.sections) return;
      const section = addSection(this.menu);
      this.sections.all.push(section);
      section.addMenuItem(new PopupMenu.PopupSeparatorMenuItem(_('Seat')));
      const current = this.guest.seat ?? '';
      for (const [seatPath, label, id] of [
        [undefined, _('No Seat'), ''] as const,
        ...seats.map((s) => [s.path, s.id, s.id] as const),
      ]) {
        const item = new PopupMenu.PopupMenuItem(label);
        item.setOrnament(current === id ? PopupMenu.Ornament.CHECK : PopupMenu.Ornament.NONE);
        item.connect('activate', () => this.handlers.assignSeat(this.guest, seatPath));
        section.addMenuItem(item);
      }
    }

    /** The display section, once the service said what the guest's video model takes. */
    private async fillDisplay(): Promise<void> {
      const fill = this.fills;
      // A guest on a screen of its own (a passed-through GPU) has no display of ours to set.
      if (this.guest.display === '') return;
      let limits: DisplayDescription;
      try {
        limits = await this.handlers.describeDisplay(this.guest);
      } catch {
        return; // the service cannot say: no section
      }
      if (!this.sections || fill !== this.fills) return;
      this.displayLimits = limits;
      this.showDisplay();
    }

    /** Resolution, heads and 3D as the guest has them from its next start; what waits for it, said. */
    private showDisplay(): void {
      const section = this.sections?.display;
      const limits = this.displayLimits;
      if (!section || !limits) return;
      section.removeAll();
      section.addMenuItem(new PopupMenu.PopupSeparatorMenuItem(_('Display')));
      const note = (text: string): void => {
        const item = new PopupMenu.PopupMenuItem(text, { reactive: false, can_focus: false });
        item.add_style_class_name('phyllome-guest-note');
        section.addMenuItem(item);
      };
      if (displayPending(this.guest.runningDisplay)) note(_('Changes take effect when it next starts'));
      const current = this.guest.resolution ?? [0, 0];
      const heads = this.guest.heads ?? 1;
      const choose = (label: string, checked: boolean, change: DisplayChange): void => {
        const item = new PopupMenu.PopupMenuItem(label);
        item.setOrnament(checked ? PopupMenu.Ornament.CHECK : PopupMenu.Ornament.NONE);
        item.connect('activate', () => this.handlers.setDisplay(this.guest, change));
        section.addMenuItem(item);
      };
      if (limits.maxWidth > 0) {
        for (const choice of resolutionChoices(limits, heads, current)) {
          choose(_(resolutionLabel(choice)), isCurrent(choice, current), {
            resolution: choice.kind === 'window' ? 'window' : [choice.width, choice.height],
          });
        }
      }
      for (const count of headChoices(limits)) {
        choose(ngettext('%d Screen', '%d Screens', count).format(count), count === heads, {
          heads: count,
        });
      }
      const accel3d = this.guest.accel3d ?? false;
      const switchItem = new PopupMenu.PopupSwitchMenuItem(_('3D Acceleration'), accel3d);
      // Where the host or the guest cannot have it, the switch says why instead of offering it.
      if (limits.accel3d && !accel3d) switchItem.setSensitive(false);
      switchItem.connect('toggled', (_item, state: boolean) =>
        this.handlers.setDisplay(this.guest, { accel3d: state }),
      );
      section.addMenuItem(switchItem);
      if (limits.accel3d && !accel3d) note(limits.accel3d);
    }

    private async fillMonitors(): Promise<void> {
      const fill = this.fills;
      let monitors: MonitorChoice[];
      try {
        monitors = await this.handlers.monitors();
      } catch {
        return; // no monitor list: no section
      }
      // Closed (or closed and opened again) meanwhile: that fill is not ours to finish.
      if (monitors.length < 2 || !this.sections || fill !== this.fills) return;
      const heads = headsShown(this.guest);
      const assigned = this.guest.monitors?.length ? this.guest.monitors : [this.guest.monitor ?? ''];
      for (let head = 0; head < heads; head++) {
        const section = addSection(this.menu);
        this.sections.all.push(section);
        // With one head, as before: Show On. With several, one list per head.
        const title = heads > 1 ? _('Screen %d On').format(head + 1) : _('Show On');
        section.addMenuItem(new PopupMenu.PopupSeparatorMenuItem(title));
        const choices: [string, string][] = [
          ['', head === 0 ? _('Where the Pointer Is') : _('Beside the Other Screens')],
          ...monitors.map((m): [string, string] => [m.connector, `${m.displayName} (${m.connector})`]),
        ];
        for (const [connector, label] of choices) {
          const item = new PopupMenu.PopupMenuItem(label);
          item.setOrnament((assigned[head] ?? '') === connector ? PopupMenu.Ornament.CHECK : PopupMenu.Ornament.NONE);
          item.connect('activate', () =>
            heads > 1
              ? this.handlers.assignHeadMonitor(this.guest, head, connector)
              : this.handlers.assignMonitor(this.guest, connector),
          );
          section.addMenuItem(item);
        }
      }
    }
  },
);

export type GuestItem = InstanceType<typeof GuestItem>;
