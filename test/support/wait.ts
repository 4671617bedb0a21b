// Waiting in tests: on the event that is meant, with a deadline, never on a
// fixed sleep. `waitFor` checks a condition now and again on each event of
// the emitters it is given (or, where nothing announces the change, such as
// a foreign process leaving /proc, every few milliseconds) and fails with
// what it waited for once its deadline passes.

import type { EventEmitter } from 'node:events';

export interface WaitOptions {
  /** What is awaited, for the failure's message (a function: read when it fails). */
  what: string | (() => string);
  timeoutMs?: number;
  /** Check again on each of these events; without any, every `pollMs`. */
  on?: [emitter: EventEmitter, event: string][];
  pollMs?: number;
}

/** Resolves to the first truthy value `check` gives; throws once the deadline passes. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { what, timeoutMs = 5_000, on = [], pollMs = 20 }: WaitOptions,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let wake: () => void = () => undefined;
  const listener = (): void => wake();
  for (const [emitter, event] of on) emitter.on(event, listener);
  try {
    for (;;) {
      // Listen before checking, so that an event during the check is not missed.
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const value = await check();
      if (value) return value as NonNullable<T>;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`waited ${timeoutMs} ms for ${typeof what === 'string' ? what : what()}`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        woken,
        new Promise<void>((resolve) => (timer = setTimeout(resolve, on.length > 0 ? left : Math.min(left, pollMs)))),
      ]);
      clearTimeout(timer);
    }
  } finally {
    for (const [emitter, event] of on) emitter.off(event, listener);
  }
}

/** Resolves with the arguments of the next `event` of `emitter` that `match` accepts. */
export function nextEvent<A extends unknown[]>(
  emitter: EventEmitter,
  event: string,
  { match = () => true, timeoutMs = 5_000 }: { match?: (...args: A) => boolean; timeoutMs?: number } = {},
): Promise<A> {
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      if (!match(...(args as A))) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args as A);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no ${event} in ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.on(event, listener);
  });
}

export interface GuestWaitOptions {
  what: string;
  /** The CPU time the guest has had so far, s. */
  cpuSeconds: () => Promise<number>;
  /** How much of its CPU time the guest gets to show it. */
  cpuBudget?: number;
  /** Whatever the guest gets, no longer than this. */
  wallMs?: number;
  pollMs?: number;
}

/**
 * Waits for what an emulated guest shows (its firmware's or installer's
 * screen). Under software emulation a guest's progress is the CPU time it
 * gets, which a busy machine shares out among everything it runs: so the
 * deadline is `cpuBudget` seconds of the guest's own CPU time, within
 * `wallMs` at most. A guest's screen announces nothing outside, so `check`
 * is asked every `pollMs`.
 */
export async function waitOnGuest<T>(
  check: () => T | Promise<T>,
  { what, cpuSeconds, cpuBudget = 60, wallMs = 240_000, pollMs = 1_000 }: GuestWaitOptions,
): Promise<NonNullable<T>> {
  const start = Date.now();
  const first = await cpuSeconds();
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    const spent = (await cpuSeconds()) - first;
    const wall = Date.now() - start;
    if (spent >= cpuBudget || wall >= wallMs)
      throw new Error(`waited ${spent.toFixed(1)} s of the guest's CPU time (${wall} ms) for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Lets every callback already due run (promise jobs, I/O callbacks) before going on: for code on a test's clock. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
