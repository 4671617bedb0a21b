// The client's helpers: a proxy made asynchronously with a cancellable, the
// bus the service is on, and what a failed call means. Shared by the Shell,
// the preferences and the GTK programs: it imports only the GI modules every
// one of them has.

import { Gio, GLib } from '../gi-shared.js';
import { BUS_NAME } from './switcher1.js';

const SERVICE_LOOKUP_TIMEOUT_MS = 5_000;

export interface ProxyOptions {
  connection?: Gio.DBusConnection;
  flags?: Gio.DBusProxyFlags;
}

export function newProxy(
  info: Gio.DBusInterfaceInfo,
  name: string,
  path: string,
  cancellable: Gio.Cancellable,
  options: ProxyOptions = {},
): Promise<Gio.DBusProxy> {
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
}

/**
 * The bus the switcher's service is on: the system bus where the
 * host-wide service is installed (activatable) or running, else the
 * session bus (the per-user service).
 */
export async function serviceConnection(cancellable: Gio.Cancellable): Promise<Gio.DBusConnection> {
  let system: Gio.DBusConnection;
  try {
    system = Gio.DBus.system;
  } catch {
    return Gio.DBus.session;
  }
  const ask = (member: string, parameters: GLib.Variant | null, type: string): Promise<unknown> =>
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
            resolve((connection as Gio.DBusConnection).call_finish(result).deepUnpack());
          } catch (error) {
            reject(error);
          }
        },
      );
    });
  try {
    const [owned] = (await ask('NameHasOwner', new GLib.Variant('(s)', [BUS_NAME]), '(b)')) as [boolean];
    if (owned) return system;
    const [activatable] = (await ask('ListActivatableNames', null, '(as)')) as [string[]];
    if (activatable.includes(BUS_NAME)) return system;
  } catch (error) {
    if (isCancelled(error)) throw error;
  }
  return Gio.DBus.session;
}

export function isCancelled(error: unknown): boolean {
  return error instanceof GLib.Error && error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
}

/** The service left (or is not there) while we talked to it: nothing to report. */
export function isServiceGone(error: unknown): boolean {
  if (!(error instanceof GLib.Error)) return false;
  return [
    Gio.DBusError.SERVICE_UNKNOWN,
    Gio.DBusError.NAME_HAS_NO_OWNER,
    Gio.DBusError.UNKNOWN_OBJECT,
    Gio.DBusError.NO_REPLY,
  ].some((code) => error.matches(Gio.DBusError, code));
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
