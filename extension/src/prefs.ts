// The preferences window (Adwaita): the switching shortcuts, how long to
// wait for a guest to shut down, each guest's display, and with several
// seats, each seat's guest.

import { _, Adw, Gio, Gtk, ExtensionPreferences } from './gi-prefs.js';
import { DisplaysPage } from './prefs/displays-page.js';
import { SeatsPage } from './prefs/seats-page.js';
import { shortcutsPage } from './prefs/shortcuts-page.js';

function guestsPage(settings: Gio.Settings): Adw.PreferencesPage {
  const page = new Adw.PreferencesPage({ title: _('Guests'), icon_name: 'computer-symbolic' });
  const group = new Adw.PreferencesGroup({
    title: _('Shutting down'),
    description: _('Shut Down asks the guest to stop on its own, as its power button would.'),
  });
  const timeout = new Adw.SpinRow({
    title: _('Wait for a guest to shut down'),
    subtitle: _('Seconds before saying it is still on; it is never forced off on its own'),
    adjustment: new Gtk.Adjustment({ lower: 5, upper: 3600, step_increment: 5, page_increment: 60 }),
  });
  settings.bind('shutdown-timeout', timeout, 'value', Gio.SettingsBindFlags.DEFAULT);
  group.add(timeout);
  page.add(group);
  return page;
}

export default class PhyllomeSwitcherPreferences extends ExtensionPreferences {
  fillPreferencesWindow(window: Adw.PreferencesWindow): Promise<void> {
    const settings = this.getSettings();
    window.add(shortcutsPage(settings));
    window.add(guestsPage(settings));
    // Added once the service answers, if it reports several seats; the window does not wait for it.
    const seats = new SeatsPage(window);
    // Added once the service answers with guests that have a display, after the Seats page.
    const displays = new DisplaysPage(window, settings);
    window.connect('close-request', () => {
      seats.destroy();
      displays.destroy();
      return false;
    });
    // The Seats page first, where there is one: its place is the third.
    void seats.start().finally(() => void displays.start());
    return Promise.resolve();
  }
}
