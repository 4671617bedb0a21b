// The preferences window (Adwaita).

import { Adw, Gio, Gtk, ExtensionPreferences } from './gi-prefs.js';

export default class PhyllomeSwitcherPreferences extends ExtensionPreferences {
  fillPreferencesWindow(window: Adw.PreferencesWindow): Promise<void> {
    const settings = this.getSettings();
    const page = new Adw.PreferencesPage({ title: 'Guests', icon_name: 'computer-symbolic' });
    const group = new Adw.PreferencesGroup({
      title: 'Shutting down',
      description: 'Shut Down asks the guest to stop on its own, as its power button would.',
    });
    const timeout = new Adw.SpinRow({
      title: 'Wait for a guest to shut down',
      subtitle: 'Seconds before saying it is still on; it is never forced off on its own',
      adjustment: new Gtk.Adjustment({ lower: 5, upper: 3600, step_increment: 5, page_increment: 60 }),
    });
    settings.bind('shutdown-timeout', timeout, 'value', Gio.SettingsBindFlags.DEFAULT);
    group.add(timeout);
    page.add(group);
    window.add(page);
    return Promise.resolve();
  }
}
