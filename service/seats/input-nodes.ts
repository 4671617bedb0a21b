// The evdev nodes (/dev/input/eventN) of a USB device, found in sysfs below
// its interfaces: 1-2:1.0/<hid device>/input/inputM/eventN.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

export async function eventNodes(sysfsRoot: string, usbId: string): Promise<string[]> {
  const base = join(sysfsRoot, 'bus/usb/devices', usbId);
  const nodes: string[] = [];
  for (const iface of (await entries(base)).filter((e) => e.startsWith(`${usbId}:`))) {
    for (const child of await entries(join(base, iface))) {
      for (const input of (await entries(join(base, iface, child, 'input'))).filter((e) => /^input\d+$/.test(e))) {
        for (const event of (await entries(join(base, iface, child, 'input', input))).filter((e) =>
          /^event\d+$/.test(e),
        )) {
          nodes.push(`/dev/input/${event}`);
        }
      }
    }
  }
  return nodes.sort();
}
