// enable() makes everything, disable() releases it all: one owner, one list,
// released in reverse order (extensions.gnome.org rules).

import { Extension, Gio, Main } from './gi.js';
import { SwitcherClient } from './client/switcher-client.js';
import { describeError } from './client/dbus.js';
import type { GuestSummary } from './model/guest-list.js';
import { needsConfirmation, type GuestAction } from './model/guest-state.js';
import { confirm } from './ui/confirm-dialog.js';
import { SwitcherIndicator } from './ui/indicator.js';

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

    const indicator = new SwitcherIndicator(
      (guest, action) => void this.runGuestAction(client, settings, guest, action),
      (action) => void this.runManagerAction(client, action),
    );
    Main.panel.addToStatusArea(this.uuid, indicator);
    this.own(() => indicator.destroy());

    const client = new SwitcherClient({
      statusChanged: (status) => indicator.setStatus(status),
      guestsReset: (guests) => indicator.resetGuests(guests),
      guestAdded: (guest) => indicator.addGuest(guest),
      guestRemoved: (path) => indicator.removeGuest(path),
      guestChanged: (path, changes) => indicator.changeGuest(path, changes),
    });
    void client.start();
    this.own(() => client.destroy());
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
    action: GuestAction,
  ): Promise<void> {
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

  private async runManagerAction(client: SwitcherClient, action: 'PauseAll' | 'ResumeAll'): Promise<void> {
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
