// What the guest-files helper asks of a worker it runs as a caller, and what
// the worker answers: the task as the first line of the worker's standard
// input (then 'commit' or 'abort' where it waits), events as lines of its
// standard output. Descriptors the helper opened come as fd 3 and on, named
// by number in the task. A worker runs with the caller's rights only, so the
// helper takes nothing it says on trust: each event is checked here.

import type { FileCaller } from '../access/caller-files.js';
import type { ErrorKind } from '../errors.js';
import type { MediaRef } from '../guest-files/protocol.js';
import { ERROR_KINDS } from '../guest-files/protocol.js';
import type { Extent } from '../copy/data-map.js';
import type { FileRole } from '../bundle/manifest.js';

/** A guest's file handed to an export, read-only, with what the helper measured of it. */
export interface ExportFile {
  fd: number;
  bundlePath: string;
  role: Exclude<FileRole, 'definition'>;
  size: number;
  extents: Extent[];
  target?: string;
  format?: string;
  /** The image was flattened from a backing chain for the bundle. */
  flattened?: boolean;
}

/** Who a worker walks a caller's paths as (the launcher sets it: the caller, whoever the worker runs as). */
export interface WalkAs {
  walkAs?: FileCaller;
}

export type WorkerTask = WalkAs &
  (
    | { op: 'inspect-media'; media: MediaRef[]; detect: boolean }
    | { op: 'copy-media'; media: (MediaRef & { fd: number })[] }
    | { op: 'check-folder'; directory: string; bundleName: string; needed: number }
    | {
        op: 'export';
        directory: string;
        bundleName: string;
        /** The hidden name it writes under until complete; the helper's journal knows it. */
        temporaryName: string;
        /** The room it needs: checked, then 'planned', then it waits for 'go'. */
        needed: number;
        definition: string;
        guest: { name: string; uuid: string; autostart: boolean };
        files: ExportFile[];
      }
    | { op: 'read-bundle'; bundle: string }
    | { op: 'import'; bundle: string; files: { fd: number; bundlePath: string; size: number; checksum: string }[] }
    | { op: 'remove-partial'; directory: string; temporaryName: string }
  );

export type WorkerControl = { op: 'go' } | { op: 'commit' } | { op: 'abort' };

export type WorkerEvent =
  | { ev: 'progress'; bytes: number }
  /** An export's plan stands (its folder checked, with room): it waits for 'go' (or 'abort'). */
  | { ev: 'planned'; data: Record<string, unknown> }
  /** An export has written every file and waits for 'commit' (or 'abort'). */
  | { ev: 'copied' }
  | { ev: 'result'; data: Record<string, unknown> }
  | { ev: 'error'; kind: ErrorKind; message: string };

/** Events longer than this are no worker's (a bundle's manifest and definition are 1 MiB at most). */
export const MAX_WORKER_LINE = 4 * 1024 * 1024;

export class WorkerProtocolError extends Error {}

export function parseWorkerEvent(line: string): WorkerEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new WorkerProtocolError('not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new WorkerProtocolError('not an object');
  const m = raw as Record<string, unknown>;
  switch (m.ev) {
    case 'progress':
      if (typeof m.bytes !== 'number' || !Number.isSafeInteger(m.bytes) || m.bytes < 0)
        throw new WorkerProtocolError('no byte count');
      return { ev: 'progress', bytes: m.bytes };
    case 'copied':
      return { ev: 'copied' };
    case 'planned':
      if (typeof m.data !== 'object' || m.data === null || Array.isArray(m.data))
        throw new WorkerProtocolError('no plan');
      return { ev: 'planned', data: m.data as Record<string, unknown> };
    case 'result':
      if (typeof m.data !== 'object' || m.data === null || Array.isArray(m.data))
        throw new WorkerProtocolError('no result');
      return { ev: 'result', data: m.data as Record<string, unknown> };
    case 'error':
      if (typeof m.message !== 'string') throw new WorkerProtocolError('no message');
      return {
        ev: 'error',
        kind: ERROR_KINDS.includes(m.kind as ErrorKind) ? (m.kind as ErrorKind) : 'Internal',
        message: m.message.slice(0, 4096),
      };
    default:
      throw new WorkerProtocolError('an unknown event');
  }
}
