// Which libvirt-dbus object serves a libvirt URI, and on which bus.
// libvirt-dbus exports one org.libvirt.Connect object per driver it knows.

import { invalidArgument } from '../errors.js';

export interface LibvirtEndpoint {
  uri: string;
  /** The org.libvirt.Connect object, e.g. /org/libvirt/QEMU. */
  connectPath: string;
  /** The bus libvirt-dbus serves this URI on. */
  bus: 'session' | 'system';
}

const KNOWN: Record<string, Omit<LibvirtEndpoint, 'uri'>> = {
  'test:///default': { connectPath: '/org/libvirt/Test', bus: 'session' },
  'qemu:///session': { connectPath: '/org/libvirt/QEMU', bus: 'session' },
  'qemu:///system': { connectPath: '/org/libvirt/QEMU', bus: 'system' },
};

export const DEFAULT_URI = 'test:///default';

export function endpointFor(uri: string): LibvirtEndpoint {
  const known = KNOWN[uri];
  if (!known) {
    throw invalidArgument(`Unsupported libvirt URI '${uri}'; use one of ${Object.keys(KNOWN).join(', ')}`);
  }
  return { uri, ...known };
}

/** libvirt-dbus names a domain's object after its UUID, with '-' as '_'. */
export function domainPath(connectPath: string, uuid: string): string {
  return `${connectPath}/domain/_${uuid.replace(/-/g, '_')}`;
}

export function uuidFromDomainPath(path: string): string | undefined {
  const match = /\/domain\/_([0-9a-fA-F_]{36})$/.exec(path);
  return match?.[1]?.replace(/_/g, '-').toLowerCase();
}
