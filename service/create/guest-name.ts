// One rule for the name of every new guest (CreateGuest, Clone). A name
// never becomes a file name: the volumes, UEFI variables and TPM state we
// make are named from the guest's UUID (guest-files/protocol.ts). Pure.

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
