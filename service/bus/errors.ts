// The typed errors of our D-Bus API. Every failure a caller can see is one of
// these; anything else is reported as Internal without its stack.

export const ERROR_PREFIX = 'me.phyllo.Switcher1.Error';

export type ErrorKind =
  | 'NoSuchGuest'
  | 'InvalidArgument'
  | 'InvalidState'
  | 'NotConnected'
  | 'Libvirt'
  | 'Timeout'
  | 'ReadOnly'
  | 'ViewerFailed'
  | 'NoSuchDevice'
  | 'LastInputDevice'
  | 'AccessDenied'
  | 'Internal';

export class SwitcherError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string) {
    super(message);
    this.kind = kind;
    this.name = `${ERROR_PREFIX}.${kind}`;
  }

  get dbusName(): string {
    return `${ERROR_PREFIX}.${this.kind}`;
  }
}

export const noSuchGuest = (what: string): SwitcherError => new SwitcherError('NoSuchGuest', `No guest ${what}`);

export const invalidArgument = (message: string): SwitcherError => new SwitcherError('InvalidArgument', message);

export const invalidState = (message: string): SwitcherError => new SwitcherError('InvalidState', message);
