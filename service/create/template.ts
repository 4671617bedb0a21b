// Phyllome's domain templates (data/domain-templates/*.xml) filled in:
// {{value}} becomes the value, XML-escaped; <!-- if flag --> … <!-- end flag -->
// (and `!flag`) keeps its content only when the flag holds (does not);
// <!-- each list --> … <!-- end list --> repeats its content once per item of
// the list, each item's own values and flags first. Pure apart from finding
// and reading the files.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapeXml } from '../xml/plain.js';

export type TemplateFamily = 'linux' | 'windows' | 'other';
export const TEMPLATE_FAMILIES: readonly TemplateFamily[] = ['linux', 'windows', 'other'];

export type TemplateValues = Record<string, string | number>;
export type TemplateFlags = Record<string, boolean>;
/** One repetition of an each-block: its own values and flags (the template's apply too). */
export interface TemplateItem {
  values: TemplateValues;
  flags: TemplateFlags;
}
export type TemplateLists = Record<string, readonly TemplateItem[]>;

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

// A value is filled in once: braces from one never make another placeholder.
const escapeValue = (text: string): string => escapeXml(text).replace(/\{/g, '&#123;');

const BLOCK = /^[ \t]*<!-- if (!?)([a-z_0-9]+) -->\n([\s\S]*?)^[ \t]*<!-- end \1\2 -->\n/gm;
const EACH = /^[ \t]*<!-- each ([a-z_0-9]+) -->\n([\s\S]*?)^[ \t]*<!-- end \1 -->\n/gm;
const VALUE = /\{\{([a-z_0-9]+)\}\}/g;

/** Keeps or drops every if-block by `flags`; blocks may nest (a gl block inside a spice block). */
function resolveBlocks(text: string, flags: TemplateFlags): string {
  for (let previous = ''; previous !== text;) {
    previous = text;
    text = text.replace(BLOCK, (_all, not: string, flag: string, body: string) => {
      if (flags[flag] === undefined) throw new Error(`template flag '${flag}' is not set`);
      return Boolean(flags[flag]) !== (not === '!') ? body : '';
    });
  }
  return text;
}

/** Fills in the values `has` names, leaving the others for a later pass. */
function fillValues(text: string, values: TemplateValues, has: (name: string) => boolean): string {
  return text.replace(VALUE, (all, name: string) => {
    if (!has(name)) return all;
    const value = values[name];
    if (value === undefined) throw new Error(`template value '${name}' is not given`);
    return escapeValue(String(value));
  });
}

/**
 * The template with its each-blocks repeated by `lists`, its blocks kept or
 * dropped by `flags` and its values filled in. A flag, value or list the
 * template names but the arguments lack is an error (a template and its
 * filler disagree), never a silent gap.
 */
export function fillTemplate(
  template: string,
  values: TemplateValues,
  flags: TemplateFlags,
  lists: TemplateLists = {},
): string {
  // The leading comment is for reviewers of the template, not for libvirt.
  let text = template.replace(/^<!--[\s\S]*?-->\n/, '');
  text = text.replace(EACH, (_all, list: string, body: string) => {
    const items = lists[list];
    if (items === undefined) throw new Error(`template list '${list}' is not given`);
    return items
      .map((item) => {
        const own = resolveBlocks(body, { ...flags, ...item.flags });
        return fillValues(own, item.values, (name) => name in item.values);
      })
      .join('');
  });
  text = resolveBlocks(text, flags);
  if (/<!-- (if|end|each) /.test(text)) throw new Error('template has an unbalanced if/each/end block');
  return fillValues(text, values, () => true);
}
