// Promise wrappers for the preferences process's few Gio D-Bus calls, each
// with a cancellable and a time-out, so the window never waits on the bus.
// (The Shell process has its own in client/dbus.ts, built on its GI barrel.)

import { Gio, GLib } from '../gi-prefs.js';

export function newProxy(
  info: Gio.DBusInterfaceInfo,
  name: string,
  path: string,
  flags: Gio.DBusProxyFlags,
  cancellable: Gio.Cancellable,
): Promise<Gio.DBusProxy> {
  return new Promise((resolve, reject) => {
    Gio.DBusProxy.new(Gio.DBus.session, flags, info, name, path, info.name, cancellable, (_source, result) => {
      try {
        resolve(Gio.DBusProxy.new_finish(result));
      } catch (error) {
        reject(error);
      }
    });
  });
}

export function callProxy(
  proxy: Gio.DBusProxy,
  method: string,
  parameters: GLib.Variant | null,
  timeoutMs: number,
  cancellable: Gio.Cancellable,
): Promise<GLib.Variant> {
  return new Promise((resolve, reject) => {
    proxy.call(method, parameters, Gio.DBusCallFlags.NONE, timeoutMs, cancellable, (source, result) => {
      try {
        resolve((source as Gio.DBusProxy).call_finish(result));
      } catch (error) {
        reject(error);
      }
    });
  });
}

export function isCancelled(error: unknown): boolean {
  return error instanceof GLib.Error && error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
}

/** The service left (or is not there) while we talked to it: nothing to report. */
export function isServiceGone(error: unknown): boolean {
  if (!(error instanceof GLib.Error)) return false;
  return (
    error.matches(Gio.DBusError, Gio.DBusError.SERVICE_UNKNOWN) ||
    error.matches(Gio.DBusError, Gio.DBusError.NAME_HAS_NO_OWNER) ||
    error.matches(Gio.DBusError, Gio.DBusError.UNKNOWN_OBJECT) ||
    error.matches(Gio.DBusError, Gio.DBusError.NO_REPLY)
  );
}

/** A service error as a person should read it: the message, without the D-Bus error name. */
export function describeError(error: unknown): string {
  if (error instanceof GLib.Error) {
    if (Gio.DBusError.is_remote_error(error)) Gio.DBusError.strip_remote_error(error);
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export const unpack = <T>(value: GLib.Variant | null | undefined, fallback: T): T =>
  value ? (value.deepUnpack() as T) : fallback;
