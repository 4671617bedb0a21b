// What the service and the guest-files helper say to each other: one JSON
// object a line, each way, over the helper's unix socket (host-wide) or a
// child's stdio (per user). The helper is the privileged side, so it reads
// every request as hostile: a guest is named by its UUID (canonical, so it
// can name files), a caller by uid and groups, and a path a caller gave is a
// string it never opens, only hands to a worker run as that caller. No XML
// and no path of a file to make crosses here. Pure.
//
//   service → helper   { id, op: 'export', … }   a request, or { id, op: 'go' | 'cancel' } for one under way
//   helper → service   { id, ev: 'ready', data }  waiting for go (a planned export, an import's files copied)
//                      { id, ev: 'total' | 'progress', bytes }
//                      { id, ev: 'result', data } | { id, ev: 'error', kind, message }   the end of a request

import type { ErrorKind } from '../errors.js';

/** Who a worker runs as: the caller as the bus told the service. */
export interface Caller {
  uid: number;
  gid: number;
  groups: number[];
}

export type MediaKind = 'installer' | 'drivers-iso';

export interface MediaRef {
  /** As the caller gave it: opened by a worker as the caller, never by the helper. */
  path: string;
  what: MediaKind;
}

/** A volume the service made through libvirt's storage API for a guest's UUID. */
export interface VolumeRef {
  pool: string;
  volume: string;
}

export interface ImportFile {
  role: 'nvram' | 'tpm' | 'disk';
  /** Where the file is in the bundle (a worker opens it there, as the caller). */
  bundlePath: string;
  size: number;
  checksum: string;
  /** TPM state: where it goes under the guest's swtpm folder (one of swtpm's own file names). */
  tpmPath?: string;
  /** Disks: the guest's device, the image format, and the volume made for it. */
  target?: string;
  format?: string;
  pool?: string;
  volume?: string;
}

export interface CloneDisk extends VolumeRef {
  target: string;
  format: string;
}

export type FilesRequest =
  /** What a caller's installer ISOs are (read as the caller), and which OS libosinfo sees on each. */
  | { op: 'inspect-media'; caller: Caller; media: MediaRef[]; detect: boolean }
  /** The ISOs copied into the guest's own volumes (<uuid>-installer.iso…), as read by the caller. */
  | { op: 'copy-media'; job: string; caller: Caller; uuid: string; media: (MediaRef & VolumeRef)[] }
  /** A bundle of the guest in the caller's folder: ready (planned), go, result. */
  | {
      op: 'export';
      job: string;
      caller: Caller;
      uuid: string;
      directory: string;
      bundleName: string;
      /** libvirt's autostart flag, which the definition does not hold: the manifest carries it. */
      autostart: boolean;
    }
  /** A caller's bundle, read and measured as the caller, for the service to check. */
  | { op: 'read-bundle'; caller: Caller; bundle: string }
  /** Whether this host has no UEFI variables and no TPM state for the UUID yet. */
  | { op: 'check-free'; uuid: string; nvram: boolean; tpm: boolean }
  /**
   * The bundle's files copied into the guest's places: ready (copied; the variable store's path, named
   * from the UUID, also for a UEFI guest whose store did not travel), go (keep them), result.
   */
  | { op: 'import'; job: string; caller: Caller; uuid: string; bundle: string; uefi: boolean; files: ImportFile[] }
  /** What the guest's files are (for a clone's plan). */
  | { op: 'inspect-guest'; uuid: string }
  /** The source's files copied into the clone's: ready (copied), go (keep them), result. */
  | { op: 'clone'; job: string; source: string; uuid: string; disks: CloneDisk[] };

export type Control = { op: 'go' } | { op: 'cancel' };

export interface MediaFound {
  /** As the kernel resolved it for the caller. */
  path: string;
  size: number;
  /** libosinfo's name of the OS on it ('' when it knows none, or detection was not asked for). */
  osName: string;
}

export interface BundleRead {
  bundle: string;
  /** The manifest's and the definition's bytes, in base64: checksums are over bytes, not text. */
  manifest: string;
  definition: string;
  files: { path: string; size: number; dataBytes: number }[];
}

export interface GuestFilesFound {
  disks: { target: string; format: string; file: string; size: number; dataBytes: number; overlay: boolean }[];
  nvram: { size: number; dataBytes: number } | null;
  tpm: { path: string; size: number; dataBytes: number }[];
}

/** What each request answers with: its 'ready' data (if it waits for go) and its result. */
export interface Answers {
  'inspect-media': { result: { media: MediaFound[] } };
  'copy-media': { result: Record<string, never> };
  export: { ready: { bundlePath: string; total: number }; result: { bundlePath: string } };
  'read-bundle': { result: BundleRead };
  'check-free': { result: Record<string, never> };
  import: { ready: { nvramPath: string | null }; result: Record<string, never> };
  'inspect-guest': { result: GuestFilesFound };
  clone: { ready: { nvramPath: string | null }; result: Record<string, never> };
}

