// A USB device as the host sees it, read from sysfs, and what kind of
// thing it is (keyboard, mouse, storage…) from its interface classes. Pure.

import { USB_PORT } from '../libvirt/switcher-metadata.js';

export type UsbClass =
  'keyboard' | 'mouse' | 'hid' | 'storage' | 'hub' | 'audio' | 'video' | 'printer' | 'wireless' | 'smartcard' | 'other';

export interface UsbDeviceInfo {
  /** sysfs name, which is also the port path: 1-1.2 (bus 1, port 1, then port 2 of the hub there). */
  id: string;
  busnum: number;
  devnum: number;
  /** Four lowercase hex digits. */
  vendor: string;
  product: string;
  manufacturer: string;
  productName: string;
  serial: string;
  classes: UsbClass[];
  /** The logind seat udev puts it on (ID_SEAT); seat0 when untagged. */
  seat?: string;
}

/** [bInterfaceClass, bInterfaceSubClass, bInterfaceProtocol] as numbers. */
export type InterfaceTriple = [number, number, number];

const BY_CLASS: Record<number, UsbClass> = {
  0x01: 'audio',
  0x02: 'other', // communications
  0x03: 'hid',
  0x06: 'video', // still image (cameras)
  0x07: 'printer',
  0x08: 'storage',
  0x09: 'hub',
  0x0b: 'smartcard',
  0x0e: 'video',
  0xe0: 'wireless',
};

/** The device's kinds, most telling first and without repeats; HID boot protocols say keyboard or mouse. */
export function classesOf(deviceClass: number, interfaces: InterfaceTriple[]): UsbClass[] {
  const kinds = new Set<UsbClass>();
  for (const [cls, subclass, protocol] of interfaces) {
    if (cls === 0x03 && protocol === 1) kinds.add('keyboard');
    else if (cls === 0x03 && protocol === 2) kinds.add('mouse');
    else kinds.add(BY_CLASS[cls] ?? 'other');
    void subclass;
  }
  if (interfaces.length === 0) kinds.add(BY_CLASS[deviceClass] ?? 'other');
  // A receiver with a keyboard and a mouse interface is both; a plain 'hid' adds nothing then.
  if (kinds.has('keyboard') || kinds.has('mouse')) kinds.delete('hid');
  const order: UsbClass[] = [
    'keyboard',
    'mouse',
    'hid',
    'storage',
    'audio',
    'video',
    'printer',
    'smartcard',
    'wireless',
    'hub',
    'other',
  ];
  return order.filter((k) => kinds.has(k));
}

export function displayName(
  device: Pick<UsbDeviceInfo, 'manufacturer' | 'productName' | 'vendor' | 'product'>,
): string {
  const product = device.productName.trim();
  const maker = device.manufacturer.trim();
  if (product && maker && !product.toLowerCase().startsWith(maker.toLowerCase())) return `${maker} ${product}`;
  return product || maker || `USB device ${device.vendor}:${device.product}`;
}

/** sysfs names of USB devices (not interfaces, not root hubs), which are their ports: 1-2, 3-1.4.2. */
export const USB_DEVICE_ID = USB_PORT;

export const USB_PATH_PREFIX = '/me/phyllo/Switcher1/usb/';

export function usbDevicePath(id: string): string {
  return USB_PATH_PREFIX + id.replace(/[-.]/g, '_');
}

/** The inverse of usbDevicePath: the port of one of our device objects, or undefined. */
export function usbDeviceIdFromPath(path: string): string | undefined {
  const match = /^\/me\/phyllo\/Switcher1\/usb\/(\d+)_([\d_]+)$/.exec(path);
  const id = match ? `${match[1]}-${(match[2] as string).replace(/_/g, '.')}` : undefined;
  return id && USB_DEVICE_ID.test(id) ? id : undefined;
}

/** Human-input devices the host must not lose all of. */
export function isInputDevice(device: Pick<UsbDeviceInfo, 'classes'>, kind: 'keyboard' | 'mouse'): boolean {
  return device.classes.includes(kind);
}
