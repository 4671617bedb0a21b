// Work done a little at a time on the Shell's main loop, so that no burst
// (a thousand guests at once, on enable or when the service restarts)
// stalls it: tasks run in order from an idle callback until a small time
// budget is spent, then yield until the next one. The scheduler is handed
// in, so the queue's logic is tested without GLib.

export interface IdleScheduler {
  /** Calls fn when the main loop is idle; fn returns true to be called again. */
  idle(fn: () => boolean): number;
  remove(id: number): void;
  /** A monotonic clock in milliseconds. */
  now(): number;
}

export class WorkQueue {
  private readonly tasks: (() => void)[] = [];
  private source = 0;
  private destroyed = false;

  constructor(
    private readonly scheduler: IdleScheduler,
    /** How long one idle callback may work, in ms. */
    private readonly budgetMs = 6,
  ) {}

  get pending(): number {
    return this.tasks.length;
  }

  push(task: () => void): void {
    if (this.destroyed) return;
    this.tasks.push(task);
    if (!this.source) this.source = this.scheduler.idle(() => this.run());
  }

  /** Drops what is left; the queue stays usable. */
  clear(): void {
    this.tasks.length = 0;
  }

  /** Drops what is left and stops. */
  destroy(): void {
    this.destroyed = true;
    this.tasks.length = 0;
    if (this.source) this.scheduler.remove(this.source);
    this.source = 0;
  }

  private run(): boolean {
    const until = this.scheduler.now() + this.budgetMs;
    while (this.tasks.length > 0) {
      const task = this.tasks.shift() as () => void;
      try {
        task();
      } catch (error) {
        console.error(`Phyllome Switcher: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
      if (this.scheduler.now() >= until) break;
    }
    if (this.tasks.length > 0 && !this.destroyed) return true;
    this.source = 0;
    return false;
  }
}
