// enable() only wires: it makes each part and hands it what it needs, and
// disable() releases them all — one owner, one list, released in reverse
// order (extensions.gnome.org rules). What happens is in the flows
// (flows/), what is shown in the widgets (ui/). Nothing is started before
// everything it may call is made. The Shell disables and enables us again
// at every screen lock: what happens once per login (landing in the seat's
// guest) is remembered on this object, which lives as long as the Shell.

import { SwitcherClient } from './client/switcher-client.js';
import { GuestActions } from './flows/guest-actions.js';
import { reporter } from './flows/prompts.js';
import { SeatSession } from './flows/seat-landing.js';
import { ServiceFeed } from './flows/service-feed.js';
import { GuestSharing } from './flows/sharing.js';
import { GuestSwitcher } from './flows/switching.js';
import { GuestTransfers } from './flows/transfers.js';
import { UsbAsk } from './flows/usb-ask.js';
import { _, Extension, Gio, Main, type PopupMenu } from './gi.js';
import { GuestList } from './model/guest-list.js';
import { StatsDemand } from './model/stats-demand.js';
import { SWITCH_KEYS } from './model/switching.js';
import { confirm } from './ui/confirm-dialog.js';
import { askForText } from './ui/entry-dialog.js';
import { GuestSearchProvider } from './ui/guest-search-provider.js';
import { SwitcherIndicator } from './ui/indicator.js';
import { JobNotification } from './ui/job-notification.js';
import { KeyBindings } from './ui/keybindings.js';
import { Launcher } from './ui/launcher.js';
import { Notifier } from './ui/notify-actions.js';
import { openShareDialog } from './ui/share-dialog.js';
import { FocusReporter } from './windows/focus-reporter.js';
import { chooseFolder, NewGuestProgram } from './windows/gtk-program.js';
import { listMonitors } from './windows/monitor-list.js';
import { SessionViewers } from './windows/session-viewers.js';
import { ShortcutInhibitGrant } from './windows/shortcut-inhibit.js';
import { ViewerWindows, viewedGuest } from './windows/viewer-windows.js';

export default class PhyllomeSwitcherExtension extends Extension {
  private releases: (() => void)[] = [];
  /** Once per login, not per enable: survives the disable and enable of a screen lock. */
  private readonly landing = { landed: false };
  /** The host-wide service's viewers run in this session and outlive a screen lock's disable. */
  private sessionViewers: SessionViewers | undefined;

