// enable() makes everything, disable() releases it all: one owner, one list,
// released in reverse order (extensions.gnome.org rules).

import { describeError, remoteErrorName } from './client/dbus.js';
import { JobWatcher } from './client/job-watcher.js';
import { BUS_NAME, SwitcherClient } from './client/switcher-client.js';
import { GuestTransfers } from './guest-transfers.js';
import { Extension, Gio, GLib, Main } from './gi.js';
import { KeyBindings } from './keybindings.js';
import { GuestList, type GuestSummary } from './model/guest-list.js';
import type { UsbSummary } from './model/usb-list.js';
import { needsConfirmation, type GuestAction } from './model/guest-state.js';
import { SWITCH_KEYS } from './model/switching.js';
import { listMonitors } from './monitors/monitor-list.js';
import { SeatSession } from './seat-session.js';
import { GuestSwitcher } from './switcher.js';
import { confirm } from './ui/confirm-dialog.js';
import type { MenuAction } from './ui/guest-item.js';
import { SwitcherIndicator, type ManagerAction } from './ui/indicator.js';
import { Launcher } from './ui/launcher.js';
import { notifyWithActions } from './ui/notify-actions.js';
import { FocusReporter } from './windows/focus-reporter.js';
import { ShortcutInhibitGrant } from './windows/shortcut-inhibit.js';
import { ViewerWindows } from './windows/viewer-windows.js';

const VERB: Record<GuestAction, string> = {
  Start: 'start',
  Resume: 'resume',
  Pause: 'pause',
  Shutdown: 'shut down',
  Reboot: 'restart',
  ForceOff: 'force off',
};

export default class PhyllomeSwitcherExtension extends Extension {
  private releases: (() => void)[] = [];

