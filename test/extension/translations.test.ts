// Translations: every string a person reads in the extension goes through
// gettext (checked on the sources with the TypeScript parser), po/ holds the
// template of exactly those strings, and the build compiles a .po into the
// locale/ folder GNOME Shell reads.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCatalogs, DOMAIN, messageIds, TEMPLATE } from '../../tools/locale.mjs';
import { unmarkedStrings, unmarkedStringsIn } from '../support/unmarked-strings.js';

const ROOT = resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'phyllome-i18n-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const found = (source: string): string[] => unmarkedStrings(source).map((u) => u.text);

describe('the check for strings a person reads', () => {
  it('finds literals given to menu items, notifications, widget properties and setters', () => {
    expect(
      found(`
        const item = new PopupMenu.PopupMenuItem('Start');
        notifier.notify('Could not start', body);
        const label = new St.Label({ text: 'Guests', style_class: 'x' });
        const page = new Adw.PreferencesPage({ title: 'Shortcuts', icon_name: 'input-keyboard-symbolic' });
        row.subtitle = 'Seconds before saying it is still on';
        window.set_title("New Guest");
        const list = new Gtk.StringList({ strings: ['Generic'] });
      `),
    ).toEqual([
      "'Start'",
      "'Could not start'",
      "'Guests'",
      "'Shortcuts'",
      "'Seconds before saying it is still on'",
      '"New Guest"',
      "'Generic'",
    ]);
  });

  it('finds sentences built around what is shown, in templates, conditions, joins and replacements', () => {
    expect(
      found(`
        item.label.text = \`Switch to Guest \${n}\`;
        label.text = running ? _('Running') : 'Off';
        label.text = [os, 'Paused'].join(' · ');
        notifier.notify(_('Failed'), 'Because %s'.replace('%s', why));
        notifier.notify(_('Attach %s?').replace('%s', 'the device'), '');
      `),
    ).toEqual(['`Switch to Guest ${n}`', "'Off'", "'Paused'", "'Because %s'", "'the device'"]);
  });

  it('accepts what goes through gettext, and what holds no word', () => {
    expect(
      found(`
        const item = new PopupMenu.PopupMenuItem(_('Start with the Host'));
        const items = { label: N_('Running'), iconName: 'media-playback-start-symbolic' };
        notifier.notify(_('%s crashed').replace('%s', guest.name), _(notice.body));
        label.text = \`\${state} · \${figures}\`;
        label.text = ngettext('%d guest', '%d guests', n).replace('%d', String(n));
        label.text = [osLabel(id), _(state.label), ''].filter(Boolean).join(' · ');
        label.text = guest.name;
        row.accessible_name = \`\${guest.name}, \${state}\`;
        const separator = new PopupMenu.PopupSeparatorMenuItem();
        settings.get_uint('shutdown-timeout');
      `),
    ).toEqual([]);
  });
});

describe("the extension's sources", () => {
  it('show no string a person reads without gettext (Shell, preferences, New Guest window, model)', () => {
    expect(unmarkedStringsIn(join(ROOT, 'extension/src'), ROOT)).toEqual([]);
  });

  it('use one gettext domain, the one metadata.json names, in every process', () => {
    expect(DOMAIN).toBe('phyllome-switcher');
    expect(readFileSync(join(ROOT, 'extension/src/gi-app.ts'), 'utf8')).toContain(`GETTEXT_DOMAIN = '${DOMAIN}'`);
  });
});

describe('po/', () => {
  it("holds xgettext's template of exactly the strings the sources mark", () => {
    execFileSync(process.execPath, [join(ROOT, 'tools/update-pot.mjs'), '--check'], { stdio: 'pipe' });
    const ids = [...messageIds(readFileSync(TEMPLATE, 'utf8'))].map((id) => id.split('\u0004')[1]);
    expect(ids).toEqual(
      expect.arrayContaining(['Start with the Host', '%s crashed', 'Start Again', '%s CPU', 'Next Guest']),
    );
  });

  it('is compiled by the build into locale/LANG/LC_MESSAGES/<domain>.mo', () => {
    const po = join(scratch, 'po');
    execFileSync('mkdir', ['-p', po]);
    writeFileSync(
      join(po, 'de.po'),
      [
        'msgid ""',
        'msgstr ""',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
        '',
        'msgid "Start with the Host"',
        'msgstr "Mit dem Host starten"',
        '',
      ].join('\n'),
    );
    expect(compileCatalogs(po, join(scratch, 'locale'))).toEqual(['de']);
    const mo = join(scratch, 'locale/de/LC_MESSAGES', `${DOMAIN}.mo`);
    expect(execFileSync('msgunfmt', [mo], { encoding: 'utf8' })).toContain('msgstr "Mit dem Host starten"');
  });

  it('refuses a broken .po rather than shipping it', () => {
    const po = join(scratch, 'broken');
    execFileSync('mkdir', ['-p', po]);
    // A format directive the msgid does not have.
    writeFileSync(
      join(po, 'fr.po'),
      'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n#, javascript-format\nmsgid "%s crashed"\nmsgstr "%s et %d"\n',
    );
    expect(() => compileCatalogs(po, join(scratch, 'broken-locale'))).toThrow();
  });
});