export type FilesEvent =
  | { id: number; ev: 'ready'; data: Record<string, unknown> }
  | { id: number; ev: 'total'; bytes: number }
  | { id: number; ev: 'progress'; bytes: number }
  | { id: number; ev: 'result'; data: Record<string, unknown> }
  | { id: number; ev: 'error'; kind: ErrorKind; message: string };

/** A line longer than this is no line of ours (a manifest and a definition are at most 1 MiB each). */
export const MAX_LINE = 8 * 1024 * 1024;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const JOB = /^[A-Za-z0-9_-]{1,64}$/;
const DEVICE = /^[a-z][a-z0-9]{1,15}$/;
const FORMATS = new Set(['raw', 'qcow2']);
const HEX64 = /^[0-9a-f]{64}$/;
/** swtpm's own file names under a guest's state folder: the only ones an import makes there. */
export const TPM_STATE_FILE = /^(tpm2\/tpm2|tpm1\.2\/tpm)-00\.(permall|volatilestate|savestate)$/;
/** <name>.phyllome, as manifest.ts's bundleName makes it. */
export const BUNDLE_NAME = /^[A-Za-z0-9+][A-Za-z0-9._+-]{0,99}\.phyllome$/;
const POOL_NAME = /^[^/\0\n]{1,255}$/;
const MAX_PATH = 4095;
const MAX_GROUPS = 1024;
const MAX_FILES = 64;

export const ERROR_KINDS: readonly ErrorKind[] = [
  'NoSuchGuest',
  'InvalidArgument',
  'InvalidState',
  'NotConnected',
  'Libvirt',
  'Timeout',
  'ViewerFailed',
  'NoDisplay',
  'NoSuchDevice',
  'LastInputDevice',
  'AccessDenied',
  'AlreadyExists',
  'NoSuchFile',
  'UnreadableFile',
  'UnknownOs',
  'MissingHostFeature',
  'Internal',
];

/** The volume name every volume of a guest's gets: <uuid>-<device or role>.<format>. */
export function guestVolumeName(uuid: string, part: string, format: string): string {
  return `${uuid}-${part}.${format}`;
}

export class ProtocolError extends Error {}

type Json = Record<string, unknown>;

const bad = (what: string): never => {
  throw new ProtocolError(what);
};

function object(value: unknown, what: string): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : bad(`${what}`);
}

function string(value: unknown, what: string, pattern?: RegExp, max = MAX_PATH): string {
  if (typeof value !== 'string' || value.length > max || value.includes('\0')) return bad(what);
  if (pattern && !pattern.test(value)) return bad(what);
  return value;
}

function id32(value: unknown, what: string): number {
  // uid_t and gid_t, without (uid_t)-1, which means "unchanged" to the kernel.
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 0xffffffff ? value : bad(what);
}

function count(value: unknown, what: string): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : bad(what);
}

function list<T>(value: unknown, what: string, item: (v: unknown) => T, max = MAX_FILES): T[] {
  if (!Array.isArray(value) || value.length > max) return bad(what);
  return value.map(item);
}

function caller(value: unknown): Caller {
  const c = object(value, 'no caller');
  return {
    uid: id32(c.uid, 'a caller uid'),
    gid: id32(c.gid, 'a caller gid'),
    groups: list(c.groups, 'caller groups', (g) => id32(g, 'a caller group'), MAX_GROUPS),
  };
}

const uuid = (value: unknown): string => string(value, 'a canonical UUID', UUID);
const job = (value: unknown): string => string(value, 'a job id', JOB);
const what = (value: unknown): MediaKind =>
  value === 'installer' || value === 'drivers-iso' ? value : bad('a medium kind');
const callerPath = (value: unknown): string => string(value, 'a path');

function volumeRef(value: Json, owner: string, part: string, format: string): VolumeRef {
  const volume = string(value.volume, 'a volume name');
  if (volume !== guestVolumeName(owner, part, format)) bad(`volume ${volume.slice(0, 80)} is not the guest's`);
  return { pool: string(value.pool, 'a pool name', POOL_NAME), volume };
}

function importFile(value: unknown, owner: string): ImportFile {
  const f = object(value, 'a file');
  const role = f.role === 'nvram' || f.role === 'tpm' || f.role === 'disk' ? f.role : bad('a file role');
  const file: ImportFile = {
    role,
    bundlePath: string(f.bundlePath, 'a bundle path', undefined, 1024),
    size: count(f.size, 'a size'),
    checksum: string(f.checksum, 'a checksum', HEX64),
  };
  if (role === 'tpm') file.tpmPath = string(f.tpmPath, "one of swtpm's file names", TPM_STATE_FILE);
  if (role === 'disk') {
    file.target = string(f.target, 'a disk device', DEVICE);
    file.format = FORMATS.has(f.format as string) ? (f.format as string) : bad('raw or qcow2');
    Object.assign(file, volumeRef(f, owner, file.target, file.format));
  }
  return file;
}

