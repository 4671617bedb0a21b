// The GI modules every process of ours has — the Shell, the preferences and
// the GTK programs (the New Guest window, the folder chooser) — for the code
// they share: the client of the service. Each process's own barrel (gi.ts,
// gi-prefs.ts, gi-app.ts) re-exports these with what only it has; the build
// checks that nothing one process lacks leaks into another.

export { default as Gio } from 'gi://Gio';
export { default as GLib } from 'gi://GLib';
export { default as GObject } from 'gi://GObject';
