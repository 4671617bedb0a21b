// The "Shortcuts" page: every switching shortcut of the schema, in groups.

import { _, Adw, Gio } from '../gi-prefs.js';
import { SHORTCUT_GROUPS } from '../model/shortcuts.js';
import { ShortcutRow } from './shortcut-row.js';

export function shortcutsPage(settings: Gio.Settings): Adw.PreferencesPage {
  const page = new Adw.PreferencesPage({ title: _('Shortcuts'), icon_name: 'input-keyboard-symbolic' });
  for (const { title, description, shortcuts } of SHORTCUT_GROUPS) {
    const group = new Adw.PreferencesGroup({ title: _(title), description: description ? _(description) : '' });
    for (const shortcut of shortcuts) group.add(new ShortcutRow(settings, shortcut));
    page.add(group);
  }
  return page;
}
