// What the transfer operations share: their view of libvirt and the host,
// file errors in the caller's terms, a guard that stops a job when its guest
// starts under it, and the list of what a job made, to undo on failure.

import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errorMessage, SwitcherError } from '../errors.js';
import type { Guest } from '../guests/guest.js';
import type { GuestRegistry } from '../guests/registry.js';
import type { LibvirtClient } from '../libvirt/client.js';
import { deleteVolume } from '../libvirt/storage-vol.js';
import { UNDEFINE_KEEP_NVRAM, UNDEFINE_KEEP_TPM, undefineDomain } from '../libvirt/domain.js';
import { log } from '../log.js';
import type { GuestModel } from '../create/guest-model.js';
import { volumeName } from '../create/guest-name.js';
import type { LibvirtStateDirs } from './libvirt-state-dirs.js';

export interface TransferHost {
  client: LibvirtClient;
  registry: GuestRegistry;
  /** Where libvirt keeps UEFI variables and TPM state on this host. */
  dirs: LibvirtStateDirs;
  /** Phyllome's model on this host: what an imported guest is made again from, and its pool. */
  model: GuestModel;
}

/** A file system error as a typed error a caller can read. */
export function fileError(error: unknown, doing: string): SwitcherError {
  if (error instanceof SwitcherError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const path = (error as NodeJS.ErrnoException).path ?? '';
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new SwitcherError('AccessDenied', `Cannot ${doing}: permission denied on ${path}`);
    case 'ENOENT':
    case 'ENOTDIR':
      return new SwitcherError('NoSuchFile', `Cannot ${doing}: ${path} does not exist`);
    case 'ELOOP':
      return new SwitcherError('NoSuchFile', `Cannot ${doing}: ${path} is a loop of symbolic links`);
    case 'ENOSPC':
    case 'EDQUOT':
      return new SwitcherError('InvalidState', `Cannot ${doing}: no space left on the disk of ${path}`);
    case 'EROFS':
      return new SwitcherError('InvalidState', `Cannot ${doing}: ${path} is on a read-only file system`);
    case 'EEXIST':
      return new SwitcherError('AlreadyExists', `Cannot ${doing}: ${path} already exists`);
    default:
      return new SwitcherError('Internal', `Cannot ${doing}: ${errorMessage(error)}`);
  }
}

export async function pathExists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

const OFF = new Set(['shutoff', 'crashed']);

export function isOff(guest: Guest): boolean {
  return OFF.has(guest.state);
}

/**
 * A signal that aborts with the job's own, or when the guest leaves the
 * shut-off state (or goes away) while its files are being read.
 */
export function whileShutOff(
  registry: GuestRegistry,
  path: string,
  job: AbortSignal,
): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const stop = (why: string): void => {
    if (!controller.signal.aborted) controller.abort(new SwitcherError('InvalidState', why));
  };
  const onChanged = (guest: Guest): void => {
    if (guest.path === path && !isOff(guest)) stop(`${guest.name} was started meanwhile; nothing was kept`);
  };
  const onRemoved = (guest: Guest): void => {
    if (guest.path === path) stop(`${guest.name} was removed meanwhile; nothing was kept`);
  };
  registry.on('changed', onChanged);
  registry.on('removed', onRemoved);
  return {
    signal: AbortSignal.any([job, controller.signal]),
    release: () => {
      registry.off('changed', onChanged);
      registry.off('removed', onRemoved);
    },
  };
}

/** What a job made, undone newest first if it fails. Only ever what it made itself. */
export class Undo {
  private readonly steps: [what: string, undo: () => Promise<void>][] = [];

  volume(client: LibvirtClient, volume: string): void {
    this.steps.push([`volume ${volume}`, () => deleteVolume(client, volume)]);
  }

  file(path: string): void {
    this.steps.push([path, () => rm(path, { force: true })]);
  }

  /** A directory this job made (removed only if empty by then). */
  directory(path: string): void {
    this.steps.push([path, () => rmdir(path).catch(() => undefined)]);
  }

  /** A tree this job made and owns entirely (an export's temporary bundle). */
  tree(path: string): void {
    this.steps.push([path, () => rm(path, { recursive: true, force: true })]);
  }

  /**
   * What is inside a directory this job made and holds open (by its
   * descriptor's path): emptied wherever the directory has been moved to.
   */
  contents(path: string): void {
    this.steps.push([
      `what is in ${path}`,
      async () => {
        for (const entry of await readdir(path)) await rm(join(path, entry), { recursive: true, force: true });
      },
    ]);
  }

  domain(client: LibvirtClient, domain: string): void {
    // Its NVRAM and TPM files are our own steps: undefining removes only the definition.
    this.steps.push([
      `definition ${domain}`,
      () => undefineDomain(client, domain, UNDEFINE_KEEP_NVRAM | UNDEFINE_KEEP_TPM),
    ]);
  }

  async run(): Promise<void> {
    for (const [what, undo] of this.steps.splice(0).reverse()) {
      try {
        await undo();
      } catch (error) {
        log.warning(`could not undo ${what}: ${errorMessage(error)}`);
      }
    }
  }

  /** The job succeeded: keep everything. */
  forget(): void {
    this.steps.length = 0;
  }
}

/** Makes `dir` (with `mode`) and any missing parents (0755), each recorded for undoing. */
export async function makeDirectories(dir: string, mode: number, undo: Undo): Promise<void> {
  if (existsSync(dir)) return;
  await makeDirectories(dirname(dir), 0o755, undo);
  await mkdir(dir, { mode });
  undo.directory(dir);
}

/** The file or volume name of a guest's disk image: create/guest-name.ts's, one way for every volume we make. */
export const diskImageName = volumeName;
