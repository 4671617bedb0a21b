// The preferences window (Adwaita): the switching shortcuts, how long to
// wait for a guest to shut down, each guest's display, and with several
// seats, each seat's guest.

import { SwitcherClient } from './client/switcher-client.js';
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
    // One client of the service for both pages; the window does not wait for it.
    const client = new SwitcherClient({ objects: true });
    // Added once the service is there, if it reports several seats. Told first, so its place is the third.
    const seats = new SeatsPage(window, client);
    // Added once the service is there with guests that have a display, after the Seats page.
    const displays = new DisplaysPage(window, settings, client);
    window.connect('close-request', () => {
      displays.destroy();
      seats.destroy();
      client.destroy();
      return false;
    });
    void client.start();
    return Promise.resolve();
  }
}
