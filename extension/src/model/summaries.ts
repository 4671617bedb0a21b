// What the menu needs of each of the service's objects, from their
// properties as the client reads them (the contract's generated types).
// Pure: a property the service has not said yet takes its fallback.

import type { GuestSummary } from './guest-list.js';
import type { SeatSummary } from './seats.js';
import type { UsbSummary } from './usb-list.js';
import type { GuestProperties, SeatProperties, UsbDeviceProperties } from '../client/switcher1.js';

/** A property as the client read it, or the fallback when it has none. */
function read<P, K extends keyof P & string>(properties: Partial<P>, name: K, fallback: P[K]): P[K] {
  const value = properties[name];
  return value === undefined ? fallback : (value as P[K]);
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

/** The guest properties the menu follows. */
export const GUEST_PROPERTIES = Object.keys(GUEST_FIELDS) as readonly (keyof typeof GUEST_FIELDS)[];

export function guestSummary(path: string, properties: Partial<GuestProperties>): GuestSummary {
  return { path, ...guestChanges(properties, GUEST_PROPERTIES) } as GuestSummary;
}

/** The summary fields a PropertiesChanged of a guest touches (only those of `names`). */
export function guestChanges(
  properties: Partial<GuestProperties>,
  names: readonly string[],
): Partial<Omit<GuestSummary, 'path'>> {
  const changes: Record<string, unknown> = {};
  for (const name of names) {
    if (!(name in GUEST_FIELDS)) continue;
    const property = name as keyof typeof GUEST_FIELDS;
    changes[GUEST_FIELDS[property]] = read<GuestProperties, typeof property>(
      properties,
      property,
      GUEST_FALLBACKS[property],
    );
  }
  return changes as Partial<Omit<GuestSummary, 'path'>>;
}

export function usbSummary(path: string, properties: Partial<UsbDeviceProperties>): UsbSummary {
  const get = <K extends keyof UsbDeviceProperties & string>(name: K, fallback: UsbDeviceProperties[K]) =>
    read<UsbDeviceProperties, K>(properties, name, fallback);
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

export function seatSummary(path: string, properties: Partial<SeatProperties>): SeatSummary {
  const get = <K extends keyof SeatProperties & string>(name: K, fallback: SeatProperties[K]) =>
    read<SeatProperties, K>(properties, name, fallback);
  return { path, id: get('Id', ''), guest: get('Guest', '/') };
}
