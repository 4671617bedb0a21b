// The warnings the e2e checks take for GNOME Shell's own
// (test/e2e/shell-warnings.ts) can only be the Shell's while none of our
// code names what would write them; and each is recognised in the form the
// Shells we run in write it.

import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHELL_OWN_WARNINGS, shellOwnWarning } from '../e2e/shell-warnings.js';

const SOURCES = resolve(import.meta.dirname, '../../extension/src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe("warnings of GNOME Shell's own code", () => {
  it('come from code that none of ours names', () => {
    const files = sources(SOURCES);
    expect(files.length).toBeGreaterThan(10);
    const named = files.flatMap((file) =>
      SHELL_OWN_WARNINGS.filter((warning) => warning.oursWouldName.test(readFileSync(file, 'utf8'))).map(
        (warning) => `${file} names what writes: ${warning.pattern}`,
      ),
    );
    expect(named).toEqual([]);
  });

  it('are recognised as GNOME Shell 50 and 51 write them, and nothing else is', () => {
    const seen = [
      '(org.gnome.Shell.Extensions:15108): Gjs-WARNING **: 01:32:41.512: Type GITypeInfo of property Adw.PreferencesWindow::visible-page does not match return type GITypeInfo of getter get_visible_page. Falling back to slow path',
      '(gnome-shell:10869): Gjs-WARNING **: 01:32:44.759: Type GITypeInfo of property Clutter.BrightnessContrastEffect::brightness does not match type GITypeInfo of first argument of setter set_brightness. Falling back to slow path',
      '(org.gnome.Shell.Extensions:3122): Gdk-WARNING **: 01:48:06.293: Duplicate call to gdk_frame_timings_presented() with different values: presentation time is 192.998ms off from expected',
    ];
    expect(seen.map((record) => shellOwnWarning(record) !== undefined)).toEqual([true, true, true]);
    const ours = [
      '(gnome-shell:10869): Gjs-WARNING **: 01:32:44.759: Type GITypeInfo of property St.BoxLayout::vertical does not match type GITypeInfo of first argument of setter set_vertical. Falling back to slow path',
      'JS WARNING: [resource:///…/extensions/switcher@phyllo.me/ui/launcher.js 12]: reference to undefined property',
      '(gnome-shell:10869): Gjs-CRITICAL **: 01:32:44.759: Type GITypeInfo of property Clutter.BrightnessContrastEffect::brightness',
    ];
    expect(ours.map((record) => shellOwnWarning(record))).toEqual([undefined, undefined, undefined]);
  });
});
