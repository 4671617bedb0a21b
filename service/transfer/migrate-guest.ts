// Move live: libvirt's own migration, peer to peer (the source libvirtd
// talks to the target's itself), the guest persistent on the target and
// undefined on the source once it runs there, its disks copied along unless
// the caller says they are on shared storage. libvirt undefining the source
// is the only way anything here removes a guest; libvirt leaves the source's
// disk files alone. Progress is libvirt's job statistics; Cancel is its
// AbortJob, after which the guest runs on here as before.

import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { invalidArgument, invalidState } from '../errors.js';
import type { Guest } from '../guests/guest.js';
import type { JobContext, JobOutcome } from '../jobs/job.js';
import {
  abortJob,
  jobStats,
  MIGRATE_ABORT_ON_ERROR,
  MIGRATE_LIVE,
  MIGRATE_NON_SHARED_DISK,
  MIGRATE_PEER2PEER,
  MIGRATE_PERSIST_DEST,
  MIGRATE_UNDEFINE_SOURCE,
  migrateToUri3,
  typedParameters,
  type MigrationParams,
} from '../libvirt/domain.js';
import { log } from '../log.js';
import type { TransferHost } from './transfer-context.js';

const MIGRATION_TIMEOUT_MS = 6 * 3600_000;
const STATS_INTERVAL_MS = 500;
/** How long after libvirt's reply its JobCompleted event (the final figures) may still come. */
const FINAL_STATS_WAIT_MS = 2_000;

type Bytes = number | bigint;
const isBytes = (value: unknown): value is Bytes => typeof value === 'bigint' || typeof value === 'number';

/** libvirt's data_processed and data_total, when both are there. */
function dataFigures(stats: Record<string, unknown>): [done: Bytes, total: Bytes] | undefined {
  const { data_processed: done, data_total: total } = stats;
  return isBytes(done) && isBytes(total) ? [done, total] : undefined;
}

export interface MigrationOptions {
  /** Where the guest's memory goes (libvirt's migrate_uri, e.g. tcp://10.0.0.2). */
  migrateUri?: string;
  /** Where the target listens for it (listen_address). */
  listenAddress?: string;
  /** Where disk contents go (disks_uri). */
  disksUri?: string;
  /** At most this many MiB/s. */
  bandwidthMiB?: bigint;
  /** The disks are on storage both hosts see: not copied. */
  sharedStorage: boolean;
}

/** A value of the a{sv} options as dbus-next hands it over. */
interface VariantLike {
  signature: string;
  value: unknown;
}

/**
 * Whose rights the target URI and options are used with. The source
 * libvirtd opens the target itself (peer to peer) and runs as root on
 * qemu:///system: a URI parameter naming a local program or file (command,
 * netcat, socket, keyfile, pkipath, known_hosts) or a migrate_uri on a unix
 * socket would be used with root's rights. The per-user service's callers
 * are its own user, who could ask libvirt the same; the host-wide
 * service's callers are anybody, and get only network addresses.
 */
export type MigrationTrust = 'caller-is-owner' | 'any-caller';

const STRING_OPTIONS: Record<string, keyof MigrationOptions> = {
  migrate_uri: 'migrateUri',
  listen_address: 'listenAddress',
  disks_uri: 'disksUri',
};

