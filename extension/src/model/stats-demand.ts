// Who needs live figures now (the menu, the launcher): the service is asked
// to watch while at least one does, and to stop when none does, so figures
// cost nothing while nobody looks. Pure: the caller says how to ask.

export class StatsDemand {
  private readonly holders = new Set<string>();

  /** `watch(true)` when the first holder comes, `watch(false)` when the last goes. */
  constructor(private readonly watch: (on: boolean) => void) {}

  /** Whether anyone needs figures now. */
  get active(): boolean {
    return this.holders.size > 0;
  }

  /** A holder (e.g. 'menu') starts or stops needing figures. */
  need(holder: string, needed: boolean): void {
    const before = this.active;
    if (needed) this.holders.add(holder);
    else this.holders.delete(holder);
    if (this.active !== before) this.watch(this.active);
  }

  /** Nobody needs them any more (the extension is disabled). */
  clear(): void {
    const before = this.active;
    this.holders.clear();
    if (before) this.watch(false);
  }
}
