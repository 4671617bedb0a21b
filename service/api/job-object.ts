// me.phyllo.Switcher1.Job on /me/phyllo/Switcher1/job/N.

import { JOB_INTERFACE, type JobProperties } from '../contract/switcher1.js';
import type { Job, JobField } from '../jobs/job.js';
import type { Authority } from '../access/authority.js';
import type { InterfaceImpl } from './exporter.js';

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
      StartedByUid: job.startedBy.uid,
      StartedFromSeat: job.startedBy.seat,
    };
  }

  readonly methods: InterfaceImpl<typeof JOB_INTERFACE>['methods'] = {
    // A job is whoever started it's, as udisks2's are: not its guest's seat's (an import has no guest
    // until the end, and stopping someone's export undoes their work, not the guest's).
    Cancel: async (_args, caller) => {
      const job = this.job;
      await this.authority.requireCanCancel(caller, job.startedBy.uid, `the ${job.operation} job ${job.path}`);
      job.cancel();
      return [];
    },
  };

  /** The properties that changed with `fields`, for PropertiesChanged. */
  changes(fields: JobField[]): Partial<JobProperties> {
    const all = this.properties();
    const names: (keyof JobProperties)[] = ['State', ...fields.flatMap((field) => FIELD_PROPERTIES[field])];
    return Object.fromEntries(names.map((name) => [name, all[name]])) as Partial<JobProperties>;
  }
}
