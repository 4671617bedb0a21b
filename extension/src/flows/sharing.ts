// Share… and Stop Sharing in a guest's menu: the Share dialog (how long,
// then the credential, once) and the service's Share and Unshare. One owner
// of the dialogs it opens, closed in destroy().

import { describeError } from '../client/calls.js';
import type { SwitcherClient } from '../client/switcher-client.js';
import { GUEST_INTERFACE } from '../client/switcher1.js';
import { _, GLib } from '../gi.js';
import type { GuestSummary } from '../model/guest-list.js';
import { shareCredential, type ShareCredential } from '../model/sharing.js';
import type { Report } from './prompts.js';

export interface ShareHandlers {
  /** Shares the guest for `seconds`; resolves to the credential. */
  share(seconds: number): Promise<ShareCredential>;
  /** Ends a share whose credential came after the dialog closed: nobody was shown it. */
  abandon(): void;
  describeError(error: unknown): string;
}

/** The Share dialog on screen (ui/share-dialog.ts). */
export interface OpenShare {
  /** Settles when the dialog has closed, however it closed. */
  closed: Promise<void>;
  close(): void;
}

export class GuestSharing {
  private readonly dialogs = new Set<OpenShare>();

  constructor(
    private readonly client: SwitcherClient,
    /** Opens the Share dialog: how long, then the credential, once. */
    private readonly openShareDialog: (guestName: string, handlers: ShareHandlers) => OpenShare,
    /** A failure the user should hear of (title, error). */
    private readonly report: Report,
  ) {}

  /** Whether the host allows sharing (an administrator turned it on). */
  get allowed(): boolean {
    return this.client.managerProperty('SharingAllowed', false);
  }

  /** Opens the Share dialog for a guest. */
  share(guest: GuestSummary): void {
    const dialog = this.openShareDialog(guest.name, {
      share: async (seconds) => {
        const options = { duration: GLib.Variant.new_uint32(seconds) };
        const [answer] = await this.client.call(guest.path, GUEST_INTERFACE, 'Share', [options], { interactive: true });
        const credential = shareCredential(answer);
        if (credential) return credential;
        // Shared, but with nothing another computer could use: not left open.
        this.unshare(guest);
        throw new Error(_('The guest service gave no complete answer'));
      },
      abandon: () => this.unshare(guest),
      describeError,
    });
    this.dialogs.add(dialog);
    void dialog.closed.then(() => this.dialogs.delete(dialog));
  }

  /** Ends a guest's share. */
  unshare(guest: GuestSummary): void {
    this.client
      .call(guest.path, GUEST_INTERFACE, 'Unshare', [], { interactive: true })
      .catch((error: unknown) => this.report(_('Could not stop sharing %s').format(guest.name), error));
  }

  destroy(): void {
    for (const dialog of this.dialogs) dialog.close();
    this.dialogs.clear();
  }
}
