// Every GI import of the preferences process goes through this file; the
// build checks that nothing of the Shell process (St, Clutter, Meta) leaks in.

export { default as Adw } from 'gi://Adw';
export { default as Gio } from 'gi://Gio';
export { default as Gtk } from 'gi://Gtk';
export { ExtensionPreferences } from 'resource:///org/gnome/Shell/Extensions/js/extensions/prefs.js';
