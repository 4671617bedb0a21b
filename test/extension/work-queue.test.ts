import { describe, expect, it } from 'vitest';
import { WorkQueue, type IdleScheduler } from '../../extension/src/model/work-queue.js';

/** A main loop by hand: idle callbacks run when run() is called, and time moves as tasks say. */
class FakeLoop implements IdleScheduler {
  time = 0;
  private readonly sources = new Map<number, () => boolean>();
  private next = 1;
  idle(fn: () => boolean): number {
    this.sources.set(this.next, fn);
    return this.next++;
  }
  remove(id: number): void {
    this.sources.delete(id);
  }
  now(): number {
    return this.time;
  }
  /** One main-loop iteration: every idle source once. */
  iterate(): void {
    for (const [id, fn] of [...this.sources]) if (!fn()) this.sources.delete(id);
  }
  get idle_sources(): number {
    return this.sources.size;
  }
}

describe('work done a little at a time', () => {
  it('runs tasks in order, within its budget per idle callback, then stops', () => {
    const loop = new FakeLoop();
    const queue = new WorkQueue(loop, 6);
    const done: number[] = [];
    for (let i = 0; i < 10; i++)
      queue.push(() => {
        done.push(i);
        loop.time += 2; // each task takes 2 ms
      });
    loop.iterate();
    expect(done).toEqual([0, 1, 2]); // 6 ms spent
    loop.iterate();
    loop.iterate();
    loop.iterate();
    expect(done).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(loop.idle_sources).toBe(0);
  });

  it('goes on past a task that throws, and drops everything on destroy', () => {
    const loop = new FakeLoop();
    const queue = new WorkQueue(loop, 6);
    const done: string[] = [];
    queue.push(() => {
      throw new Error('a bug in one task');
    });
    queue.push(() => done.push('next'));
    loop.iterate();
    expect(done).toEqual(['next']);
    queue.push(() => done.push('never'));
    queue.destroy();
    loop.iterate();
    queue.push(() => done.push('after destroy'));
    loop.iterate();
    expect(done).toEqual(['next']);
    expect(loop.idle_sources).toBe(0);
  });
});
