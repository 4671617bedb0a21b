// Our settings for a guest, kept in the guest's own libvirt domain metadata
// under our namespace so they travel with it (export, migration, backup):
//   <phyllome:switcher xmlns:phyllome="https://phyllo.me/xmlns/switcher/1">
//     <phyllome:monitor connector="DP-1"/>
//   </phyllome:switcher>
// Written only from validated values, through an XML builder.

import { XMLBuilder } from 'fast-xml-parser';
import { invalidArgument } from '../bus/errors.js';

export const SWITCHER_NS = 'https://phyllo.me/xmlns/switcher/1';
export const SWITCHER_PREFIX = 'phyllome';

export interface SwitcherSettings {
  /** Connector of the monitor the guest is shown on (DP-1, HDMI-A-2…); '' for wherever the pointer is. */
  monitor: string;
}

export const DEFAULT_SETTINGS: SwitcherSettings = { monitor: '' };

// Connector names as the kernel and mutter spell them: DP-1, HDMI-A-1, eDP-1, Virtual-1…
const CONNECTOR = /^[A-Za-z][A-Za-z0-9-]{0,31}$/;

export function validateConnector(connector: string): string {
  if (connector !== '' && !CONNECTOR.test(connector)) {
    throw invalidArgument(`'${connector.slice(0, 64)}' is not a monitor connector name such as DP-1 or HDMI-A-1`);
  }
  return connector;
}

type Child = (name: string) => Record<string, unknown> | undefined;

/** Reads our element's children; anything unexpected falls back to the default. */
export function parseSwitcherSettings(child: Child | undefined): SwitcherSettings {
  if (!child) return { ...DEFAULT_SETTINGS };
  const connector = child('monitor')?.['@_connector'];
  return {
    monitor: typeof connector === 'string' && (connector === '' || CONNECTOR.test(connector)) ? connector : '',
  };
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true });

/** The element handed to SetMetadata; libvirt adds our prefix and namespace. */
export function serializeSwitcherSettings(settings: SwitcherSettings): string {
  const monitor = validateConnector(settings.monitor);
  const element: Record<string, unknown> = {};
  if (monitor) element.monitor = { '@_connector': monitor };
  return builder.build({ switcher: element }) as string;
}
