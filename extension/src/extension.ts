// enable() makes everything, disable() releases it all: one owner, one list,
// released in reverse order (extensions.gnome.org rules). The Shell disables
// and enables us again at every screen lock: what happens once per login
// (landing in the seat's guest) is remembered on this object, which lives as
// long as the Shell; calls cut short by a disable are nobody's failure.

import { describeError, isCancelled, remoteErrorName } from './client/calls.js';
import { displaySettings, SwitcherClient } from './client/switcher-client.js';
import {
  ERROR,
  GUEST_INTERFACE,
  MANAGER_INTERFACE,
  MANAGER_PATH,
  SEAT_INTERFACE,
  USB_DEVICE_INTERFACE,
} from './client/switcher1.js';
import { ServiceFeed } from './flows/service-feed.js';
import { GuestTransfers } from './flows/transfers.js';
import { GuestSharing } from './flows/sharing.js';
import { _, Extension, Gio, GLib, Main, type PopupMenu } from './gi.js';
import { KeyBindings } from './ui/keybindings.js';
import {
  ACCEL3D_COST,
  ACCEL3D_COST_TITLE,
  displayDescription,
  withHeadMonitor,
  type DisplayChange,
} from './model/display.js';
import { GuestList, type GuestSummary } from './model/guest-list.js';
import type { UsbSummary } from './model/usb-list.js';
import { needsConfirmation } from './model/guest-state.js';
import { StatsDemand } from './model/stats-demand.js';
import { START_AGAIN, stopNotice } from './model/stop-notice.js';
import { SWITCH_KEYS } from './model/switching.js';
import { listMonitors } from './windows/monitor-list.js';
import { SeatSession } from './flows/seat-landing.js';
import { GuestSwitcher } from './flows/switching.js';
import { confirm } from './ui/confirm-dialog.js';
import type { MenuAction } from './ui/guest-item.js';
import { GuestSearchProvider } from './ui/guest-search-provider.js';
import { SwitcherIndicator, type ManagerAction } from './ui/indicator.js';
import { Launcher } from './ui/launcher.js';
import { Notifier } from './ui/notify-actions.js';
import { FocusReporter } from './windows/focus-reporter.js';
import { ShortcutInhibitGrant } from './windows/shortcut-inhibit.js';
import { NewGuestWindow } from './windows/gtk-program.js';
import { SessionViewers } from './windows/session-viewers.js';
import { ViewerWindows, viewedGuest } from './windows/viewer-windows.js';

/** What a failed action was, in the user's words (each %s is the guest's name). */
const FAILED: Record<Exclude<MenuAction, 'Switch'>, () => string> = {
  Start: () => _('Could not start %s'),
  Resume: () => _('Could not resume %s'),
  Pause: () => _('Could not pause %s'),
  Shutdown: () => _('Could not shut down %s'),
  Reboot: () => _('Could not restart %s'),
  ForceOff: () => _('Could not force off %s'),
};

export default class PhyllomeSwitcherExtension extends Extension {
  private releases: (() => void)[] = [];
  /** Once per login, not per enable: survives the disable and enable of a screen lock. */
  private readonly landing = { landed: false };
  /** The host-wide service's viewers run in this session and outlive a screen lock's disable. */
  private sessionViewers: SessionViewers | undefined;
  private notifier: Notifier | undefined;

