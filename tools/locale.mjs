// The extension's translations: po/ holds the template xgettext makes from
// every source file of the extension (po/phyllome-switcher.pot) and one
// LANG.po per language; the build compiles each .po into the extension's
// locale/LANG/LC_MESSAGES/DOMAIN.mo, where GNOME Shell (and the New Guest
// window) look for them.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
export const DOMAIN = JSON.parse(readFileSync(join(ROOT, 'extension/metadata.json'), 'utf8'))['gettext-domain'];
export const PO_DIR = join(ROOT, 'po');
export const TEMPLATE = join(PO_DIR, `${DOMAIN}.pot`);

/** Every source file of the extension, sorted, relative to the checkout (as the template names them). */
export function sourceFiles() {
  const walk = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return walk(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
    });
  return walk(join(ROOT, 'extension/src'))
    .map((path) => relative(ROOT, path))
    .sort();
}

/**
 * The template, as xgettext makes it from the sources: _() and N_() mark a
 * string, ngettext() a singular and plural; "TRANSLATORS:" comments go along.
 */
export function makeTemplate(out) {
  execFileSync(
    'xgettext',
    [
      '--language=JavaScript',
      '--from-code=UTF-8',
      '--keyword=_',
      '--keyword=N_',
      '--keyword=ngettext:1,2',
      '--add-comments=TRANSLATORS:',
      `--package-name=${DOMAIN}`,
      '--msgid-bugs-address=https://phyllo.me',
      '--sort-by-file',
      '-o',
      out,
      ...sourceFiles(),
    ],
    { cwd: ROOT },
  );
}

/** The messages of a .po or .pot file, each as its msgctxt, msgid and msgid_plural joined, header left out. */
export function messageIds(text) {
  const ids = new Set();
  const unquote = (lines) => lines.map((l) => JSON.parse(l.replace(/^\S+\s+/, ''))).join('');
  for (const entry of text.split(/\n\s*\n/)) {
    const lines = entry.split('\n').filter((l) => !l.startsWith('#'));
    const field = (name) => {
      const start = lines.findIndex((l) => l.startsWith(`${name} `));
      if (start < 0) return '';
      let end = start + 1;
      while (end < lines.length && lines[end].startsWith('"')) end++;
      return unquote([lines[start], ...lines.slice(start + 1, end).map((l) => `x ${l}`)]);
    };
    const id = field('msgid');
    if (id === '') continue;
    ids.add([field('msgctxt'), id, field('msgid_plural')].join('\u0004'));
  }
  return ids;
}

/** Compiles every LANG.po of poDir into localeDir/LANG/LC_MESSAGES/DOMAIN.mo (msgfmt checks each); returns the languages. */
export function compileCatalogs(poDir, localeDir, domain = DOMAIN) {
  let files = [];
  try {
    files = readdirSync(poDir).filter((f) => f.endsWith('.po'));
  } catch {
    return [];
  }
  const languages = [];
  for (const file of files.sort()) {
    const language = file.slice(0, -'.po'.length);
    const dir = join(localeDir, language, 'LC_MESSAGES');
    mkdirSync(dir, { recursive: true });
    execFileSync('msgfmt', ['--check', '-o', join(dir, `${domain}.mo`), join(poDir, file)]);
    languages.push(language);
  }
  return languages;
}
