// The top-bar switcher: an indicator whose menu lists every guest with its
// state, live, and lets the user act on them. The guest list scrolls inside
// the menu, which stays within the screen at any number of guests. Rows are
// made for the first guests when the menu first opens, and more as the list
// is scrolled (or walked with the keyboard) towards its end: a thousand
// guests cost only the rows someone has looked at. The rows are always
// exactly the first ones of the list, kept in step one guest at a time.

import { _, ensureActorVisibleInScrollView, GObject, Main, ngettext, PanelMenu, PopupMenu, St } from '../gi.js';
import {
  compareGuests,
  GuestList,
  runningCount,
  statusMessage,
  type GuestSummary,
  type ServiceStatus,
} from '../model/guest-list.js';
import type { GuestAction } from '../model/guest-state.js';
import { sortedUsb, type UsbSummary } from '../model/usb-list.js';
import { actionLabel, GuestItem, menuActions, type GuestItemHandlers, type MenuAction } from './guest-item.js';
import { addSection, untrackSection } from './sections.js';

export type ManagerAction = 'PauseAll' | 'ResumeAll' | 'ShowLauncher' | 'NewGuest' | 'Import';

/** Rows made when the menu first opens, and added each time the list is scrolled near its end. */
const ROWS_PER_STEP = 20;
/** How near the end (in rows' worth of the visible height) more rows are made. */
const NEAR_END = 0.5;
/** The guest list's share of the work area's height. */
const LIST_SHARE = 0.65;

