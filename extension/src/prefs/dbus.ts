// The preferences process's D-Bus calls (see client/calls.ts), on its GI barrel.

import { dbusCalls } from '../client/calls.js';
import { Gio, GLib } from '../gi-prefs.js';

export { unpack } from '../client/calls.js';
export const { newProxy, callProxy, serviceConnection, isCancelled, isServiceGone, remoteErrorName, describeError } =
  dbusCalls(Gio, GLib);
