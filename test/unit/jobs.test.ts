import { describe, expect, it } from 'vitest';
import { Job, type JobContext, type JobField } from '../../service/jobs/job.js';
import { JobManager } from '../../service/jobs/job-manager.js';

const ADA = { uid: 1000, seat: 'seat0' };
const BOB = { uid: 1001, seat: 'seat1' };
import { SwitcherError } from '../../service/errors.js';
import { ManualClock } from '../support/manual-clock.js';
import { flush } from '../support/wait.js';

describe('a job', () => {
  it('counts bytes, announces progress at most once per percent and 4 times a second, and ends once', async () => {
    // Time stands still: all of it comes within a quarter second.
    const job = new Job(
      1,
      '/me/phyllo/Switcher1/job/1',
      'export',
      '/me/phyllo/Switcher1/guest/a',
      ADA,
      new ManualClock(),
    );
    const changes: JobField[][] = [];
    const completed: [boolean, string][] = [];
    job.on('changed', (fields) => changes.push(fields));
    job.on('completed', (success, message) => completed.push([success, message]));
    await job.run(async (context) => {
      context.setTotal(1000);
      for (let i = 0; i < 1000; i++) context.advance(1);
      expect(job.bytesDone).toBe(1000n);
      return { result: '/tmp/x.phyllome', message: 'done' };
    });
    // 0 % at once; the rest came within a quarter second, so only the ending is announced.
    expect(changes.filter((c) => c.includes('progress')).length).toBe(2);
    expect(job.state).toBe('succeeded');
    expect(job.progress).toBe(1);
    expect(job.result).toBe('/tmp/x.phyllome');
    expect(completed).toEqual([[true, 'done']]);
  });

  it('announces each new percent once a quarter second has passed', async () => {
    const clock = new ManualClock();
    const job = new Job(5, '/j/5', 'export', '/g', ADA, clock);
    const announced: number[] = [];
    job.on('changed', () => announced.push(job.progress));
    await job.run(async (context) => {
      context.setTotal(100);
      clock.advance(249);
      context.advance(5); // 5 %, too soon after 0 %
      for (let i = 0; i < 3; i++) {
        clock.advance(251);
        context.advance(i === 0 ? 5 : 10);
        context.advance(0);
      }
      clock.advance(249);
      context.advance(1); // 31 %, too soon after 30 %
      return { result: '', message: '' };
    });
    expect(announced).toEqual([0, 0.1, 0.2, 0.3, 1]);
  });

  it('fails with the operation’s message, and keeps no result', async () => {
    const job = new Job(2, '/j/2', 'import', '/', ADA);
    const completed: [boolean, string][] = [];
    job.on('completed', (success, message) => completed.push([success, message]));
    await job.run(async (context) => {
      context.setTotal(10);
      context.advance(4);
      throw new SwitcherError('InvalidArgument', 'The bundle is damaged: disks/vda.raw does not match its checksum');
    });
    expect(job.state).toBe('failed');
    expect(job.result).toBe('');
    expect(job.progress).toBeCloseTo(0.4);
    expect(completed).toEqual([[false, 'The bundle is damaged: disks/vda.raw does not match its checksum']]);
  });

  it('is cancelled through its signal, and cannot be cancelled once finished', async () => {
    const job = new Job(3, '/j/3', 'clone', '/g', ADA);
    const completed: [boolean, string][] = [];
    job.on('completed', (success, message) => completed.push([success, message]));
    const running = job.run(
      (context) =>
        new Promise((_, reject) => {
          context.signal.addEventListener('abort', () => reject(context.signal.reason));
        }),
    );
    await flush();
    job.cancel();
    job.cancel(); // twice is harmless while it stops
    await running;
    expect(job.state).toBe('cancelled');
    expect(completed).toEqual([[false, 'Clone cancelled; nothing was changed']]);
    expect(() => job.cancel()).toThrow(/already finished/);
  });

  it('that finished its work stays a success even if a cancel came too late', async () => {
    const job = new Job(4, '/j/4', 'import', '/', ADA);
    await job.run(async () => {
      job.cancel();
      return { result: '/g', message: 'Imported g' };
    });
    expect(job.state).toBe('succeeded');
  });
});

describe('the job manager', () => {
  it('numbers jobs from 1, answers before the job runs, and drops a finished one after a while', async () => {
    const clock = new ManualClock();
    const jobs = new JobManager(60_000, undefined, clock);
    const removed: string[] = [];
    jobs.on('removed', (job) => removed.push(job.path));
    let ran = false;
    const first = jobs.start('export', '/g', ADA, async () => {
      ran = true;
      return { result: 'r', message: 'm' };
    });
    const second = jobs.start('clone', '/g', ADA, () => new Promise(() => undefined));
    expect([first.path, second.path]).toEqual(['/me/phyllo/Switcher1/job/1', '/me/phyllo/Switcher1/job/2']);
    expect(ran).toBe(false); // the caller's reply goes out first
    await flush();
    await flush();
    expect(ran).toBe(true);
    expect(first.state).toBe('succeeded');
    expect(jobs.list().map((j) => j.id)).toEqual([1, 2]);
    clock.advance(59_999);
    expect(jobs.get(first.path)).toBe(first);
    clock.advance(1);
    expect(jobs.get(first.path)).toBeUndefined();
    expect(removed).toEqual([first.path]);
    expect(jobs.list()).toEqual([second]);
    jobs.stop();
  });

  it('cancels every running job and waits for each to undo its work', async () => {
    const jobs = new JobManager();
    let undone = false;
    const job = jobs.start(
      'import',
      '/',
      ADA,
      (context) =>
        new Promise((_, reject) => {
          context.signal.addEventListener('abort', () => {
            // Undoing takes a turn of the event loop or more, as real cleanup does.
            setImmediate(() => {
              undone = true;
              reject(context.signal.reason);
            });
          });
        }),
    );
    await flush();
    await jobs.cancelAll(5_000);
    expect(undone).toBe(true);
    expect(job.state).toBe('cancelled');
    jobs.stop();
  });

  it('runs a few jobs per user and in all, refusing one more with Busy before it starts', async () => {
    const jobs = new JobManager(60_000, { perUser: 2, total: 3 });
    // Runs until cancelled.
    const forever = (context: JobContext): Promise<never> =>
      new Promise((_, reject) => context.signal.addEventListener('abort', () => reject(context.signal.reason)));
    const started = [jobs.start('export', '/a', ADA, forever), jobs.start('clone', '/b', ADA, forever)];
    expect(started.map((job) => job.startedBy)).toEqual([ADA, ADA]);
    let refused: unknown;
    try {
      jobs.start('import', '/', ADA, forever);
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({
      kind: 'Busy',
      message: 'You have 2 jobs running, as many as one person may; try again when one has finished',
    });
    // Another user has their own share, until the host's is used up.
    jobs.start('export', '/c', BOB, forever);
    expect(() => jobs.start('export', '/d', BOB, forever)).toThrow(/This host runs 3 jobs already/);
    expect(jobs.list()).toHaveLength(3);
    // A job that ended no longer counts.
    await flush();
    started[0]?.cancel();
    await flush();
    await flush();
    expect(jobs.start('import', '/', ADA, forever).id).toBe(4);
    jobs.stop();
  });
});
