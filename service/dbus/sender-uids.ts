// The uid behind each unique bus name, as the bus daemon vouches for it
// (GetConnectionCredentials), asked once per connection: a burst of calls
// asks the bus once, not once each. A bus never gives a unique name twice,
// so a kept answer is never wrong; the oldest are dropped past a bound.

/** Connections whose uid is kept. */
const KEPT = 4096;

export class SenderUids {
  private readonly uids = new Map<string, Promise<number>>();
  private readonly told = new Map<string, number>();

  constructor(
    /** Asks the bus; throws when the bus does not tell. */
    private readonly lookup: (sender: string) => Promise<number>,
  ) {}

  /** The sender's uid; a failed lookup is not kept (the next call asks again). */
  uid(sender: string): Promise<number> {
    let uid = this.uids.get(sender);
    if (!uid) {
      uid = this.lookup(sender);
      this.uids.set(sender, uid);
      uid.then(
        (value) => {
          if (this.uids.get(sender) !== uid) return;
          this.told.set(sender, value);
          if (this.told.size > KEPT) this.told.delete(this.told.keys().next().value as string);
        },
        () => {
          if (this.uids.get(sender) === uid) this.uids.delete(sender);
        },
      );
      if (this.uids.size > KEPT) this.uids.delete(this.uids.keys().next().value as string);
    }
    return uid;
  }

  /** The sender's uid if the bus has told it already; undefined (and the bus asked) if not yet. */
  known(sender: string): number | undefined {
    const uid = this.told.get(sender);
    if (uid === undefined) void this.uid(sender).catch(() => undefined);
    return uid;
  }
}
