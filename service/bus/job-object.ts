// me.phyllo.Switcher1.Job on /me/phyllo/Switcher1/job/N.

import type { Job, JobField } from '../jobs/job.js';
import type { InterfaceImpl } from './exporter.js';

export const JOB_INTERFACE = 'me.phyllo.Switcher1.Job';

export class JobObject implements InterfaceImpl {
  readonly interfaceName = JOB_INTERFACE;

  constructor(private readonly job: Job) {}

  getProperty(name: string): unknown {
    switch (name) {
      case 'Operation':
        return this.job.operation;
      case 'Guest':
        return this.job.guest;
      case 'Progress':
        return this.job.progress;
      case 'BytesDone':
        return this.job.bytesDone;
      case 'BytesTotal':
        return this.job.bytesTotal;
      case 'State':
        return this.job.state;
      case 'Result':
        return this.job.result;
      default:
        throw new Error(`no property ${name}`);
    }
  }

  call(method: string): unknown[] {
    if (method !== 'Cancel') throw new Error(`no method ${method}`);
    this.job.cancel();
    return [];
  }

  /** The properties that changed with `fields`, for PropertiesChanged. */
  changes(fields: JobField[]): Record<string, unknown> {
    const changed: Record<string, unknown> = { State: this.job.state };
    for (const field of fields) {
      if (field === 'progress') {
        changed.Progress = this.job.progress;
        changed.BytesDone = this.job.bytesDone;
        changed.BytesTotal = this.job.bytesTotal;
      } else if (field === 'guest') changed.Guest = this.job.guest;
      else changed.Result = this.job.result;
    }
    return changed;
  }
}
