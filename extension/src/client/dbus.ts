// Promise wrappers for the few Gio D-Bus calls we make, each with a
// cancellable and a time-out, so nothing ever blocks the Shell's thread.

import { Gio, GLib } from '../gi.js';

export function newProxy(
  info: Gio.DBusInterfaceInfo,
  name: string,
  path: string,
  cancellable: Gio.Cancellable,
  connection: Gio.DBusConnection = Gio.DBus.session,
): Promise<Gio.DBusProxy> {
  return new Promise((resolve, reject) => {
    Gio.DBusProxy.new(
      connection,
      Gio.DBusProxyFlags.NONE,
      info,
      name,
      path,
      info.name,
      cancellable,
      (_source, result) => {
        try {
          resolve(Gio.DBusProxy.new_finish(result));
        } catch (error) {
          reject(error);
        }
      },
    );
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

/** The D-Bus error name of a failed call, e.g. me.phyllo.Switcher1.Error.NoSuchGuest; '' if none. */
export function remoteErrorName(error: unknown): string {
  return error instanceof GLib.Error ? (Gio.DBusError.get_remote_error(error) ?? '') : '';
}

/** A service error as a person should read it: the message, without the D-Bus error name. */
export function describeError(error: unknown): string {
  if (error instanceof GLib.Error) {
    if (Gio.DBusError.is_remote_error(error)) Gio.DBusError.strip_remote_error(error);
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export function unpackString(value: GLib.Variant | null): string {
  return value ? (value.deepUnpack() as string) : '';
}
