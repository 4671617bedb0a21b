// Bundles made by hand, as a person could make one to attack an import: a
// folder with a manifest whose checksums match whatever the author put in
// it (bundles are data anybody can write), given to a user of the host.

import { chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checksumOf } from '../../service/copy/block-checksum.js';

export interface HandFile {
  /** Relative to the bundle. */
  path: string;
  role: 'disk' | 'nvram' | 'tpm';
  /** The file's bytes, or nothing when the file is already there (made by qemu-img, say). */
  data?: Buffer;
  target?: string;
  format?: string;
}

/**
 * Writes `<dir>` as a bundle of guest `name` (UUID `uuid`) with
 * `definition` and `files`, every entry of its manifest matching, and gives
 * all of it to `owner`.
 */
export function handMadeBundle(
  dir: string,
  guest: { name: string; uuid: string },
  definition: string,
  files: HandFile[],
  owner: number,
): string {
  mkdirSync(dir, { recursive: true });
  const definitionBytes = Buffer.from(definition);
  writeFileSync(join(dir, 'domain.xml'), definitionBytes);
  const entries: Record<string, unknown>[] = [
    { path: 'domain.xml', role: 'definition', size: definitionBytes.length, checksum: checksumOf(definitionBytes) },
  ];
  for (const file of files) {
    const path = join(dir, file.path);
    mkdirSync(dirname(path), { recursive: true });
    if (file.data) writeFileSync(path, file.data);
    const bytes = readFileSync(path);
    entries.push({
      path: file.path,
      role: file.role,
      size: statSync(path).size,
      checksum: checksumOf(bytes),
      ...(file.target ? { target: file.target, format: file.format } : {}),
    });
  }
  const manifest = {
    format: 'me.phyllo.Switcher1.bundle',
    version: 1,
    guest,
    created: new Date().toISOString(),
    checksum: 'sha256-4MiB-blocks',
    files: entries,
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  giveTo(dir, owner);
  return dir;
}

/** Gives a tree to a user (uid and group alike), as if they had made it. */
export function giveTo(path: string, owner: number): void {
  chownSync(path, owner, owner);
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) giveTo(join(path, entry), owner);
}
