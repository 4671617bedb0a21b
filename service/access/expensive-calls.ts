// The expensive calls of the Manager and Guest objects, each counted against
// its caller's uid as the bus vouches for it — not its bus connection, of
// which a caller may open as many as it likes — before it runs
// (call-limiter.ts).

import { CallLimiter } from './call-limiter.js';

export interface ExpensiveCalls {
  /** Runs `work` once the caller may (Busy otherwise); its place is given back however it ends. */
  run<T>(caller: { sender: string }, work: () => Promise<T>): Promise<T>;
}

/** Connections whose uid is kept: a bus never gives a unique name twice, so a kept one is never wrong. */
const KEPT_UIDS = 4096;

export class PerUserCalls implements ExpensiveCalls {
  /** Unique bus name → its uid, the oldest dropped first: a burst of calls asks the bus once, not once each. */
  private readonly uids = new Map<string, Promise<number>>();

  constructor(
    private readonly limiter: CallLimiter,
    /** The caller's uid from the bus (GetConnectionCredentials); AccessDenied when the bus does not tell. */
    private readonly uidOf: (sender: string) => Promise<number>,
  ) {}

  async run<T>(caller: { sender: string }, work: () => Promise<T>): Promise<T> {
    const uid = await this.uid(caller.sender);
    return this.limiter.run(String(uid), work);
  }

  private uid(sender: string): Promise<number> {
    let uid = this.uids.get(sender);
    if (!uid) {
      uid = this.uidOf(sender);
      this.uids.set(sender, uid);
      uid.catch(() => this.uids.delete(sender));
      if (this.uids.size > KEPT_UIDS) this.uids.delete(this.uids.keys().next().value as string);
    }
    return uid;
  }
}
