// The preferences process's D-Bus calls (see dbus-calls.ts), on its GI barrel.

import { dbusCalls } from '../dbus-calls.js';
import { Gio, GLib } from '../gi-prefs.js';

export { unpack } from '../dbus-calls.js';
export const { newProxy, callProxy, serviceConnection, isCancelled, isServiceGone, remoteErrorName, describeError } =
  dbusCalls(Gio, GLib);
