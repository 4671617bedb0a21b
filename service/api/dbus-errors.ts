// Our errors as D-Bus errors: the one place a failure becomes the error name
// and message a caller gets. The names are those the contract
// (data/me.phyllo.Switcher1.xml) lists; the message is made readable there
// too, whatever input of the caller's it echoes (escaped controls, shortened).

import type { ErrorKind } from '../errors.js';
import { readableMessage } from '../readable.js';

export const ERROR_PREFIX = 'me.phyllo.Switcher1.Error';

export function dbusErrorName(kind: ErrorKind): string {
  return `${ERROR_PREFIX}.${kind}`;
}

/** The message a caller reads: control characters escaped visibly, at most MESSAGE_MAX characters. */
export function dbusErrorMessage(message: string): string {
  return readableMessage(message);
}
