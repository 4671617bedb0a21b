// The guests the menu shows, as plain data: ordered like the service orders
// them (by name), with the summary the panel needs. Pure.

import { type GuestState } from './guest-state.js';

export interface GuestSummary {
  path: string;
  name: string;
  state: GuestState | string;
  osId: string;
  /** Connector of the guest's monitor; '' = wherever the pointer is. */
  monitor?: string;
  /** PID of its viewer process, 0 when none is open. */
  viewerPid?: number;
  /** Its USB rules: (mode, 'device'|'port', match). */
  usbRules?: [string, string, string][];
  /** The seat it is assigned to, or ''. */
  seat?: string;
}

export type ServiceStatus =
  | { kind: 'absent' } // nobody owns me.phyllo.Switcher1
  | { kind: 'disconnected'; uri: string } // the service cannot reach libvirt
  | { kind: 'ready'; uri: string };

export class GuestList {
  private readonly guests = new Map<string, GuestSummary>();

  clear(): void {
    this.guests.clear();
  }

  /** Adds or replaces a guest; returns whether it was new. */
  put(guest: GuestSummary): boolean {
    const isNew = !this.guests.has(guest.path);
    this.guests.set(guest.path, { ...guest });
    return isNew;
  }

  /** Merges changed fields; returns the guest as it is now, or undefined if unknown. */
  update(path: string, changes: Partial<Omit<GuestSummary, 'path'>>): GuestSummary | undefined {
    const current = this.guests.get(path);
    if (!current) return undefined;
    const next = { ...current, ...changes };
    this.guests.set(path, next);
    return next;
  }

  remove(path: string): boolean {
    return this.guests.delete(path);
  }

  get(path: string): GuestSummary | undefined {
    return this.guests.get(path);
  }

  get size(): number {
    return this.guests.size;
  }

  /** By name, as a person reads them; UUID path breaks ties between equal names. */
  ordered(): GuestSummary[] {
    return [...this.guests.values()].sort(
      (a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }) || a.path.localeCompare(b.path),
    );
  }

  /** Where a guest belongs in ordered(), for inserting a menu item. */
  indexOf(path: string): number {
    return this.ordered().findIndex((g) => g.path === path);
  }

  /** The guest whose viewer runs as `pid`. */
  byViewerPid(pid: number): GuestSummary | undefined {
    if (pid <= 0) return undefined;
    for (const g of this.guests.values()) if (g.viewerPid === pid) return g;
    return undefined;
  }

  countIn(state: GuestState): number {
    let n = 0;
    for (const g of this.guests.values()) if (g.state === state) n++;
    return n;
  }
}

/** The line the menu shows instead of guests, or undefined when there is nothing to say. */
export function statusMessage(status: ServiceStatus, guestCount: number): string | undefined {
  switch (status.kind) {
    case 'absent':
      return 'The guest service is not running';
    case 'disconnected':
      return `Cannot reach libvirt (${status.uri}); showing what was last known`;
    case 'ready':
      return guestCount === 0 ? 'No guests yet' : undefined;
  }
}

/** The panel button's accessible name, e.g. "Guests: 2 running". */
export function panelSummary(list: GuestList, status: ServiceStatus): string {
  if (status.kind === 'absent') return 'Guests: service not running';
  const running = list.countIn('running');
  return running === 0 ? 'Guests: none running' : `Guests: ${running} running`;
}
