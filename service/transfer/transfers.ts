// The four long operations on guests, each checked at once (a refusal is a
// typed error to the caller, and no job) and then run as a job: Export,
// Import, Clone and the live move. One job at a time per guest, name and
// UUID, so two requests cannot race for the same thing.

import type { MessageBus } from '../dbus/bus.js';
import { callerPath } from '../access/caller-files.js';
import { invalidState, noSuchGuest, notConnected } from '../errors.js';
import { filesCallerFor, selfCaller } from '../access/worker-caller.js';
import type { Caller } from '../guest-files/protocol.js';
import type { Guest } from '../guests/guest.js';
import type { GuestRegistry } from '../guests/registry.js';
import type { Job, JobStarter } from '../jobs/job.js';
import type { JobManager } from '../jobs/job-manager.js';
import { planClone, runClone } from './clone-guest.js';
import { planExport, runExport } from './export-guest.js';
import { planImport, runImport } from './import-bundle.js';
import { planMigrate, refuseTargetResolvingHere, runMigrate, type MigrationTrust } from './migrate-guest.js';
import type { TransferHost } from './transfer-context.js';

/**
 * Who asks: their unique bus name (the paths they name are opened by a
 * worker run as them) and the seat check that must pass after the
 * request's own checks and before any job starts, which answers who starts
 * the job. `seat` is the seat of the guest the job works on or brings ('' for
 * none).
 */
export interface TransferRequest {
  sender: string | undefined;
  authorize: (seat: string) => Promise<JobStarter>;
}

/** What the transfers work with, by name: the host's parts (shared with CreateGuest) and the service's. */
export interface TransfersParts extends TransferHost {
  jobs: JobManager;
  /** The libvirt connection the service serves, which a move starts from. */
  ownUri: string;
  serviceBus: MessageBus;
  /** Whether a caller's URI may name local programs and files (the per-user service: its own user). */
  trust: MigrationTrust;
}

export class Transfers {
  private readonly host: TransferHost;
  /** What running jobs hold: guest paths, names and UUIDs. */
  private readonly held = new Set<string>();

  private readonly registry: GuestRegistry;
  private readonly jobs: JobManager;
  private readonly ownUri: string;
  private readonly serviceBus: MessageBus;
  private readonly trust: MigrationTrust;

  constructor(parts: TransfersParts) {
    const { client, registry, dirs, model, files, journal } = parts;
    this.host = { client, registry, dirs, model, files, journal };
    this.registry = registry;
    this.jobs = parts.jobs;
    this.ownUri = parts.ownUri;
    this.serviceBus = parts.serviceBus;
    this.trust = parts.trust;
  }

  /** Export(s directory) → the job; the bundle is <directory>/<name>.phyllome. */
  async exportGuest(path: string, directory: string, request: TransferRequest): Promise<Job> {
    // What the string is (absolute, not too long) is told at once; what is there, by the caller's worker.
    callerPath(directory, 'The export folder');
    const guest = this.guest(path);
    return this.hold([`guest:${path}`], async () => {
      const plan = await planExport(this.host, guest, directory, await this.caller(request));
      let starter: JobStarter;
      try {
        starter = await this.starter(request, guest.settings.seat);
      } catch (error) {
        plan.call.cancel();
        throw error;
      }
      return this.jobs.start('export', path, starter, (job) => runExport(this.host, plan, job));
    });
  }

  async importBundle(bundle: string, request: TransferRequest): Promise<Job> {
    callerPath(bundle, 'The bundle path');
    this.requireConnected();
    const plan = await planImport(this.host, bundle, await this.caller(request));
    const starter = await this.starter(request, plan.seat);
    const { name, uuid } = plan.manifest.guest;
    return this.hold([`name:${name}`, `uuid:${uuid}`], async () =>
      this.jobs.start('import', '/', starter, (job) => runImport(this.host, plan, job)),
    );
  }

  async cloneGuest(path: string, name: string, request: TransferRequest): Promise<Job> {
    const guest = this.guest(path);
    return this.hold([`guest:${path}`, `name:${name}`], async () => {
      const plan = await planClone(this.host, guest, name);
      const starter = await this.starter(request, guest.settings.seat);
      return this.jobs.start('clone', path, starter, (job) => runClone(this.host, plan, job));
    });
  }

  async migrateGuest(
    path: string,
    uri: string,
    options: Record<string, { signature: string; value: unknown }>,
    request: TransferRequest,
  ): Promise<Job> {
    const guest = this.guest(path);
    const plan = planMigrate(guest, uri, this.ownUri, options, this.trust);
    await refuseTargetResolvingHere(plan.uri, this.trust);
    const starter = await this.starter(request, guest.settings.seat);
    return this.hold([`guest:${path}`], async () =>
      this.jobs.start('migrate', path, starter, (job) => runMigrate(this.host, plan, job)),
    );
  }

  /** Who starts the job, once the seat check passed: the one connection that hears how it ends. */
  private async starter(request: TransferRequest, seat: string): Promise<JobStarter> {
    return { ...(await request.authorize(seat)), sender: request.sender ?? '' };
  }

  /** Who a worker runs as for this request: the caller, as the bus vouches for it. */
  private async caller(request: TransferRequest): Promise<Caller> {
    return (await filesCallerFor(this.serviceBus, request.sender)) ?? selfCaller();
  }

  private guest(path: string): Guest {
    const guest = this.registry.get(path);
    if (!guest) throw noSuchGuest(`at ${path}`);
    this.requireConnected();
    return guest;
  }

  private requireConnected(): void {
    if (!this.registry.connected) throw notConnected('libvirt is not reachable right now');
  }

  /**
   * Runs `start` holding `keys` until the job it starts completes (or it
   * throws); a key already held is an InvalidState.
   */
  private async hold(keys: string[], start: () => Promise<Job>): Promise<Job> {
    const busy = keys.find((key) => this.held.has(key));
    if (busy) throw invalidState(`Another job is already working on ${busy.slice(busy.indexOf(':') + 1)}`);
    for (const key of keys) this.held.add(key);
    const release = (): void => {
      for (const key of keys) this.held.delete(key);
    };
    try {
      const job = await start();
      job.once('completed', release);
      return job;
    } catch (error) {
      release();
      throw error;
    }
  }
}
