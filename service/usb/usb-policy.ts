// Where USB devices go, by the guests' rules. Pure: it says what to do and
// the service does it. Automatic moves never take the host's last keyboard
// or pointer; only an explicit, forced request does.

import type { UsbRule, UsbRuleMode } from '../libvirt/switcher-metadata.js';
import { ruleMatches } from './rules.js';
import type { UsbDeviceInfo } from './usb-device.js';

export interface GuestRules {
  path: string;
  name: string;
  /** Running (or paused): a device can be given to it now. */
  running: boolean;
  rules: UsbRule[];
}

export interface PlacedDevice {
  device: UsbDeviceInfo;
  /** '' for the host, else the guest's path. */
  owner: string;
}

export type Decision =
  { do: 'attach'; device: UsbDeviceInfo; guest: string } | { do: 'ask'; device: UsbDeviceInfo; guest: string };

function ruleOf(guest: GuestRules, device: UsbDeviceInfo, mode: UsbRuleMode): boolean {
  return guest.rules.some((rule) => rule.mode === mode && ruleMatches(rule, device));
}

const byName = (a: GuestRules, b: GuestRules): number => a.name.localeCompare(b.name) || a.path.localeCompare(b.path);

/** Whether the host keeps a keyboard (and a pointer) if `device` leaves it. */
export function leavesHostWithoutInput(
  device: UsbDeviceInfo,
  placed: PlacedDevice[],
): 'keyboard' | 'mouse' | undefined {
  for (const kind of ['keyboard', 'mouse'] as const) {
    if (!device.classes.includes(kind)) continue;
    const others = placed.filter((p) => p.owner === '' && p.device.id !== device.id && p.device.classes.includes(kind));
    if (others.length === 0) return kind;
  }
  return undefined;
}

/** A device was plugged in: an 'always' guest takes it, else the focused 'follow-focus' one, else an 'ask' guest is asked. */
export function onPlugged(
  device: UsbDeviceInfo,
  guests: GuestRules[],
  focused: string,
  placed: PlacedDevice[],
): Decision | undefined {
  const running = guests.filter((g) => g.running).sort(byName);
  const always = running.find((g) => ruleOf(g, device, 'always'));
  const follow = running.find((g) => g.path === focused && ruleOf(g, device, 'follow-focus'));
  const target = always ?? follow;
  if (target) return leavesHostWithoutInput(device, placed) ? undefined : { do: 'attach', device, guest: target.path };
  const ask = running.find((g) => ruleOf(g, device, 'ask'));
  return ask ? { do: 'ask', device, guest: ask.path } : undefined;
}

/** A guest started: it takes the host's devices it has 'always' rules for. */
export function onGuestStarted(guest: GuestRules, placed: PlacedDevice[]): Decision[] {
  const decisions: Decision[] = [];
  let view = placed;
  for (const { device, owner } of placed) {
    if (owner !== '' || !ruleOf(guest, device, 'always') || leavesHostWithoutInput(device, view)) continue;
    decisions.push({ do: 'attach', device, guest: guest.path });
    view = view.map((p) => (p.device.id === device.id ? { ...p, owner: guest.path } : p));
  }
  return decisions;
}

/** The focus moved to `focused`: devices that follow it come along, from the host or another guest. */
export function onFocusChanged(focused: string, guests: GuestRules[], placed: PlacedDevice[]): Decision[] {
  const guest = guests.find((g) => g.path === focused && g.running);
  if (!guest) return [];
  return placed
    .filter(({ device, owner }) => owner !== focused && ruleOf(guest, device, 'follow-focus'))
    .filter(({ device, owner }) => owner !== '' || !leavesHostWithoutInput(device, placed))
    .map(({ device }) => ({ do: 'attach' as const, device, guest: focused }));
}
