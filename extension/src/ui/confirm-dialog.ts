// Asks before something that loses a guest's unsaved work.

import { _, Clutter, Dialog, ModalDialog } from '../gi.js';

export interface Confirmation {
  title: string;
  description: string;
  confirmLabel: string;
}

export interface OpenConfirmation {
  /** true on confirm; false on cancel, Escape or close(). */
  answer: Promise<boolean>;
  close(): void;
}

/** Opens a modal dialog asking to confirm. */
export function confirm({ title, description, confirmLabel }: Confirmation): OpenConfirmation {
  let close = (): void => {};
  const answer = new Promise<boolean>((resolve) => {
    const dialog = new ModalDialog.ModalDialog({ styleClass: 'phyllome-confirm-dialog', destroyOnClose: true });
    // Title and description are plain text: guest names are never markup.
    dialog.contentLayout.add_child(new Dialog.MessageDialogContent({ title, description }));
    let answered = false;
    const answer = (value: boolean): void => {
      if (answered) return;
      answered = true;
      dialog.close();
      resolve(value);
    };
    dialog.setButtons([
      { label: _('Cancel'), action: () => answer(false), key: Clutter.KEY_Escape },
      { label: confirmLabel, action: () => answer(true) },
    ]);
    dialog.connect('closed', () => answer(false));
    close = () => answer(false);
    dialog.open();
  });
  return { answer, close };
}
