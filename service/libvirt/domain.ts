// The org.libvirt.Domain and Connect calls that moving and copying guests
// need, beyond the lifecycle ones in client.ts: definitions with flags,
// lookups that may find nothing, and libvirt's own migration job.

import { Variant } from '../dbus/bus.js';
import { SwitcherError } from '../errors.js';
import type { LibvirtClient } from './client.js';

const CONNECT = 'org.libvirt.Connect';
const DOMAIN = 'org.libvirt.Domain';

// virDomainXMLFlags
export const XML_SECURE = 1;
export const XML_INACTIVE = 2;
// virDomainUndefineFlagsValues
export const UNDEFINE_NVRAM = 4;
export const UNDEFINE_KEEP_NVRAM = 8;
export const UNDEFINE_KEEP_TPM = 64;
// virDomainMigrateFlags
export const MIGRATE_LIVE = 1;
export const MIGRATE_PEER2PEER = 2;
export const MIGRATE_PERSIST_DEST = 8;
export const MIGRATE_UNDEFINE_SOURCE = 16;
export const MIGRATE_NON_SHARED_DISK = 64;
export const MIGRATE_ABORT_ON_ERROR = 4096;

/** The definition as libvirt would start it next time, secrets included (they travel with the guest). */
export async function inactiveXml(client: LibvirtClient, domain: string): Promise<string> {
  const [xml] = await client.call(domain, DOMAIN, 'GetXMLDesc', 'u', [XML_SECURE | XML_INACTIVE]);
  return String(xml);
}

function notFound(error: unknown): boolean {
  return error instanceof SwitcherError && (error.kind === 'NoSuchGuest' || /not found/i.test(error.message));
}

/** libvirt-dbus's object for a domain of this name, or undefined. */
export async function domainByName(client: LibvirtClient, name: string): Promise<string | undefined> {
  try {
    const [path] = await client.call(client.endpoint.connectPath, CONNECT, 'DomainLookupByName', 's', [name]);
    return String(path);
  } catch (error) {
    if (notFound(error)) return undefined;
    throw error;
  }
}

export async function domainByUuid(client: LibvirtClient, uuid: string): Promise<string | undefined> {
  try {
    return await client.domainLookupByUuid(uuid);
  } catch (error) {
    if (notFound(error)) return undefined;
    throw error;
  }
}

/** Removes a definition (only ever one this service has just made). */
export async function undefineDomain(client: LibvirtClient, domain: string, flags: number): Promise<void> {
  await client.call(domain, DOMAIN, 'Undefine', 'u', [flags]);
}

export type MigrationParams = Record<string, string | bigint>;

/**
 * virDomainMigrateToURI3: libvirt moves the guest itself (with
 * MIGRATE_PEER2PEER the source daemon talks to the target's). Blocks until
 * the migration ends; abortJob stops it.
 */
export async function migrateToUri3(
  client: LibvirtClient,
  domain: string,
  uri: string,
  params: MigrationParams,
  flags: number,
  timeoutMs: number,
): Promise<void> {
  const typed = Object.fromEntries(
    Object.entries(params).map(([key, value]) => [
      key,
      typeof value === 'bigint' ? new Variant('t', value) : new Variant('s', value),
    ]),
  );
  await client.call(domain, DOMAIN, 'MigrateToURI3', 'sa{sv}u', [uri, typed, flags], timeoutMs);
}

export interface JobStats {
  /** virDomainJobType: 0 none, 1 bounded, 2 unbounded, 3 completed, 4 failed, 5 cancelled. */
  type: number;
  /** libvirt's typed parameters: data_total, data_processed… (bytes). */
  stats: Record<string, unknown>;
}

export async function jobStats(client: LibvirtClient, domain: string): Promise<JobStats> {
  const [pair] = await client.call(domain, DOMAIN, 'GetJobStats', 'u', [0]);
  const [type, stats] = Array.isArray(pair) ? pair : [0, {}];
  return { type: Number(type), stats: typedParameters(stats) };
}

/** libvirt's typed parameters (an a{sv}) as plain values. */
export function typedParameters(parameters: unknown): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries((parameters ?? {}) as Record<string, unknown>)) values[key] = unwrap(value);
  return values;
}

/** libvirt-dbus wraps each typed parameter in a variant inside the a{sv}'s own. */
function unwrap(value: unknown): unknown {
  let inner = value;
  while (inner instanceof Variant) inner = inner.value;
  return inner;
}

export async function abortJob(client: LibvirtClient, domain: string): Promise<void> {
  await client.call(domain, DOMAIN, 'AbortJob', '', []);
}
