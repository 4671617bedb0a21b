// Reads USB devices from sysfs (<root>/bus/usb/devices). The root is a
// parameter (--sysfs-root) so tests read a recorded tree.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { classesOf, USB_DEVICE_ID, type InterfaceTriple, type UsbDeviceInfo } from './usb-device.js';

async function attribute(dir: string, name: string): Promise<string> {
  try {
    // The kernel ends each value with a newline; the rest is the device's own (a serial may have spaces).
    return (await readFile(join(dir, name), 'utf8')).replace(/\n$/, '');
  } catch {
    return '';
  }
}

const HEX4 = /^[0-9a-f]{4}$/;

/** One device by its sysfs name, or undefined if it is not (or no longer) there or is not a USB device. */
export async function readUsbDevice(sysfsRoot: string, id: string): Promise<UsbDeviceInfo | undefined> {
  if (!USB_DEVICE_ID.test(id)) return undefined;
  const dir = join(sysfsRoot, 'bus/usb/devices', id);
  const [vendor, product, busnum, devnum] = await Promise.all(
    ['idVendor', 'idProduct', 'busnum', 'devnum'].map((name) => attribute(dir, name)),
  );
  if (!HEX4.test(vendor ?? '') || !HEX4.test(product ?? '') || !Number(busnum) || !Number(devnum)) return undefined;
  let entries: string[] = [];
  try {
    entries = await readdir(dir);
  } catch {
    return undefined;
  }
  const interfaces: InterfaceTriple[] = [];
  for (const entry of entries.filter((e) => e.startsWith(`${id}:`)).sort()) {
    const at = join(dir, entry);
    const triple = await Promise.all(
      ['bInterfaceClass', 'bInterfaceSubClass', 'bInterfaceProtocol'].map((n) => attribute(at, n)),
    );
    interfaces.push(triple.map((v) => parseInt(v, 16) || 0) as InterfaceTriple);
  }
  const [manufacturer, productName, serial, deviceClass] = await Promise.all(
    ['manufacturer', 'product', 'serial', 'bDeviceClass'].map((name) => attribute(dir, name)),
  );
  return {
    id,
    busnum: Number(busnum),
    devnum: Number(devnum),
    vendor: vendor as string,
    product: product as string,
    manufacturer: manufacturer ?? '',
    productName: productName ?? '',
    serial: serial ?? '',
    classes: classesOf(parseInt(deviceClass ?? '', 16) || 0, interfaces),
  };
}

/** Every USB device under the root, sorted by port. */
export async function readUsbDevices(sysfsRoot: string): Promise<UsbDeviceInfo[]> {
  let names: string[];
  try {
    names = await readdir(join(sysfsRoot, 'bus/usb/devices'));
  } catch {
    return []; // no USB bus at all (a VM without a controller, this build machine)
  }
  const devices = await Promise.all(names.filter((n) => USB_DEVICE_ID.test(n)).map((n) => readUsbDevice(sysfsRoot, n)));
  return devices
    .filter((d): d is UsbDeviceInfo => d !== undefined)
    .sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
}

/**
 * The seat udev's database gives a device (E:ID_SEAT=… in <udevData>/c<major>:<minor>,
 * with major:minor from sysfs 'dev'); seat0 when it has none.
 */
export async function udevSeat(udevDataRoot: string, sysfsRoot: string, id: string): Promise<string> {
  const dev = await attribute(join(sysfsRoot, 'bus/usb/devices', id), 'dev');
  if (!/^\d+:\d+$/.test(dev)) return 'seat0';
  try {
    const data = await readFile(join(udevDataRoot, `c${dev}`), 'utf8');
    return /^E:ID_SEAT=(seat[A-Za-z0-9_-]*)$/m.exec(data)?.[1] ?? 'seat0';
  } catch {
    return 'seat0';
  }
}
