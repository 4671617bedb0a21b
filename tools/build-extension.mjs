// Builds the GNOME Shell extension: one readable ES module per source file
// (esbuild, not bundled, not minified; the D-Bus contract comes in as the
// generated client/switcher1.ts), metadata, stylesheet, compiled GSettings
// schema and translations (each po/*.po compiled into locale/), then the zip
// that `gnome-extensions install` takes. Fails if a process's imports leak
// into the other's: Gtk/Adw in the Shell, St/Clutter/Meta in preferences.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { compileCatalogs, PO_DIR } from './locale.mjs';

const root = resolve(import.meta.dirname, '..');
const metadata = JSON.parse(readFileSync(join(root, 'extension/metadata.json'), 'utf8'));
export const UUID = metadata.uuid;
const out = join(root, 'build/extension', UUID);
const zip = join(root, 'build', `${UUID}.shell-extension.zip`);

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const src = join(root, 'extension/src');
await build({
  entryPoints: sources(src),
  outbase: src,
  outdir: out,
  bundle: false,
  format: 'esm',
  // GNOME Shell 45's GJS runs SpiderMonkey 115.
  target: 'firefox115',
  minify: false,
  tsconfig: join(root, 'extension/tsconfig.json'),
  logLevel: 'warning',
});

// A module of types only compiles to nothing, and nothing imports it at run time (esbuild drops
// type imports): ship no empty file (a package's lint refuses zero-length files).
function outputs(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return outputs(path);
    return entry.name.endsWith('.js') ? [path] : [];
  });
}
const empty = outputs(out).filter((file) => statSync(file).size === 0);
for (const file of empty) rmSync(file);
for (const file of outputs(out)) {
  const text = readFileSync(file, 'utf8');
  for (const gone of empty) {
    const name = relative(dirname(file), gone).replace(/^(?!\.)/, './');
    if (text.includes(`'${name}'`) || text.includes(`"${name}"`))
      throw new Error(`${relative(out, file)} imports ${relative(out, gone)}, a module of types only`);
  }
}

copyFileSync(join(root, 'extension/metadata.json'), join(out, 'metadata.json'));
copyFileSync(join(root, 'extension/stylesheet.css'), join(out, 'stylesheet.css'));
mkdirSync(join(out, 'schemas'));
for (const schema of readdirSync(join(root, 'schemas')).filter((f) => f.endsWith('.gschema.xml'))) {
  copyFileSync(join(root, 'schemas', schema), join(out, 'schemas', schema));
}
// GNOME Shell 45 still needs the compiled schema in the package.
execFileSync('glib-compile-schemas', ['--strict', join(out, 'schemas')]);
// The Shell binds the extension's gettext domain to its locale/ when there is one.
const languages = compileCatalogs(PO_DIR, join(out, 'locale'));

// Which gi:// and resource:// modules each process pulls in, following our own imports.
function reachableImports(entry) {
  const seen = new Set();
  const external = new Map();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const match of code.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*['"]([^'"]+)['"]/g)) {
      const spec = match[1] ?? match[2];
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else external.set(spec, relative(out, file));
    }
  };
  visit(join(out, entry));
  return external;
}

const LEAKS = {
  'extension.js': [/^gi:\/\/(Gtk|Gdk|Adw)\b/, /org\/gnome\/Shell\/Extensions\/js\/extensions\/prefs\.js/],
  'prefs.js': [/^gi:\/\/(St|Clutter|Meta|Shell|Mtk|Cogl)\b/, /^resource:\/\/\/org\/gnome\/shell\/ui\//],
  // The New Guest window runs in a gjs of its own: neither the Shell's modules nor the Extensions app's.
  'new-guest/window.js': [/^gi:\/\/(St|Clutter|Meta|Shell|Mtk|Cogl)\b/, /^resource:\/\/\//],
  // The folder chooser of Export… and Import… runs in one of its own too.
  'folder-chooser/chooser.js': [/^gi:\/\/(St|Clutter|Meta|Shell|Mtk|Cogl)\b/, /^resource:\/\/\//],
};
const problems = [];
for (const [entry, forbidden] of Object.entries(LEAKS)) {
  for (const [spec, file] of reachableImports(entry)) {
    if (forbidden.some((re) => re.test(spec))) problems.push(`${entry} reaches ${spec} (imported by ${file})`);
  }
}
if (problems.length > 0) {
  console.error(`build-extension: imports leak across processes:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}

rmSync(zip, { force: true });
execFileSync('zip', ['-qr', zip, '.'], { cwd: out });
console.log(
  `build-extension: ${relative(root, out)} and ${relative(root, zip)}` +
    (languages.length > 0 ? ` (translations: ${languages.join(' ')})` : ''),
);
