// Every GI import of our GTK programs' processes (new-guest/window.ts and
// folder-chooser/chooser.ts, each run by gjs): GTK 4 and Adwaita, none of
// the Shell's and none of the Extensions app's, which those processes do not
// have. The build checks it.

import { bindtextdomain } from 'gettext';
import { GLib } from './gi-shared.js';

export { default as Adw } from 'gi://Adw';
export { Gio, GLib } from './gi-shared.js';
export { default as Gtk } from 'gi://Gtk?version=4.0';

export const GETTEXT_DOMAIN = 'phyllome-switcher';
// This process is no extension the Shell set up: its translations are beside it, in the extension's locale/.
const [here] = GLib.filename_from_uri(import.meta.url);
bindtextdomain(GETTEXT_DOMAIN, GLib.build_filenamev([GLib.path_get_dirname(here), 'locale']));
/** Every string a person reads goes through this, in the extension's gettext domain. */
export const _ = (text: string): string => GLib.dgettext(GETTEXT_DOMAIN, text);

/**
 * An Adw widget as a Gtk.Widget: @girs' Adw types redeclare Gtk.Buildable,
 * so some Adw widgets do not type-check as Gtk.Widget; at run time they are one.
 */
export function asWidget(widget: object): import('gi://Gtk?version=4.0').default.Widget {
  return widget as import('gi://Gtk?version=4.0').default.Widget;
}
