// The time the service goes by: the real one, or a test's own. Code that
// waits (timeouts, backoffs, debounces, deadlines) takes a Clock so that a
// unit test moves time on instead of waiting for it.

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` after `ms`; the function returned cancels it. */
  after(ms: number, callback: () => void): () => void;
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
