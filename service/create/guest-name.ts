// The names we give what we make: one rule for the name of every new guest
// (CreateGuest, Clone), and one way of naming the disk volumes we make for a
// guest (CreateGuest, Clone, Import). Pure.

import { invalidArgument } from '../errors.js';

/** 1 to 63 characters: letters, digits, spaces and . _ + -, first a letter or digit, last not a space. */
const GUEST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9 ._+-]{0,61}[A-Za-z0-9._+-])?$/;
export const GUEST_NAME_MAX = 63;

/**
 * A name for a new guest, as a person types it and libvirt, a file name and
 * a host name's label all take it; InvalidArgument saying the rule otherwise.
 */
export function validateGuestName(name: string): string {
  if (!GUEST_NAME.test(name)) {
    throw invalidArgument(
      `A guest name is 1 to ${GUEST_NAME_MAX} letters, digits, spaces and . _ + -, starting with a letter or digit ` +
        `and not ending with a space; not '${name}'`,
    );
  }
  return name;
}

/**
 * The name of a disk volume we make for a guest: <guest>-<device>.<format>
 * (win11-sda.raw, work_copy-vda.qcow2), then -2, -3… before the extension
 * when taken. Characters a file name had better not hold (a space, and
 * whatever an older guest's name has beyond our rule) become '_'.
 */
export function volumeName(guest: string, device: string, format: string, n = 1): string {
  const safe = (text: string): string => text.replace(/[^A-Za-z0-9._+-]+/g, '_');
  const base = `${safe(guest)}-${safe(device)}`;
  return n === 1 ? `${base}.${safe(format)}` : `${base}-${n}.${safe(format)}`;
}
