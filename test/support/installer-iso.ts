// Small EFI-bootable installer ISOs built by tools/make-installer-iso.sh,
// once per label, cached in .cache/isos/.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './stack.js';

export const WINDOWS_11_LABEL = ['CCCOMA_X64FRE_EN-US_DV9', 'MICROSOFT CORPORATION'] as const;

/** An ISO libosinfo recognises by its label (volume id, publisher), or none when no label. */
export function installerIso(name: string, label: readonly string[] = []): string {
  const dir = join(ROOT, '.cache/isos');
  mkdirSync(dir, { recursive: true });
  const iso = join(dir, `${name}.iso`);
  if (!existsSync(iso)) {
    execFileSync(join(ROOT, 'tools/make-installer-iso.sh'), [iso, ...(label.length ? label : [name.toUpperCase()])], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return iso;
}
