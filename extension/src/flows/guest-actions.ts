// What the menus ask of the service for one guest or device, or for all
// guests — start, pause, shut down, the display, the monitor, the seat, USB
// and its rules, autostart, Pause All — each with what a person hears when
// it fails, and the questions asked first (Force Off, 3D's cost, the host's
// last keyboard or pointer). A question still open when the flow goes (a
// disable, a screen lock) is closed, as refused.

import { remoteErrorName } from '../client/calls.js';
import { displaySettings, type SwitcherClient } from '../client/switcher-client.js';
import {
  ERROR,
  GUEST_INTERFACE,
  MANAGER_INTERFACE,
  MANAGER_PATH,
  SEAT_INTERFACE,
  USB_DEVICE_INTERFACE,
} from '../client/switcher1.js';
import { _, GLib, type Gio } from '../gi.js';
import {
  ACCEL3D_COST,
  ACCEL3D_COST_TITLE,
  displayDescription,
  withHeadMonitor,
  type DisplayChange,
  type DisplayDescription,
} from '../model/display.js';
import type { GuestSummary } from '../model/guest-list.js';
import { needsConfirmation, type GuestAction } from '../model/guest-state.js';
import type { SeatSummary } from '../model/seats.js';
import { START_AGAIN, stopNotice } from '../model/stop-notice.js';
import type { UsbRuleMode, UsbSummary } from '../model/usb-list.js';
import { viewedGuest } from '../windows/viewer-windows.js';
import { OpenQuestions, reporter, type Confirm, type Notices, type Report } from './prompts.js';

/** What a failed action was, in the user's words (each %s is the guest's name). */
const FAILED: Record<GuestAction, () => string> = {
  Start: () => _('Could not start %s'),
  Resume: () => _('Could not resume %s'),
  Pause: () => _('Could not pause %s'),
  Shutdown: () => _('Could not shut down %s'),
  Reboot: () => _('Could not restart %s'),
  ForceOff: () => _('Could not force off %s'),
};

export interface GuestActionsOptions {
  client: SwitcherClient;
  /** The extension's settings: how long Shut Down waits; whether 3D's cost was told. */
  settings: Gio.Settings;
  confirm: Confirm;
  notices: Notices;
}

export class GuestActions {
  private readonly questions = new OpenQuestions();
  private readonly client: SwitcherClient;
  private readonly report: Report;

  constructor(private readonly options: GuestActionsOptions) {
    this.client = options.client;
    this.report = reporter(options.notices);
  }

  /** Closes every question still open; what waited on one does nothing. */
  destroy(): void {
    this.questions.closeAll();
  }

  /** Start, Pause, Resume, Shut Down, Restart, Force Off (which asks first). */
  async run(guest: GuestSummary, action: GuestAction): Promise<void> {
    if (needsConfirmation(action)) {
      const confirmed = await this.questions.ask(
        this.options.confirm({
          title: _('Force off %s?').format(guest.name),
          description: _('The guest is switched off at once, like pulling its plug. Work not saved inside it is lost.'),
          confirmLabel: _('Force Off'),
        }),
      );
      if (!confirmed) return;
    }
    const title = FAILED[action]().format(guest.name);
    try {
      if (action === 'Shutdown') {
        // The service waits as long as asked, and says whether the guest went down meanwhile.
        const seconds = this.options.settings.get_uint('shutdown-timeout');
        const [stopped] = await this.client.call(guest.path, GUEST_INTERFACE, 'Shutdown', [seconds], {
          interactive: true,
          timeoutMs: (seconds + 10) * 1000,
        });
        if (!stopped)
          this.options.notices.notify(
            title,
            _('It did not shut down within %d seconds and is still on.').format(seconds),
          );
      } else await this.client.call(guest.path, GUEST_INTERFACE, action, [], { interactive: true });
    } catch (error) {
      this.report(title, error);
    }
  }

  /** A guest that crashed, or that the host stopped, is said aloud, with a way to start it again. */
  stopped(guest: GuestSummary, reason: string): void {
    const notice = stopNotice(reason);
    if (!notice) return;
    this.options.notices.notify(_(notice.title).format(guest.name), _(notice.body), [
      { label: _(START_AGAIN), run: () => void this.run(guest, 'Start') },
    ]);
  }

  /** What the guest's display may be set to here. */
  async describeDisplay(guest: GuestSummary): Promise<DisplayDescription> {
    const [description] = await this.client.call(guest.path, GUEST_INTERFACE, 'DescribeDisplay', []);
    return displayDescription(description);
  }

