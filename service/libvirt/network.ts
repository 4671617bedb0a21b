// org.libvirt.Network through libvirt-dbus: whether a virtual network is
// there to put a guest's network card on.

import type { LibvirtClient } from './client.js';

const CONNECT = 'org.libvirt.Connect';
const NETWORK = 'org.libvirt.Network';
const PROPERTIES = 'org.freedesktop.DBus.Properties';

/** What libvirt has of a network by that name: it running, defined but stopped, or none (undefined). */
export async function networkState(client: LibvirtClient, name: string): Promise<'active' | 'inactive' | undefined> {
  let network: unknown;
  try {
    [network] = await client.call(client.endpoint.connectPath, CONNECT, 'NetworkLookupByName', 's', [name]);
  } catch {
    return undefined;
  }
  const [active] = await client.call(String(network), PROPERTIES, 'Get', 'ss', [NETWORK, 'Active']);
  return (active as { value?: unknown } | undefined)?.value === true ? 'active' : 'inactive';
}
