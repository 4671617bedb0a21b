import { afterEach, describe, expect, it, vi } from 'vitest';
import { Job, type JobField } from '../../service/jobs/job.js';
import { JobManager } from '../../service/jobs/job-manager.js';
import { SwitcherError } from '../../service/errors.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('a job', () => {
  it('counts bytes, announces progress at most once per percent and 4 times a second, and ends once', async () => {
    const job = new Job(1, '/me/phyllo/Switcher1/job/1', 'export', '/me/phyllo/Switcher1/guest/a');
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
    const job = new Job(5, '/j/5', 'export', '/g');
    const announced: number[] = [];
    job.on('changed', () => announced.push(job.progress));
    await job.run(async (context) => {
      context.setTotal(100);
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 260));
        context.advance(10);
        context.advance(0);
      }
      context.advance(1); // 31 %, too soon after 30 %
      return { result: '', message: '' };
    });
    expect(announced).toEqual([0, 0.1, 0.2, 0.3, 1]);
  });

  it('fails with the operation’s message, and keeps no result', async () => {
    const job = new Job(2, '/j/2', 'import', '/');
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
    const job = new Job(3, '/j/3', 'clone', '/g');
    const completed: [boolean, string][] = [];
    job.on('completed', (success, message) => completed.push([success, message]));
    const running = job.run(
      (context) =>
        new Promise((_, reject) => {
          context.signal.addEventListener('abort', () => reject(context.signal.reason));
        }),
    );
    await tick();
    job.cancel();
    job.cancel(); // twice is harmless while it stops
    await running;
    expect(job.state).toBe('cancelled');
    expect(completed).toEqual([[false, 'Clone cancelled; nothing was changed']]);
    expect(() => job.cancel()).toThrow(/already finished/);
  });

  it('that finished its work stays a success even if a cancel came too late', async () => {
    const job = new Job(4, '/j/4', 'import', '/');
    await job.run(async () => {
      job.cancel();
      return { result: '/g', message: 'Imported g' };
    });
    expect(job.state).toBe('succeeded');
  });
});

describe('the job manager', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('numbers jobs from 1, answers before the job runs, and drops a finished one after a while', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const jobs = new JobManager(60_000);
    const removed: string[] = [];
    jobs.on('removed', (job) => removed.push(job.path));
    let ran = false;
    const first = jobs.start('export', '/g', async () => {
      ran = true;
      return { result: 'r', message: 'm' };
    });
    const second = jobs.start('clone', '/g', () => new Promise(() => undefined));
    expect([first.path, second.path]).toEqual(['/me/phyllo/Switcher1/job/1', '/me/phyllo/Switcher1/job/2']);
    expect(ran).toBe(false); // the caller's reply goes out first
    await tick();
    await tick();
    expect(ran).toBe(true);
    expect(first.state).toBe('succeeded');
    expect(jobs.list().map((j) => j.id)).toEqual([1, 2]);
    vi.advanceTimersByTime(59_000);
    expect(jobs.get(first.path)).toBe(first);
    vi.advanceTimersByTime(1_000);
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
      (context) =>
        new Promise((_, reject) => {
          context.signal.addEventListener('abort', () => {
            setTimeout(() => {
              undone = true;
              reject(context.signal.reason);
            }, 20);
          });
        }),
    );
    await tick();
    await jobs.cancelAll(5_000);
    expect(undone).toBe(true);
    expect(job.state).toBe('cancelled');
    jobs.stop();
  });
});
