// Which device a guest's USB rule means: a device (by vendor:product, and
// serial when given) or a port; the rules themselves are kept in the guest's
// metadata (libvirt/switcher-metadata.ts). Pure.

import type { UsbMatch, UsbRule } from '../libvirt/switcher-metadata.js';
import type { UsbDeviceInfo } from './usb-device.js';

export function ruleMatches(rule: UsbRule, device: UsbDeviceInfo): boolean {
  const { match } = rule;
  if (match.kind === 'port') return match.port === device.id;
  return (
    match.vendor === device.vendor &&
    match.product === device.product &&
    (match.serial === '' || match.serial === device.serial)
  );
}

/** The match a rule made from this device uses: its port, or its ids and serial (when it has one). */
export function matchFor(device: UsbDeviceInfo, by: 'device' | 'port'): UsbMatch {
  return by === 'port'
    ? { kind: 'port', port: device.id }
    : { kind: 'device', vendor: device.vendor, product: device.product, serial: device.serial };
}

export function sameMatch(a: UsbMatch, b: UsbMatch): boolean {
  if (a.kind === 'port') return b.kind === 'port' && a.port === b.port;
  return b.kind === 'device' && a.vendor === b.vendor && a.product === b.product && a.serial === b.serial;
}