/** A host name or an IP address (IPv6 in brackets), with an optional port. */
const NETWORK_ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,252}))(:\d{1,5})?$/;
/** migrate_uri and disks_uri: where QEMU sends the data (libvirt's migration URIs). */
const DATA_URI = /^(tcp|rdma):\/\/([^/?#\s]+)\/?$/;
const UNIX_DATA_URI = /^unix:\/\/\/[^?#\s]+$/;

function checkStringOption(key: string, value: string, trust: MigrationTrust): void {
  if (key === 'listen_address') {
    if (!NETWORK_ADDRESS.test(value)) throw invalidArgument(`Option listen_address takes a host name or an IP address`);
    return;
  }
  const data = DATA_URI.exec(value);
  if (data && NETWORK_ADDRESS.test(data[2] as string)) return;
  if (trust === 'caller-is-owner' && UNIX_DATA_URI.test(value)) return;
  throw invalidArgument(
    `Option ${key} takes tcp://HOST[:PORT] or rdma://HOST[:PORT]` +
      (trust === 'caller-is-owner'
        ? ' or unix:///PATH'
        : ' (the host-wide service opens no local socket for a caller)'),
  );
}

/** Reads MigrateTo's options; an unknown key, a wrong type or a value out of its form is an InvalidArgument. */
export function parseMigrationOptions(
  options: Record<string, VariantLike>,
  trust: MigrationTrust = 'caller-is-owner',
): MigrationOptions {
  const parsed: MigrationOptions = { sharedStorage: false };
  for (const [key, variant] of Object.entries(options)) {
    const field = STRING_OPTIONS[key];
    if (field) {
      if (variant.signature !== 's' || typeof variant.value !== 'string' || variant.value.length > 1024) {
        throw invalidArgument(`Option ${key} takes a string`);
      }
      checkStringOption(key, variant.value, trust);
      (parsed as unknown as Record<string, string>)[field] = variant.value;
    } else if (key === 'bandwidth') {
      if (variant.signature !== 't' || typeof variant.value !== 'bigint') {
        throw invalidArgument('Option bandwidth takes MiB/s as a uint64');
      }
      parsed.bandwidthMiB = variant.value;
    } else if (key === 'shared_storage') {
      if (variant.signature !== 'b' || typeof variant.value !== 'boolean') {
        throw invalidArgument('Option shared_storage takes a boolean');
      }
      parsed.sharedStorage = variant.value;
    } else {
      throw invalidArgument(
        `Unknown option '${key.slice(0, 64)}'; MigrateTo takes migrate_uri, listen_address, disks_uri, bandwidth and shared_storage`,
      );
    }
  }
  return parsed;
}

const REMOTE_URI = /^qemu(\+(ssh|libssh|libssh2|tcp|tls|unix))?:\/\/([^/?#]*)\/(system|session)(\?[^#\s]*)?$/;

/**
 * libvirt's remote URI parameters we pass on, each with the form of its
 * value (https://libvirt.org/uri.html#remote-uris).
 */
const URI_PARAMETERS: Record<string, RegExp> = {
  no_verify: /^[01]$/,
  no_tty: /^[01]$/,
  mode: /^(auto|legacy|direct)$/,
  proxy: /^(auto|netcat|native)$/,
  sshauth: /^(agent|privkey|password|keyboard-interactive)(,(agent|privkey|password|keyboard-interactive))*$/,
  known_hosts_verify: /^(normal|auto|ignore)$/,
  tls_priority: /^[A-Za-z0-9:+!%._-]{1,256}$/,
  name: /^qemu:\/\/\/(system|session)$/,
};
/** Parameters that name a local program or file, used with the source libvirtd's rights. */
const LOCAL_PATH_PARAMETERS = new Set(['socket', 'command', 'netcat', 'keyfile', 'pkipath', 'known_hosts']);

/** The target as a libvirt URI of another libvirtd; our own daemon is refused. */
export function validateTargetUri(uri: string, ownUri: string, trust: MigrationTrust = 'caller-is-owner'): string {
  const match = uri.length <= 2048 ? REMOTE_URI.exec(uri) : null;
  if (!match) {
    throw invalidArgument(`'${uri.slice(0, 100)}' is not a libvirt URI of a QEMU host, such as qemu+ssh://host/system`);
  }
  const [, transport, , host, , query] = match;
  if (!transport && !host) throw invalidArgument(`${uri} is this host's own libvirt; name another host`);
  if (uri === ownUri) throw invalidArgument(`${uri} is the libvirt this service manages`);
  for (const [key, value] of new URLSearchParams(query ?? '')) {
    if (LOCAL_PATH_PARAMETERS.has(key)) {
      if (trust === 'caller-is-owner') continue;
      throw invalidArgument(
        `The URI parameter '${key}' names a program or file on this host, which the host-wide service does not use for a caller`,
      );
    }
    const form = URI_PARAMETERS[key];
    if (!form) throw invalidArgument(`The URI parameter '${key.slice(0, 64)}' is not one MigrateTo takes`);
    if (!form.test(value)) throw invalidArgument(`The URI parameter '${key}' cannot be '${value.slice(0, 64)}'`);
  }
  checkTargetHost(uri, host ?? '', trust);
  return uri;
}

// The address is whatever follows the user, line breaks too: NETWORK_ADDRESS is what judges it.
const USER_AND_ADDRESS = /^(?:[A-Za-z0-9._][A-Za-z0-9._-]{0,63}@)?([\s\S]*)$/;
/**
 * How a URL reads the host of `address` (host[:port]): IPv4 in any spelling
 * (127.1, 2130706433, 0x7f000001, a final dot) as a dotted quad, IPv6
 * compressed in brackets, names in lower case without a final dot; undefined
 * when it reads none.
 */
function canonicalHost(address: string): string | undefined {
  try {
    return new URL(`http://${address}/`).hostname.replace(/\.$/, '') || undefined;
  } catch {
    return undefined;
  }
}

/** A canonical IPv4 address that is this host whatever it runs on: 127.0.0.0/8 and 0.0.0.0/8. */
const isOwnIpv4 = (ip: string): boolean => isIPv4(ip) && (ip.startsWith('127.') || ip.startsWith('0.'));

/** Whether a canonical host is this one: a loopback or unspecified address or name, or an address or name of its own. */
export function isThisHost(host: string, own: readonly string[] = ownHostNames()): boolean {
  if (host === 'localhost' || host.endsWith('.localhost') || host === 'localhost.localdomain') return true;
  if (isOwnIpv4(host)) return true;
  if (host.startsWith('[')) {
    const ip = host.slice(1, -1);
    if (ip === '::1' || ip === '::') return true;
    // An IPv4 address mapped into IPv6 (::ffff:7f00:1) is that IPv4 address.
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip);
    if (mapped) {
      const [high, low] = [parseInt(mapped[1] as string, 16), parseInt(mapped[2] as string, 16)];
      return isThisHost(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, own);
    }
  }
  return own.includes(host);
}

/**
 * Refuses, for the host-wide service, a target whose host name this host
 * resolves (its /etc/hosts, its resolver) to an address of its own: a
 * loopback alias such as localhost6 or a name a hosts file maps to
 * 127.0.0.1. A name it cannot resolve is left to libvirt, which then fails.
 * This is the early, plain answer, not the only guard: libvirt resolves the
 * name again itself (a name whose answer changes in between gets past this
 * check), and then refuses a move whose target is this host by the host
 * UUID and name the two daemons exchange ("Attempt to migrate guest to the
 * same host").
 */
export async function refuseTargetResolvingHere(
  uri: string,
  trust: MigrationTrust,
  lookup: (host: string) => Promise<string[]> = resolveAddresses,
): Promise<void> {
  if (trust === 'caller-is-owner') return;
  const host = canonicalHost((USER_AND_ADDRESS.exec(REMOTE_URI.exec(uri)?.[3] ?? '') as RegExpExecArray)[1] ?? '');
  if (!host || host.startsWith('[') || isIPv4(host)) return;
  const addresses = await lookup(host).catch(() => []);
  const canonical = addresses.map((a) => canonicalHost(isIPv4(a) ? a : `[${a}]`)).filter((a) => a !== undefined);
  if (canonical.some((a) => isThisHost(a))) {
    throw invalidArgument(`${uri.slice(0, 200)} is this host; the host-wide service moves guests to another host only`);
  }
}

const LOOKUP_TIMEOUT_MS = 2_000;

/** The addresses this host's resolver gives a name, or none within the time. */
async function resolveAddresses(host: string): Promise<string[]> {
  const timeout = new Promise<string[]>((resolve) => setTimeout(() => resolve([]), LOOKUP_TIMEOUT_MS).unref());
  const found = lookup(host, { all: true }).then((list) => list.map((a) => a.address));
  return Promise.race([found, timeout]);
}

/** This machine's own name and addresses, as canonicalHost() writes them. */
function ownHostNames(): string[] {
  const name = hostname().toLowerCase();
  const addresses = Object.values(networkInterfaces())
    .flat()
    .map((a) => (a?.family === 'IPv6' ? `[${a.address.replace(/%.*$/, '')}]` : (a?.address ?? '')));
  return [name, name.split('.')[0] ?? name, ...addresses]
    .map((h) => canonicalHost(h))
    .filter((h): h is string => h !== undefined);
}

/**
 * The host part of a target URI: a host name or an IP address, with an
 * optional user@ and :port (what ssh and libvirt take, never an option in
 * disguise such as '-oProxyCommand=…'). The host-wide service takes only
 * another host: not this one by a loopback name, nor its own sockets.
 */
function checkTargetHost(uri: string, host: string, trust: MigrationTrust): void {
  const address = (USER_AND_ADDRESS.exec(host) as RegExpExecArray)[1] as string;
  if (host && !NETWORK_ADDRESS.test(address)) {
    throw invalidArgument(
      `'${host.slice(0, 100)}' in the URI is not a host name or an IP address (with an optional user@ and :port)`,
    );
  }
  if (trust === 'caller-is-owner') return;
  const canonical = canonicalHost(address);
  if (!host || canonical === undefined || isThisHost(canonical)) {
    throw invalidArgument(`${uri.slice(0, 200)} is this host; the host-wide service moves guests to another host only`);
  }
}

export function migrationFlags(options: MigrationOptions): number {
  const flags =
    MIGRATE_LIVE | MIGRATE_PEER2PEER | MIGRATE_PERSIST_DEST | MIGRATE_UNDEFINE_SOURCE | MIGRATE_ABORT_ON_ERROR;
  return options.sharedStorage ? flags : flags | MIGRATE_NON_SHARED_DISK;
}

export function migrationParams(options: MigrationOptions): MigrationParams {
  const params: MigrationParams = {};
  if (options.migrateUri) params.migrate_uri = options.migrateUri;
  if (options.listenAddress) params.listen_address = options.listenAddress;
  if (options.disksUri) params.disks_uri = options.disksUri;
  if (options.bandwidthMiB !== undefined) params.bandwidth = options.bandwidthMiB;
  return params;
}

export interface MigratePlan {
  guest: Guest;
  uri: string;
  options: MigrationOptions;
}

export function planMigrate(
  guest: Guest,
  uri: string,
  ownUri: string,
  options: Record<string, VariantLike>,
  trust: MigrationTrust,
): MigratePlan {
  const target = validateTargetUri(uri, ownUri, trust);
  const parsed = parseMigrationOptions(options, trust);
  if (guest.state !== 'running' && guest.state !== 'paused') {
    throw invalidState(`${guest.name} is ${guest.state}; a live move needs it running (export a guest that is off)`);
  }
  return { guest, uri: target, options: parsed };
}

export async function runMigrate(host: TransferHost, plan: MigratePlan, job: JobContext): Promise<JobOutcome> {
  const { guest } = plan;
  const domain = guest.libvirtPath;
  // libvirt's statistics while the migration runs, every STATS_INTERVAL_MS until it ends.
  let polling = true;
  let timer: NodeJS.Timeout | undefined;
  const poll = async (): Promise<void> => {
    try {
      const figures = dataFigures((await jobStats(host.client, domain)).stats);
      if (figures && polling) job.report(...figures);
    } catch {
      // libvirt may be busy starting the job, or the job has just ended and taken its statistics along.
    }
    if (polling) timer = setTimeout(() => void poll(), STATS_INTERVAL_MS);
  };
  timer = setTimeout(() => void poll(), STATS_INTERVAL_MS);
  const stopPolling = (): void => {
    polling = false;
    clearTimeout(timer);
  };
  // The final figures come with libvirt's JobCompleted event, once the domain here is already going.
  let final: (() => void) | undefined;
  const finalFigures = new Promise<void>((resolve) => {
    final = resolve;
  });
  const onJobCompleted = (path: string, stats: Record<string, unknown>): void => {
    if (path !== domain) return;
    const figures = dataFigures(typedParameters(stats));
    if (figures) job.report(...figures);
    final?.();
  };
  host.client.on('jobCompleted', onJobCompleted);
  const onAbort = (): void => {
    abortJob(host.client, domain).catch((error: unknown) =>
      log.warning(`AbortJob on ${guest.name}: ${(error as Error).message}`),
    );
  };
  job.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await migrateToUri3(
      host.client,
      domain,
      plan.uri,
      migrationParams(plan.options),
      migrationFlags(plan.options),
      MIGRATION_TIMEOUT_MS,
    );
    stopPolling();
    await Promise.race([finalFigures, new Promise((resolve) => setTimeout(resolve, FINAL_STATS_WAIT_MS))]);
  } catch (error) {
    // After AbortJob libvirt answers with its own words ("operation aborted…"): the cancel is what happened.
    job.signal.throwIfAborted();
    throw error;
  } finally {
    stopPolling();
    job.signal.removeEventListener('abort', onAbort);
    host.client.off('jobCompleted', onJobCompleted);
  }
  // libvirt undefined it here as the move ended, and need not say so in an event of its own (a Stopped
  // event's read may have found it still defined): read it again, which removes it.
  await host.registry.refresh(domain);
  // The caller's URI (a host, a user there) is said to the caller alone, in the message.
  return { result: '', message: `Moved ${guest.name} to ${plan.uri}` };
}
