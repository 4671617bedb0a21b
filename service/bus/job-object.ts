// me.phyllo.Switcher1.Job on /me/phyllo/Switcher1/job/N.

import type { Job, JobField } from '../jobs/job.js';
import type { InterfaceImpl } from './exporter.js';

export const JOB_INTERFACE = 'me.phyllo.Switcher1.Job';

const PROPERTIES: Record<string, (job: Job) => unknown> = {
  Operation: (job) => job.operation,
  Guest: (job) => job.guest,
  Progress: (job) => job.progress,
  BytesDone: (job) => job.bytesDone,
  BytesTotal: (job) => job.bytesTotal,
  State: (job) => job.state,
  Result: (job) => job.result,
};

/** The properties each kind of change touches (State goes with every one). */
const FIELD_PROPERTIES: Record<JobField, string[]> = {
  progress: ['Progress', 'BytesDone', 'BytesTotal'],
  guest: ['Guest'],
  result: ['Result'],
};

export class JobObject implements InterfaceImpl {
  readonly interfaceName = JOB_INTERFACE;

  constructor(private readonly job: Job) {}

  getProperty(name: string): unknown {
    const read = PROPERTIES[name];
    if (!read) throw new Error(`no property ${name}`);
    return read(this.job);
  }

  call(method: string): unknown[] {
    if (method !== 'Cancel') throw new Error(`no method ${method}`);
    this.job.cancel();
    return [];
  }

  /** The properties that changed with `fields`, for PropertiesChanged. */
  changes(fields: JobField[]): Record<string, unknown> {
    const names = ['State', ...fields.flatMap((field) => FIELD_PROPERTIES[field])];
    return Object.fromEntries(names.map((name) => [name, this.getProperty(name)]));
  }
}
