// Disks for new guests: raw, sparse volumes in the connection's default
// storage pool, made (and on failure removed) only through libvirt's
// storage API (org.libvirt.StoragePool, org.libvirt.StorageVol). The pool
// is created as a directory pool where libvirt keeps images when absent.

import { homedir } from 'node:os';
import { join } from 'node:path';
import { SwitcherError } from '../errors.js';
import type { LibvirtClient } from '../libvirt/client.js';
import { ensurePool } from '../libvirt/storage-pool.js';

export const DEFAULT_POOL = 'default';
const CONNECT = 'org.libvirt.Connect';
const POOL = 'org.libvirt.StoragePool';
const VOL = 'org.libvirt.StorageVol';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
// virStoragePoolState
const POOL_RUNNING = 2;

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;');

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
  running: boolean;
  path: string;
  capacityGiB: number;
  availableGiB: number;
}

const isNotFound = (error: unknown): boolean =>
  error instanceof SwitcherError && /not found|no storage (pool|vol)/i.test(error.message);

export class GuestStorage {
  constructor(
    private readonly client: LibvirtClient,
    private readonly poolPath: string,
  ) {}

  private get connect(): string {
    return this.client.endpoint.connectPath;
  }

  /** The default pool's object if it exists, active or not. */
  async findPool(): Promise<string | undefined> {
    try {
      const [path] = await this.client.call(this.connect, CONNECT, 'StoragePoolLookupByName', 's', [DEFAULT_POOL]);
      return String(path);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The default pool, defined, built and started when it is not (libvirt/storage-pool.ts's ensurePool). */
  async ensurePool(): Promise<string> {
    return (await ensurePool(this.client, DEFAULT_POOL, this.poolPath)).path;
  }

  async poolInfo(pool: string): Promise<PoolInfo> {
    await this.client.call(pool, POOL, 'Refresh', 'u', [0]).catch(() => undefined);
    const [[state, capacity, , available]] = (await this.client.call(pool, POOL, 'GetInfo', '', [])) as [
      [number, bigint, bigint, bigint],
    ];
    const [xml] = await this.client.call(pool, POOL, 'GetXMLDesc', 'u', [0]);
    const path = /<target>\s*<path>([^<]*)<\/path>/.exec(String(xml))?.[1] ?? this.poolPath;
    return {
      running: state === POOL_RUNNING,
      path,
      capacityGiB: Number(capacity) / 2 ** 30,
      availableGiB: Number(available) / 2 ** 30,
    };
  }

  async volumeExists(pool: string, name: string): Promise<boolean> {
    try {
      await this.client.call(pool, POOL, 'StorageVolLookupByName', 's', [name]);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** A raw, sparse volume (allocation 0) of `capacity` units (GiB, or bytes); returns its object and its file. */
  async createVolume(
    pool: string,
    name: string,
    capacity: number,
    unit: 'GiB' | 'bytes' = 'GiB',
  ): Promise<{ volume: string; file: string }> {
    const xml = `<volume><name>${escapeXml(name)}</name><capacity unit='${unit}'>${capacity}</capacity><allocation unit='B'>0</allocation><target><format type='raw'/></target></volume>`;
    const [volume] = await this.client.call(pool, POOL, 'StorageVolCreateXML', 'su', [xml, 0], 60_000);
    const [file] = await this.client.call(String(volume), PROPERTIES, 'Get', 'ss', [VOL, 'Path']);
    const value = (file as { value?: unknown } | undefined)?.value;
    return { volume: String(volume), file: String(value) };
  }

  async deleteVolume(volume: string): Promise<void> {
    await this.client.call(volume, VOL, 'Delete', 'u', [0], 60_000);
  }
}
