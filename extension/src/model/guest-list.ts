// The guests the menu shows, as plain data, kept in the order a person
// reads them (by name, then by path): each insertion finds its place by
// binary search, so a thousand guests cost a thousand small steps, not a
// thousand sorts. Pure.

import { N_ } from './i18n.js';
import { type GuestState } from './guest-state.js';

/** One USB rule of a guest, as its UsbRules property carries it. */
export interface UsbRuleEntry {
  mode: string;
  match_by: string;
  vendor?: string;
  product?: string;
  serial?: string;
  port?: string;
}

export interface GuestSummary {
  path: string;
  name: string;
  state: GuestState | string;
  osId: string;
  /** Connector of the guest's monitor; '' = wherever the pointer is. */
  monitor?: string;
  /** Connectors of its heads' monitors, head 1 first ('' for none). */
  monitors?: string[];
  /** Its display from its next start: heads, resolution ([0, 0]: it follows the window), 3D. */
  heads?: number;
  resolution?: [number, number];
  accel3d?: boolean;
  /** What it still runs with where that differs (a change waits for its next start); empty otherwise. */
  runningDisplay?: Record<string, unknown>;
  /** PID of its viewer process, 0 when none is open. */
  viewerPid?: number;
  usbRules?: UsbRuleEntry[];
  /** The seat it is assigned to, or ''. */
  seat?: string;
  /** spice, vnc…; '' when it shows on a screen of its own (no viewer). */
  display?: string;
  /** libvirt starts it when the host boots. */
  autostart?: boolean;
  /** Live figures while someone watches (model/figures.ts): -1 / 0 when unknown. */
  cpuPercent?: number;
  memoryUsedMiB?: number;
  /** Shared with another computer now, and until when (seconds since the epoch; 0 when not). */
  shared?: boolean;
  sharedUntil?: number;
}

export type ServiceStatus =
  | { kind: 'absent' } // nobody owns me.phyllo.Switcher1
  | { kind: 'disconnected'; uri: string } // the service cannot reach libvirt
  | { kind: 'ready'; uri: string };

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/** The reading order: by name as a person reads it, then by path for equal names. */
export function compareGuests(a: Pick<GuestSummary, 'name' | 'path'>, b: Pick<GuestSummary, 'name' | 'path'>): number {
  return collator.compare(a.name, b.name) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}

export class GuestList {
  private readonly guests = new Map<string, GuestSummary>();
  /** Always sorted by compareGuests. */
  private readonly order: GuestSummary[] = [];
  /** How many guests are in each state, kept as they change. */
  private readonly states = new Map<string, number>();

  clear(): void {
    this.guests.clear();
    this.order.length = 0;
    this.states.clear();
  }

  /** Adds or replaces a guest; returns whether it was new. */
  put(guest: GuestSummary): boolean {
    const known = this.guests.get(guest.path);
    const next = { ...guest };
    if (known) {
      this.order.splice(this.position(known), 1);
      this.count(known.state, -1);
    }
    this.guests.set(guest.path, next);
    this.order.splice(this.insertionPoint(next), 0, next);
    this.count(next.state, 1);
    return !known;
  }

  /** Merges changed fields; returns the guest as it is now, or undefined if unknown. */
  update(path: string, changes: Partial<Omit<GuestSummary, 'path'>>): GuestSummary | undefined {
    const current = this.guests.get(path);
    if (!current) return undefined;
    if (changes.name !== undefined && changes.name !== current.name) {
      this.put({ ...current, ...changes });
      return this.guests.get(path);
    }
    const next = { ...current, ...changes };
    this.guests.set(path, next);
    this.order[this.position(current)] = next;
    this.count(current.state, -1);
    this.count(next.state, 1);
    return next;
  }

  remove(path: string): boolean {
    const known = this.guests.get(path);
    if (!known) return false;
    this.order.splice(this.position(known), 1);
    this.guests.delete(path);
    this.count(known.state, -1);
    return true;
  }

  get(path: string): GuestSummary | undefined {
    return this.guests.get(path);
  }

  get size(): number {
    return this.guests.size;
  }

  /** Every guest in reading order (the list itself: do not change it). */
  ordered(): readonly GuestSummary[] {
    return this.order;
  }

  /** Where a guest is in ordered(), -1 if unknown. */
  indexOf(path: string): number {
    const guest = this.guests.get(path);
    return guest ? this.position(guest) : -1;
  }

  /** The guest whose viewer runs as `pid`. */
  byViewerPid(pid: number): GuestSummary | undefined {
    if (pid <= 0) return undefined;
    for (const g of this.guests.values()) if (g.viewerPid === pid) return g;
    return undefined;
  }

  countIn(state: GuestState): number {
    return this.states.get(state) ?? 0;
  }

  private count(state: string, by: number): void {
    this.states.set(state, (this.states.get(state) ?? 0) + by);
  }

  /** The index of a guest known to be in the list. */
  private position(guest: GuestSummary): number {
    const at = sortedIndex(this.order, guest);
    const found = this.order[at];
    if (found === undefined || compareGuests(found, guest) !== 0)
      throw new Error(`guest ${guest.path} is not where its name puts it`);
    return at;
  }

  /** Where a guest not yet in the list goes. */
  private insertionPoint(guest: GuestSummary): number {
    return sortedIndex(this.order, guest);
  }
}

/** Where a guest goes in a list kept in list order: the first place not before it (binary search). */
export function sortedIndex(list: readonly GuestSummary[], guest: GuestSummary): number {
  let low = 0;
  for (let high = list.length; low < high;) {
    const middle = (low + high) >> 1;
    if (compareGuests(list[middle] as GuestSummary, guest) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The line the menu shows instead of guests (untranslated), or undefined when there is nothing to say. */
export function statusMessage(status: ServiceStatus, guestCount: number): string | undefined {
  switch (status.kind) {
    case 'absent':
      return N_('The guest service is not running');
    case 'disconnected':
      return N_('Cannot reach libvirt; showing what was last known');
    case 'ready':
      return guestCount === 0 ? N_('No guests yet') : undefined;
  }
}

/** The panel button's accessible name: the number of running guests. */
export function runningCount(list: GuestList, status: ServiceStatus): number | undefined {
  return status.kind === 'absent' ? undefined : list.countIn('running');
}