/** A line from the service, checked: a request with its id, or a control for one under way. */
export function parseRequest(line: string): { id: number; request?: FilesRequest; control?: Control } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return bad('not JSON');
  }
  const m = object(raw, 'not an object');
  const id = typeof m.id === 'number' && Number.isSafeInteger(m.id) && m.id > 0 ? m.id : bad('no id');
  switch (m.op) {
    case 'go':
    case 'cancel':
      return { id, control: { op: m.op } };
    case 'inspect-media':
      return {
        id,
        request: {
          op: m.op,
          caller: caller(m.caller),
          media: list(
            m.media,
            'media',
            (v) => {
              const r = object(v, 'a medium');
              return { path: callerPath(r.path), what: what(r.what) };
            },
            2,
          ),
          detect: m.detect === true,
        },
      };
    case 'copy-media': {
      const owner = uuid(m.uuid);
      return {
        id,
        request: {
          op: m.op,
          job: job(m.job),
          caller: caller(m.caller),
          uuid: owner,
          media: list(
            m.media,
            'media',
            (v) => {
              const r = object(v, 'a medium');
              const kind = what(r.what);
              return {
                path: callerPath(r.path),
                what: kind,
                ...volumeRef(r, owner, kind === 'installer' ? 'installer' : 'drivers', 'iso'),
              };
            },
            2,
          ),
        },
      };
    }
    case 'export':
      return {
        id,
        request: {
          op: m.op,
          job: job(m.job),
          caller: caller(m.caller),
          uuid: uuid(m.uuid),
          directory: callerPath(m.directory),
          bundleName: string(m.bundleName, 'a bundle name', BUNDLE_NAME),
          autostart: m.autostart === true,
        },
      };
    case 'read-bundle':
      return { id, request: { op: m.op, caller: caller(m.caller), bundle: callerPath(m.bundle) } };
    case 'check-free':
      return { id, request: { op: m.op, uuid: uuid(m.uuid), nvram: m.nvram === true, tpm: m.tpm === true } };
    case 'import': {
      const owner = uuid(m.uuid);
      const files = list(m.files, 'files', (v) => importFile(v, owner));
      if (files.filter((f) => f.role === 'nvram').length > 1) bad('two UEFI variable stores');
      const unique = (values: (string | undefined)[]): boolean => new Set(values).size === values.length;
      if (!unique(files.filter((f) => f.role === 'tpm').map((f) => f.tpmPath))) bad('a TPM file twice');
      if (!unique(files.filter((f) => f.role === 'disk').map((f) => f.volume))) bad('a volume twice');
      return {
        id,
        request: {
          op: m.op,
          job: job(m.job),
          caller: caller(m.caller),
          uuid: owner,
          bundle: callerPath(m.bundle),
          uefi: m.uefi === true,
          files,
        },
      };
    }
    case 'inspect-guest':
      return { id, request: { op: m.op, uuid: uuid(m.uuid) } };
    case 'clone': {
      const owner = uuid(m.uuid);
      const source = uuid(m.source);
      if (source === owner) bad('a clone of itself');
      const disks = list(m.disks, 'disks', (v) => {
        const d = object(v, 'a disk');
        const target = string(d.target, 'a disk device', DEVICE);
        const format = FORMATS.has(d.format as string) ? (d.format as string) : bad('raw or qcow2');
        return { target, format, ...volumeRef(d, owner, target, format) };
      });
      return { id, request: { op: m.op, job: job(m.job), source, uuid: owner, disks } };
    }
    default:
      return bad('an unknown operation');
  }
}

/** A line from the helper, checked for its shape (its data is checked by whoever asked). */
export function parseEvent(line: string): FilesEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return bad('not JSON');
  }
  const m = object(raw, 'not an object');
  const id = typeof m.id === 'number' && Number.isSafeInteger(m.id) && m.id > 0 ? m.id : bad('no id');
  switch (m.ev) {
    case 'ready':
    case 'result':
      return { id, ev: m.ev, data: object(m.data ?? {}, 'no data') };
    case 'total':
    case 'progress':
      return { id, ev: m.ev, bytes: count(m.bytes, 'a byte count') };
    case 'error':
      return {
        id,
        ev: 'error',
        kind: ERROR_KINDS.includes(m.kind as ErrorKind) ? (m.kind as ErrorKind) : 'Internal',
        message: string(m.message, 'a message', undefined, 64 * 1024),
      };
    default:
      return bad('an unknown event');
  }
}

/** One line of the wire. */
export const encode = (message: Record<string, unknown>): string => `${JSON.stringify(message)}\n`;
