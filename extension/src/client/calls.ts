// Promise wrappers for the few Gio D-Bus calls we make, each with a
// cancellable and a time-out, so neither the Shell nor the preferences
// window ever waits on the bus. Shared by both processes, so it imports no
// GI module itself: each process hands in Gio and GLib from its own barrel.

import type GioNamespace from 'gi://Gio';
import type GLibNamespace from 'gi://GLib';

type Gio = typeof GioNamespace;
type GLib = typeof GLibNamespace;

export const SERVICE_NAME = 'me.phyllo.Switcher1';
const SERVICE_LOOKUP_TIMEOUT_MS = 5_000;

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

    /**
     * Calls a method. `interactive`: a person asked for it, so the service may
     * have polkit ask them for a password (ALLOW_INTERACTIVE_AUTHORIZATION).
     */
    callProxy(
      proxy: GioNamespace.DBusProxy,
      method: string,
      parameters: GLibNamespace.Variant | null,
      timeoutMs: number,
      cancellable: GioNamespace.Cancellable,
      interactive = false,
    ): Promise<GLibNamespace.Variant> {
      const flags = interactive ? Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION : Gio.DBusCallFlags.NONE;
      return new Promise((resolve, reject) => {
        proxy.call(method, parameters, flags, timeoutMs, cancellable, (source, result) => {
          try {
            resolve((source as GioNamespace.DBusProxy).call_finish(result));
          } catch (error) {
            reject(error);
          }
        });
      });
    },

    /**
     * The bus the switcher's service is on: the system bus where the
     * host-wide service is installed (activatable) or running, else the
     * session bus (the per-user service).
     */
    async serviceConnection(cancellable: GioNamespace.Cancellable): Promise<GioNamespace.DBusConnection> {
      let system: GioNamespace.DBusConnection;
      try {
        system = Gio.DBus.system;
      } catch {
        return Gio.DBus.session;
      }
      const ask = (member: string, parameters: GLibNamespace.Variant | null, type: string): Promise<unknown> =>
        new Promise((resolve, reject) => {
          system.call(
            'org.freedesktop.DBus',
            '/org/freedesktop/DBus',
            'org.freedesktop.DBus',
            member,
            parameters,
            new GLib.VariantType(type),
            Gio.DBusCallFlags.NONE,
            SERVICE_LOOKUP_TIMEOUT_MS,
            cancellable,
            (connection, result) => {
              try {
                resolve((connection as GioNamespace.DBusConnection).call_finish(result).deepUnpack());
              } catch (error) {
                reject(error);
              }
            },
          );
        });
      try {
        const [owned] = (await ask('NameHasOwner', new GLib.Variant('(s)', [SERVICE_NAME]), '(b)')) as [boolean];
        if (owned) return system;
        const [activatable] = (await ask('ListActivatableNames', null, '(as)')) as [string[]];
        if (activatable.includes(SERVICE_NAME)) return system;
      } catch (error) {
        if (error instanceof GLib.Error && error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED)) throw error;
      }
      return Gio.DBus.session;
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
