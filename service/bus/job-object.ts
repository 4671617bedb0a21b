// me.phyllo.Switcher1.Job on /me/phyllo/Switcher1/job/N.

import { JOB_INTERFACE, type JobProperties } from '../contract/switcher1.js';
import type { GuestRegistry } from '../guests/registry.js';
import type { Job, JobField } from '../jobs/job.js';
import type { Authority } from '../seats/authority.js';
import type { Caller, InterfaceImpl } from './exporter.js';

export { JOB_INTERFACE };

/** The properties each kind of change touches (State goes with every one). */
const FIELD_PROPERTIES: Record<JobField, (keyof JobProperties)[]> = {
  progress: ['Progress', 'BytesDone', 'BytesTotal'],
  guest: ['Guest'],
  result: ['Result'],
};

export class JobObject implements InterfaceImpl<typeof JOB_INTERFACE> {
  readonly interfaceName = JOB_INTERFACE;

  constructor(
    private readonly job: Job,
    private readonly authority: Authority,
    private readonly registry: GuestRegistry,
  ) {}

  properties(): JobProperties {
    const job = this.job;
    return {
      Operation: job.operation,
      Guest: job.guest,
      Progress: job.progress,
      BytesDone: job.bytesDone,
      BytesTotal: job.bytesTotal,
      State: job.state,
      Result: job.result,
    };
  }

  readonly methods: InterfaceImpl<typeof JOB_INTERFACE>['methods'] = {
    Cancel: async (_args, caller) => {
      await this.authorize(caller);
      this.job.cancel();
      return [];
    },
  };

  /**
   * Stopping a job is acting on its guest: that guest's seat decides. A job
   * with no guest here (an import not yet defined, a guest moved away) is of
   * no seat, as a new guest is.
   */
  private authorize(caller: Caller): Promise<void> {
    const guest = this.job.guest;
    if (guest !== '/' && this.registry.get(guest)) return this.authority.requireGuest(caller, guest);
    return this.authority.require(caller, [''], `the job ${this.job.path}`);
  }

  /** The properties that changed with `fields`, for PropertiesChanged. */
  changes(fields: JobField[]): Partial<JobProperties> {
    const all = this.properties();
    const names: (keyof JobProperties)[] = ['State', ...fields.flatMap((field) => FIELD_PROPERTIES[field])];
    return Object.fromEntries(names.map((name) => [name, all[name]])) as Partial<JobProperties>;
  }
}
