// The switching shortcuts the preferences edit, and what a key press means
// while a new one is being entered. Pure: keyvals and modifier masks are
// GDK's plain numbers (X11 keysyms, GdkModifierType bits), so tests need no GTK.
// Titles are marked for translation (N_) and translated where shown (shortcutTitle).

import { N_ } from './i18n.js';

export interface ShortcutSetting {
  /** The settings key (type `as`). */
  key: string;
  /** Untranslated; %d is `place` when there is one. */
  title: string;
  /** The guest's place, for the shortcuts that switch to the guest at a place. */
  place?: number;
}

export interface ShortcutGroup {
  title: string;
  description?: string;
  shortcuts: ShortcutSetting[];
}

export const SHORTCUT_GROUPS: ShortcutGroup[] = [
  {
    title: N_('Switching'),
    shortcuts: [
      { key: 'next-guest', title: N_('Next Guest') },
      { key: 'previous-guest', title: N_('Previous Guest') },
      { key: 'show-launcher', title: N_('Show the Guest Launcher') },
      { key: 'back-to-host', title: N_('Back to the Host') },
    ],
  },
  {
    title: N_('Guests by Place'),
    description: N_('Guests are counted in the order of the launcher, by name.'),
    shortcuts: Array.from({ length: 9 }, (_, i) => ({
      key: `switch-to-guest-${i + 1}`,
      // TRANSLATORS: %d is a place in the list of guests, 1 to 9.
      title: N_('Switch to Guest %d'),
      place: i + 1,
    })),
  },
];

/** A shortcut's title as shown, translated by `translate`. */
export function shortcutTitle(shortcut: ShortcutSetting, translate: (text: string) => string = (t) => t): string {
  const title = translate(shortcut.title);
  return shortcut.place === undefined ? title : title.replace('%d', String(shortcut.place));
}

/** GdkModifierType bits. */
export const Modifier = {
  SHIFT: 1 << 0,
  LOCK: 1 << 1,
  CONTROL: 1 << 2,
  ALT: 1 << 3,
  SUPER: 1 << 26,
  HYPER: 1 << 27,
  META: 1 << 28,
} as const;

const KEY_ESCAPE = 0xff1b;
const KEY_BACKSPACE = 0xff08;
/** Keys every application needs, which GNOME Settings refuses without Ctrl, Alt or Super. */
const NEEDS_MODIFIER = new Set(
  Object.values({
    Home: 0xff50,
    Left: 0xff51,
    Up: 0xff52,
    Right: 0xff53,
    Down: 0xff54,
    Page_Up: 0xff55,
    Page_Down: 0xff56,
    End: 0xff57,
    Tab: 0xff09,
    Return: 0xff0d,
    KP_Enter: 0xff8d,
    Mode_switch: 0xff7e,
  }),
);

export interface KeyPress {
  /** The keyval the key gives without Shift (GNOME Settings keeps Shift as a modifier). */
  keyval: number;
  /** Shift, Control, Alt, Super, Hyper, Meta only. */
  mask: number;
  /** The key itself is a modifier (Shift, Ctrl, Alt, Super…). */
  isModifier: boolean;
  /** The character the key types (Gdk.keyval_to_unicode), 0 if none. */
  character: number;
}

export type KeyPressMeaning =
  /** A modifier alone: the combination is not complete yet. */
  | { kind: 'wait' }
  | { kind: 'cancel' }
  /** Backspace alone: no shortcut at all. */
  | { kind: 'disable' }
  | { kind: 'refuse'; reason: string }
  | { kind: 'accept' };

/** A character that typing would insert: not a control, format or unassigned one. */
function isPrintable(character: number): boolean {
  return character !== 0 && !/\p{C}/u.test(String.fromCodePoint(character));
}

/**
 * What a key press in the shortcut dialog means, as GNOME Settings reads it:
 * Escape alone cancels, Backspace alone disables, a key that types text
 * or that every application needs (Return, Tab, arrows) needs a modifier
 * besides Shift, and the rest is up to `acceleratorValid`
 * (Gtk.accelerator_valid).
 */
export function judgeKeyPress(
  press: KeyPress,
  acceleratorValid: (keyval: number, mask: number) => boolean,
): KeyPressMeaning {
  if (press.isModifier) return { kind: 'wait' };
  if (press.mask === 0 && press.keyval === KEY_ESCAPE) return { kind: 'cancel' };
  if (press.mask === 0 && press.keyval === KEY_BACKSPACE) return { kind: 'disable' };
  const shiftAtMost = (press.mask & ~Modifier.SHIFT) === 0;
  if (shiftAtMost && isPrintable(press.character)) {
    return { kind: 'refuse', reason: 'This key types text: hold Ctrl, Alt or Super with it.' };
  }
  if (shiftAtMost && NEEDS_MODIFIER.has(press.keyval)) {
    return { kind: 'refuse', reason: 'Every application needs this key: hold Ctrl, Alt or Super with it.' };
  }
  if (!acceleratorValid(press.keyval, press.mask)) {
    return { kind: 'refuse', reason: 'This key cannot be a shortcut on its own: hold Ctrl, Alt or Super with it.' };
  }
  return { kind: 'accept' };
}

/**
 * Whether a list of accelerators means the same as the key's default: the
 * same shortcuts in the same order, however their modifiers are spelt
 * (`canonical` is Gtk.accelerator_parse made into a string).
 */
export function isDefaultValue(
  value: readonly string[],
  defaultValue: readonly string[],
  canonical: (accelerator: string) => string,
): boolean {
  return (
    value.length === defaultValue.length &&
    value.every((accel, i) => canonical(accel) === canonical(defaultValue[i] ?? ''))
  );
}
