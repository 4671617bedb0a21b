// libvirt <input type='evdev'> XML: a host input device handed to a guest
// directly, past the host's compositor. Keyboards grab all input devices
// and toggle with Left Ctrl + Right Ctrl. Built from validated values only.

import { invalidArgument } from '../errors.js';
import { xmlBuilder } from '../xml/plain.js';

export const EVDEV_NODE = /^\/dev\/input\/(event\d{1,4}|by-(id|path)\/[A-Za-z0-9._:+-]{1,200})$/;

export function evdevInputXml(node: string, kind: 'keyboard' | 'mouse'): string {
  if (!EVDEV_NODE.test(node))
    throw invalidArgument(`'${node.slice(0, 80)}' is not an input device node under /dev/input`);
  const source: Record<string, string> = { '@_dev': node };
  if (kind === 'keyboard') {
    source['@_grab'] = 'all';
    source['@_grabToggle'] = 'ctrl-ctrl';
    source['@_repeat'] = 'on';
  }
  return xmlBuilder.build({ input: { '@_type': 'evdev', source } }) as string;
}
