// org.libvirt.StorageVol through libvirt-dbus. libvirt-dbus has no
// Download/Upload (virStorageVolDownload/Upload need libvirt streams, which
// it does not expose), so volume data is read and written through the file
// the volume's Path names.

import { SwitcherError } from '../errors.js';
import type { LibvirtClient } from './client.js';

const CONNECT = 'org.libvirt.Connect';
const VOL = 'org.libvirt.StorageVol';
const PROPERTIES = 'org.freedesktop.DBus.Properties';

/** The file a volume is. */
export async function volumeFilePath(client: LibvirtClient, volume: string): Promise<string> {
  const [value] = await client.call(volume, PROPERTIES, 'Get', 'ss', [VOL, 'Path']);
  return String((value as { value?: unknown } | undefined)?.value ?? '');
}

/** A volume by its pool and name; undefined when there is none. */
export async function volumeByName(client: LibvirtClient, poolPath: string, name: string): Promise<string | undefined> {
  try {
    const [path] = await client.call(poolPath, 'org.libvirt.StoragePool', 'StorageVolLookupByName', 's', [name]);
    return String(path);
  } catch (error) {
    if (error instanceof SwitcherError && /not found|no storage vol/i.test(error.message)) return undefined;
    throw error;
  }
}

/** The volume a file is, if a pool knows it. */
export async function volumeByPath(client: LibvirtClient, file: string): Promise<string | undefined> {
  try {
    const [path] = await client.call(client.endpoint.connectPath, CONNECT, 'StorageVolLookupByPath', 's', [file]);
    return String(path);
  } catch (error) {
    if (error instanceof SwitcherError && error.kind === 'Libvirt') return undefined;
    throw error;
  }
}

/** Deletes a volume and its file (only ever one this service has just created). */
export async function deleteVolume(client: LibvirtClient, volume: string): Promise<void> {
  await client.call(volume, VOL, 'Delete', 'u', [0]);
}