  enable(): void {
    const settings = this.getSettings();
    this.own(() => settings.run_dispose());
    const cancellable = new Gio.Cancellable();
    this.own(() => cancellable.cancel());
    const notifier = new Notifier(_('Guests'));
    this.own(() => notifier.destroy());
    const report = reporter(notifier);

    const guests = new GuestList();
    const windows = new ViewerWindows({
      guestForPid: (pid) => {
        const guest = guests.byViewerPid(pid);
        return guest ? viewedGuest(guest) : undefined;
      },
      viewers: () =>
        guests
          .ordered()
          .filter((g) => (g.viewerPid ?? 0) > 0)
          .map((g) => ({ ...viewedGuest(g), viewerPid: g.viewerPid ?? 0 })),
      connectors: async () => (await listMonitors(cancellable)).map((m) => m.connector),
    });
    this.own(() => windows.stop());
    const inhibitGrant = new ShortcutInhibitGrant((window) => guests.byViewerPid(window.get_pid()) !== undefined);
    this.own(() => inhibitGrant.disable());

    // The service, and what it says fed into our lists; jobs followed from before the first starts.
    const client = new SwitcherClient({ objects: true, jobs: true });
    this.own(() => client.destroy());
    const feed = new ServiceFeed(client);
    this.own(() => feed.destroy());
    // Live figures are read only while the menu or the launcher is open.
    const demand = new StatsDemand((on) => feed.watchStats(on));
    this.own(() => demand.clear());

    // The flows: what a person asks for, and what they hear back.
    const viewers = (this.sessionViewers ??= new SessionViewers());
    this.own(() => viewers.detach());
    const switcher = new GuestSwitcher(guests, client, windows, viewers, report);
    const actions = new GuestActions({ client, settings, confirm, notices: notifier });
    this.own(() => actions.destroy());
    const transfers = new GuestTransfers({
      client,
      guests,
      askText: askForText,
      chooseFolder: (question) =>
        chooseFolder(`${this.path}/folder-chooser/chooser.js`, question, (message) =>
          notifier.notify(_('The folder chooser failed'), message),
        ),
      showJob: (title, body, cancel) => new JobNotification(title, body, cancel),
      notices: notifier,
    });
    this.own(() => transfers.destroy());
    const sharing = new GuestSharing(client, openShareDialog, report);
    this.own(() => sharing.destroy());
    const newGuest = new NewGuestProgram(`${this.path}/new-guest/window.js`, (message) =>
      notifier.notify(_('The New Guest window failed'), message),
    );
    this.own(() => newGuest.close());

    // The widgets.
    const launcher = new Launcher(
      guests,
      (guest) => windows.windowFor(guest.viewerPid ?? 0),
      (guest) => switcher.switchTo(guest),
      { run: (guest, action) => transfers.run(guest, action), importBundle: () => transfers.importBundle() },
      (open) => demand.need('launcher', open),
    );
    this.own(() => launcher.destroy());
    const indicator = new SwitcherIndicator(
      guests,
      {
        action: (guest, action) => (action === 'Switch' ? switcher.switchTo(guest) : void actions.run(guest, action)),
        assignMonitor: (guest, connector) => actions.assignMonitor(guest, connector),
        assignHeadMonitor: (guest, head, connector) => actions.assignHeadMonitor(guest, head, connector),
        describeDisplay: (guest) => actions.describeDisplay(guest),
        setDisplay: (guest, change) => void actions.setDisplay(guest, change),
        monitors: () => listMonitors(cancellable),
        // The seat session is made below, from the indicator; the menu asks only once it is open.
        seats: () => session.seatList(),
        assignSeat: (guest, seatPath) => actions.assignSeat(guest, seatPath, session.seatList()),
        usbToggle: (guest, device) => void actions.usbToggle(guest, device),
        transfer: (guest, action) => transfers.run(guest, action),
        usbRule: (guest, device, mode) => actions.usbRule(guest, device, mode),
        usbReturn: (device) => actions.usbReturn(device),
        autostart: (guest, enabled) => actions.autostart(guest, enabled),
        sharingAllowed: () => sharing.allowed,
        share: (guest) => sharing.share(guest),
        unshare: (guest) => sharing.unshare(guest),
      },
      (action) => {
        if (action === 'NewGuest') newGuest.open();
        else if (action === 'Import') transfers.importBundle();
        else if (action === 'ShowLauncher') launcher.open();
        else void actions.everyGuest(action);
      },
    );
    this.own(() => indicator.destroy());
    (indicator.menu as PopupMenu.PopupMenu).connect('open-state-changed', (_menu, open: boolean) => {
      demand.need('menu', open);
      return undefined;
    });
    // The overview's search finds guests by name or OS; a result switches to its guest.
    const search = new GuestSearchProvider(guests, (guest) => switcher.switchTo(guest));
    this.own(() => search.unregister());

    // With several seats this session shows its seat's guests, and lands in its seat's guest. Its seat
    // is the one the service places it on (logind's, as for its authorization), not XDG_SEAT: a Shell
    // run as a systemd user unit has none.
    const session = new SeatSession(
      '',
      {
        reset: (list) => {
          indicator.resetGuests(list);
          launcher.refresh();
        },
        added: (guest) => {
          indicator.addGuest(guest);
          launcher.put(guest);
        },
        removed: (path) => {
          windows.forget(path);
          indicator.removeGuest(path);
          launcher.remove(path);
        },
        changed: (path, changes) => {
          indicator.changeGuest(path, changes);
          const guest = guests.get(path);
          if (guest && changes.viewerPid) windows.viewerStarted(viewedGuest(guest), changes.viewerPid);
          if (guest && (changes.monitor !== undefined || changes.monitors !== undefined))
            windows.monitorAssigned(viewedGuest(guest), guest.viewerPid ?? 0);
          launcher.change(path);
        },
      },
      (guest) => switcher.switchTo(guest),
      this.landing,
    );
    const usbAsk = new UsbAsk({
      device: (path) => indicator.usbDevice(path),
      guest: (path) => guests.get(path),
      notices: notifier,
      give: (guest, device) => void actions.usbToggle(guest, device),
    });
    this.own(() => usbAsk.destroy());
    const focus = new FocusReporter(windows, (path) => feed.setFocusedGuest(path));
    this.own(() => focus.stop());
    const keys = new KeyBindings(settings);
    this.own(() => keys.removeAll());

    // Everything is made: now it starts.
    Main.panel.addToStatusArea(this.uuid, indicator);
    windows.start();
    inhibitGrant.enable();
    search.register();
    viewers.attach((path, pid) => session.guests.changed(path, { viewerPid: pid }));
    focus.start();
    feed.start({
      statusChanged: (status) => {
        indicator.setStatus(status);
        if (status.kind === 'ready') focus.resend();
      },
      ownSeat: (seat) => session.setOwnSeat(seat),
      guests: viewers.overlay(session.guests),
      seats: session.seatEvents,
      usb: {
        reset: (devices) => indicator.resetUsb(devices),
        added: (device) => {
          indicator.putUsb(device);
          // The service may ask about a device before we have it.
          usbAsk.deviceAdded(device.path);
        },
        removed: (path) => indicator.removeUsb(path),
        changed: (path, changes) => indicator.changeUsb(path, changes),
      },
      usbAsk: (devicePath, guestPath) => usbAsk.ask(devicePath, guestPath),
      guestStopped: (guestPath, reason) => {
        const guest = guests.get(guestPath);
        if (guest) actions.stopped(guest, reason);
      },
    });
    void client.start();
    for (const [key, request] of SWITCH_KEYS) keys.add(key, () => switcher.switchBy(request));
    keys.add('show-launcher', () => launcher.toggle());
    keys.add('back-to-host', () => {
      launcher.close();
      switcher.backToHost();
    });
  }

  disable(): void {
    for (const release of this.releases.splice(0).reverse()) {
      try {
        release();
      } catch (error) {
        console.error(`Phyllome Switcher: cleanup failed: ${String(error)}`);
      }
    }
  }

  private own(release: () => void): void {
    this.releases.push(release);
  }
}
