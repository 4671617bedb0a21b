// A guest as the service knows it: libvirt's facts plus our live state.

import type { GuestState } from './state.js';

export const GUEST_PATH_PREFIX = '/me/phyllo/Switcher1/guest/';

export interface GuestProperties {
  Name: string;
  Uuid: string;
  State: GuestState;
  Vcpus: number;
  MemoryMiB: bigint;
  Autostart: boolean;
  OsId: string;
  /** Connector of the monitor the guest is assigned to; '' = wherever the pointer is. */
  Monitor: string;
}

export interface Guest {
  /** Our object path. */
  readonly path: string;
  /** libvirt-dbus's object path for the domain. */
  readonly libvirtPath: string;
  readonly props: GuestProperties;
}

export function guestPath(uuid: string): string {
  return GUEST_PATH_PREFIX + uuid.toLowerCase().replace(/-/g, '_');
}

/** The properties that differ between two snapshots of a guest. */
export function changedProperties(before: GuestProperties, after: GuestProperties): Partial<GuestProperties> {
  const changed: Partial<GuestProperties> = {};
  for (const key of Object.keys(after) as (keyof GuestProperties)[]) {
    if (before[key] !== after[key]) (changed as Record<string, unknown>)[key] = after[key];
  }
  return changed;
}
