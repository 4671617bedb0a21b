// The expensive calls of the Manager and Guest objects, each counted against
// its caller's uid as the bus vouches for it — not its bus connection, of
// which a caller may open as many as it likes — before it runs
// (call-limiter.ts).

import { CallLimiter } from './call-limiter.js';

export interface ExpensiveCalls {
  /** Runs `work` once the caller may (Busy otherwise); its place is given back however it ends. */
  run<T>(caller: { sender: string }, work: () => Promise<T>): Promise<T>;
}

export class PerUserCalls implements ExpensiveCalls {
  constructor(
    private readonly limiter: CallLimiter,
    /** The caller's uid from the bus (dbus/sender-uids.ts); AccessDenied when the bus does not tell. */
    private readonly uidOf: (sender: string) => Promise<number>,
  ) {}

  async run<T>(caller: { sender: string }, work: () => Promise<T>): Promise<T> {
    const uid = await this.uidOf(caller.sender);
    return this.limiter.run(String(uid), work);
  }
}
