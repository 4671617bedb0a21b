// A bundle's manifest (manifest.json): what the bundle holds, each file with
// its role, size and checksum. Export writes it last, so a bundle with a
// manifest is complete; import trusts nothing in it it has not checked.
//
//   { "format": "me.phyllo.Switcher1.bundle", "version": 1,
//     "guest": { "name": "win11", "uuid": "…", "autostart": true }, "created": "2026-…Z",
//     "checksum": "sha256-4MiB-blocks",
//     "files": [ { "path": "domain.xml", "role": "definition", "size": 4711, "checksum": "…" },
//                { "path": "disks/vda.raw", "role": "disk", "target": "vda", "format": "raw",
//                  "flattened": false, … },
//                { "path": "nvram/VARS.fd", "role": "nvram", … },
//                { "path": "tpm/tpm2/tpm2-00.permall", "role": "tpm", … } ] }

import { invalidArgument } from '../errors.js';
import { CHECKSUM_ALGORITHM } from '../copy/block-checksum.js';

export const MANIFEST_NAME = 'manifest.json';
export const DEFINITION_NAME = 'domain.xml';
export const BUNDLE_FORMAT = 'me.phyllo.Switcher1.bundle';
export const BUNDLE_VERSION = 1;
/** A bundle's directory name ends so. */
export const BUNDLE_SUFFIX = '.phyllome';
/** Larger manifests or definitions are not ours: refused before parsing. */
export const MAX_SMALL_FILE = 1024 * 1024;
/** A guest's disks, UEFI variables and TPM state come to far fewer; the guest-files helper takes no more. */
export const MAX_BUNDLE_FILES = 64;

export type FileRole = 'definition' | 'disk' | 'nvram' | 'tpm';

export interface BundleFile {
  /** Relative to the bundle, '/'-separated, no '..'. */
  path: string;
  role: FileRole;
  /** Apparent size in bytes. */
  size: number;
  /** Hex, by the manifest's checksum algorithm. */
  checksum: string;
  /** Disks: the guest's device name (vda, sda…) and image format (raw, qcow2). */
  target?: string;
  format?: string;
  /**
   * Disks: the image is a chain of images (an overlay and its bases) made
   * into one, so it points at nothing outside itself; the definition may
   * still name the chain, which the import then drops. Absent: false.
   */
  flattened?: boolean;
}

/** What the guest's definition cannot hold: libvirt's own flags, set again after the import defines it. */
export interface BundleGuest {
  name: string;
  uuid: string;
  /** libvirt's autostart flag ("Start with the Host"). Absent: false. */
  autostart?: boolean;
}

export interface Manifest {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  guest: BundleGuest;
  created: string;
  checksum: typeof CHECKSUM_ALGORITHM;
  files: BundleFile[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;
const DEVICE = /^[a-z][a-z0-9]{1,15}$/;
const FORMAT = /^[a-z0-9]{2,16}$/;
const ROLES: readonly FileRole[] = ['definition', 'disk', 'nvram', 'tpm'];

/** Whether a bundle-relative path is safe: plain segments, nothing leading out or hidden. */
export function isSafeRelativePath(path: string): boolean {
  const segments = path.split('/');
  return segments.length <= 8 && segments.every((s) => SEGMENT.test(s) && s !== '..' && s !== '.');
}

export function buildManifest(guest: BundleGuest, files: BundleFile[], created: Date): Manifest {
  return {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    guest: { name: guest.name, uuid: guest.uuid, autostart: guest.autostart === true },
    created: created.toISOString(),
    checksum: CHECKSUM_ALGORITHM,
    files,
  };
}

export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Parses and checks a manifest; anything off is an InvalidArgument naming what. */
export function parseManifest(text: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw invalidArgument('The bundle is damaged: its manifest is not complete JSON');
  }
  const bad = (what: string): never => {
    throw invalidArgument(`The bundle is damaged or not ours: ${what}`);
  };
  const object = (value: unknown, what: string): Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : bad(`${what} is missing`);
  const top = object(raw, 'the manifest');
  if (top.format !== BUNDLE_FORMAT) bad(`format is not ${BUNDLE_FORMAT}`);
  if (top.version !== BUNDLE_VERSION) bad(`version ${String(top.version)} is not ${BUNDLE_VERSION}`);
  if (top.checksum !== CHECKSUM_ALGORITHM) bad(`checksums are not ${CHECKSUM_ALGORITHM}`);
  const guest = object(top.guest, 'the guest');
  if (typeof guest.name !== 'string' || guest.name.length === 0 || guest.name.length > 1024) bad('no guest name');
  if (typeof guest.uuid !== 'string' || !UUID.test(guest.uuid)) bad('no guest UUID');
  if (guest.autostart !== undefined && typeof guest.autostart !== 'boolean') bad('autostart is not true or false');
  if (typeof top.created !== 'string') bad('no creation time');
  if (!Array.isArray(top.files)) bad('no file list');
  // Counted before any entry is read or compared with the others.
  if ((top.files as unknown[]).length > MAX_BUNDLE_FILES) bad(`it lists more than ${MAX_BUNDLE_FILES} files`);
  const seen = new Set<string>();
  const files = (top.files as unknown[]).map((value, index): BundleFile => {
    const file = object(value, `file ${index}`);
    const path = file.path;
    if (typeof path !== 'string' || !isSafeRelativePath(path)) bad(`file ${index} has an unsafe path`);
    if (seen.has(path as string)) bad(`${String(path)} is listed twice`);
    seen.add(path as string);
    if (!ROLES.includes(file.role as FileRole)) bad(`${String(path)} has no known role`);
    if (typeof file.size !== 'number' || !Number.isSafeInteger(file.size) || file.size < 0)
      bad(`${String(path)} has no size`);
    if (typeof file.checksum !== 'string' || !HEX64.test(file.checksum)) bad(`${String(path)} has no checksum`);
    const entry: BundleFile = {
      path: path as string,
      role: file.role as FileRole,
      size: file.size as number,
      checksum: file.checksum as string,
    };
    if (entry.role === 'disk') {
      if (typeof file.target !== 'string' || !DEVICE.test(file.target)) bad(`${entry.path} names no disk device`);
      if (typeof file.format !== 'string' || !FORMAT.test(file.format)) bad(`${entry.path} names no image format`);
      entry.target = file.target as string;
      entry.format = file.format as string;
      if (file.flattened !== undefined && typeof file.flattened !== 'boolean')
        bad(`${entry.path}: flattened is not true or false`);
      if (file.flattened === true) entry.flattened = true;
    }
    return entry;
  });
  const count = (role: FileRole): number => files.filter((f) => f.role === role).length;
  if (count('definition') !== 1 || !files.some((f) => f.role === 'definition' && f.path === DEFINITION_NAME))
    bad(`there must be exactly one definition, ${DEFINITION_NAME}`);
  if (count('nvram') > 1) bad('there is more than one UEFI variables file');
  const targets = files.filter((f) => f.role === 'disk').map((f) => f.target);
  if (new Set(targets).size !== targets.length) bad('two disks have the same device');
  return {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    guest: { name: guest.name as string, uuid: guest.uuid as string, autostart: guest.autostart === true },
    created: top.created as string,
    checksum: CHECKSUM_ALGORITHM,
    files,
  };
}

/** The bundle directory's name for a guest: its name made safe for a file name, plus the suffix. */
export function bundleName(guestName: string): string {
  const safe = guestName
    .replace(/[^A-Za-z0-9._+-]+/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, 100);
  return `${safe || 'guest'}${BUNDLE_SUFFIX}`;
}
