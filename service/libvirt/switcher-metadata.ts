// Our settings for a guest, kept in the guest's own libvirt domain metadata
// under our namespace so they travel with it (export, migration, backup):
//   <phyllome:switcher xmlns:phyllome="https://phyllo.me/xmlns/switcher/1">
//     <phyllome:monitor connector="DP-1"/>
//     <phyllome:monitor head="2" connector="DP-2"/>
//     <phyllome:usb-rule mode="always" vendor="046d" product="c52b" serial="…"/>
//     <phyllome:usb-rule mode="ask" port="1-1.2"/>
//     <phyllome:seat id="seat1"/>
//   </phyllome:switcher>
// Written only from validated values, through the XML builder; read back
// exactly (a serial keeps its spaces, colons and accents).

import { invalidArgument } from '../errors.js';
import { attribute, xmlBuilder, type Node } from '../xml/plain.js';

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
  /** The monitors of its further heads, head 2 first ('' for none); no trailing ''. */
  headMonitors: string[];
  usbRules: UsbRule[];
  /** The logind seat the guest is assigned to; '' for none. */
  seat: string;
}

export const DEFAULT_SETTINGS: SwitcherSettings = { monitor: '', headMonitors: [], usbRules: [], seat: '' };

/** Heads a guest's monitors are kept for (guests/display-settings.ts's MAX_HEADS). */
export const MONITORED_HEADS = 4;

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

/**
 * One connector per head, head 1 first ('' for none: wherever the pointer
 * is, or beside the other heads): each a connector name, at most
 * MONITORED_HEADS, and no monitor for two heads. Returns them without
 * trailing ''.
 */
export function validateMonitors(connectors: string[]): string[] {
  if (connectors.length > MONITORED_HEADS)
    throw invalidArgument(
      `A guest has at most ${MONITORED_HEADS} heads, so at most ${MONITORED_HEADS} monitors, not ${connectors.length}`,
    );
  connectors.forEach(validateConnector);
  const named = connectors.filter(Boolean);
  const twice = named.find((c, i) => named.indexOf(c) !== i);
  if (twice) throw invalidArgument(`${twice} is given for two heads: one monitor shows one head`);
  const last = connectors.reduce((end, c, i) => (c ? i + 1 : end), 0);
  return connectors.slice(0, last);
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
  if (!ours) return { ...DEFAULT_SETTINGS, headMonitors: [], usbRules: [] };
  const heads: string[] = [];
  for (const element of ours.children('monitor')) {
    const head = attribute(element, 'head') || '1';
    const connector = attribute(element, 'connector');
    const index = /^[1-9]$/.test(head) ? Number(head) - 1 : -1;
    // Malformed, beyond our heads, or a head given twice: the first one written stands.
    if (index < 0 || index >= MONITORED_HEADS || heads[index] !== undefined || !CONNECTOR.test(connector)) continue;
    heads[index] = connector;
  }
  const seat = attribute(ours.child('seat'), 'id');
  const [monitor = '', ...rest] = Array.from({ length: heads.length }, (_, i) => heads[i] ?? '');
  let headMonitors: string[];
  try {
    headMonitors = validateMonitors([monitor, ...rest]).slice(1);
  } catch {
    headMonitors = []; // one monitor for two heads: only head 1's stands
  }
  return {
    monitor,
    headMonitors,
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
  const [monitor = '', ...more] = validateMonitors([settings.monitor, ...settings.headMonitors]);
  const element: Record<string, unknown> = {};
  const monitors = [
    ...(monitor ? [{ '@_connector': monitor }] : []),
    ...more.flatMap((connector, i) => (connector ? [{ '@_head': String(i + 2), '@_connector': connector }] : [])),
  ];
  if (monitors.length > 0) element[name('monitor')] = monitors.length === 1 ? monitors[0] : monitors;
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
