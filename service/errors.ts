// The typed errors every floor of the service throws. Each kind says what
// went wrong in the caller's terms; the bus maps a kind to its D-Bus error
// name once (api/dbus-errors.ts). Anything else reaching the bus is a bug of
// ours and goes out as Internal, without its stack.

export type ErrorKind =
  | 'NoSuchGuest'
  | 'InvalidArgument'
  | 'InvalidState'
  | 'NotConnected'
  | 'Libvirt'
  | 'Timeout'
  | 'ViewerFailed'
  | 'NoDisplay'
  | 'NoSuchDevice'
  | 'LastInputDevice'
  | 'AccessDenied'
  | 'AlreadyExists'
  | 'NoSuchFile'
  | 'UnreadableFile'
  | 'UnknownOs'
  | 'MissingHostFeature'
  | 'Busy'
  | 'Internal';

export class SwitcherError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = `SwitcherError(${kind})`;
  }
}

export const noSuchGuest = (what: string): SwitcherError => new SwitcherError('NoSuchGuest', `No guest ${what}`);

export const noSuchDevice = (what: string): SwitcherError => new SwitcherError('NoSuchDevice', `No USB device ${what}`);

export const invalidArgument = (message: string): SwitcherError => new SwitcherError('InvalidArgument', message);

export const invalidState = (message: string): SwitcherError => new SwitcherError('InvalidState', message);

export const notConnected = (message: string): SwitcherError => new SwitcherError('NotConnected', message);

export const alreadyExists = (message: string): SwitcherError => new SwitcherError('AlreadyExists', message);

export const noSuchFile = (message: string): SwitcherError => new SwitcherError('NoSuchFile', message);

export const unreadableFile = (message: string): SwitcherError => new SwitcherError('UnreadableFile', message);

export const unknownOs = (message: string): SwitcherError => new SwitcherError('UnknownOs', message);

export const missingHostFeature = (message: string): SwitcherError => new SwitcherError('MissingHostFeature', message);

/** The words of anything thrown: an Error's message alone (String() would prefix "Error: "), else its text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
