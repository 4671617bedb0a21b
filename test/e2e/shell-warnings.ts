// Warnings that GNOME Shell's own code (and the toolkits under it) writes to
// the log, told apart from ours by where they come from, so that the "no
// warning of ours" checks stay strict. GJS names the property whose slow
// path it takes but gives no stack: the property tells the code that uses it
// — a file of the Shell's, and none of ours (test/extension/shell-warnings
// .test.ts fails the day our sources name one of these). Anything not in
// this list counts as ours.

export interface ShellOwnWarning {
  /** The log record, as GLib writes it. */
  pattern: RegExp;
  /** The code that writes it. */
  from: string;
  /** What our sources would have to name to write it themselves: none of them does. */
  oursWouldName: RegExp;
}

export const SHELL_OWN_WARNINGS: readonly ShellOwnWarning[] = [
  {
    pattern:
      /Gjs-WARNING \*\*: .*Type GITypeInfo of property Adw\.PreferencesWindow::visible-page does not match .*Falling back to slow path/,
    from: "GNOME Shell 50+'s Extensions app: js/extensionPrefsDialog.js reads this.visible_page of the window around our preferences",
    oursWouldName: /visible[_-]page|visiblePage/,
  },
  {
    pattern:
      /Gjs-WARNING \*\*: .*Type GITypeInfo of property Clutter\.BrightnessContrastEffect::brightness does not match .*Falling back to slow path/,
    from: "GNOME Shell 50+: ui/closeDialog.js (an unresponsive window dimmed) and ui/quickSettings.js set a BrightnessContrastEffect's brightness",
    oursWouldName: /BrightnessContrastEffect|brightness/,
  },
  {
    pattern: /Gdk-WARNING \*\*: .*Duplicate call to gdk_frame_timings_presented\(\) with different values/,
    from: "GTK 4's frame clock (gdk/gdkframeclock.c), when the compositor's presentation feedback for a frame arrives late",
    oursWouldName: /frame_timings|FrameTimings|get_frame_clock/,
  },
];

/** The known Shell-own warning a log record is, if any. */
export function shellOwnWarning(record: string): ShellOwnWarning | undefined {
  return SHELL_OWN_WARNINGS.find((warning) => warning.pattern.test(record));
}
