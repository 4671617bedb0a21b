// org.libvirt.StoragePool through libvirt-dbus: finding a pool (by name, or
// by the directory it keeps its volumes in), making one where there is none
// (as virt-install and virt-manager make 'default' on a fresh host), how
// much it holds, and the names of its volumes.

import { homedir } from 'node:os';
import { join } from 'node:path';
import { Variant } from '../dbus/bus.js';
import { errorMessage, SwitcherError } from '../errors.js';
import { log } from '../log.js';
import { attribute, child, escapeXml, readXml, text } from '../xml/plain.js';
import type { LibvirtClient } from './client.js';

const CONNECT = 'org.libvirt.Connect';
const POOL = 'org.libvirt.StoragePool';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
// virStoragePoolState
const POOL_RUNNING = 2;

/** The pool new guests' disks and imported guests' go into, as virt-install and virt-manager name it. */
export const DEFAULT_POOL = 'default';

/**
 * Where libvirt keeps images for a connection, as virt-install and
 * virt-manager put the default pool: the system daemon's (root's session
 * is the system daemon) or the user's.
 */
export function defaultPoolPath(uri: string, uid = process.getuid?.() ?? 0, env = process.env): string {
  if (uri === 'qemu:///system' || uid === 0) return '/var/lib/libvirt/images';
  return join(env.XDG_DATA_HOME || join(homedir(), '.local/share'), 'libvirt/images');
}

export interface PoolInfo {
  /** libvirt-dbus's object path. */
  path: string;
  name: string;
  /** The directory it keeps its volumes in ('' for pools that are not directories). */
  targetPath: string;
  type: string;
}

/** How much a pool holds, as libvirt last counted it. */
export interface PoolSpace {
  running: boolean;
  capacityGiB: number;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof SwitcherError && /not found|no storage pool|no storage vol/i.test(error.message);
}

/** A pool by name; undefined when libvirt has none of that name. */
export async function poolByName(client: LibvirtClient, name: string): Promise<PoolInfo | undefined> {
  try {
    const [path] = await client.call(client.endpoint.connectPath, CONNECT, 'StoragePoolLookupByName', 's', [name]);
    return await poolInfo(client, String(path));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function poolInfo(client: LibvirtClient, path: string): Promise<PoolInfo> {
  const [xml] = await client.call(path, POOL, 'GetXMLDesc', 'u', [0]);
  const pool = child(readXml(String(xml)), 'pool');
  return {
    path,
    name: text(pool.name),
    targetPath: text(child(pool, 'target').path),
    type: attribute(pool, 'type'),
  };
}

/** The active directory-like pool whose volumes live in `directory`, if any. */
export async function poolByTargetPath(client: LibvirtClient, directory: string): Promise<PoolInfo | undefined> {
  const ACTIVE = 2;
  const [paths] = await client.call(client.endpoint.connectPath, CONNECT, 'ListStoragePools', 'u', [ACTIVE]);
  for (const path of Array.isArray(paths) ? paths.map(String) : []) {
    const info = await poolInfo(client, path);
    if (info.targetPath.replace(/\/+$/, '') === directory.replace(/\/+$/, '')) return info;
  }
  return undefined;
}

/**
 * The pool `name`, active: defined as a directory pool at `directory`, built,
 * marked autostart and started when it is not there (a fresh host, as
 * virt-manager and virt-install make 'default' on first use), started when
 * it is there but inactive. The one place CreateGuest and Import get it.
 */
export async function ensurePool(client: LibvirtClient, name: string, directory: string): Promise<PoolInfo> {
  let pool = await poolByName(client, name);
  if (!pool) {
    const xml = `<pool type='dir'><name>${escapeXml(name)}</name><target><path>${escapeXml(directory)}</path></target></pool>`;
    const [path] = await client.call(client.endpoint.connectPath, CONNECT, 'StoragePoolDefineXML', 'su', [xml, 0]);
    await client.call(String(path), POOL, 'Build', 'u', [0]);
    await client
      .call(String(path), PROPERTIES, 'Set', 'ssv', [POOL, 'Autostart', new Variant('b', true)])
      .catch((error: unknown) => log.warning(`could not mark the ${name} pool autostart: ${errorMessage(error)}`));
    log.info(`created storage pool '${name}' at ${directory}`);
    pool = await poolInfo(client, String(path));
  }
  if (!(await poolIsActive(client, pool))) await client.call(pool.path, POOL, 'Create', 'u', [0]);
  return pool;
}

export async function poolIsActive(client: LibvirtClient, pool: PoolInfo): Promise<boolean> {
  const [value] = await client.call(pool.path, PROPERTIES, 'Get', 'ss', [POOL, 'Active']);
  return Boolean((value as { value?: unknown } | undefined)?.value);
}

/** Whether the pool runs and its size, re-read first where libvirt can (a pool that is not running cannot). */
export async function poolSpace(client: LibvirtClient, pool: PoolInfo): Promise<PoolSpace> {
  await client.call(pool.path, POOL, 'Refresh', 'u', [0]).catch(() => undefined);
  const [[state, capacity]] = (await client.call(pool.path, POOL, 'GetInfo', '', [])) as [[number, bigint]];
  return { running: state === POOL_RUNNING, capacityGiB: Number(capacity) / 2 ** 30 };
}

/** Names of the pool's volumes. */
export async function volumeNames(client: LibvirtClient, pool: PoolInfo): Promise<Set<string>> {
  const [paths] = await client.call(pool.path, POOL, 'ListStorageVolumes', 'u', [0]);
  const names = new Set<string>();
  for (const path of Array.isArray(paths) ? paths.map(String) : []) {
    const [value] = await client.call(path, PROPERTIES, 'Get', 'ss', ['org.libvirt.StorageVol', 'Name']);
    names.add(String((value as { value?: unknown } | undefined)?.value ?? ''));
  }
  return names;
}

/** Has libvirt re-read the pool (its volumes' formats and sizes). */
export async function refreshPool(client: LibvirtClient, pool: PoolInfo): Promise<void> {
  await client.call(pool.path, POOL, 'Refresh', 'u', [0]);
}
