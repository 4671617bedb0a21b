// The top-bar switcher: an indicator whose menu lists every guest with its
// state, live, and lets the user act on them.

import { GObject, PanelMenu, PopupMenu, St } from '../gi.js';
import { GuestList, panelSummary, statusMessage, type GuestSummary, type ServiceStatus } from '../model/guest-list.js';
import type { GuestAction } from '../model/guest-state.js';
import { GuestItem, type ActionHandler } from './guest-item.js';

export type ManagerActionHandler = (action: 'PauseAll' | 'ResumeAll') => void;

export const SwitcherIndicator = GObject.registerClass(
  { GTypeName: 'PhyllomeSwitcherIndicator' },
  class SwitcherIndicator extends PanelMenu.Button {
    private readonly guests = new GuestList();
    private readonly items = new Map<string, GuestItem>();
    private status: ServiceStatus = { kind: 'absent' };
    private onAction!: ActionHandler;
    private statusItem!: PopupMenu.PopupMenuItem;
    private guestSection!: PopupMenu.PopupMenuSection;
    private bulkSeparator!: PopupMenu.PopupSeparatorMenuItem;
    private pauseAllItem!: PopupMenu.PopupMenuItem;
    private resumeAllItem!: PopupMenu.PopupMenuItem;

    constructor(onAction: ActionHandler, onManagerAction: ManagerActionHandler) {
      super(0.5, 'Phyllome Switcher', false);
      this.onAction = onAction;
      this.add_child(new St.Icon({ icon_name: 'computer-symbolic', style_class: 'system-status-icon' }));
      const menu = this.menu as PopupMenu.PopupMenu;

      this.statusItem = new PopupMenu.PopupMenuItem('', { reactive: false, can_focus: false });
      this.statusItem.add_style_class_name('phyllome-status');
      menu.addMenuItem(this.statusItem);
      this.guestSection = new PopupMenu.PopupMenuSection();
      menu.addMenuItem(this.guestSection);
      this.bulkSeparator = new PopupMenu.PopupSeparatorMenuItem();
      menu.addMenuItem(this.bulkSeparator);
      this.pauseAllItem = new PopupMenu.PopupMenuItem('Pause All');
      this.pauseAllItem.connect('activate', () => onManagerAction('PauseAll'));
      menu.addMenuItem(this.pauseAllItem);
      this.resumeAllItem = new PopupMenu.PopupMenuItem('Resume All');
      this.resumeAllItem.connect('activate', () => onManagerAction('ResumeAll'));
      menu.addMenuItem(this.resumeAllItem);
      this.sync();
    }

    setStatus(status: ServiceStatus): void {
      this.status = status;
      this.sync();
    }

    resetGuests(guests: GuestSummary[]): void {
      this.guests.clear();
      for (const item of this.items.values()) item.destroy();
      this.items.clear();
      for (const guest of guests) this.addGuest(guest);
      this.sync();
    }

    addGuest(guest: GuestSummary): void {
      if (!this.guests.put(guest)) {
        this.items.get(guest.path)?.update(guest);
      } else {
        const item = new GuestItem(guest, this.onAction);
        this.items.set(guest.path, item);
        this.guestSection.addMenuItem(item, this.guests.indexOf(guest.path));
      }
      this.sync();
    }

    removeGuest(path: string): void {
      this.guests.remove(path);
      this.items.get(path)?.destroy();
      this.items.delete(path);
      this.sync();
    }

    changeGuest(path: string, changes: Partial<Omit<GuestSummary, 'path'>>): void {
      const guest = this.guests.update(path, changes);
      const item = this.items.get(path);
      if (!guest || !item) return;
      item.update(guest);
      if (changes.name !== undefined) this.guestSection.moveMenuItem(item, this.guests.indexOf(path));
      this.sync();
    }

    /** The guest list as shown, for tests through Eval. */
    describe(): { status: string | undefined; guests: { name: string; state: string; actions: string[] }[] } {
      return {
        status: this.statusItem.visible ? this.statusItem.label.text : undefined,
        guests: this.guests.ordered().map((g) => {
          const item = this.items.get(g.path);
          const actions = (item?.menu as PopupMenu.PopupMenuBase | undefined)?._getMenuItems?.() ?? [];
          return {
            name: item?.label.text ?? '',
            state: g.state,
            actions: actions.map((a) => (a as PopupMenu.PopupMenuItem).label?.text ?? ''),
          };
        }),
      };
    }

    private sync(): void {
      const message = statusMessage(this.status, this.guests.size);
      this.statusItem.label.text = message ?? '';
      this.statusItem.visible = message !== undefined;
      const usable = this.status.kind === 'ready';
      this.guestSection.actor.visible = this.status.kind !== 'absent';
      this.pauseAllItem.visible = usable && this.guests.countIn('running') > 0;
      this.resumeAllItem.visible = usable && this.guests.countIn('paused') > 0;
      this.bulkSeparator.visible = this.pauseAllItem.visible || this.resumeAllItem.visible;
      this.accessible_name = panelSummary(this.guests, this.status);
    }
  },
);

export type SwitcherIndicator = InstanceType<typeof SwitcherIndicator>;
export type { GuestAction };
