// One switching shortcut, shaped like a row of GNOME Settings' keyboard
// shortcuts: what it does, its accelerator (or "Disabled"), and a reset
// button while it differs from the default. Activating it asks for a new one.

import { _, Adw, Gio, GObject, Gtk } from '../gi-prefs.js';
import { isDefaultValue, shortcutTitle, type ShortcutSetting } from '../model/shortcuts.js';
import { ShortcutDialog } from './shortcut-dialog.js';

/** An accelerator as keyval and modifiers, so that `<Super><Alt>1` and `<Alt><Super>1` compare equal. */
function canonical(accelerator: string): string {
  const [ok, keyval, mods] = Gtk.accelerator_parse(accelerator);
  return ok ? `${keyval}/${mods ?? 0}` : accelerator;
}

export const ShortcutRow = GObject.registerClass(
  { GTypeName: 'PhyllomeShortcutRow' },
  class ShortcutRow extends Adw.ActionRow {
    private settings!: Gio.Settings;
    private shortcut!: ShortcutSetting;
    private accelerator!: Gtk.ShortcutLabel;
    private reset!: Gtk.Button;

    constructor(settings: Gio.Settings, shortcut: ShortcutSetting) {
      super({ title: shortcutTitle(shortcut, _), activatable: true });
      this.settings = settings;
      this.shortcut = shortcut;
      this.accelerator = new Gtk.ShortcutLabel({ disabled_text: _('Disabled'), valign: Gtk.Align.CENTER });
      this.reset = new Gtk.Button({
        icon_name: 'edit-clear-symbolic',
        tooltip_text: _('Reset to Default'),
        valign: Gtk.Align.CENTER,
        css_classes: ['flat', 'circular'],
      });
      this.reset.connect('clicked', () => settings.reset(shortcut.key));
      this.add_suffix(this.accelerator);
      this.add_suffix(this.reset);
      this.connect('activated', () => this.edit());

      const changed = settings.connect(`changed::${shortcut.key}`, () => this.sync());
      this.connect('destroy', () => settings.disconnect(changed));
      this.sync();
    }

    private defaultValue(): string[] {
      return (this.settings.get_default_value(this.shortcut.key)?.deepUnpack() as string[] | undefined) ?? [];
    }

    private sync(): void {
      const value = this.settings.get_strv(this.shortcut.key);
      // Gtk.ShortcutLabel shows space-separated accelerators; it warns on one it cannot parse.
      this.accelerator.accelerator = value.filter((a) => Gtk.accelerator_parse(a)[0]).join(' ');
      this.reset.visible = !isDefaultValue(value, this.defaultValue(), canonical);
    }

    private edit(): void {
      const dialog = new ShortcutDialog({
        shortcutTitle: shortcutTitle(this.shortcut, _),
        parent: this.get_root() as Gtk.Window,
        onChosen: (accelerators) => {
          if (isDefaultValue(accelerators, this.defaultValue(), canonical)) this.settings.reset(this.shortcut.key);
          else this.settings.set_strv(this.shortcut.key, accelerators);
        },
      });
      dialog.present();
    }
  },
);
