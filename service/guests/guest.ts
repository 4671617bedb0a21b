// A guest as the service knows it: libvirt's facts plus our live state.

import type { SwitcherSettings } from '../libvirt/switcher-metadata.js';
import type { HostdevAddress } from '../usb/hostdev-xml.js';
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
  /** The guest's USB rules: (mode, 'device'|'port', 'vvvv:pppp[:serial]'|port). */
  UsbRules: [string, string, string][];
  /** The seat it is assigned to, or ''. */
  Seat: string;
}

/** What we know of a guest beyond its D-Bus properties. */
export interface GuestExtras {
  settings: SwitcherSettings;
  /** Host USB devices given to it (from its live XML). */
  usbHostdevs: HostdevAddress[];
}

export interface Guest {
  /** Our object path. */
  readonly path: string;
  /** libvirt-dbus's object path for the domain. */
  readonly libvirtPath: string;
  readonly props: GuestProperties;
  readonly extras: GuestExtras;
}

export function guestPath(uuid: string): string {
  return GUEST_PATH_PREFIX + uuid.toLowerCase().replace(/-/g, '_');
}

/** The properties that differ between two snapshots of a guest. */
export function changedProperties(before: GuestProperties, after: GuestProperties): Partial<GuestProperties> {
  const changed: Partial<GuestProperties> = {};
  for (const key of Object.keys(after) as (keyof GuestProperties)[]) {
    const differs =
      typeof after[key] === 'object'
        ? JSON.stringify(before[key]) !== JSON.stringify(after[key])
        : before[key] !== after[key];
    if (differs) (changed as Record<string, unknown>)[key] = after[key];
  }
  return changed;
}
