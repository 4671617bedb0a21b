// Phyllome's domain templates (data/domain-templates/*.xml) filled in:
// {{value}} becomes the value, XML-escaped; <!-- if flag --> … <!-- end flag -->
// (and `!flag`) keeps its content only when the flag holds (does not).
// Pure apart from finding and reading the files.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type TemplateFamily = 'linux' | 'windows' | 'other';
export const TEMPLATE_FAMILIES: readonly TemplateFamily[] = ['linux', 'windows', 'other'];

export type TemplateValues = Record<string, string | number>;
export type TemplateFlags = Record<string, boolean>;

const TEMPLATE_DIR = 'domain-templates';

/** data/domain-templates from the source or build tree, or beside the installed executable. */
export function locateTemplates(): string {
  const override = process.env.PHYLLOME_DOMAIN_TEMPLATES;
  if (override) return override;
  let dir = dirname(fileURLToPath(import.meta.url));
  const sibling = join(dir, TEMPLATE_DIR);
  if (existsSync(sibling)) return sibling;
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'data', TEMPLATE_DIR);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return join('/usr/share/phyllome-switcher', TEMPLATE_DIR);
}

export function readTemplate(family: TemplateFamily, dir = locateTemplates()): string {
  return readFileSync(join(dir, `${family}.xml`), 'utf8');
}

const escapeXml = (text: string): string =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

const BLOCK = /^[ \t]*<!-- if (!?)([a-z_0-9]+) -->\n([\s\S]*?)^[ \t]*<!-- end \1\2 -->\n/gm;

/**
 * The template with its blocks kept or dropped by `flags` and its values
 * filled in. A flag or value the template names but `flags`/`values` lack
 * is an error (a template and its filler disagree), never a silent gap.
 */
export function fillTemplate(template: string, values: TemplateValues, flags: TemplateFlags): string {
  // The leading comment is for reviewers of the template, not for libvirt.
  let text = template.replace(/^<!--[\s\S]*?-->\n/, '');
  // Blocks may nest (a gl block inside a spice block): resolve innermost-first until none is left.
  for (let previous = ''; previous !== text;) {
    previous = text;
    text = text.replace(BLOCK, (_all, not: string, flag: string, body: string) => {
      if (flags[flag] === undefined) throw new Error(`template flag '${flag}' is not set`);
      return Boolean(flags[flag]) !== (not === '!') ? body : '';
    });
  }
  if (/<!-- (if|end) /.test(text)) throw new Error('template has an unbalanced if/end block');
  text = text.replace(/\{\{([a-z_0-9]+)\}\}/g, (_all, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`template value '${name}' is not given`);
    return escapeXml(String(value));
  });
  return text;
}