export const SwitcherIndicator = GObject.registerClass(
  { GTypeName: 'PhyllomeSwitcherIndicator' },
  class SwitcherIndicator extends PanelMenu.Button {
    private guests!: GuestList;
    /** Rows made so far, in the list's order. */
    private rows: GuestItem[] = [];
    private readonly rowOf = new Map<string, GuestItem>();
    /** Rows are made (and kept) once the menu has opened. */
    private rowsWanted = false;
    private status: ServiceStatus = { kind: 'absent' };
    private handlers!: GuestItemHandlers;
    private launcherItem!: PopupMenu.PopupMenuItem;
    private readonly usb = new Map<string, UsbSummary>();
    private usbSection!: PopupMenu.PopupMenuSection;
    private onUsbReturn!: (device: UsbSummary) => void;
    private statusItem!: PopupMenu.PopupMenuItem;
    private guestSection!: PopupMenu.PopupMenuSection;
    private scrollSection!: PopupMenu.PopupMenuSection;
    private guestScroll!: St.ScrollView;
    private bulkSeparator!: PopupMenu.PopupSeparatorMenuItem;
    private pauseAllItem!: PopupMenu.PopupMenuItem;
    private resumeAllItem!: PopupMenu.PopupMenuItem;
    private newGuestItem!: PopupMenu.PopupMenuItem;
    private importItem!: PopupMenu.PopupMenuItem;

    /** `guests` is the shared list this indicator keeps up to date and shows. */
    constructor(
      guests: GuestList,
      handlers: Omit<GuestItemHandlers, 'usbDevices'> & { usbReturn(device: UsbSummary): void },
      onManagerAction: (action: ManagerAction) => void,
    ) {
      super(0.5, _('Guests'), false);
      this.guests = guests;
      this.handlers = { ...handlers, usbDevices: () => sortedUsb(this.usb.values()) };
      this.onUsbReturn = handlers.usbReturn;
      this.add_child(new St.Icon({ icon_name: 'computer-symbolic', style_class: 'system-status-icon' }));
      const menu = this.menu as PopupMenu.PopupMenu;

      this.statusItem = new PopupMenu.PopupMenuItem('', { reactive: false, can_focus: false });
      this.statusItem.add_style_class_name('phyllome-status');
      menu.addMenuItem(this.statusItem);
      // The guests scroll within the menu, as the Shell's own long lists do.
      // The section is the menu's (its items close the menu, its signals reach it); its box lives in a ScrollView.
      const scrollSection = addSection(menu);
      this.scrollSection = scrollSection;
      this.guestSection = addSection(scrollSection);
      scrollSection.box.remove_child(this.guestSection.actor);
      this.guestScroll = new St.ScrollView({
        style_class: 'phyllome-guest-scroll',
        hscrollbar_policy: St.PolicyType.NEVER,
        vscrollbar_policy: St.PolicyType.AUTOMATIC,
        overlay_scrollbars: true,
        child: this.guestSection.actor,
      });
      scrollSection.box.add_child(this.guestScroll);
      // Devices away on guests, each with a way back to the host.
      this.usbSection = addSection(menu);
      this.bulkSeparator = new PopupMenu.PopupSeparatorMenuItem();
      menu.addMenuItem(this.bulkSeparator);
      this.launcherItem = new PopupMenu.PopupMenuItem(_('Show All Guests'));
      this.launcherItem.connect('activate', () => onManagerAction('ShowLauncher'));
      menu.addMenuItem(this.launcherItem);
      this.pauseAllItem = new PopupMenu.PopupMenuItem(_('Pause All'));
      this.pauseAllItem.connect('activate', () => onManagerAction('PauseAll'));
      menu.addMenuItem(this.pauseAllItem);
      this.resumeAllItem = new PopupMenu.PopupMenuItem(_('Resume All'));
      this.resumeAllItem.connect('activate', () => onManagerAction('ResumeAll'));
      menu.addMenuItem(this.resumeAllItem);
      menu.connect('open-state-changed', (_menu, open: boolean) => {
        if (open) this.onOpen();
        return undefined;
      });
      // Scrolled near the end: rows for the next guests.
      this.guestScroll.vadjustment.connect('notify::value', () => this.extendIfNearEnd());
      this.newGuestItem = new PopupMenu.PopupMenuItem(_('New Guest…'));
      this.newGuestItem.connect('activate', () => onManagerAction('NewGuest'));
      menu.addMenuItem(this.newGuestItem);
      this.importItem = new PopupMenu.PopupMenuItem(_('Import…'));
      this.importItem.connect('activate', () => onManagerAction('Import'));
      menu.addMenuItem(this.importItem);
      this.sync();
    }

    /**
     * Runs before the menu is destroyed (PanelMenu.Button's own _onDestroy does that). The Shell's
     * connectObject trackings that nothing undoes are undone here, or the signal manager would keep
     * this menu, and through it everything we showed, for the Shell's lifetime: the panel tracking
     * our menu's open-state-changed, and our sections (see sections.ts).
     */
    _onDestroy(): void {
      const menu = this.menu as PopupMenu.PopupMenu;
      // Closed at once first (a disable may come while it is open): destroyed open, its BoxPointer
      // could still be laid out by the Shell after it was gone (GNOME Shell 50: "BoxPointer … has been
      // already disposed", "this.bin is undefined").
      if (menu.isOpen) menu.close();
      (menu as unknown as { disconnectObject(o: object): void }).disconnectObject(Main.panel);
      const scrollSection = this.scrollSection;
      // Its actor lives in the ScrollView, so the menu's own destroy would not reach its rows.
      for (const row of this.rows) row.destroy();
      this.rows = [];
      this.rowOf.clear();
      untrackSection(scrollSection, this.guestSection);
      this.guestSection.destroy();
      untrackSection(menu, scrollSection);
      untrackSection(menu, this.usbSection);
      this.guests.clear();
      (PanelMenu.Button.prototype as unknown as { _onDestroy(this: PanelMenu.Button): void })._onDestroy.call(this);
    }

    setStatus(status: ServiceStatus): void {
      this.status = status;
      this.sync();
    }

    resetGuests(guests: GuestSummary[]): void {
      this.guests.clear();
      for (const row of this.rows) row.destroy();
      this.rows = [];
      this.rowOf.clear();
      for (const guest of guests) this.guests.put(guest);
      if (this.rowsWanted) this.extend(ROWS_PER_STEP);
      this.sync();
    }

    addGuest(guest: GuestSummary): void {
      this.guests.put(guest);
      const row = this.rowOf.get(guest.path);
      if (row) this.placeRow(row, guest);
      else this.addRowIfShown(guest);
      this.sync();
    }

    removeGuest(path: string): void {
      this.guests.remove(path);
      const row = this.rowOf.get(path);
      if (row) {
        this.rows.splice(this.rows.indexOf(row), 1);
        this.rowOf.delete(path);
        row.destroy();
      }
      this.sync();
    }

    changeGuest(path: string, changes: Partial<Omit<GuestSummary, 'path'>>): void {
      const guest = this.guests.update(path, changes);
      if (!guest) return;
      const row = this.rowOf.get(path);
      if (row) {
        if (changes.name !== undefined) this.placeRow(row, guest);
        else row.update(guest);
      }
      if (changes.state !== undefined || changes.name !== undefined) this.sync();
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

    /** How many guests the menu lists (for tests and benchmarks through Eval: cheap to ask often). */
    get guestCount(): number {
      return this.guests.size;
    }

    /** How many of their rows are made so far (likewise). */
    get rowCount(): number {
      return this.rows.length;
    }

    /** What the menu shows, for tests through Eval: its guests with their state and actions, and its size. */
    describe(): {
      status: string | undefined;
      guests: { name: string; state: string; actions: string[] }[];
      rows: number;
      usb: string[];
    } {
      return {
        usb: sortedUsb(this.usb.values()).map((d) => d.path),
        status: this.statusItem.visible ? this.statusItem.label.text : undefined,
        guests: this.guests.ordered().map((g) => ({
          name: g.name,
          state: g.state,
          actions: menuActions(g).map(actionLabel),
        })),
        rows: this.rows.length,
      };
    }

    /** Runs a guest's menu action as its submenu's item would (for tests through Eval). */
    activateAction(name: string, action: MenuAction): boolean {
      const guest = this.guests.ordered().find((g) => g.name === name);
      if (!guest || !menuActions(guest).includes(action)) return false;
      this.handlers.action(guest, action);
      return true;
    }

    /** The guests' rows, made if need be (for tests through Eval). */
    rowFor(name: string): InstanceType<typeof GuestItem> | undefined {
      return this.rows.find((row) => row.label.text === name);
    }

    private onOpen(): void {
      // Within the screen: the list scrolls past a share of the work area.
      const monitor = Main.layoutManager.findIndexForActor(this);
      const workArea = Main.layoutManager.getWorkAreaForMonitor(monitor);
      const scale = St.ThemeContext.get_for_stage(global.stage).scale_factor;
      this.guestScroll.style = `max-height: ${Math.floor((workArea.height * LIST_SHARE) / scale)}px;`;
      if (!this.rowsWanted) {
        this.rowsWanted = true;
        this.extend(ROWS_PER_STEP);
      }
    }

    /** Makes rows for the next `count` guests after those that have one. */
    private extend(count: number): void {
      const ordered = this.guests.ordered();
      const until = Math.min(ordered.length, this.rows.length + count);
      for (let i = this.rows.length; i < until; i++) this.addRow(ordered[i] as GuestSummary, i);
    }

    /** The list is scrolled (or walked) near the end of the rows made so far: more of them. */
    private extendIfNearEnd(): void {
      if (!this.rowsWanted || this.rows.length >= this.guests.size) return;
      const { value, page_size: page, upper } = this.guestScroll.vadjustment;
      if (value + page >= upper - page * NEAR_END) this.extend(ROWS_PER_STEP);
    }

    /** A new guest gets a row if it sorts among those that have one (else its row comes with scrolling). */
    private addRowIfShown(guest: GuestSummary): void {
      if (!this.rowsWanted) return;
      const index = this.rowIndexFor(guest);
      if (index < this.rows.length || this.rows.length < ROWS_PER_STEP) this.addRow(guest, index);
    }

    private addRow(guest: GuestSummary, index: number): void {
      const row = new GuestItem(guest, this.handlers);
      row.connect('key-focus-in', () => {
        ensureActorVisibleInScrollView(this.guestScroll, row);
        // Walking down with the keyboard: the next rows come before the last one is reached.
        if (this.rows.indexOf(row) >= this.rows.length - 3) this.extend(ROWS_PER_STEP);
      });
      this.rowOf.set(guest.path, row);
      this.rows.splice(index, 0, row);
      this.guestSection.addMenuItem(row, index);
    }

    /** Puts a row where its (renamed) guest now belongs; past the rows made, it goes until scrolled to. */
    private placeRow(row: GuestItem, guest: GuestSummary): void {
      this.rows.splice(this.rows.indexOf(row), 1);
      const index = this.rowIndexFor(guest);
      if (index >= this.rows.length && this.rows.length < this.guests.size - 1) {
        this.rowOf.delete(guest.path);
        row.destroy();
        return;
      }
      this.rows.splice(index, 0, row);
      this.guestSection.moveMenuItem(row, index);
      row.update(guest);
    }

    /** Where a guest's row goes among the rows made so far (binary search: rows stay in list order). */
    private rowIndexFor(guest: GuestSummary): number {
      let low = 0;
      let high = this.rows.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        const other = this.guests.get((this.rows[middle] as GuestItem).path);
        if (other && compareGuests(other, guest) < 0) low = middle + 1;
        else high = middle;
      }
      return low;
    }

    private syncUsb(): void {
      for (const row of this.rows) row.refreshUsb();
      this.usbSection.removeAll();
      const away = sortedUsb(this.usb.values()).filter((d) => d.owner !== '');
      if (away.length === 0) return;
      this.usbSection.addMenuItem(new PopupMenu.PopupSeparatorMenuItem(_('USB on Guests')));
      for (const device of away) {
        const guest = this.guests.get(device.owner)?.name ?? _('a guest');
        // TRANSLATORS: %1$s is a USB device's name, %2$s a guest's.
        const label = _('Return %1$s from %2$s').format(device.name, guest);
        const item = new PopupMenu.PopupMenuItem(label);
        item.connect('activate', () => this.onUsbReturn(device));
        this.usbSection.addMenuItem(item);
      }
    }

    private sync(): void {
      const message = statusMessage(this.status, this.guests.size);
      this.statusItem.label.text = message ? _(message) : '';
      this.statusItem.visible = message !== undefined;
      const usable = this.status.kind === 'ready';
      this.guestScroll.visible = this.status.kind !== 'absent';
      this.pauseAllItem.visible = usable && this.guests.countIn('running') > 0;
      this.resumeAllItem.visible = usable && this.guests.countIn('paused') > 0;
      this.launcherItem.visible = this.status.kind !== 'absent' && this.guests.size > 0;
      this.newGuestItem.visible = usable;
      this.importItem.visible = usable;
      this.bulkSeparator.visible =
        this.pauseAllItem.visible ||
        this.resumeAllItem.visible ||
        this.launcherItem.visible ||
        this.newGuestItem.visible ||
        this.importItem.visible;
      const running = runningCount(this.guests, this.status);
      this.accessible_name =
        running === undefined
          ? _('Guests: service not running')
          : ngettext('Guests: %d running', 'Guests: %d running', running).format(running);
    }
  },
);

export type SwitcherIndicator = InstanceType<typeof SwitcherIndicator>;
export type { GuestAction };
