// What the menu needs of each of the service's objects, read from the
// properties a Gio proxy caches, with the contract's generated types.

import type { Gio } from '../gi.js';
import type { GuestSummary } from './guest-list.js';
import type { SeatSummary } from './seats.js';
import type { UsbSummary } from './usb-list.js';
import type { GuestProperties, SeatProperties, UsbDeviceProperties } from '../client/switcher1.js';

/** A property as recursiveUnpack() gives it, or the fallback when the proxy has none cached. */
function read<P, K extends keyof P & string>(proxy: Gio.DBusProxy, name: K, fallback: P[K]): P[K] {
  const value = proxy.get_cached_property(name);
  return value ? (value.recursiveUnpack() as P[K]) : fallback;
}

// Each guest property the menu follows, and the summary field it fills.
const GUEST_FIELDS = {
  Name: 'name',
  State: 'state',
  OsId: 'osId',
  Monitor: 'monitor',
  Monitors: 'monitors',
  Heads: 'heads',
  Resolution: 'resolution',
  Accel3D: 'accel3d',
  RunningDisplay: 'runningDisplay',
  ViewerPid: 'viewerPid',
  UsbRules: 'usbRules',
  Seat: 'seat',
  Display: 'display',
  Autostart: 'autostart',
  CpuPercent: 'cpuPercent',
  MemoryUsedMiB: 'memoryUsedMiB',
  Shared: 'shared',
  SharedUntil: 'sharedUntil',
} as const satisfies Partial<Record<keyof GuestProperties, keyof GuestSummary>>;

const GUEST_FALLBACKS: { [K in keyof typeof GUEST_FIELDS]: GuestProperties[K] } = {
  Name: '',
  State: '',
  OsId: '',
  Monitor: '',
  Monitors: [],
  Heads: 1,
  Resolution: [0, 0],
  Accel3D: false,
  RunningDisplay: {},
  ViewerPid: 0,
  UsbRules: [],
  Seat: '',
  Display: '',
  Autostart: false,
  CpuPercent: -1,
  MemoryUsedMiB: 0,
  Shared: false,
  SharedUntil: 0,
};

export function guestSummary(path: string, proxy: Gio.DBusProxy): GuestSummary {
  return { path, ...guestChanges(proxy, Object.keys(GUEST_FIELDS)) } as GuestSummary;
}

/** The summary fields a PropertiesChanged of a guest touches, read from the proxy (only those). */
export function guestChanges(proxy: Gio.DBusProxy, names: readonly string[]): Partial<Omit<GuestSummary, 'path'>> {
  const changes: Record<string, unknown> = {};
  for (const name of names) {
    if (!(name in GUEST_FIELDS)) continue;
    const property = name as keyof typeof GUEST_FIELDS;
    changes[GUEST_FIELDS[property]] = read<GuestProperties, typeof property>(
      proxy,
      property,
      GUEST_FALLBACKS[property],
    );
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
