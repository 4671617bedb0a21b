// libvirt <hostdev type='usb'> XML, built from validated values only, and
// read back from a domain's XML. The address (bus and device number) picks
// the exact device when several share vendor and product;
// startupPolicy='optional' lets the guest start without it.

import { invalidArgument } from '../errors.js';
import { asNodes, attribute, xmlBuilder, type Node } from '../xml/plain.js';

/** A USB device as a <hostdev> names it: its ids and where it is plugged in now. */
export interface HostdevAddress {
  /** Four lowercase hex digits each. */
  vendor: string;
  product: string;
  bus: number;
  device: number;
}

const HEX4 = /^[0-9a-f]{4}$/;

function checked(address: HostdevAddress): HostdevAddress {
  const { vendor, product, bus, device } = address;
  if (!HEX4.test(vendor) || !HEX4.test(product))
    throw invalidArgument(`'${vendor}:${product}' is not a USB vendor:product id`);
  if (!Number.isInteger(bus) || bus < 1 || bus > 255 || !Number.isInteger(device) || device < 1 || device > 127) {
    throw invalidArgument(`bus ${bus} device ${device} is not a USB address`);
  }
  return address;
}

export function hostdevXml(address: HostdevAddress): string {
  const { vendor, product, bus, device } = checked(address);
  return xmlBuilder.build({
    hostdev: {
      '@_mode': 'subsystem',
      '@_type': 'usb',
      '@_managed': 'yes',
      source: {
        '@_startupPolicy': 'optional',
        vendor: { '@_id': `0x${vendor}` },
        product: { '@_id': `0x${product}` },
        address: { '@_bus': String(bus), '@_device': String(device) },
      },
    },
  }) as string;
}

const hexId = (node: Node | undefined): string =>
  attribute(node, 'id').replace(/^0x/i, '').toLowerCase().padStart(4, '0');

/** The USB host devices in a parsed <devices> element that carry an address. */
export function usbHostdevsIn(devices: Node | undefined): HostdevAddress[] {
  const found: HostdevAddress[] = [];
  for (const hostdev of asNodes(devices?.hostdev)) {
    if (attribute(hostdev, 'type') !== 'usb') continue;
    const source = asNodes(hostdev.source)[0];
    const address = asNodes(source?.address)[0];
    const bus = Number(attribute(address, 'bus'));
    const device = Number(attribute(address, 'device'));
    if (bus > 0 && device > 0) {
      found.push({
        vendor: hexId(asNodes(source?.vendor)[0]),
        product: hexId(asNodes(source?.product)[0]),
        bus,
        device,
      });
    }
  }
  return found;
}
