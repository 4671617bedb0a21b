// Every job the service runs: numbered from 1 at /me/phyllo/Switcher1/job/N.
// A finished job stays readable for a while (lingerMs) so a caller that
// looks after Completed still finds its result, then goes. A few jobs run
// at once per user and in all (each moves a guest's worth of data); one
// more is refused with Busy before it starts.

import { EventEmitter } from 'node:events';
import { REAL_CLOCK, type Clock } from '../clock.js';
import { SwitcherError } from '../errors.js';
import { log } from '../log.js';
import { count } from '../readable.js';
import { Job, type JobOperation, type JobRun, type JobStarter } from './job.js';

export const JOB_PATH_PREFIX = '/me/phyllo/Switcher1/job/';
export const DEFAULT_LINGER_MS = 60_000;

export interface JobLimits {
  /** Jobs of one user running at once. */
  perUser: number;
  /** Jobs running at once, everybody's together. */
  total: number;
}

export const DEFAULT_JOB_LIMITS: JobLimits = { perUser: 3, total: 8 };

export interface JobManagerEvents {
  added: [job: Job];
  removed: [job: Job];
}

export class JobManager extends EventEmitter<JobManagerEvents> {
  private readonly jobs = new Map<string, Job>();
  private readonly running = new Set<Promise<void>>();
  /** Cancels the timers that drop finished jobs. */
  private readonly timers = new Set<() => void>();
  private next = 1;
  private stopped = false;

  constructor(
    private readonly lingerMs = DEFAULT_LINGER_MS,
    private readonly limits: JobLimits = DEFAULT_JOB_LIMITS,
    /** The lingering's, the cancel's and the jobs' progress time. */
    private readonly clock: Clock = REAL_CLOCK,
  ) {
    super();
  }

  /**
   * Makes a job of `startedBy` and runs `run` in it from the next turn of
   * the event loop, so the caller's reply (the job's path) goes out before
   * any of its signals. Busy when that user, or everybody, has as many jobs
   * running as the limits allow.
   */
  start(operation: JobOperation, guest: string, startedBy: JobStarter, run: JobRun): Job {
    const running = this.list().filter((job) => job.state === 'running');
    const theirs = running.filter((job) => job.startedBy.uid === startedBy.uid).length;
    if (theirs >= this.limits.perUser) {
      throw new SwitcherError(
        'Busy',
        `You have ${count(theirs, 'job')} running, as many as one person may; try again when one has finished`,
      );
    }
    if (running.length >= this.limits.total) {
      throw new SwitcherError(
        'Busy',
        `This host runs ${count(running.length, 'job')} already, as many as it takes at once; try again when one has finished`,
      );
    }
    const id = this.next++;
    const job = new Job(id, `${JOB_PATH_PREFIX}${id}`, operation, guest, startedBy, this.clock);
    this.jobs.set(job.path, job);
    log.info(
      `job ${id} (${operation}) started by uid ${startedBy.uid}${startedBy.seat ? ` on ${startedBy.seat}` : ''}`,
    );
    this.emit('added', job);
    job.once('completed', (_success, message) => {
      log.info(`job ${id} (${operation}) ${job.state}: ${message}`);
      if (this.stopped) return;
      const cancel = this.clock.after(this.lingerMs, () => {
        this.timers.delete(cancel);
        this.remove(job);
      });
      this.timers.add(cancel);
    });
    const done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => job.run(run));
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
    return job;
  }

  get(path: string): Job | undefined {
    return this.jobs.get(path);
  }

  /** Jobs by number. */
  list(): Job[] {
    return [...this.jobs.values()].sort((a, b) => a.id - b.id);
  }

  /** Cancels every running job; resolves once each has undone its work, or after timeoutMs. */
  async cancelAll(timeoutMs: number): Promise<void> {
    for (const job of this.jobs.values()) if (job.state === 'running') job.cancel();
    let cancel: (() => void) | undefined;
    await Promise.race([
      Promise.all([...this.running]),
      new Promise<void>((resolve) => {
        cancel = this.clock.after(timeoutMs, resolve);
      }),
    ]);
    cancel?.();
  }

  /** Cancels what runs and forgets every job (their cleanup goes on; see cancelAll to wait for it). */
  stop(): void {
    this.stopped = true;
    for (const job of this.jobs.values()) if (job.state === 'running') job.cancel();
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    this.jobs.clear();
    this.removeAllListeners();
  }

  private remove(job: Job): void {
    if (!this.jobs.delete(job.path)) return;
    this.emit('removed', job);
    job.removeAllListeners();
  }
}
