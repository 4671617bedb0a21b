// Share…: a modal dialog that asks for how long, shares, then shows what
// the other computer needs — once: the address, the password made for this
// share, the certificate's fingerprint to check — with a button that copies
// the connection file (all of it, for remote-viewer) and a sentence on how
// to connect. Closing it forgets the credential: nothing keeps it.

import { _, Clutter, Dialog, GLib, ModalDialog, St } from '../gi.js';
import { fingerprintLines, SHARE_DURATIONS, type ShareCredential } from '../model/sharing.js';

export interface OpenShareDialog {
  /** Settles when the dialog has closed, however it closed. */
  closed: Promise<void>;
  close(): void;
}

/** A label that wraps instead of cutting a long value short (a fingerprint, an address). */
function wrapping(text: string, styleClass: string): St.Label {
  const label = new St.Label({ text, style_class: styleClass, x_expand: true });
  label.clutter_text.line_wrap = true;
  // Pango's ellipsize mode NONE: the whole value, over several lines if it must.
  label.clutter_text.ellipsize = 0 as typeof label.clutter_text.ellipsize;
  return label;
}

/** "Label: value" rows, the value as plain text (never markup). */
function detailRows(rows: [string, string, string][]): St.BoxLayout {
  const box = new St.BoxLayout({ orientation: Clutter.Orientation.VERTICAL, style_class: 'phyllome-share-details' });
  for (const [label, value, styleClass] of rows) {
    box.add_child(new St.Label({ text: label, style_class: 'phyllome-share-label' }));
    box.add_child(wrapping(value, styleClass));
  }
  return box;
}

export interface ShareDialogHandlers {
  /** Shares the guest for `seconds`; resolves to the credential. */
  share(seconds: number): Promise<ShareCredential>;
  /** Ends a share whose credential came after the dialog closed: nobody was shown it. */
  abandon(): void;
  describeError(error: unknown): string;
}

/**
 * Asks how long to share `guestName`, shares it, and shows the credential;
 * a failure is shown in the dialog, in the service's words.
 */
export function openShareDialog(guestName: string, handlers: ShareDialogHandlers): OpenShareDialog {
  const dialog = new ModalDialog.ModalDialog({ styleClass: 'phyllome-share-dialog', destroyOnClose: true });
  let closed = false;
  const closedPromise = new Promise<void>((resolve) =>
    dialog.connect('closed', () => {
      closed = true;
      resolve();
    }),
  );
  const close = (): void => {
    if (!closed) dialog.close();
  };
  const content = new Dialog.MessageDialogContent({
    title: _('Share %s with Another Computer').format(guestName),
    description: _(
      'A person on another computer will see and use %s over the network, encrypted, with a password shown to you alone, once. Sharing stops when you stop it, when the guest stops, or after:',
    ).format(guestName),
  });
  dialog.contentLayout.add_child(content);

  const showCredential = (credential: ShareCredential): void => {
    const until = GLib.DateTime.new_from_unix_local(credential.expires)?.format('%X') ?? '';
    content.title = _('%s Is Shared').format(guestName);
    content.description = _(
      'On the other computer, save the connection file (Copy Connection File) as share.vv and open it with remote-viewer (virt-viewer): remote-viewer share.vv. Any other SPICE client: connect to the address with the password, and check that the certificate’s fingerprint is this one. This is the only time the password is shown.',
    );
    dialog.contentLayout.add_child(
      detailRows([
        [_('Address'), credential.uri, 'phyllome-share-value'],
        [_('Password'), credential.password, 'phyllome-share-password'],
        [
          _('Certificate fingerprint (SHA-256)'),
          fingerprintLines(credential.fingerprint),
          'phyllome-share-fingerprint',
        ],
        [_('Until'), until, 'phyllome-share-value'],
      ]),
    );
    const copy = (): void => {
      St.Clipboard.get_default().set_text(St.ClipboardType.CLIPBOARD, credential.connectionFile);
      content.title = _('%s Is Shared — Connection File Copied').format(guestName);
    };
    dialog.setButtons([
      { label: _('Copy Connection File'), action: copy },
      { label: _('Done'), action: close, default: true, key: Clutter.KEY_Escape },
    ]);
  };

  const start = (seconds: number): void => {
    dialog.setButtons([{ label: _('Cancel'), action: close, key: Clutter.KEY_Escape }]);
    content.description = _('Sharing…');
    handlers.share(seconds).then(
      (credential) => {
        if (closed) handlers.abandon();
        else showCredential(credential);
      },
      (error: unknown) => {
        if (closed) return;
        content.title = _('Could not share %s').format(guestName);
        content.description = handlers.describeError(error);
        dialog.setButtons([{ label: _('Close'), action: close, default: true, key: Clutter.KEY_Escape }]);
      },
    );
  };

  dialog.setButtons([
    { label: _('Cancel'), action: close, key: Clutter.KEY_Escape },
    ...SHARE_DURATIONS.map(({ seconds, label }, i) => ({
      label: _(label),
      action: () => start(seconds),
      ...(i === 1 ? { default: true } : {}),
    })),
  ]);
  dialog.open();
  return { closed: closedPromise, close };
}