  enable(): void {
    const settings = this.getSettings();
    this.own(() => settings.run_dispose());
    const cancellable = new Gio.Cancellable();
    this.own(() => cancellable.cancel());

    const guests = new GuestList();
    const windows = new ViewerWindows({
      guestForPid: (pid) => {
        const guest = guests.byViewerPid(pid);
        return guest ? { path: guest.path, monitor: guest.monitor ?? '' } : undefined;
      },
    });
    windows.start();
    this.own(() => windows.stop());

    const inhibitGrant = new ShortcutInhibitGrant((window) => guests.byViewerPid(window.get_pid()) !== undefined);
    inhibitGrant.enable();
    this.own(() => inhibitGrant.disable());

    // The launcher and indicator call the client and switcher made below; only ever after enable() returned.
    const launcher = new Launcher(
      guests,
      (guest) => windows.windowFor(guest.viewerPid ?? 0),
      (guest) => switcher.switchTo(guest),
      { run: (guest, action) => transfers.run(guest, action), importBundle: () => transfers.importBundle() },
    );
    this.own(() => launcher.close());

    const indicator = new SwitcherIndicator(
      guests,
      {
        action: (guest, action) => void this.runGuestAction(client, settings, guest, action, switcher),
        assignMonitor: (guest, connector) =>
          client
            .setMonitor(guest.path, connector)
            .catch((error: unknown) => Main.notify(`Could not move ${guest.name}`, describeError(error))),
        monitors: () => listMonitors(cancellable),
        seats: () => session.seatList(),
        assignSeat: (guest, seatPath) => {
          // No seat: take the guest off the seat it is on.
          const target = seatPath ?? session.seatList().find((s) => s.guest === guest.path)?.path;
          if (!target) return;
          client
            .assignSeat(target, seatPath ? guest.path : '/')
            .catch((error: unknown) => Main.notify(`Could not change the seat of ${guest.name}`, describeError(error)));
        },
        usbToggle: (guest, device) => void this.usbToggle(client, guest, device),
        transfer: (guest, action) => transfers.run(guest, action),
        usbRule: (guest, device, mode) =>
          client
            .usbAction(device.path, 'SetRule', new GLib.Variant('(oss)', [guest.path, mode, 'device']))
            .catch((error: unknown) =>
              Main.notify(`Could not change the rule for ${device.name}`, describeError(error)),
            ),
        usbReturn: (device) =>
          client
            .usbAction(device.path, 'Detach')
            .catch((error: unknown) =>
              Main.notify(`Could not return ${device.name} to the host`, describeError(error)),
            ),
      },
      (action) =>
        action === 'Import' ? transfers.importBundle() : void this.runManagerAction(client, action, launcher),
    );
    Main.panel.addToStatusArea(this.uuid, indicator);
    this.own(() => indicator.destroy());

    // With several seats this session shows its seat's guests, and lands in its seat's guest.
    const session = new SeatSession(
      GLib.getenv('XDG_SEAT') ?? '',
      {
        reset: (list) => {
          indicator.resetGuests(list);
          launcher.refresh();
        },
        added: (guest) => {
          indicator.addGuest(guest);
          launcher.refresh();
        },
        removed: (path) => {
          windows.forget(path);
          indicator.removeGuest(path);
          launcher.refresh();
        },
        changed: (path, changes) => {
          indicator.changeGuest(path, changes);
          const guest = guests.get(path);
          if (guest && changes.viewerPid) windows.viewerStarted(path, changes.viewerPid, guest.monitor ?? '');
          if (changes.state || changes.name || changes.osId) launcher.refresh();
        },
      },
      (guest) => switcher.switchTo(guest),
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
      notifyWithActions(`Attach ${device.name} to ${guest.name}?`, 'It was just plugged in.', [
        { label: 'Attach', run: () => void this.usbToggle(client, guest, device) },
        { label: 'Not Now', run: () => undefined },
      ]);
    };

    const client = new SwitcherClient({
      statusChanged: (status) => {
        indicator.setStatus(status);
        if (status.kind === 'ready') focus.resend();
      },
      guests: session.guests,
      seats: session.seatEvents,
      usb: {
        reset: (devices) => indicator.resetUsb(devices),
        added: (device) => {
          indicator.putUsb(device);
          // The service may ask about a device before our proxy for it is ready.
          const guestPath = pendingAsks.get(device.path);
          pendingAsks.delete(device.path);
          if (guestPath) ask(device.path, guestPath);
        },
        removed: (path) => indicator.removeUsb(path),
        changed: (path, changes) => indicator.changeUsb(path, changes),
      },
      usbAsk: (devicePath, guestPath) => ask(devicePath, guestPath),
    });
    const focus = new FocusReporter(windows, (path) => client.setFocusedGuest(path));
    focus.start();
    this.own(() => focus.stop());
    const switcher = new GuestSwitcher(guests, client, windows);
    // Jobs are followed from before the first is started, so none ends unseen.
    const jobs = new JobWatcher(Gio.DBus.session, BUS_NAME);
    jobs.start();
    void client.start();
    this.own(() => client.destroy());
    this.own(() => jobs.stop());
    const transfers = new GuestTransfers(client, guests, jobs);
    this.own(() => transfers.destroy());

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
        title: `Force off ${guest.name}?`,
        description: 'The guest is switched off at once, like pulling its plug. Work not saved inside it is lost.',
        confirmLabel: 'Force Off',
      });
      this.own(question.close);
      const confirmed = await question.answer;
      this.releases = this.releases.filter((r) => r !== question.close);
      if (!confirmed) return;
    }
    try {
      await client.guestAction(guest.path, action, settings.get_uint('shutdown-timeout'));
    } catch (error) {
      Main.notify(`Could not ${VERB[action]} ${guest.name}`, describeError(error));
    }
  }

  /** Gives a device to a guest (asking before the host's last keyboard or pointer goes), or takes it back. */
  private async usbToggle(client: SwitcherClient, guest: GuestSummary, device: UsbSummary): Promise<void> {
    try {
      if (device.owner === guest.path) {
        await client.usbAction(device.path, 'Detach');
        return;
      }
      try {
        await client.usbAction(device.path, 'Attach', new GLib.Variant('(o)', [guest.path]));
      } catch (error) {
        if (remoteErrorName(error) !== 'me.phyllo.Switcher1.Error.LastInputDevice') throw error;
        const question = confirm({
          title: `Give ${device.name} to ${guest.name}?`,
          description: `It is the host's last ${device.classes.includes('keyboard') ? 'keyboard' : 'pointer'}. While ${guest.name} has it, the host can only be reached with the switching shortcuts on another keyboard, or by unplugging it.`,
          confirmLabel: 'Give It Away',
        });
        this.own(question.close);
        const confirmed = await question.answer;
        this.releases = this.releases.filter((r) => r !== question.close);
        if (confirmed) await client.usbAction(device.path, 'ForceAttach', new GLib.Variant('(o)', [guest.path]));
      }
    } catch (error) {
      Main.notify(`Could not move ${device.name}`, describeError(error));
    }
  }

  private async runManagerAction(
    client: SwitcherClient,
    action: Exclude<ManagerAction, 'Import'>,
    launcher: Launcher,
  ): Promise<void> {
    if (action === 'ShowLauncher') {
      launcher.open();
      return;
    }
    try {
      const count = await client.managerAction(action);
      if (count === 0 && action === 'ResumeAll') {
        Main.notify('Nothing to resume', 'No guest that Pause All paused is still paused.');
      }
    } catch (error) {
      Main.notify(
        action === 'PauseAll' ? 'Could not pause all guests' : 'Could not resume all guests',
        describeError(error),
      );
    }
  }
}
