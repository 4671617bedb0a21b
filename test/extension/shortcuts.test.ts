import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Modifier,
  SHORTCUT_GROUPS,
  isDefaultValue,
  judgeKeyPress,
  shortcutTitle,
} from '../../extension/src/model/shortcuts.js';

const SCHEMA = join(import.meta.dirname, '../../schemas/org.gnome.shell.extensions.phyllome-switcher.gschema.xml');

// Keysyms (gdk/gdkkeysyms.h).
const KEY = {
  a: 0x61,
  one: 0x31,
  n: 0x6e,
  space: 0x20,
  Escape: 0xff1b,
  BackSpace: 0xff08,
  Page_Down: 0xff56,
  F5: 0xffc2,
};

/** Gtk.accelerator_valid for what these tests press: arrows and pages need a modifier. */
const valid = (keyval: number, mask: number) => !(keyval === 0xff13 && mask === 0); // as if Pause needed one

const press = (keyval: number, mask = 0, character = keyval < 0x7f ? keyval : 0) =>
  judgeKeyPress({ keyval, mask, isModifier: false, character }, valid);

describe('the shortcuts the preferences edit', () => {
  it('are every list-of-accelerators key of the schema, once each', () => {
    const schemaKeys = [...readFileSync(SCHEMA, 'utf8').matchAll(/<key name="([^"]+)" type="as">/g)].map((m) => m[1]);
    const shown = SHORTCUT_GROUPS.flatMap((g) => g.shortcuts.map((s) => s.key));
    expect([...shown].sort()).toEqual([...schemaKeys].sort());
    expect(new Set(shown).size).toBe(shown.length);
  });

  it('are titled the way GNOME Settings titles its shortcuts', () => {
    const titles = Object.fromEntries(
      SHORTCUT_GROUPS.flatMap((g) => g.shortcuts.map((s) => [s.key, shortcutTitle(s)])),
    );
    expect(titles).toMatchObject({
      'switch-to-guest-1': 'Switch to Guest 1',
      'switch-to-guest-9': 'Switch to Guest 9',
      'next-guest': 'Next Guest',
      'previous-guest': 'Previous Guest',
      'show-launcher': 'Show the Guest Launcher',
      'back-to-host': 'Back to the Host',
    });
  });
});

describe('a key press in the shortcut dialog', () => {
  it('waits while only modifiers are down', () => {
    expect(judgeKeyPress({ keyval: 0xffeb, mask: 0, isModifier: true, character: 0 }, valid)).toEqual({ kind: 'wait' });
    expect(judgeKeyPress({ keyval: 0xffe9, mask: Modifier.SUPER, isModifier: true, character: 0 }, valid)).toEqual({
      kind: 'wait',
    });
  });

  it('cancels on Escape and disables on BackSpace, alone', () => {
    expect(press(KEY.Escape)).toEqual({ kind: 'cancel' });
    expect(press(KEY.BackSpace)).toEqual({ kind: 'disable' });
    expect(press(KEY.Escape, Modifier.SUPER).kind).toBe('accept');
    expect(press(KEY.BackSpace, Modifier.CONTROL | Modifier.ALT).kind).toBe('accept');
  });

  it('refuses a key that types text without a modifier other than Shift', () => {
    for (const mask of [0, Modifier.SHIFT]) {
      expect(press(KEY.a, mask).kind).toBe('refuse');
      expect(press(KEY.one, mask).kind).toBe('refuse');
      expect(press(KEY.space, mask).kind).toBe('refuse');
      expect(press(0xe9, mask, 0xe9).kind).toBe('refuse'); // é
    }
    expect(press(KEY.n, Modifier.SUPER | Modifier.ALT)).toEqual({ kind: 'accept' });
    expect(press(KEY.a, Modifier.CONTROL | Modifier.SHIFT)).toEqual({ kind: 'accept' });
  });

  it('refuses Return, Tab and the arrows without Ctrl, Alt or Super, as GNOME Settings does', () => {
    for (const keyval of [0xff0d, 0xff09, 0xff52, 0xff8d]) {
      expect(press(keyval).kind).toBe('refuse');
      expect(press(keyval, Modifier.SHIFT).kind).toBe('refuse');
      expect(press(keyval, Modifier.CONTROL)).toEqual({ kind: 'accept' });
    }
  });

  it('leaves keys that type nothing to Gtk.accelerator_valid', () => {
    expect(press(KEY.F5)).toEqual({ kind: 'accept' });
    expect(press(0xff13)).toEqual({ kind: 'refuse', reason: expect.stringContaining('cannot be a shortcut') });
    expect(press(0xff13, Modifier.SUPER)).toEqual({ kind: 'accept' });
    expect(press(KEY.Page_Down, Modifier.SUPER)).toEqual({ kind: 'accept' });
  });
});

describe('whether a value is the default', () => {
  // Stands in for Gtk.accelerator_parse: modifiers in any order.
  const canonical = (accel: string) =>
    [...(accel.match(/<[^>]+>/g) ?? [])].sort().join('') + accel.replace(/<[^>]+>/g, '');

  it('ignores how the modifiers are ordered, not what they are', () => {
    expect(isDefaultValue(['<Alt><Super>1'], ['<Super><Alt>1'], canonical)).toBe(true);
    expect(isDefaultValue(['<Super>1'], ['<Super><Alt>1'], canonical)).toBe(false);
    expect(isDefaultValue([], ['<Super><Alt>1'], canonical)).toBe(false);
    expect(isDefaultValue(['<Super><Alt>1', '<Super>1'], ['<Super><Alt>1'], canonical)).toBe(false);
  });
});
