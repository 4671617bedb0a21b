// The top-bar switcher: an indicator whose menu lists every guest with its
// state, live, and lets the user act on them.

import { _, GObject, PanelMenu, PopupMenu, St } from '../gi.js';
import { GuestList, panelSummary, statusMessage, type GuestSummary, type ServiceStatus } from '../model/guest-list.js';
import type { GuestAction } from '../model/guest-state.js';
import { sortedUsb, type UsbSummary } from '../model/usb-list.js';
import { GuestItem, type GuestItemHandlers } from './guest-item.js';

export type ManagerAction = 'PauseAll' | 'ResumeAll' | 'ShowLauncher' | 'Import';

export const SwitcherIndicator = GObject.registerClass(
  { GTypeName: 'PhyllomeSwitcherIndicator' },
  class SwitcherIndicator extends PanelMenu.Button {
    private guests!: GuestList;
    private readonly items = new Map<string, GuestItem>();
    private status: ServiceStatus = { kind: 'absent' };
    private handlers!: GuestItemHandlers;
    private launcherItem!: PopupMenu.PopupMenuItem;
    private readonly usb = new Map<string, UsbSummary>();
    private usbSection!: PopupMenu.PopupMenuSection;
    private onUsbReturn!: (device: UsbSummary) => void;
    private statusItem!: PopupMenu.PopupMenuItem;
    private guestSection!: PopupMenu.PopupMenuSection;
    private bulkSeparator!: PopupMenu.PopupSeparatorMenuItem;
    private pauseAllItem!: PopupMenu.PopupMenuItem;
    private resumeAllItem!: PopupMenu.PopupMenuItem;
    private importItem!: PopupMenu.PopupMenuItem;

    /** `guests` is the shared list this indicator keeps up to date and shows. */
    constructor(
      guests: GuestList,
      handlers: Omit<GuestItemHandlers, 'usbDevices'> & { usbReturn(device: UsbSummary): void },
      onManagerAction: (action: ManagerAction) => void,
    ) {
      super(0.5, 'Phyllome Switcher', false);
      this.guests = guests;
      this.handlers = { ...handlers, usbDevices: () => sortedUsb(this.usb.values()) };
      this.onUsbReturn = handlers.usbReturn;
      this.add_child(new St.Icon({ icon_name: 'computer-symbolic', style_class: 'system-status-icon' }));
      const menu = this.menu as PopupMenu.PopupMenu;

      this.statusItem = new PopupMenu.PopupMenuItem('', { reactive: false, can_focus: false });
      this.statusItem.add_style_class_name('phyllome-status');
      menu.addMenuItem(this.statusItem);
      this.guestSection = new PopupMenu.PopupMenuSection();
      menu.addMenuItem(this.guestSection);
      // Devices away on guests, each with a way back to the host.
      this.usbSection = new PopupMenu.PopupMenuSection();
      menu.addMenuItem(this.usbSection);
      this.bulkSeparator = new PopupMenu.PopupSeparatorMenuItem();
      menu.addMenuItem(this.bulkSeparator);
      this.launcherItem = new PopupMenu.PopupMenuItem('Show All Guests');
      this.launcherItem.connect('activate', () => onManagerAction('ShowLauncher'));
      menu.addMenuItem(this.launcherItem);
      this.pauseAllItem = new PopupMenu.PopupMenuItem('Pause All');
      this.pauseAllItem.connect('activate', () => onManagerAction('PauseAll'));
      menu.addMenuItem(this.pauseAllItem);
      this.resumeAllItem = new PopupMenu.PopupMenuItem('Resume All');
      this.resumeAllItem.connect('activate', () => onManagerAction('ResumeAll'));
      menu.addMenuItem(this.resumeAllItem);
      this.importItem = new PopupMenu.PopupMenuItem(_('Import…'));
      this.importItem.connect('activate', () => onManagerAction('Import'));
      menu.addMenuItem(this.importItem);
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
        const item = new GuestItem(guest, this.handlers);
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

    resetUsb(devices: UsbSummary[]): void {
      this.usb.clear();
      for (const device of devices) this.usb.set(device.path, device);
      this.syncUsb();
    }

    putUsb(device: UsbSummary): void {
      this.usb.set(device.path, device);
      this.syncUsb();
    }

    changeUsb(path: string, changes: Partial<UsbSummary>): void {
      const device = this.usb.get(path);
      if (device) this.usb.set(path, { ...device, ...changes });
      this.syncUsb();
    }

    removeUsb(path: string): void {
      this.usb.delete(path);
      this.syncUsb();
    }

    usbDevice(path: string): UsbSummary | undefined {
      return this.usb.get(path);
    }

    private syncUsb(): void {
      for (const item of this.items.values()) item.refreshUsb();
      this.usbSection.removeAll();
      const away = sortedUsb(this.usb.values()).filter((d) => d.owner !== '');
      if (away.length === 0) return;
      this.usbSection.addMenuItem(new PopupMenu.PopupSeparatorMenuItem('USB on Guests'));
      for (const device of away) {
        const guest = this.guests.get(device.owner)?.name ?? 'a guest';
        const item = new PopupMenu.PopupMenuItem(`Return ${device.name} from ${guest}`);
        item.connect('activate', () => this.onUsbReturn(device));
        this.usbSection.addMenuItem(item);
      }
    }

    /** The guest list as shown, for tests through Eval. */
    describe(): { status: string | undefined; guests: { name: string; state: string; actions: string[] }[] } {
      return {
        status: this.statusItem.visible ? this.statusItem.label.text : undefined,
        guests: this.guests.ordered().map((g) => {
          const item = this.items.get(g.path);
          const sections = (item?.menu as PopupMenu.PopupMenuBase | undefined)?._getMenuItems?.() ?? [];
          const actions = (sections[0] as PopupMenu.PopupMenuSection | undefined)?._getMenuItems() ?? [];
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
      this.launcherItem.visible = this.status.kind !== 'absent' && this.guests.size > 0;
      this.importItem.visible = usable;
      this.bulkSeparator.visible =
        this.pauseAllItem.visible || this.resumeAllItem.visible || this.launcherItem.visible || this.importItem.visible;
      this.accessible_name = panelSummary(this.guests, this.status);
    }
  },
);

export type SwitcherIndicator = InstanceType<typeof SwitcherIndicator>;
export type { GuestAction };
