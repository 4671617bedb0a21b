// Not in @girs/gnome-shell 48: the Shell's dialog asking whether an app may inhibit shortcuts.
declare module 'resource:///org/gnome/shell/ui/inhibitShortcutsDialog.js' {
  import type Meta from 'gi://Meta';
  import type { ModalDialog } from 'resource:///org/gnome/shell/ui/modalDialog.js';
  export interface InhibitShortcutsDialogInstance {
    _window: Meta.Window;
    _dialog: ModalDialog;
    _buildLayout(): void;
    _emitResponse(response: Meta.InhibitShortcutsDialogResponse): void;
  }
  export const InhibitShortcutsDialog: { prototype: InhibitShortcutsDialogInstance };
}
