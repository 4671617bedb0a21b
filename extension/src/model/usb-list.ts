// The host's USB devices as the menu shows them. Pure.

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
  '': 'No Rule',
  always: 'Always Here',
  'follow-focus': 'Follows This Guest',
  ask: 'Ask When Plugged In',
};

/** The rule a guest has for a device, from its UsbRules property tuples; '' for none. */
export function ruleFor(rules: [string, string, string][], device: UsbSummary): UsbRuleMode | '' {
  for (const [mode, kind, value] of rules) {
    if (kind === 'port' && value === device.port) return mode as UsbRuleMode;
    if (kind === 'device') {
      const [vendor, product, serial] = value.split(':');
      if (vendor === device.vendor && product === device.product && (!serial || serial === device.serial))
        return mode as UsbRuleMode;
    }
  }
  return '';
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
