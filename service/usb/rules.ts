// USB rules, kept with the guest in its libvirt metadata: a device (by
// vendor:product, and serial when given) or a port always goes to this
// guest, follows it when it has the focus, or asks first. Pure.

import { invalidArgument } from '../errors.js';
import { USB_DEVICE_ID, type UsbDeviceInfo } from './usb-device.js';

export type UsbRuleMode = 'always' | 'follow-focus' | 'ask';
export const USB_RULE_MODES: readonly UsbRuleMode[] = ['always', 'follow-focus', 'ask'];

export type UsbMatch =
  { kind: 'device'; vendor: string; product: string; serial: string } | { kind: 'port'; port: string };

export interface UsbRule {
  mode: UsbRuleMode;
  match: UsbMatch;
}

const HEX4 = /^[0-9a-f]{4}$/;
// Serials as devices report them: printable ASCII without quotes or angle brackets.
const SERIAL = /^[\x21\x23-\x26\x28-\x3b\x3d\x3f-\x7e]{0,64}$/;

export function validateRule(rule: UsbRule): UsbRule {
  if (!USB_RULE_MODES.includes(rule.mode))
    throw invalidArgument(`'${String(rule.mode).slice(0, 32)}' is not a USB rule; use always, follow-focus or ask`);
  const { match } = rule;
  if (match.kind === 'port') {
    if (!USB_DEVICE_ID.test(match.port))
      throw invalidArgument(`'${match.port.slice(0, 32)}' is not a USB port such as 1-2 or 3-1.4`);
  } else if (!HEX4.test(match.vendor) || !HEX4.test(match.product) || !SERIAL.test(match.serial)) {
    throw invalidArgument('a device rule needs a vendor and product id (four hex digits each) and a plain serial');
  }
  return rule;
}

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
  return JSON.stringify(a) === JSON.stringify(b);
}

/** As the D-Bus property UsbRules carries them: (mode, 'device'|'port', 'vvvv:pppp[:serial]'|port). */
export function ruleTuple(rule: UsbRule): [string, string, string] {
  const { match } = rule;
  if (match.kind === 'port') return [rule.mode, 'port', match.port];
  return [rule.mode, 'device', [match.vendor, match.product, ...(match.serial ? [match.serial] : [])].join(':')];
}

/** Reads one <usb-rule> element's attributes; undefined for anything malformed (ignored, never trusted). */
export function parseRule(attributes: Record<string, unknown>): UsbRule | undefined {
  const text = (name: string): string =>
    typeof attributes[`@_${name}`] === 'string' ? (attributes[`@_${name}`] as string) : '';
  const mode = text('mode') as UsbRuleMode;
  const match: UsbMatch = text('port')
    ? { kind: 'port', port: text('port') }
    : {
        kind: 'device',
        vendor: text('vendor').toLowerCase(),
        product: text('product').toLowerCase(),
        serial: text('serial'),
      };
  try {
    return validateRule({ mode, match });
  } catch {
    return undefined;
  }
}

/** The attributes of a <usb-rule> element for a valid rule. */
export function ruleAttributes(rule: UsbRule): Record<string, string> {
  const { match } = validateRule(rule);
  const attributes: Record<string, string> = { '@_mode': rule.mode };
  if (match.kind === 'port') attributes['@_port'] = match.port;
  else {
    attributes['@_vendor'] = match.vendor;
    attributes['@_product'] = match.product;
    if (match.serial) attributes['@_serial'] = match.serial;
  }
  return attributes;
}
