// A guest as the service knows it: libvirt's facts plus our live state.

import type { HostdevAddress } from '../libvirt/hostdev-xml.js';
import type { SwitcherSettings } from '../libvirt/switcher-metadata.js';
import type { VideoFacts } from '../libvirt/video-xml.js';
import type { GuestState } from './state.js';

export const GUEST_PATH_PREFIX = '/me/phyllo/Switcher1/guest/';

/** What we know of a guest, each value as libvirt gives it (or as our state mapping says). */
export interface GuestFacts {
  /** libvirt's name, byte for byte. */
  name: string;
  /** Lowercase, with dashes. */
  uuid: string;
  state: GuestState;
  vcpus: number;
  memoryMiB: bigint;
  autostart: boolean;
  /** libosinfo id, or ''. */
  osId: string;
  /** The viewer's display type (spice, vnc), '' when the guest shows on a screen of its own. */
  display: string;
  /** Its video device as its definition has it: what its next start takes. */
  video: VideoFacts;
  /** The video device it runs with, while it runs (null when not running). */
  runningVideo: VideoFacts | null;
  /** Ours, from the domain's metadata: monitor, USB rules, seat. */
  settings: SwitcherSettings;
  /** Host USB devices given to it (from its live XML). */
  usbHostdevs: HostdevAddress[];
}

export interface Guest extends Readonly<GuestFacts> {
  /** Our object path. */
  readonly path: string;
  /** libvirt-dbus's object path for the domain. */
  readonly libvirtPath: string;
}

export function guestPath(uuid: string): string {
  return GUEST_PATH_PREFIX + uuid.toLowerCase().replace(/-/g, '_');
}

/** Whether two values of facts are the same (deeply, bigints included). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) => sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

/** The facts that differ between two snapshots of a guest. */
export function changedFacts(before: GuestFacts, after: GuestFacts): (keyof GuestFacts)[] {
  return (Object.keys(after) as (keyof GuestFacts)[]).filter((key) => !sameValue(before[key], after[key]));
}
