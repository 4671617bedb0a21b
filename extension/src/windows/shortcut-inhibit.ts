// Our guests' viewers may hold the keyboard (Wayland keyboard-shortcuts
// inhibition) without the Shell asking each time: a guest on this host is
// the user's computer, so Alt+Tab and Super belong to it. The Shell asks for
// every new viewer window since virt-viewer has no .desktop file to remember
// the answer by; for windows of our viewers the answer is Allow. Our own
// switching shortcuts still work, being non-maskable.

import { InhibitShortcutsDialog, Meta } from '../gi.js';

export class ShortcutInhibitGrant {
  private original: (() => void) | undefined;

  constructor(private readonly isOurViewer: (window: Meta.Window) => boolean) {}

  enable(): void {
    const prototype = InhibitShortcutsDialog.InhibitShortcutsDialog.prototype;
    const original = prototype._buildLayout;
    const isOurViewer = this.isOurViewer;
    this.original = original;
    prototype._buildLayout = function (this: typeof prototype) {
      original.call(this);
      if (isOurViewer(this._window)) {
        // The dialog is opened only when the Shell would ask; answer for the user instead.
        this._dialog.open = () => {
          this._emitResponse(Meta.InhibitShortcutsDialogResponse.ALLOW);
          return true;
        };
      }
    };
  }

  disable(): void {
    if (this.original) InhibitShortcutsDialog.InhibitShortcutsDialog.prototype._buildLayout = this.original;
    this.original = undefined;
  }
}
