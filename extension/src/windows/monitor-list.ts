// The monitors a guest can be assigned to, by connector, read from mutter's
// DisplayConfig over D-Bus (the GI API has no list of connectors).

import { Gio, GLib } from '../gi.js';

export interface MonitorChoice {
  connector: string;
  /** What the user reads, e.g. "Dell U2720Q" or "Built-in display". */
  displayName: string;
}

export function listMonitors(cancellable: Gio.Cancellable): Promise<MonitorChoice[]> {
  return new Promise((resolve, reject) => {
    Gio.DBus.session.call(
      'org.gnome.Mutter.DisplayConfig',
      '/org/gnome/Mutter/DisplayConfig',
      'org.gnome.Mutter.DisplayConfig',
      'GetCurrentState',
      null,
      null,
      Gio.DBusCallFlags.NONE,
      5_000,
      cancellable,
      (connection, result) => {
        try {
          const reply = (connection as Gio.DBusConnection).call_finish(result);
          const [, monitors] = reply.deepUnpack() as [
            number,
            [[string, string, string, string], unknown, Record<string, GLib.Variant>][],
          ];
          resolve(
            monitors.map(([[connector, vendor, product], , properties]) => ({
              connector,
              displayName:
                (properties['display-name']?.deepUnpack() as string | undefined) ?? `${vendor} ${product}`.trim(),
            })),
          );
        } catch (error) {
          reject(error);
        }
      },
    );
  });
}
