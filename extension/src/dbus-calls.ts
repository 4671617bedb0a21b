// Promise wrappers for the few Gio D-Bus calls we make, each with a
// cancellable and a time-out, so neither the Shell nor the preferences
// window ever waits on the bus. Shared by both processes, so it imports no
// GI module itself: each process hands in Gio and GLib from its own barrel.

import type GioNamespace from 'gi://Gio';
import type GLibNamespace from 'gi://GLib';

type Gio = typeof GioNamespace;
type GLib = typeof GLibNamespace;

export interface ProxyOptions {
  connection?: GioNamespace.DBusConnection;
  flags?: GioNamespace.DBusProxyFlags;
}

export function dbusCalls(Gio: Gio, GLib: GLib) {
  return {
    newProxy(
      info: GioNamespace.DBusInterfaceInfo,
      name: string,
      path: string,
      cancellable: GioNamespace.Cancellable,
      options: ProxyOptions = {},
    ): Promise<GioNamespace.DBusProxy> {
      const connection = options.connection ?? Gio.DBus.session;
      const flags = options.flags ?? Gio.DBusProxyFlags.NONE;
      return new Promise((resolve, reject) => {
        Gio.DBusProxy.new(connection, flags, info, name, path, info.name, cancellable, (_source, result) => {
          try {
            resolve(Gio.DBusProxy.new_finish(result));
          } catch (error) {
            reject(error);
          }
        });
      });
    },

    callProxy(
      proxy: GioNamespace.DBusProxy,
      method: string,
      parameters: GLibNamespace.Variant | null,
      timeoutMs: number,
      cancellable: GioNamespace.Cancellable,
    ): Promise<GLibNamespace.Variant> {
      return new Promise((resolve, reject) => {
        proxy.call(method, parameters, Gio.DBusCallFlags.NONE, timeoutMs, cancellable, (source, result) => {
          try {
            resolve((source as GioNamespace.DBusProxy).call_finish(result));
          } catch (error) {
            reject(error);
          }
        });
      });
    },

    isCancelled(error: unknown): boolean {
      return error instanceof GLib.Error && error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    },

    /** The service left (or is not there) while we talked to it: nothing to report. */
    isServiceGone(error: unknown): boolean {
      if (!(error instanceof GLib.Error)) return false;
      return [
        Gio.DBusError.SERVICE_UNKNOWN,
        Gio.DBusError.NAME_HAS_NO_OWNER,
        Gio.DBusError.UNKNOWN_OBJECT,
        Gio.DBusError.NO_REPLY,
      ].some((code) => error.matches(Gio.DBusError, code));
    },

    /** The D-Bus error name of a failed call, e.g. me.phyllo.Switcher1.Error.NoSuchGuest; '' if none. */
    remoteErrorName(error: unknown): string {
      return error instanceof GLib.Error ? (Gio.DBusError.get_remote_error(error) ?? '') : '';
    },

    /** A service error as a person should read it: the message, without the D-Bus error name. */
    describeError(error: unknown): string {
      if (error instanceof GLib.Error) {
        if (Gio.DBusError.is_remote_error(error)) Gio.DBusError.strip_remote_error(error);
        return error.message;
      }
      return error instanceof Error ? error.message : String(error);
    },
  };
}

/** A property value unpacked, or the fallback when it is absent. */
export const unpack = <T>(value: GLibNamespace.Variant | null | undefined, fallback: T): T =>
  value ? (value.deepUnpack() as T) : fallback;
