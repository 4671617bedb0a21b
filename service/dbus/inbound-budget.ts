// How much of what each caller sends the service decodes, over time. The
// size limit and the header judge (inbound-limit.ts) bound one message, but
// a well-typed one can still hold 16 000 values in a variant, each of which
// dbus-next builds an object for (about 6 ms for 64 KiB): a caller sending
// them without pause held every other caller for minutes. Each caller —
// its uid, as the bus vouches for it, once known; its connection until then
// — has a bucket of bytes that refills at a steady rate: a method call
// costs its size (at least a floor, so that a flood of tiny calls costs
// too), and one that finds the bucket short is skipped unread. Connections
// whose uid the bus has not told yet also share one bucket among them all:
// otherwise each new connection would bring a fresh burst, and one user
// opening connection after connection would have as many. A person's
// clients send a few small calls a second and never come near it.

import type { Clock } from '../clock.js';
import type { SenderUids } from './sender-uids.js';

export interface BudgetRates {
  /** What a caller may have decoded each second, steadily. */
  bytesPerSecond: number;
  /** What a caller may send at once after a quiet while. */
  burstBytes: number;
  /** What the smallest call costs. */
  minCharge: number;
}

/**
 * 256 KiB a second, or 128 calls: a few ms of decoding at the worst; a
 * person's Shell sends far less. The floor also bounds what a flood of
 * small calls costs after decoding (a polkit question each, say).
 */
export const DEFAULT_BUDGET: BudgetRates = { bytesPerSecond: 256 * 1024, burstBytes: 1024 * 1024, minCharge: 2048 };

/** The bucket every connection whose uid is not known yet also draws on. */
export const UNRESOLVED = 'unresolved';

/** Buckets kept: a full one is forgotten first (it would read the same made anew). */
const KEPT_BUCKETS = 4096;

interface Bucket {
  bytes: number;
  at: number;
}

/** Token buckets by caller. Pure but for the clock. */
export class InboundBudget {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly rates: BudgetRates,
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  /** Takes a call of `bytes` from each of `callers`' buckets; false (and nothing taken) when one holds less. */
  take(callers: readonly string[], bytes: number): boolean {
    const now = this.clock.now();
    const buckets = callers.map((caller) => this.refilled(caller, now));
    const cost = Math.max(bytes, this.rates.minCharge);
    if (buckets.some((bucket) => bucket.bytes < cost)) return false;
    for (const bucket of buckets) bucket.bytes -= cost;
    return true;
  }

  private refilled(caller: string, now: number): Bucket {
    let bucket = this.buckets.get(caller);
    if (!bucket) {
      if (this.buckets.size >= KEPT_BUCKETS) this.forgetFull(now);
      bucket = { bytes: this.rates.burstBytes, at: now };
      this.buckets.set(caller, bucket);
      return bucket;
    }
    // A clock set back refills nothing.
    const elapsedMs = Math.max(0, now - bucket.at);
    bucket.bytes = Math.min(this.rates.burstBytes, bucket.bytes + (elapsedMs * this.rates.bytesPerSecond) / 1000);
    bucket.at = now;
    return bucket;
  }

  /** Drops the buckets that have refilled; if none has, the one nearest full (forgetting it gives least away). */
  private forgetFull(now: number): void {
    let nearest: [caller: string, bytes: number] | undefined;
    for (const [caller, bucket] of this.buckets) {
      const bytes = bucket.bytes + (Math.max(0, now - bucket.at) * this.rates.bytesPerSecond) / 1000;
      if (bytes >= this.rates.burstBytes) this.buckets.delete(caller);
      else if (!nearest || bytes > nearest[1]) nearest = [caller, bytes];
    }
    if (this.buckets.size >= KEPT_BUCKETS && nearest) this.buckets.delete(nearest[0]);
  }
}

/**
 * Whose buckets a sender's call draws on: `uid N` once the bus has told its
 * uid; until then (the bus is asked on its first message) its unique name's
 * and the one all such connections share; none for one the budget does not
 * apply to (`exempt`: root, the service's own user). Answered at once, as
 * the stream is read: it never waits on the bus.
 */
export function budgetKeys(uids: SenderUids, exempt: (uid: number) => boolean): (sender: string) => string[] {
  return (sender) => {
    const uid = uids.known(sender);
    if (uid === undefined) return [`name ${sender}`, UNRESOLVED];
    return exempt(uid) ? [] : [`uid ${uid}`];
  };
}
