// org.libvirt.StorageVol through libvirt-dbus: volumes made, found and
// deleted. libvirt-dbus has no Download/Upload (virStorageVolDownload/Upload
// need libvirt streams, which it does not expose), so volume data is read
// and written through the file the volume's Path names.

import { SwitcherError } from '../errors.js';
import type { LibvirtClient } from './client.js';
import { isNotFound, type PoolInfo } from './storage-pool.js';
import { escapeXml } from '../xml/plain.js';

const CONNECT = 'org.libvirt.Connect';
const POOL = 'org.libvirt.StoragePool';
const VOL = 'org.libvirt.StorageVol';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
/** Making or deleting a volume can take libvirt a while on a slow disk. */
const VOLUME_MS = 60_000;

/** How big a new volume is: a number of bytes, or of GiB (a disk's size as a person gives it). */
export type VolumeCapacity = { bytes: number } | { gib: number };

/**
 * Creates an empty raw volume in `pool` (allocation 0: all holes), of
 * `mode` where given (libvirt's default otherwise); returns libvirt-dbus's
 * object path for it.
 */
export async function createRawVolume(
  client: LibvirtClient,
  pool: PoolInfo,
  name: string,
  capacity: VolumeCapacity,
  options: { mode?: number; timeoutMs?: number } = {},
): Promise<string> {
  const size =
    'bytes' in capacity
      ? `<capacity unit='bytes'>${capacity.bytes}</capacity>`
      : `<capacity unit='GiB'>${capacity.gib}</capacity>`;
  const permissions =
    options.mode !== undefined ? `<permissions><mode>0${options.mode.toString(8)}</mode></permissions>` : '';
  const xml =
    `<volume><name>${escapeXml(name)}</name>${size}<allocation unit='bytes'>0</allocation>` +
    `<target><format type='raw'/>${permissions}</target></volume>`;
  const [path] = await client.call(
    pool.path,
    POOL,
    'StorageVolCreateXML',
    'su',
    [xml, 0],
    options.timeoutMs ?? VOLUME_MS,
  );
  return String(path);
}

/** The file a volume is. */
export async function volumeFilePath(client: LibvirtClient, volume: string): Promise<string> {
  const [value] = await client.call(volume, PROPERTIES, 'Get', 'ss', [VOL, 'Path']);
  return String((value as { value?: unknown } | undefined)?.value ?? '');
}

/** A volume by its pool and name; undefined when there is none. */
export async function volumeByName(client: LibvirtClient, poolPath: string, name: string): Promise<string | undefined> {
  try {
    const [path] = await client.call(poolPath, POOL, 'StorageVolLookupByName', 's', [name]);
    return String(path);
  } catch (error) {
    if (isNotFound(error)) return undefined;
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
export async function deleteVolume(client: LibvirtClient, volume: string, timeoutMs = VOLUME_MS): Promise<void> {
  await client.call(volume, VOL, 'Delete', 'u', [0], timeoutMs);
}
