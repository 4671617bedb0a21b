// libvirt's statistics of every running domain in one call
// (org.libvirt.Connect.GetAllDomainStats, virConnectGetAllDomainStats):
// the call, and its records as plain numbers. Reading a record is pure.

import type { LibvirtClient } from './client.js';

const CONNECT = 'org.libvirt.Connect';

// virDomainStatsTypes
const STATS_CPU_TOTAL = 2;
const STATS_BALLOON = 4;
const STATS_VCPU = 8;
// virConnectGetAllDomainStatsFlags: running and paused domains only, and only
// what libvirt can read without waiting on a domain that is busy (a guest
// starting holds its monitor for seconds).
const ACTIVE = 1;
const NOWAIT = 1 << 29;

/** One domain's statistics: libvirt's name for it, and its typed parameters (cpu.time, balloon.rss…) as numbers. */
export interface DomainStatsRecord {
  name: string;
  values: Map<string, number>;
}

/**
 * CPU time (cpu.time, ns), vCPU count (vcpu.current) and memory (balloon.*,
 * KiB) of every running domain, in one call. Rejects with libvirt's typed
 * errors (NotConnected, Timeout, Libvirt).
 */
export async function allDomainStats(client: LibvirtClient): Promise<DomainStatsRecord[]> {
  const [records] = await client.call(client.endpoint.connectPath, CONNECT, 'GetAllDomainStats', 'uu', [
    STATS_CPU_TOTAL | STATS_BALLOON | STATS_VCPU,
    ACTIVE | NOWAIT,
  ]);
  return parseDomainStats(records);
}

/**
 * GetAllDomainStats' a(sa{sv}) as dbus-next gives it; what is not a number is
 * left out. libvirt-dbus wraps each typed parameter in a variant of its own
 * inside the dictionary's (v holding v holding t): unwrapped here.
 */
export function parseDomainStats(records: unknown): DomainStatsRecord[] {
  if (!Array.isArray(records)) return [];
  const parsed: DomainStatsRecord[] = [];
  for (const record of records) {
    if (!Array.isArray(record) || typeof record[0] !== 'string') continue;
    const values = new Map<string, number>();
    const params = (record[1] ?? {}) as Record<string, unknown>;
    for (const [key, variant] of Object.entries(params)) {
      const value = unwrap(variant);
      if (typeof value === 'number') values.set(key, value);
      else if (typeof value === 'bigint') values.set(key, Number(value));
    }
    parsed.push({ name: record[0], values });
  }
  return parsed;
}

function unwrap(value: unknown): unknown {
  let inner = value;
  for (let depth = 0; depth < 4 && isVariant(inner); depth++) inner = inner.value;
  return inner;
}

function isVariant(value: unknown): value is { signature: string; value: unknown } {
  return typeof value === 'object' && value !== null && 'signature' in value && 'value' in value;
}