  /** Changes a guest's display; turning 3D on says first, once, what it costs. */
  async setDisplay(guest: GuestSummary, change: DisplayChange): Promise<void> {
    const settings = this.options.settings;
    if (change.accel3d && !settings.get_boolean('accel3d-cost-told')) {
      const confirmed = await this.questions.ask(
        this.options.confirm({
          title: _(ACCEL3D_COST_TITLE),
          description: _(ACCEL3D_COST),
          confirmLabel: _('Turn On 3D'),
        }),
      );
      if (!confirmed) return;
      settings.set_boolean('accel3d-cost-told', true);
    }
    try {
      await this.client.call(guest.path, GUEST_INTERFACE, 'SetDisplay', [displaySettings(change)], {
        interactive: true,
      });
    } catch (error) {
      this.report(_('Could not change the display of %s').format(guest.name), error);
    }
  }

  /** Puts the guest on a monitor (its connector; '' for none). */
  assignMonitor(guest: GuestSummary, connector: string): void {
    this.client
      .call(guest.path, GUEST_INTERFACE, 'SetMonitor', [connector], { interactive: true })
      .catch((error: unknown) => this.report(_('Could not move %s').format(guest.name), error));
  }

  /** Puts one head of a guest with several on a monitor ('' for none). */
  assignHeadMonitor(guest: GuestSummary, head: number, connector: string): void {
    const monitors = withHeadMonitor(viewedGuest(guest).monitors, head, connector);
    this.client
      .call(guest.path, GUEST_INTERFACE, 'SetMonitors', [monitors], { interactive: true })
      .catch((error: unknown) => this.report(_('Could not move %s').format(guest.name), error));
  }

  /** Puts the guest on a seat (by its path), or, with none, takes it off the seat it is on. */
  assignSeat(guest: GuestSummary, seatPath: string | undefined, seats: SeatSummary[]): void {
    const target = seatPath ?? seats.find((s) => s.guest === guest.path)?.path;
    if (!target) return;
    this.client
      .call(target, SEAT_INTERFACE, 'AssignGuest', [seatPath ? guest.path : '/'], { interactive: true })
      .catch((error: unknown) => this.report(_('Could not change the seat of %s').format(guest.name), error));
  }

  /** Sets whether libvirt starts the guest with the host. */
  autostart(guest: GuestSummary, enabled: boolean): void {
    this.client
      .setProperty(guest.path, GUEST_INTERFACE, 'Autostart', GLib.Variant.new_boolean(enabled), {
        interactive: true,
      })
      .catch((error: unknown) =>
        this.report(_('Could not change whether %s starts with the host').format(guest.name), error),
      );
  }

  /** Gives a device to a guest (asking before the host's last keyboard or pointer goes), or takes it back. */
  async usbToggle(guest: GuestSummary, device: UsbSummary): Promise<void> {
    try {
      if (device.owner === guest.path) {
        await this.client.call(device.path, USB_DEVICE_INTERFACE, 'Detach', [], { interactive: true });
        return;
      }
      try {
        await this.client.call(device.path, USB_DEVICE_INTERFACE, 'Attach', [guest.path], { interactive: true });
      } catch (error) {
        if (remoteErrorName(error) !== ERROR.LastInputDevice) throw error;
        const keyboard = device.classes.includes('keyboard');
        const confirmed = await this.questions.ask(
          this.options.confirm({
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
          }),
        );
        if (confirmed)
          await this.client.call(device.path, USB_DEVICE_INTERFACE, 'ForceAttach', [guest.path], {
            interactive: true,
          });
      }
    } catch (error) {
      this.report(_('Could not move %s').format(device.name), error);
    }
  }

  /** The guest's rule for the device ('' takes it away). */
  usbRule(guest: GuestSummary, device: UsbSummary, mode: UsbRuleMode | ''): void {
    this.client
      .call(device.path, USB_DEVICE_INTERFACE, 'SetRule', [guest.path, mode, 'device'], { interactive: true })
      .catch((error: unknown) => this.report(_('Could not change the rule for %s').format(device.name), error));
  }

  /** Gives the device back to the host. */
  usbReturn(device: UsbSummary): void {
    this.client
      .call(device.path, USB_DEVICE_INTERFACE, 'Detach', [], { interactive: true })
      .catch((error: unknown) => this.report(_('Could not return %s to the host').format(device.name), error));
  }

  /** Pause All, Resume All. */
  async everyGuest(action: 'PauseAll' | 'ResumeAll'): Promise<void> {
    try {
      const [paths] = await this.client.call(MANAGER_PATH, MANAGER_INTERFACE, action, [], { interactive: true });
      if (paths.length === 0 && action === 'ResumeAll') {
        this.options.notices.notify(_('Nothing to resume'), _('No guest that Pause All paused is still paused.'));
      }
    } catch (error) {
      this.report(action === 'PauseAll' ? _('Could not pause all guests') : _('Could not resume all guests'), error);
    }
  }
}
