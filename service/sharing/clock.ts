// The time sharing goes by: the real one, or a test's own.

import type { Timers } from '../access/call-limiter.js';

export interface Clock extends Timers {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const REAL_CLOCK: Clock = {
  now: () => Date.now(),
  after(ms, callback) {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};

/** Resolves after `ms` on `clock`. */
export function delay(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.after(ms, resolve));
}
