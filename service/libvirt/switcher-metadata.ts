// Our settings for a guest, kept in the guest's own libvirt domain metadata
// under our namespace so they travel with it (export, migration, backup):
//   <phyllome:switcher xmlns:phyllome="https://phyllo.me/xmlns/switcher/1">
//     <phyllome:monitor connector="DP-1"/>
//     <phyllome:usb-rule mode="always" vendor="046d" product="c52b" serial="…"/>
//     <phyllome:usb-rule mode="ask" port="1-1.2"/>
//     <phyllome:seat id="seat1"/>
//   </phyllome:switcher>
// Written only from validated values, through an XML builder.

import { XMLBuilder } from 'fast-xml-parser';
import { invalidArgument } from '../errors.js';
import { parseRule, ruleAttributes, type UsbRule } from '../usb/rules.js';
import type { MetadataElement } from './domain-xml.js';

export const SWITCHER_NS = 'https://phyllo.me/xmlns/switcher/1';
export const SWITCHER_PREFIX = 'phyllome';

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

/** Reads our element; anything unexpected falls back to the default and malformed rules are dropped. */
export function parseSwitcherSettings(ours: Pick<MetadataElement, 'child' | 'children'> | undefined): SwitcherSettings {
  if (!ours) return { ...DEFAULT_SETTINGS, usbRules: [] };
  const connector = ours.child('monitor')?.['@_connector'];
  const seat = ours.child('seat')?.['@_id'];
  return {
    monitor: typeof connector === 'string' && (connector === '' || CONNECTOR.test(connector)) ? connector : '',
    usbRules: ours
      .children('usb-rule')
      .map(parseRule)
      .filter((r): r is UsbRule => r !== undefined),
    seat: typeof seat === 'string' && SEAT.test(seat) ? seat : '',
  };
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true });

/** The element handed to SetMetadata; libvirt adds our prefix and namespace. */
export function serializeSwitcherSettings(settings: SwitcherSettings): string {
  const monitor = validateConnector(settings.monitor);
  const element: Record<string, unknown> = {};
  if (monitor) element.monitor = { '@_connector': monitor };
  if (settings.usbRules.length > 0) element['usb-rule'] = settings.usbRules.map(ruleAttributes);
  const seat = validateSeat(settings.seat);
  if (seat) element.seat = { '@_id': seat };
  return builder.build({ switcher: element }) as string;
}
