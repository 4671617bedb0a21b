// Our guests' viewers may hold the keyboard (Wayland keyboard-shortcuts
// inhibition) without the Shell asking each time: a guest on this host is
// the user's computer, so Alt+Tab and Super belong to it. The Shell asks for
// every new viewer window since virt-viewer has no .desktop file to remember
// the answer by; for windows of our viewers the answer is Allow. Our own
// switching shortcuts still work, being non-maskable. The Shell's dialog is
// changed through its InjectionManager, which puts it back on disable.

import { InhibitShortcutsDialog, InjectionManager, Meta } from '../gi.js';

type Prototype = typeof InhibitShortcutsDialog.InhibitShortcutsDialog.prototype;

export class ShortcutInhibitGrant {
  private injections: InjectionManager | undefined;

  constructor(private readonly isOurViewer: (window: Meta.Window) => boolean) {}

  enable(): void {
    const isOurViewer = this.isOurViewer;
    this.injections = new InjectionManager();
    this.injections.overrideMethod(
      InhibitShortcutsDialog.InhibitShortcutsDialog.prototype,
      '_buildLayout',
      (original: Prototype['_buildLayout']) =>
        function (this: Prototype) {
          original.call(this);
          if (isOurViewer(this._window)) {
            // The dialog is opened only when the Shell would ask; answer for the user instead.
            this._dialog.open = () => {
              this._emitResponse(Meta.InhibitShortcutsDialogResponse.ALLOW);
              return true;
            };
          }
        },
    );
  }

  disable(): void {
    this.injections?.clear();
    this.injections = undefined;
  }
}
