// Asks for one line of text — a folder, a name, a libvirt address — in a
// Shell modal dialog: a title, a sentence, an entry (Enter confirms).

import { _, Clutter, Dialog, ModalDialog, St } from '../gi.js';

export interface EntryQuestion {
  title: string;
  description: string;
  /** What the entry holds at first (selected, so typing replaces it). */
  text: string;
  confirmLabel: string;
}

export interface OpenEntryDialog {
  /** The text on confirm (trimmed, never empty); undefined on cancel, Escape or close(). */
  answer: Promise<string | undefined>;
  close(): void;
}

export function askForText({ title, description, text, confirmLabel }: EntryQuestion): OpenEntryDialog {
  let close = (): void => {};
  const answer = new Promise<string | undefined>((resolve) => {
    const dialog = new ModalDialog.ModalDialog({ styleClass: 'phyllome-entry-dialog', destroyOnClose: true });
    // Plain text: guest names are never markup.
    dialog.contentLayout.add_child(new Dialog.MessageDialogContent({ title, description }));
    const entry = new St.Entry({ text, can_focus: true, x_expand: true, style_class: 'phyllome-entry' });
    dialog.contentLayout.add_child(entry);
    let settled = false;
    const finish = (value: string | undefined): void => {
      if (settled) return;
      settled = true;
      dialog.close();
      resolve(value);
    };
    const confirm = (): void => {
      const value = entry.get_text().trim();
      if (value !== '') finish(value);
    };
    entry.clutter_text.connect('activate', confirm);
    dialog.setButtons([
      { label: _('Cancel'), action: () => finish(undefined), key: Clutter.KEY_Escape },
      { label: confirmLabel, action: confirm, default: true },
    ]);
    dialog.connect('closed', () => finish(undefined));
    close = () => finish(undefined);
    dialog.setInitialKeyFocus(entry);
    dialog.open();
    entry.clutter_text.set_selection(0, text.length);
  });
  return { answer, close };
}
