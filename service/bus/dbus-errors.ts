// Our error kinds as D-Bus error names: the one place they are mapped, at
// the bus. The names are those the contract (data/me.phyllo.Switcher1.xml)
// lists.

import type { ErrorKind } from '../errors.js';

export const ERROR_PREFIX = 'me.phyllo.Switcher1.Error';

export function dbusErrorName(kind: ErrorKind): string {
  return `${ERROR_PREFIX}.${kind}`;
}
