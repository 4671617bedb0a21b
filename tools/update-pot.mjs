// Makes po/phyllome-switcher.pot, the template translators start from, with
// xgettext from the extension's sources (tools/locale.mjs). `--check` fails,
// naming them, when the template's messages are not those of the sources
// (the unit tests run it): a string marked since, or one gone.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTemplate, messageIds, TEMPLATE } from './locale.mjs';

if (process.argv.includes('--check')) {
  const dir = mkdtempSync(join(tmpdir(), 'phyllome-pot-'));
  try {
    const fresh = join(dir, 'fresh.pot');
    makeTemplate(fresh);
    const want = messageIds(readFileSync(fresh, 'utf8'));
    let have = new Set();
    try {
      have = messageIds(readFileSync(TEMPLATE, 'utf8'));
    } catch {
      // no template yet: everything is missing
    }
    const show = (id) => JSON.stringify(id.split('\u0004')[1]);
    const missing = [...want].filter((id) => !have.has(id)).map(show);
    const stale = [...have].filter((id) => !want.has(id)).map(show);
    if (missing.length > 0 || stale.length > 0) {
      console.error(
        `update-pot: po/ is out of date (run npm run pot)\n  missing: ${missing.join(', ') || '-'}\n  gone: ${stale.join(', ') || '-'}`,
      );
      process.exit(1);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  makeTemplate(TEMPLATE);
  console.log(`update-pot: ${TEMPLATE}`);
}
