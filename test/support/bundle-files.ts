// Bundles written by hand, as another host's Export would have written them:
// a definition, disk images, UEFI variables, and the manifest with each
// file's checksum. For guests this host never had (another firmware, a
// definition a user crafted).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checksumOf } from '../../service/copy/block-checksum.js';

export interface BundleSpec {
  name: string;
  uuid: string;
  definition: string;
  /** Disk images by device: their bytes (small, for tests) and format. */
  disks?: { target: string; format: string; data: Buffer; flattened?: boolean }[];
  nvram?: Buffer;
  autostart?: boolean;
}

/** Writes `<folder>/<name>.phyllome` and returns its path. */
export function writeBundle(folder: string, spec: BundleSpec): string {
  const bundle = join(folder, `${spec.name}.phyllome`);
  mkdirSync(join(bundle, 'disks'), { recursive: true });
  const files: Record<string, unknown>[] = [];
  const add = (path: string, data: Buffer, entry: Record<string, unknown>): void => {
    writeFileSync(join(bundle, path), data);
    files.push({ path, size: data.length, checksum: checksumOf(data), ...entry });
  };
  add('domain.xml', Buffer.from(spec.definition), { role: 'definition' });
  if (spec.nvram) {
    mkdirSync(join(bundle, 'nvram'));
    add('nvram/VARS.fd', spec.nvram, { role: 'nvram' });
  }
  for (const disk of spec.disks ?? []) {
    add(`disks/${disk.target}.${disk.format}`, disk.data, {
      role: 'disk',
      target: disk.target,
      format: disk.format,
      ...(disk.flattened ? { flattened: true } : {}),
    });
  }
  const manifest = {
    format: 'me.phyllo.Switcher1.bundle',
    version: 1,
    guest: { name: spec.name, uuid: spec.uuid, autostart: spec.autostart === true },
    created: new Date(0).toISOString(),
    checksum: 'sha256-4MiB-blocks',
    files,
  };
  writeFileSync(join(bundle, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return bundle;
}

/** A bundle's manifest, read back. */
export function readManifest(bundle: string): { guest: Record<string, unknown>; files: Record<string, unknown>[] } {
  return JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as {
    guest: Record<string, unknown>;
    files: Record<string, unknown>[];
  };
}
