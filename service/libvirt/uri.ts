// Which libvirt-dbus object serves a libvirt URI, and on which bus.
// libvirt-dbus exports one org.libvirt.Connect object per driver it knows.

import { existsSync } from 'node:fs';
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

/**
 * The socket of the libvirt daemon behind a URI, watched to notice it
 * restarting: the modular virtqemud's when there is one, else libvirtd's;
 * undefined for drivers without a daemon (test:///).
 */
export function daemonSocketFor(uri: string, uid = process.getuid?.() ?? 0): string | undefined {
  if (!uri.startsWith('qemu:')) return undefined;
  // root's qemu:///session is served by the system daemon.
  const dir =
    uri === 'qemu:///system' || uid === 0
      ? '/run/libvirt'
      : `${process.env.XDG_RUNTIME_DIR ?? `/run/user/${uid}`}/libvirt`;
  const modular = `${dir}/virtqemud-sock`;
  return existsSync(modular) ? modular : `${dir}/libvirt-sock`;
}
