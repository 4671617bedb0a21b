// How many expensive calls (DescribeInstaller, CreateGuest, Export, Import,
// Clone, MigrateTo: each reads files, starts helper processes or plans a
// long job; ListOperatingSystems, a large reply) run at once: a few per caller and a few in all, the rest wait
// briefly for a turn or are refused at once with Busy. One caller's flood
// so fills its own few places and its own short queue, never everybody's,
// and a freed place goes to the waiting caller with the fewest calls
// running. Cheap calls never come here. Pure: time comes from the timers
// handed in.

import { SwitcherError } from '../errors.js';

export interface CallLimits {
  /** Calls of one caller running at once. */
  perCaller: number;
  /** Calls running at once, every caller's together: helper processes such as osinfo-detect are at most this many. */
  total: number;
  /** Calls of one caller waiting for a turn. */
  waitingPerCaller: number;
  /** Calls waiting for a turn, every caller's together. */
  waitingTotal: number;
  /** How long a call may wait for its turn before it is refused. */
  maxWaitMs: number;
}

export const DEFAULT_CALL_LIMITS: CallLimits = {
  perCaller: 2,
  total: 4,
  waitingPerCaller: 8,
  waitingTotal: 32,
  maxWaitMs: 5_000,
};

/** The timers the limiter uses: the real ones, or a test's own clock. */
export interface Timers {
  /** Calls `callback` after `ms`; the function returned cancels it. */
  after(ms: number, callback: () => void): () => void;
}

export const REAL_TIMERS: Timers = {
  after(ms, callback) {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};

/** Given back once a call has finished (or failed); a second call does nothing. */
export type Release = () => void;

interface Waiter {
  caller: string;
  /** Order of arrival, for ties between callers. */
  seq: number;
  admit: (release: Release) => void;
  cancelTimer: () => void;
}

export const busy = (message: string): SwitcherError => new SwitcherError('Busy', message);

export const TOO_MANY_OF_YOURS = 'You have too many requests under way; try again when one has finished';

export class CallLimiter {
  private readonly runningBy = new Map<string, number>();
  private readonly waitingBy = new Map<string, Waiter[]>();
  private runningCount = 0;
  private waitingCount = 0;
  private seq = 0;

  constructor(
    private readonly limits: CallLimits = DEFAULT_CALL_LIMITS,
    private readonly timers: Timers = REAL_TIMERS,
  ) {}

  /** Calls running now: of `caller`, or of everybody. */
  running(caller?: string): number {
    return caller === undefined ? this.runningCount : (this.runningBy.get(caller) ?? 0);
  }

  /** Calls waiting for a turn now: of `caller`, or of everybody. */
  waiting(caller?: string): number {
    return caller === undefined ? this.waitingCount : (this.waitingBy.get(caller)?.length ?? 0);
  }

  /**
   * Resolves with a Release once a call of `caller` may run: at once when
   * there is room, else after waiting its turn. Busy when the caller (or
   * everybody) has too many waiting already, or when its turn does not
   * come within maxWaitMs.
   */
  acquire(caller: string): Promise<Release> {
    if (this.fits(caller)) return Promise.resolve(this.start(caller));
    const { limits } = this;
    if (this.waiting(caller) >= limits.waitingPerCaller) return Promise.reject(busy(TOO_MANY_OF_YOURS));
    if (this.waitingCount >= limits.waitingTotal) {
      return Promise.reject(busy("The service is busy with other people's requests; try again in a moment"));
    }
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        caller,
        seq: this.seq++,
        admit: resolve,
        cancelTimer: () => undefined,
      };
      waiter.cancelTimer = this.timers.after(limits.maxWaitMs, () => {
        if (!this.dequeue(waiter)) return;
        reject(
          busy(
            `Your request waited ${limits.maxWaitMs / 1000} s for a turn behind others; try again when fewer are under way`,
          ),
        );
      });
      const queue = this.waitingBy.get(caller) ?? [];
      queue.push(waiter);
      this.waitingBy.set(caller, queue);
      this.waitingCount++;
    });
  }

  /** Runs `work` as a call of `caller` once it may; its place is given back however it ends. */
  async run<T>(caller: string, work: () => Promise<T>): Promise<T> {
    const release = await this.acquire(caller);
    try {
      return await work();
    } finally {
      release();
    }
  }

  private fits(caller: string): boolean {
    return this.runningCount < this.limits.total && this.running(caller) < this.limits.perCaller;
  }

  private start(caller: string): Release {
    this.runningCount++;
    this.runningBy.set(caller, this.running(caller) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.runningCount--;
      const left = this.running(caller) - 1;
      if (left > 0) this.runningBy.set(caller, left);
      else this.runningBy.delete(caller);
      this.admitWaiting();
    };
  }

  /** Gives free places to waiting calls: the caller with the fewest running first, then the longest waiting. */
  private admitWaiting(): void {
    for (;;) {
      let next: Waiter | undefined;
      for (const [caller, queue] of this.waitingBy) {
        const head = queue[0];
        if (!head || !this.fits(caller)) continue;
        if (
          !next ||
          this.running(caller) < this.running(next.caller) ||
          (this.running(caller) === this.running(next.caller) && head.seq < next.seq)
        ) {
          next = head;
        }
      }
      if (!next) return;
      this.dequeue(next);
      next.cancelTimer();
      next.admit(this.start(next.caller));
    }
  }

  /** Takes a waiter out of its queue; false when it was no longer there. */
  private dequeue(waiter: Waiter): boolean {
    const queue = this.waitingBy.get(waiter.caller);
    const index = queue?.indexOf(waiter) ?? -1;
    if (!queue || index < 0) return false;
    queue.splice(index, 1);
    if (queue.length === 0) this.waitingBy.delete(waiter.caller);
    this.waitingCount--;
    return true;
  }
}
