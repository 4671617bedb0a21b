// The switching shortcuts, from GSettings. Non-maskable: they work while a
// guest's viewer holds the keyboard (keyboard-shortcuts inhibition), which
// is exactly when the user needs them.

import { Gio, Main, Meta, Shell } from '../gi.js';

export class KeyBindings {
  private readonly names: string[] = [];

  constructor(private readonly settings: Gio.Settings) {}

  add(name: string, handler: () => void): void {
    Main.wm.addKeybinding(
      name,
      this.settings,
      Meta.KeyBindingFlags.NON_MASKABLE | Meta.KeyBindingFlags.IGNORE_AUTOREPEAT,
      Shell.ActionMode.NORMAL | Shell.ActionMode.OVERVIEW | Shell.ActionMode.POPUP | Shell.ActionMode.SYSTEM_MODAL,
      handler,
    );
    this.names.push(name);
  }

  removeAll(): void {
    for (const name of this.names.splice(0)) Main.wm.removeKeybinding(name);
  }
}
