// Switching between guests: to one by its place, the next or previous, or
// back to the host. A guest whose viewer is open is shown at once; any other
// is started if needed and shown — by the per-user service's own viewer
// (Show), or, with the host-wide service, by a viewer of this session on the
// display socket the service hands out (OpenDisplay) — and its window placed
// on its monitor when it appears. A guest that drives a screen of its own
// (no display for a viewer) is started, and the user told where it is.

import { remoteErrorName } from '../client/calls.js';
import type { SwitcherClient } from '../client/switcher-client.js';
import { ERROR, GUEST_INTERFACE } from '../client/switcher1.js';
import { _, Main } from '../gi.js';
import type { GuestList, GuestSummary } from '../model/guest-list.js';
import { fixedResolution } from '../model/display.js';
import { switchTarget, type SwitchRequest } from '../model/switching.js';
import type { SessionViewers } from '../windows/session-viewers.js';
import { viewedGuest, type ViewerWindows } from '../windows/viewer-windows.js';
import type { Report } from './prompts.js';

// Show and OpenDisplay may start a guest first: the service allows it a minute.
const SHOW_TIMEOUT_MS = 90_000;

export class GuestSwitcher {
  constructor(
    private readonly guests: GuestList,
    private readonly client: SwitcherClient,
    private readonly windows: ViewerWindows,
    private readonly viewers: SessionViewers,
    private readonly report: Report,
  ) {}

  switchTo(guest: GuestSummary): void {
    if (Main.overview.visible) Main.overview.hide();
    if (this.windows.present(viewedGuest(guest), guest.viewerPid ?? 0)) return;
    // No window yet: the service starts what it must; the window is placed when it shows.
    const options = { interactive: true, timeoutMs: SHOW_TIMEOUT_MS };
    const showing =
      this.client.managerProperty('Scope', 'user') === 'host'
        ? this.client
            .call(guest.path, GUEST_INTERFACE, 'OpenDisplay', [], options)
            .then(([uri]) => void this.viewers.open(guest.path, uri, guest.name, fixedResolution(guest)))
        : this.client.call(guest.path, GUEST_INTERFACE, 'Show', [], options);
    showing.catch((error: unknown) => {
      this.windows.forget(guest.path);
      const ownScreen = remoteErrorName(error) === ERROR.NoDisplay;
      this.report(
        (ownScreen ? _('%s is on a screen of its own') : _('Could not switch to %s')).format(guest.name),
        error,
      );
    });
  }

  switchBy(request: SwitchRequest): void {
    const target = switchTarget(this.guests.ordered(), this.windows.focusedGuest(), request);
    if (target) this.switchTo(target);
  }

  /** Leaves the guests for the host: the overview, where the host's own things are. */
  backToHost(): void {
    Main.overview.show();
  }
}
