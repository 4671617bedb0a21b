// Our settings for a guest, kept in the guest's own libvirt domain metadata
// under our namespace so they travel with it (export, migration, backup):
//   <phyllome:switcher xmlns:phyllome="https://phyllo.me/xmlns/switcher/1">
//     <phyllome:monitor connector="DP-1"/>
//     <phyllome:usb-rule mode="always" vendor="046d" product="c52b" serial="…"/>
//     <phyllome:usb-rule mode="ask" port="1-1.2"/>
//     <phyllome:seat id="seat1"/>
//   </phyllome:switcher>
// Written only from validated values, through the XML builder; read back
// exactly (a serial keeps its spaces, colons and accents).

import { invalidArgument } from '../errors.js';
import { attribute, xmlBuilder, type Node } from './xml.js';

export const SWITCHER_NS = 'https://phyllo.me/xmlns/switcher/1';
export const SWITCHER_PREFIX = 'phyllome';

export type UsbRuleMode = 'always' | 'follow-focus' | 'ask';
export const USB_RULE_MODES: readonly UsbRuleMode[] = ['always', 'follow-focus', 'ask'];

/** What a rule matches: a device by its ids (and serial, '' for any), or whatever is plugged into a port. */
export type UsbMatch =
  { kind: 'device'; vendor: string; product: string; serial: string } | { kind: 'port'; port: string };

export interface UsbRule {
  mode: UsbRuleMode;
  match: UsbMatch;
}

export interface SwitcherSettings {
  /** Connector of the monitor the guest is shown on (DP-1, HDMI-A-2…); '' for wherever the pointer is. */
  monitor: string;
  usbRules: UsbRule[];
  /** The logind seat the guest is assigned to; '' for none. */
  seat: string;
}

export const DEFAULT_SETTINGS: SwitcherSettings = { monitor: '', usbRules: [], seat: '' };

// logind seat names: "seat" and then letters, digits, - and _.
const SEAT = /^seat[A-Za-z0-9_-]{0,64}$/;

export function validateSeat(seat: string): string {
  if (seat !== '' && !SEAT.test(seat))
    throw invalidArgument(`'${seat.slice(0, 64)}' is not a seat name such as seat0 or seat1`);
  return seat;
}

// Connector names as the kernel and mutter spell them: DP-1, HDMI-A-1, eDP-1, Virtual-1…
const CONNECTOR = /^[A-Za-z][A-Za-z0-9-]{0,31}$/;

export function validateConnector(connector: string): string {
  if (connector !== '' && !CONNECTOR.test(connector)) {
    throw invalidArgument(`'${connector.slice(0, 64)}' is not a monitor connector name such as DP-1 or HDMI-A-1`);
  }
  return connector;
}

const HEX4 = /^[0-9a-f]{4}$/;
/** sysfs names of USB devices (not interfaces, not root hubs): 1-2, 3-1.4.2. */
export const USB_PORT = /^[1-9]\d{0,2}-[1-9]\d{0,2}(\.[1-9]\d{0,2}){0,6}$/;
// A serial is whatever the device reports (USB string descriptors hold up to 126 characters).
const MAX_SERIAL = 255;
// Characters XML 1.0 cannot carry, or that an attribute would not keep as they are.
// eslint-disable-next-line no-control-regex
const NOT_IN_ATTRIBUTE = /[\u0000-\u001f\u007f\ufffe\uffff]|[\ud800-\udfff]/u;

export function validateRule(rule: UsbRule): UsbRule {
  if (!USB_RULE_MODES.includes(rule.mode))
    throw invalidArgument(`'${String(rule.mode).slice(0, 32)}' is not a USB rule; use always, follow-focus or ask`);
  const { match } = rule;
  if (match.kind === 'port') {
    if (!USB_PORT.test(match.port))
      throw invalidArgument(`'${match.port.slice(0, 32)}' is not a USB port such as 1-2 or 3-1.4`);
  } else {
    if (!HEX4.test(match.vendor) || !HEX4.test(match.product))
      throw invalidArgument('a device rule needs a vendor and product id (four lowercase hex digits each)');
    if (match.serial.length > MAX_SERIAL || match.serial.includes('\u0000'))
      throw invalidArgument(`a USB serial is at most ${MAX_SERIAL} characters, without NUL`);
  }
  return rule;
}

/** Reads one <usb-rule> element; undefined for anything malformed (ignored, never trusted). */
export function parseRule(element: Node): UsbRule | undefined {
  const port = attribute(element, 'port');
  const hex = attribute(element, 'serial-utf8-hex');
  const match: UsbMatch = port
    ? { kind: 'port', port }
    : {
        kind: 'device',
        vendor: attribute(element, 'vendor').toLowerCase(),
        product: attribute(element, 'product').toLowerCase(),
        serial: /^([0-9a-f]{2})+$/.test(hex) ? Buffer.from(hex, 'hex').toString('utf8') : attribute(element, 'serial'),
      };
  try {
    return validateRule({ mode: attribute(element, 'mode') as UsbRuleMode, match });
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
    // A serial with control characters would not survive an attribute: it goes as hex, exactly.
    if (NOT_IN_ATTRIBUTE.test(match.serial))
      attributes['@_serial-utf8-hex'] = Buffer.from(match.serial, 'utf8').toString('hex');
    else if (match.serial) attributes['@_serial'] = match.serial;
  }
  return attributes;
}

/** Our element in a domain's <metadata>, whatever prefix it was written with. */
export interface SwitcherElement {
  child: (name: string) => Node | undefined;
  children: (name: string) => Node[];
}

/** Reads our element; anything unexpected falls back to the default and malformed rules are dropped. */
export function parseSwitcherSettings(ours: SwitcherElement | undefined): SwitcherSettings {
  if (!ours) return { ...DEFAULT_SETTINGS, usbRules: [] };
  const connector = attribute(ours.child('monitor'), 'connector');
  const seat = attribute(ours.child('seat'), 'id');
  return {
    monitor: CONNECTOR.test(connector) ? connector : '',
    usbRules: ours
      .children('usb-rule')
      .map(parseRule)
      .filter((r): r is UsbRule => r !== undefined),
    seat: SEAT.test(seat) ? seat : '',
  };
}

/** Our element's content, its children named with `prefix` ('' for none). */
function settingsElement(settings: SwitcherSettings, prefix: string): Record<string, unknown> {
  const name = (local: string): string => (prefix ? `${prefix}:${local}` : local);
  const monitor = validateConnector(settings.monitor);
  const element: Record<string, unknown> = {};
  if (monitor) element[name('monitor')] = { '@_connector': monitor };
  if (settings.usbRules.length > 0) element[name('usb-rule')] = settings.usbRules.map(ruleAttributes);
  const seat = validateSeat(settings.seat);
  if (seat) element[name('seat')] = { '@_id': seat };
  return element;
}

/** The element handed to SetMetadata; libvirt adds our prefix and namespace. */
export function serializeSwitcherSettings(settings: SwitcherSettings): string {
  return xmlBuilder.build({ switcher: settingsElement(settings, '') }) as string;
}

/**
 * Our element as it stands in a definition's <metadata>, with our prefix and
 * namespace, built from validated settings only; '' when there is nothing to
 * keep (the settings are the defaults).
 */
export function switcherMetadataXml(settings: SwitcherSettings): string {
  const element = settingsElement(settings, SWITCHER_PREFIX);
  if (Object.keys(element).length === 0) return '';
  return xmlBuilder.build({
    [`${SWITCHER_PREFIX}:switcher`]: { [`@_xmlns:${SWITCHER_PREFIX}`]: SWITCHER_NS, ...element },
  }) as string;
}
