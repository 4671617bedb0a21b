// The small window that takes a new shortcut, as GNOME Settings' does: the
// next key combination pressed becomes the shortcut, Escape cancels,
// Backspace disables it. Modifiers alone wait for the rest of the chord.

import { _, Adw, Gdk, GLib, GObject, Gtk, asWidget } from '../gi-prefs.js';
import { judgeKeyPress } from '../model/shortcuts.js';

export interface ShortcutDialogOptions {
  /** What the shortcut does, e.g. "Next Guest". */
  shortcutTitle: string;
  parent: Gtk.Window;
  /** The new accelerators: one, or none to disable the shortcut. */
  onChosen(accelerators: string[]): void;
}

/** The key and modifiers as GNOME Settings records them: the unshifted key, Shift kept as a modifier. */
function normalize(
  display: Gdk.Display,
  keyval: number,
  keycode: number,
  state: number,
  group: number,
): { keyval: number; mask: number } {
  const explicit = Gtk.accelerator_get_default_mod_mask() | Gdk.ModifierType.SHIFT_MASK;
  const mask = state & explicit;
  const [found, unmodified] = display.translate_key(keycode, state & ~explicit, group);
  let base = found ? unmodified : Gdk.keyval_to_lower(keyval);
  // Number-row keys are their digit whatever the layout (AZERTY puts digits on Shift).
  const [shiftedFound, shifted] = display.translate_key(
    keycode,
    Gdk.ModifierType.SHIFT_MASK | (state & ~explicit),
    group,
  );
  if (shiftedFound && shifted >= Gdk.KEY_0 && shifted <= Gdk.KEY_9) base = shifted;
  if (base === Gdk.KEY_ISO_Left_Tab) base = Gdk.KEY_Tab;
  // Alt+Print is Print, not SysRq.
  if (base === Gdk.KEY_Sys_Req && (mask & Gdk.ModifierType.ALT_MASK) !== 0) base = Gdk.KEY_Print;
  return { keyval: base, mask };
}

export const ShortcutDialog = GObject.registerClass(
  { GTypeName: 'PhyllomeShortcutDialog' },
  class ShortcutDialog extends Adw.Window {
    private onChosen!: (accelerators: string[]) => void;
    private refusal!: Gtk.Label;

    constructor(options: ShortcutDialogOptions) {
      super({
        title: _('Set Shortcut'),
        modal: true,
        transient_for: options.parent,
        default_width: 440,
        resizable: false,
      });
      this.onChosen = options.onChosen;

      const prompt = new Gtk.Label({
        // TRANSLATORS: %s is the shortcut's title, in bold; keep <b> and </b> around it.
        label: _('Enter the new shortcut to change <b>%s</b>.').replace(
          '%s',
          GLib.markup_escape_text(options.shortcutTitle, -1),
        ),
        use_markup: true,
        wrap: true,
        justify: Gtk.Justification.CENTER,
      });
      const picture = new Gtk.Image({
        icon_name: 'input-keyboard-symbolic',
        pixel_size: 96,
        css_classes: ['dim-label'],
      });
      const hint = new Gtk.Label({
        label: _('Press Esc to cancel or Backspace to disable the keyboard shortcut.'),
        wrap: true,
        justify: Gtk.Justification.CENTER,
        css_classes: ['dim-label'],
      });
      this.refusal = new Gtk.Label({ wrap: true, justify: Gtk.Justification.CENTER, css_classes: ['error'] });
      this.refusal.visible = false;

      const box = new Gtk.Box({
        orientation: Gtk.Orientation.VERTICAL,
        spacing: 18,
        margin_top: 24,
        margin_bottom: 30,
        margin_start: 30,
        margin_end: 30,
      });
      for (const widget of [prompt, picture, hint, this.refusal]) box.append(widget);
      const view = new Adw.ToolbarView({ content: box });
      view.add_top_bar(asWidget(new Adw.HeaderBar()));
      this.set_content(asWidget(view));

      // Capture phase: the chord reaches us before any widget could act on it.
      const keys = new Gtk.EventControllerKey({ propagation_phase: Gtk.PropagationPhase.CAPTURE });
      keys.connect('key-pressed', (controller, keyval: number, keycode: number, state: Gdk.ModifierType) =>
        this.onKeyPressed(controller, keyval, keycode, state),
      );
      this.add_controller(keys);
    }

    private onKeyPressed(controller: Gtk.EventControllerKey, keyval: number, keycode: number, state: number): boolean {
      const display = this.get_display();
      const press = normalize(display, keyval, keycode, state, controller.get_group());
      const event = controller.get_current_event();
      const meaning = judgeKeyPress(
        {
          ...press,
          isModifier: event instanceof Gdk.KeyEvent && event.is_modifier(),
          character: Gdk.keyval_to_unicode(press.keyval),
        },
        (k, m) => Gtk.accelerator_valid(k, m),
      );
      switch (meaning.kind) {
        case 'wait':
          break;
        case 'cancel':
          this.close();
          break;
        case 'disable':
          this.finish([]);
          break;
        case 'refuse':
          this.refusal.label = meaning.reason;
          this.refusal.visible = true;
          break;
        case 'accept':
          this.finish([Gtk.accelerator_name_with_keycode(display, press.keyval, keycode, press.mask)]);
          break;
      }
      return true;
    }

    private finish(accelerators: string[]): void {
      this.onChosen(accelerators);
      this.close();
    }
  },
);
