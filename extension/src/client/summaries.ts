// What the menu needs of each of the service's objects, read from the
// properties a Gio proxy caches, with the contract's generated types.

import type { Gio } from '../gi.js';
import type { GuestSummary, UsbRuleEntry } from '../model/guest-list.js';
import type { SeatSummary } from '../model/seats.js';
import type { UsbSummary } from '../model/usb-list.js';
import type { GuestProperties, SeatProperties, UsbDeviceProperties } from './switcher1.js';

/** A property as recursiveUnpack() gives it, or the fallback when the proxy has none cached. */
function read<P, K extends keyof P & string>(proxy: Gio.DBusProxy, name: K, fallback: P[K]): P[K] {
  const value = proxy.get_cached_property(name);
  return value ? (value.recursiveUnpack() as P[K]) : fallback;
}

export function guestSummary(path: string, proxy: Gio.DBusProxy): GuestSummary {
  const get = <K extends keyof GuestProperties & string>(name: K, fallback: GuestProperties[K]) =>
    read<GuestProperties, K>(proxy, name, fallback);
  return {
    path,
    name: get('Name', ''),
    state: get('State', ''),
    osId: get('OsId', ''),
    monitor: get('Monitor', ''),
    viewerPid: get('ViewerPid', 0),
    usbRules: get('UsbRules', []) as unknown as UsbRuleEntry[],
    seat: get('Seat', ''),
    display: get('Display', ''),
  };
}

/** The summary fields a PropertiesChanged of a guest touches. */
export function guestChanges(proxy: Gio.DBusProxy, names: readonly string[]): Partial<Omit<GuestSummary, 'path'>> {
  const all = guestSummary('', proxy);
  const fields: Record<string, keyof GuestSummary> = {
    Name: 'name',
    State: 'state',
    OsId: 'osId',
    Monitor: 'monitor',
    ViewerPid: 'viewerPid',
    UsbRules: 'usbRules',
    Seat: 'seat',
    Display: 'display',
  };
  const changes: Record<string, unknown> = {};
  for (const name of names) {
    const field = fields[name];
    if (field) changes[field] = all[field];
  }
  return changes as Partial<Omit<GuestSummary, 'path'>>;
}

export function usbSummary(path: string, proxy: Gio.DBusProxy): UsbSummary {
  const get = <K extends keyof UsbDeviceProperties & string>(name: K, fallback: UsbDeviceProperties[K]) =>
    read<UsbDeviceProperties, K>(proxy, name, fallback);
  return {
    path,
    name: get('Name', ''),
    vendor: get('Vendor', ''),
    product: get('Product', ''),
    serial: get('Serial', ''),
    port: get('Port', ''),
    classes: get('Classes', []),
    owner: get('Owner', ''),
  };
}

export function seatSummary(path: string, proxy: Gio.DBusProxy): SeatSummary {
  const get = <K extends keyof SeatProperties & string>(name: K, fallback: SeatProperties[K]) =>
    read<SeatProperties, K>(proxy, name, fallback);
  return { path, id: get('Id', ''), guest: get('Guest', '/') };
}
