// The Shell process's D-Bus calls (see dbus-calls.ts), on its GI barrel.

import { dbusCalls } from '../dbus-calls.js';
import { Gio, GLib } from '../gi.js';

export { unpack } from '../dbus-calls.js';
export const { newProxy, callProxy, serviceConnection, isCancelled, isServiceGone, remoteErrorName, describeError } =
  dbusCalls(Gio, GLib);

export function unpackString(value: GLib.Variant | null): string {
  return value ? (value.deepUnpack() as string) : '';
}
