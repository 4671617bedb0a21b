// The host's USB devices as the menu shows them. Pure.

import type { UsbRuleEntry } from './guest-list.js';
import { N_ } from './i18n.js';

export interface UsbSummary {
  path: string;
  name: string;
  vendor: string;
  product: string;
  serial: string;
  port: string;
  classes: string[];
  /** '' for the host, else the guest's path. */
  owner: string;
}

export type UsbRuleMode = 'always' | 'follow-focus' | 'ask';

const RULE_ORDER: (UsbRuleMode | '')[] = ['', 'always', 'follow-focus', 'ask'];

export const RULE_LABEL: Record<UsbRuleMode | '', string> = {
  '': N_('No Rule'),
  always: N_('Always Here'),
  'follow-focus': N_('Follows This Guest'),
  ask: N_('Ask When Plugged In'),
};

/**
 * The rule a guest has for a device, from its UsbRules property; '' for none.
 * A device rule names vendor, product and (when it has one) the serial,
 * each a field of its own: nothing is split, whatever the serial holds.
 */
export function ruleFor(rules: readonly UsbRuleEntry[], device: UsbSummary): UsbRuleMode | '' {
  for (const rule of rules) {
    const matches =
      rule.match_by === 'port'
        ? rule.port === device.port
        : rule.match_by === 'device' &&
          rule.vendor === device.vendor &&
          rule.product === device.product &&
          (rule.serial === undefined || rule.serial === device.serial);
    if (matches && isRuleMode(rule.mode)) return rule.mode;
  }
  return '';
}

function isRuleMode(mode: string): mode is UsbRuleMode {
  return mode === 'always' || mode === 'follow-focus' || mode === 'ask';
}

/** The next rule in the cycle the menu item steps through. */
export function nextRule(current: UsbRuleMode | ''): UsbRuleMode | '' {
  return RULE_ORDER[(RULE_ORDER.indexOf(current) + 1) % RULE_ORDER.length] as UsbRuleMode | '';
}

/** Keyboards and pointers: the host asks before giving away its last one. */
export function isInput(device: UsbSummary): boolean {
  return device.classes.includes('keyboard') || device.classes.includes('mouse');
}

export function sortedUsb(devices: Iterable<UsbSummary>): UsbSummary[] {
  return [...devices].sort((a, b) => a.port.localeCompare(b.port, undefined, { numeric: true }));
}
