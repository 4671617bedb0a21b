// Every GI import of the preferences process goes through this file; the
// build checks that nothing of the Shell process (St, Clutter, Meta) leaks in.

import type AdwTypes from 'gi://Adw';
import type GtkTypes from 'gi://Gtk?version=4.0';

export { default as Adw } from 'gi://Adw';
export { default as Gdk } from 'gi://Gdk?version=4.0';
export { Gio, GLib, GObject } from './gi-shared.js';
export { default as Gtk } from 'gi://Gtk?version=4.0';
export { ExtensionPreferences } from 'resource:///org/gnome/Shell/Extensions/js/extensions/prefs.js';
// Every string a person reads goes through these, in the extension's gettext domain (metadata.json).
export { gettext as _, ngettext } from 'resource:///org/gnome/Shell/Extensions/js/extensions/prefs.js';

/**
 * An Adw widget as a Gtk.Widget. @girs' Adw types redeclare Gtk.Buildable
 * unlike its Gtk types do, so widgets such as Adw.HeaderBar and
 * Adw.ToolbarView do not type-check as Gtk.Widget; at run time they are one.
 */
export function asWidget(widget: AdwTypes.HeaderBar | AdwTypes.ToolbarView): GtkTypes.Widget {
  return widget as unknown as GtkTypes.Widget;
}
