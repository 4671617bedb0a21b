// The folder chooser of Export… and Import…: GTK 4's own file dialog
// (Gtk.FileDialog, through the desktop's portal where there is one), in a
// process of its own as the New Guest window is, since the Shell's process
// has no GTK. Started by windows/gtk-program.ts with the dialog's title, its
// button's label and the folder it opens in; it prints one line on stdout
// as soon as the dialog answers: the folder chosen, as a JSON string (any
// name fits on one line), or an empty line when dismissed. A path can still be typed: the chooser's
// location entry opens on '/' or '~' (or Ctrl+L).

import System from 'system';
import { Gio, GLib, Gtk } from '../gi-app.js';

const [title = '', acceptLabel = '', folder = GLib.get_home_dir()] = System.programArgs;

const application = new Gtk.Application({
  application_id: 'me.phyllo.Switcher.FolderChooser',
  // One chooser per question: a second one is its own process, not a window of the first.
  flags: Gio.ApplicationFlags.NON_UNIQUE,
});
application.connect('activate', () => {
  // The dialog is no window of the application: held, it runs until the dialog answers.
  application.hold();
  const start = Gio.File.new_for_path(folder);
  const dialog = new Gtk.FileDialog({
    title,
    accept_label: acceptLabel,
    modal: true,
    initial_folder: start.query_exists(null) ? start : Gio.File.new_for_path(GLib.get_home_dir()),
  });
  dialog.select_folder(null, null, (_source, result) => {
    let path: string | null | undefined;
    try {
      path = dialog.select_folder_finish(result)?.get_path();
    } catch (error) {
      // Dismissed is an answer: none.
      if (!(error instanceof GLib.Error && error.matches(Gtk.DialogError, Gtk.DialogError.DISMISSED)))
        printerr(error instanceof Error ? error.message : String(error));
    }
    try {
      // print() flushes: the Shell has its answer before this process is done.
      print(path ? JSON.stringify(path) : '');
    } finally {
      application.release();
    }
  });
});
application.run([]);
