// Every GI and Shell import of the Shell process goes through this file, so
// the build can check that nothing of the preferences process (Gtk, Adw)
// leaks in, and a version difference has one place to be handled.

export { default as Clutter } from 'gi://Clutter';
export { Gio, GLib, GObject } from './gi-shared.js';
export { default as Meta } from 'gi://Meta';
export { default as Shell } from 'gi://Shell';
export { default as St } from 'gi://St';

export * as Main from 'resource:///org/gnome/shell/ui/main.js';
export * as PanelMenu from 'resource:///org/gnome/shell/ui/panelMenu.js';
export * as PopupMenu from 'resource:///org/gnome/shell/ui/popupMenu.js';
export * as ModalDialog from 'resource:///org/gnome/shell/ui/modalDialog.js';
export * as Dialog from 'resource:///org/gnome/shell/ui/dialog.js';
export * as InhibitShortcutsDialog from 'resource:///org/gnome/shell/ui/inhibitShortcutsDialog.js';
export { Extension } from 'resource:///org/gnome/shell/extensions/extension.js';
// Every string a person reads goes through these, in the extension's gettext domain (metadata.json).
export { gettext as _, ngettext } from 'resource:///org/gnome/shell/extensions/extension.js';
export * as MessageTray from 'resource:///org/gnome/shell/ui/messageTray.js';
export { ensureActorVisibleInScrollView } from 'resource:///org/gnome/shell/misc/animationUtils.js';
export { InjectionManager } from 'resource:///org/gnome/shell/extensions/extension.js';
