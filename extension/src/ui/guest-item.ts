// One guest in the menu: name, state icon and words, and a submenu with
// Switch To, the actions that make sense in its state and, with several
// monitors, which monitor it is shown on.

import { _, Clutter, GObject, PopupMenu, St } from '../gi.js';
import type { GuestSummary } from '../model/guest-list.js';
import { ACTION_LABEL, actionsFor, presentState, type GuestAction } from '../model/guest-state.js';
import type { MonitorChoice } from '../monitors/monitor-list.js';
import type { SeatSummary } from '../model/seats.js';
import { nextRule, RULE_LABEL, ruleFor, type UsbRuleMode, type UsbSummary } from '../model/usb-list.js';
import { transfersFor, type TransferAction } from '../model/transfer.js';
import { transferLabel } from './transfer-labels.js';

export type MenuAction = GuestAction | 'Switch';

export interface GuestItemHandlers {
  action(guest: GuestSummary, action: MenuAction): void;
  assignMonitor(guest: GuestSummary, connector: string): void;
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
  /** Export…, Clone… or Move to…: asks what it needs, then runs it as a job. */
  transfer(guest: GuestSummary, action: TransferAction): void;
}

export const GuestItem = GObject.registerClass(
  { GTypeName: 'PhyllomeGuestItem' },
  class GuestItem extends PopupMenu.PopupSubMenuMenuItem {
    private guest!: GuestSummary;
    private handlers!: GuestItemHandlers;
    private stateLabel!: St.Label;
    private shownState: string | undefined;
    private actionSection!: PopupMenu.PopupMenuSection;
    private transferSection!: PopupMenu.PopupMenuSection;
    private monitorSection!: PopupMenu.PopupMenuSection;
    private usbSection!: PopupMenu.PopupMenuSection;
    private seatSection!: PopupMenu.PopupMenuSection;

    constructor(guest: GuestSummary, handlers: GuestItemHandlers) {
      super(guest.name, true);
      this.guest = guest;
      this.handlers = handlers;
      this.add_style_class_name('phyllome-guest-item');
      this.stateLabel = new St.Label({ style_class: 'phyllome-guest-state', y_align: Clutter.ActorAlign.CENTER });
      // Before the expander arrow, after the name.
      this.insert_child_below(this.stateLabel, this.get_last_child());
      this.actionSection = new PopupMenu.PopupMenuSection();
      this.monitorSection = new PopupMenu.PopupMenuSection();
      this.usbSection = new PopupMenu.PopupMenuSection();
      this.menu.addMenuItem(this.actionSection);
      this.menu.addMenuItem(this.usbSection);
      this.menu.addMenuItem(this.monitorSection);
      this.seatSection = new PopupMenu.PopupMenuSection();
      this.menu.addMenuItem(this.seatSection);
      // Last: Export…, Clone…, Move to… (sections before keep their places for readers of the menu).
      this.transferSection = new PopupMenu.PopupMenuSection();
      this.menu.addMenuItem(this.transferSection);
      this.menu.connect('open-state-changed', (_menu, open: boolean) => {
        if (open) {
          void this.showMonitors();
          this.showSeats();
        }
        return undefined;
      });
      this.update(guest);
    }

    update(guest: GuestSummary): void {
      this.guest = guest;
      // St.Label's text is never parsed as markup.
      this.label.text = guest.name;
      const presentation = presentState(guest.state);
      // PopupSubMenuMenuItem makes `icon` when asked for one (wantIcon); its types leave it out.
      (this as unknown as { icon: St.Icon }).icon.icon_name = presentation.iconName;
      this.stateLabel.text = presentation.label;
      this.accessible_name = `${guest.name}, ${presentation.label}`;
      if (guest.state !== this.shownState) this.rebuildActions();
      this.refreshUsb();
    }

    /**
     * USB: devices this guest has (checked; activating gives them back), those
     * on the host it could take (while it runs), and for each of its devices
     * or those it has a rule for, the rule (activating steps to the next).
     */
    refreshUsb(): void {
      this.usbSection.removeAll();
      const running = this.guest.state === 'running' || this.guest.state === 'paused';
      const rules = this.guest.usbRules ?? [];
      const shown = this.handlers
        .usbDevices()
        .filter((d) => d.owner === this.guest.path || (running && d.owner === '') || ruleFor(rules, d) !== '');
      if (shown.length === 0) return;
      this.usbSection.addMenuItem(new PopupMenu.PopupSeparatorMenuItem('USB'));
      for (const device of shown) {
        const mine = device.owner === this.guest.path;
        if (mine || (running && device.owner === '')) {
          const item = new PopupMenu.PopupMenuItem(device.name);
          item.setOrnament(mine ? PopupMenu.Ornament.CHECK : PopupMenu.Ornament.NONE);
          item.connect('activate', () => this.handlers.usbToggle(this.guest, device));
          this.usbSection.addMenuItem(item);
        }
        const rule = ruleFor(rules, device);
        if (mine || rule !== '') {
          const ruleItem = new PopupMenu.PopupMenuItem(`${device.name}: ${RULE_LABEL[rule]}`);
          ruleItem.add_style_class_name('phyllome-usb-rule');
          ruleItem.connect('activate', () => this.handlers.usbRule(this.guest, device, nextRule(rule)));
          this.usbSection.addMenuItem(ruleItem);
        }
      }
    }

    private rebuildActions(): void {
      this.shownState = this.guest.state;
      this.actionSection.removeAll();
      const actions: MenuAction[] = [
        ...(this.guest.state === 'stopping' ? [] : ['Switch' as const]),
        ...actionsFor(this.guest.state),
      ];
      for (const action of actions) {
        const item = new PopupMenu.PopupMenuItem(action === 'Switch' ? 'Switch To' : ACTION_LABEL[action]);
        item.connect('activate', () => this.handlers.action(this.guest, action));
        this.actionSection.addMenuItem(item);
      }
      this.transferSection.removeAll();
      const transfers = transfersFor(this.guest.state);
      // Labelled, so the menu keeps it even as its section's first item.
      if (transfers.length > 0)
        this.transferSection.addMenuItem(new PopupMenu.PopupSeparatorMenuItem(_('Move or Copy')));
      for (const action of transfers) {
        const item = new PopupMenu.PopupMenuItem(transferLabel(action));
        item.connect('activate', () => this.handlers.transfer(this.guest, action));
        this.transferSection.addMenuItem(item);
      }
    }

    /** With several seats: which one the guest belongs to (a person at that seat lands in it). */
    private showSeats(): void {
      this.seatSection.removeAll();
      const seats = this.handlers.seats();
      if (seats.length < 2) return;
      this.seatSection.addMenuItem(new PopupMenu.PopupSeparatorMenuItem('Seat'));
      const current = this.guest.seat ?? '';
      for (const [seatPath, label, id] of [
        [undefined, 'No Seat', ''] as const,
        ...seats.map((s) => [s.path, s.id, s.id] as const),
      ]) {
        const item = new PopupMenu.PopupMenuItem(label);
        item.setOrnament(current === id ? PopupMenu.Ornament.CHECK : PopupMenu.Ornament.NONE);
        item.connect('activate', () => this.handlers.assignSeat(this.guest, seatPath));
        this.seatSection.addMenuItem(item);
      }
    }

    private async showMonitors(): Promise<void> {
      let monitors: MonitorChoice[];
      try {
        monitors = await this.handlers.monitors();
      } catch {
        return; // no monitor list: the section stays empty
      }
      this.monitorSection.removeAll();
      if (monitors.length < 2) return;
      this.monitorSection.addMenuItem(new PopupMenu.PopupSeparatorMenuItem('Show On'));
      const choices: [string, string][] = [
        ['', 'Where the Pointer Is'],
        ...monitors.map((m): [string, string] => [m.connector, `${m.displayName} (${m.connector})`]),
      ];
      for (const [connector, label] of choices) {
        const item = new PopupMenu.PopupMenuItem(label);
        item.setOrnament((this.guest.monitor ?? '') === connector ? PopupMenu.Ornament.CHECK : PopupMenu.Ornament.NONE);
        item.connect('activate', () => this.handlers.assignMonitor(this.guest, connector));
        this.monitorSection.addMenuItem(item);
      }
    }
  },
);

export type GuestItem = InstanceType<typeof GuestItem>;
