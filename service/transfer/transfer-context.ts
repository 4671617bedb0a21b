// What the transfer operations share: their view of libvirt and the host,
// the guest-files helper that does every file's work, file errors in the
// caller's terms, a guard that stops a job when its guest starts under it,
// and the list of what a job made — the volumes and definitions the service
// itself makes through libvirt — written into the service's journal before
// each is made and undone if the job fails.

import { errorMessage, SwitcherError } from '../errors.js';
import type { FilesClient } from '../guest-files/client.js';
import type { Guest } from '../guests/guest.js';
import type { GuestRegistry } from '../guests/registry.js';
import { isDown } from '../guests/state.js';
import type { Journal, JournalEntry } from '../jobs/journal.js';
import type { LibvirtClient } from '../libvirt/client.js';
import { UNDEFINE_KEEP_NVRAM, UNDEFINE_KEEP_TPM, undefineDomain } from '../libvirt/domain.js';
import type { PoolInfo } from '../libvirt/storage-pool.js';
import { createRawVolume, deleteVolume } from '../libvirt/storage-vol.js';
import { log } from '../log.js';
import type { GuestModel } from '../create/guest-model.js';
import type { LibvirtStateDirs } from '../libvirt/state-dirs.js';

export interface TransferHost {
  client: LibvirtClient;
  registry: GuestRegistry;
  /** Where libvirt keeps UEFI variables and TPM state on this host (the helper's rule, for planning). */
  dirs: LibvirtStateDirs;
  /** Phyllome's model on this host: what an imported guest is made again from, and its pool. */
  model: GuestModel;
  /** The guest-files helper: every guest's file and every caller's file is its to open. */
  files: FilesClient;
  /** The service's own journal of what its jobs make (volumes), for a start after a crash. */
  journal: Journal;
}

export { fileError } from '../copy/file-error.js';

export function isOff(guest: Guest): boolean {
  return isDown(guest.state);
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

/**
 * What a job made through libvirt, undone newest first if it fails. Only
 * ever what it made itself; each volume is in the journal before it is made.
 */
export class Undo {
  private readonly steps: [what: string, undo: () => Promise<void>][] = [];

  constructor(private readonly entry: JournalEntry) {}

  /** Makes an empty raw volume of `bytes` in `pool`, recorded first; returns libvirt-dbus's object for it. */
  async volume(client: LibvirtClient, pool: PoolInfo, name: string, bytes: number, timeoutMs: number): Promise<string> {
    await this.entry.record({ made: 'volume', pool: pool.name, volume: name });
    const volume = await createRawVolume(client, pool, name, { bytes }, { mode: 0o600, timeoutMs });
    this.steps.push([`volume ${name}`, () => deleteVolume(client, volume)]);
    return volume;
  }

  /** Anything else a failure must undo at this point of the order (the helper's files). */
  step(what: string, undo: () => Promise<void>): void {
    this.steps.push([what, undo]);
  }

  domain(client: LibvirtClient, domain: string): void {
    // Its NVRAM and TPM files are the helper's: undefining removes only the definition.
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
    await this.entry.finish();
  }

  /** The job succeeded: keep everything. */
  async forget(): Promise<void> {
    this.steps.length = 0;
    await this.entry.finish();
  }
}

let counter = 0;

/** A name for a job's journal and its requests to the helper, unique across restarts. */
export function jobKey(operation: string): string {
  counter += 1;
  return `${operation}-${Date.now().toString(36)}-${process.pid}-${counter}`;
}