  enable(): void {
    const settings = this.getSettings();
    this.own(() => settings.run_dispose());
    const cancellable = new Gio.Cancellable();
    this.own(() => cancellable.cancel());
    const notifier = new Notifier(_('Guests'));
    this.notifier = notifier;
    this.own(() => {
      notifier.destroy();
      this.notifier = undefined;
    });

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
    windows.start();
    this.own(() => windows.stop());

    const inhibitGrant = new ShortcutInhibitGrant((window) => guests.byViewerPid(window.get_pid()) !== undefined);
    inhibitGrant.enable();
    this.own(() => inhibitGrant.disable());

    // Live figures are read only while the menu or the launcher is open.
    const demand = new StatsDemand((on) => feed.watchStats(on));
    this.own(() => demand.clear());

    // The launcher and indicator call the client and switcher made below; only ever after enable() returned.
    const launcher = new Launcher(
      guests,
      (guest) => windows.windowFor(guest.viewerPid ?? 0),
      (guest) => switcher.switchTo(guest),
      { run: (guest, action) => transfers.run(guest, action), importBundle: () => transfers.importBundle() },
      (open) => demand.need('launcher', open),
    );
    this.own(() => launcher.destroy());

    const newGuest = new NewGuestWindow(`${this.path}/new-guest/window.js`, (message) =>
      notifier.notify(_('The New Guest window failed'), message),
    );
    this.own(() => newGuest.close());

    const indicator = new SwitcherIndicator(
      guests,
      {
        action: (guest, action) => void this.runGuestAction(client, settings, guest, action, switcher),
        assignMonitor: (guest, connector) =>
          client
            .call(guest.path, GUEST_INTERFACE, 'SetMonitor', [connector], { interactive: true })
            .catch((error: unknown) => this.report(_('Could not move %s').format(guest.name), error)),
        assignHeadMonitor: (guest, head, connector) =>
          client
            .call(
              guest.path,
              GUEST_INTERFACE,
              'SetMonitors',
              [withHeadMonitor(viewedGuest(guest).monitors, head, connector)],
              {
                interactive: true,
              },
            )
            .catch((error: unknown) => this.report(_('Could not move %s').format(guest.name), error)),
        describeDisplay: (guest) =>
          client.call(guest.path, GUEST_INTERFACE, 'DescribeDisplay', []).then(([d]) => displayDescription(d)),
        setDisplay: (guest, change) => void this.setDisplay(client, settings, guest, change),
        monitors: () => listMonitors(cancellable),
        seats: () => session.seatList(),
        assignSeat: (guest, seatPath) => {
          // No seat: take the guest off the seat it is on.
          const target = seatPath ?? session.seatList().find((s) => s.guest === guest.path)?.path;
          if (!target) return;
          client
            .call(target, SEAT_INTERFACE, 'AssignGuest', [seatPath ? guest.path : '/'], { interactive: true })
            .catch((error: unknown) => this.report(_('Could not change the seat of %s').format(guest.name), error));
        },
        usbToggle: (guest, device) => void this.usbToggle(client, guest, device),
        transfer: (guest, action) => transfers.run(guest, action),
        usbRule: (guest, device, mode) =>
          client
            .call(device.path, USB_DEVICE_INTERFACE, 'SetRule', [guest.path, mode, 'device'], { interactive: true })
            .catch((error: unknown) => this.report(_('Could not change the rule for %s').format(device.name), error)),
        usbReturn: (device) =>
          client
            .call(device.path, USB_DEVICE_INTERFACE, 'Detach', [], { interactive: true })
            .catch((error: unknown) => this.report(_('Could not return %s to the host').format(device.name), error)),
        autostart: (guest, enabled) =>
          client
            .setProperty(guest.path, GUEST_INTERFACE, 'Autostart', GLib.Variant.new_boolean(enabled), {
              interactive: true,
            })
            .catch((error: unknown) =>
              this.report(_('Could not change whether %s starts with the host').format(guest.name), error),
            ),
        sharingAllowed: () => sharing.allowed,
        share: (guest) => sharing.share(guest),
        unshare: (guest) => sharing.unshare(guest),
      },
      (action) =>
        action === 'NewGuest'
          ? newGuest.open()
          : action === 'Import'
            ? transfers.importBundle()
            : void this.runManagerAction(client, action, launcher),
    );
    Main.panel.addToStatusArea(this.uuid, indicator);
    this.own(() => indicator.destroy());
    (indicator.menu as PopupMenu.PopupMenu).connect('open-state-changed', (_menu, open: boolean) => {
      demand.need('menu', open);
      return undefined;
    });

    // The overview's search finds guests by name or OS; a result switches to its guest.
    const search = new GuestSearchProvider(guests, (guest) => switcher.switchTo(guest));
    search.register();
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

    const pendingAsks = new Map<string, string>();
    const ask = (devicePath: string, guestPath: string): void => {
      const device = indicator.usbDevice(devicePath);
      const guest = guests.get(guestPath);
      if (!device) {
        pendingAsks.set(devicePath, guestPath);
        return;
      }
      if (!guest) return;
      notifier.notify(_('Attach %1$s to %2$s?').format(device.name, guest.name), _('It was just plugged in.'), [
        { label: _('Attach'), run: () => void this.usbToggle(client, guest, device) },
        { label: _('Not Now'), run: () => undefined },
      ]);
    };

    const viewers = (this.sessionViewers ??= new SessionViewers());
    viewers.attach((path, pid) => session.guests.changed(path, { viewerPid: pid }));
    this.own(() => viewers.detach());

    // Jobs are followed from before the first is started, so none ends unseen.
    const client = new SwitcherClient({ objects: true, jobs: true });
    const feed = new ServiceFeed(client, {
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
          const guestPath = pendingAsks.get(device.path);
          pendingAsks.delete(device.path);
          if (guestPath) ask(device.path, guestPath);
        },
        removed: (path) => indicator.removeUsb(path),
        changed: (path, changes) => indicator.changeUsb(path, changes),
      },
      usbAsk: (devicePath, guestPath) => ask(devicePath, guestPath),
      // A guest that crashed, or that the host stopped, is said aloud, with a way to start it again.
      guestStopped: (guestPath, reason) => {
        const guest = guests.get(guestPath);
        const notice = stopNotice(reason);
        if (!guest || !notice) return;
        notifier.notify(_(notice.title).format(guest.name), _(notice.body), [
          { label: _(START_AGAIN), run: () => void this.runGuestAction(client, settings, guest, 'Start', switcher) },
        ]);
      },
    });
    const focus = new FocusReporter(windows, (path) => feed.setFocusedGuest(path));
    focus.start();
    this.own(() => focus.stop());
    const switcher = new GuestSwitcher(guests, client, windows, viewers, (title, error) => this.report(title, error));
    void client.start();
    this.own(() => client.destroy());
    this.own(() => feed.destroy());
    const transfers = new GuestTransfers(client, guests);
    this.own(() => transfers.destroy());
    const sharing = new GuestSharing(client, (title, error) => this.report(title, error));
    this.own(() => sharing.destroy());

    const keys = new KeyBindings(settings);
    for (const [key, request] of SWITCH_KEYS) keys.add(key, () => switcher.switchBy(request));
    keys.add('show-launcher', () => launcher.toggle());
    keys.add('back-to-host', () => {
      launcher.close();
      switcher.backToHost();
    });
    this.own(() => keys.removeAll());
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

  /** A failure the user should hear of; one cut short by a disable (or a lock) is nobody's. */
  private report(title: string, error: unknown): void {
    if (isCancelled(error)) return;
    this.notifier?.notify(title, describeError(error));
  }

  private async runGuestAction(
    client: SwitcherClient,
    settings: Gio.Settings,
    guest: GuestSummary,
    action: MenuAction,
    switcher: GuestSwitcher,
  ): Promise<void> {
    if (action === 'Switch') {
      switcher.switchTo(guest);
      return;
    }
    if (needsConfirmation(action)) {
      const question = confirm({
        title: _('Force off %s?').format(guest.name),
        description: _('The guest is switched off at once, like pulling its plug. Work not saved inside it is lost.'),
        confirmLabel: _('Force Off'),
      });
      this.own(question.close);
      const confirmed = await question.answer;
      this.releases = this.releases.filter((r) => r !== question.close);
      if (!confirmed) return;
    }
    const title = FAILED[action]().format(guest.name);
    try {
      if (action === 'Shutdown') {
        // The service waits as long as asked, and says whether the guest went down meanwhile.
        const seconds = settings.get_uint('shutdown-timeout');
        const [stopped] = await client.call(guest.path, GUEST_INTERFACE, 'Shutdown', [seconds], {
          interactive: true,
          timeoutMs: (seconds + 10) * 1000,
        });
        if (!stopped)
          this.notifier?.notify(title, _('It did not shut down within %d seconds and is still on.').format(seconds));
      } else await client.call(guest.path, GUEST_INTERFACE, action, [], { interactive: true });
    } catch (error) {
      this.report(title, error);
    }
  }

  /** Changes a guest's display; turning 3D on says first, once, what it costs. */
  private async setDisplay(
    client: SwitcherClient,
    settings: Gio.Settings,
    guest: GuestSummary,
    change: DisplayChange,
  ): Promise<void> {
    if (change.accel3d && !settings.get_boolean('accel3d-cost-told')) {
      const question = confirm({
        title: _(ACCEL3D_COST_TITLE),
        description: _(ACCEL3D_COST),
        confirmLabel: _('Turn On 3D'),
      });
      this.own(question.close);
      const confirmed = await question.answer;
      this.releases = this.releases.filter((r) => r !== question.close);
      if (!confirmed) return;
      settings.set_boolean('accel3d-cost-told', true);
    }
    try {
      await client.call(guest.path, GUEST_INTERFACE, 'SetDisplay', [displaySettings(change)], { interactive: true });
    } catch (error) {
      this.report(_('Could not change the display of %s').format(guest.name), error);
    }
  }

  /** Gives a device to a guest (asking before the host's last keyboard or pointer goes), or takes it back. */
  private async usbToggle(client: SwitcherClient, guest: GuestSummary, device: UsbSummary): Promise<void> {
    try {
      if (device.owner === guest.path) {
        await client.call(device.path, USB_DEVICE_INTERFACE, 'Detach', [], { interactive: true });
        return;
      }
      try {
        await client.call(device.path, USB_DEVICE_INTERFACE, 'Attach', [guest.path], { interactive: true });
      } catch (error) {
        if (remoteErrorName(error) !== ERROR.LastInputDevice) throw error;
        const keyboard = device.classes.includes('keyboard');
        const question = confirm({
          title: _('Give %1$s to %2$s?').format(device.name, guest.name),
          description: (keyboard
            ? _(
                "It is the host's last keyboard. While %s has it, the host can only be reached with the switching shortcuts on another keyboard, or by unplugging it.",
              )
            : _(
                "It is the host's last pointer. While %s has it, the host can only be reached with the switching shortcuts, or by unplugging it.",
              )
          ).format(guest.name),
          confirmLabel: _('Give It Away'),
        });
        this.own(question.close);
        const confirmed = await question.answer;
        this.releases = this.releases.filter((r) => r !== question.close);
        if (confirmed)
          await client.call(device.path, USB_DEVICE_INTERFACE, 'ForceAttach', [guest.path], { interactive: true });
      }
    } catch (error) {
      this.report(_('Could not move %s').format(device.name), error);
    }
  }

  private async runManagerAction(
    client: SwitcherClient,
    action: Exclude<ManagerAction, 'NewGuest' | 'Import'>,
    launcher: Launcher,
  ): Promise<void> {
    if (action === 'ShowLauncher') {
      launcher.open();
      return;
    }
    try {
      const [paths] = await client.call(MANAGER_PATH, MANAGER_INTERFACE, action, [], { interactive: true });
      if (paths.length === 0 && action === 'ResumeAll') {
        this.notifier?.notify(_('Nothing to resume'), _('No guest that Pause All paused is still paused.'));
      }
    } catch (error) {
      this.report(action === 'PauseAll' ? _('Could not pause all guests') : _('Could not resume all guests'), error);
    }
  }
}
