// The Shell process's D-Bus calls (see calls.ts), on its GI barrel.

import { dbusCalls } from './calls.js';
import { Gio, GLib } from '../gi.js';

export { unpack } from './calls.js';
export const { newProxy, callProxy, serviceConnection, isCancelled, isServiceGone, remoteErrorName, describeError } =
  dbusCalls(Gio, GLib);

export function unpackString(value: GLib.Variant | null): string {
  return value ? (value.deepUnpack() as string) : '';
}
