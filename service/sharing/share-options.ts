// What sharing may do on this host (the administrator's --share-listen and
// --share-ports; none given, no sharing at all) and what one Share asks
// for within that (its a{sv} options). Pure.

import { isIP } from 'node:net';
import { invalidArgument, missingHostFeature, SwitcherError } from '../errors.js';

export interface SharingSettings {
  /** The addresses a share may listen on, as IP literals; the first is the default. */
  addresses: string[];
  /** The ports shares listen on, the first free one unless a Share names one. */
  firstPort: number;
  lastPort: number;
}

export const DEFAULT_SHARE_PORTS = '5930-5949';
/** A share lasts 1 s to 7 days; an hour unless asked. */
export const MAX_SHARE_SECONDS = 7 * 24 * 3600;
export const DEFAULT_SHARE_SECONDS = 3600;
/** Ports below are the host's privileged ones, which the service (no capabilities) cannot bind; a range is kept small. */
const FIRST_UNPRIVILEGED_PORT = 1024;
const MAX_PORTS = 1000;

/** The administrator's addresses (comma-separated IP literals), each named: never every address at once. */
export function parseShareAddresses(value: string): string[] {
  const addresses = value.split(',').map((each) => each.trim());
  for (const address of addresses) {
    if (isIP(address) === 0)
      throw invalidArgument(`--share-listen takes IP addresses separated by commas, not '${address}'`);
    if (address === '0.0.0.0' || /^[0:]+$/.test(address))
      throw invalidArgument(
        `--share-listen takes the addresses a share may listen on, not ${address} (every address): name each`,
      );
  }
  if (new Set(addresses).size !== addresses.length) throw invalidArgument('--share-listen names an address twice');
  return addresses;
}

/** FIRST-LAST, unprivileged, at most MAX_PORTS of them. */
export function parseSharePorts(value: string): { firstPort: number; lastPort: number } {
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(value);
  const [first, last] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!match || first < FIRST_UNPRIVILEGED_PORT || last > 65535 || last < first || last - first >= MAX_PORTS) {
    throw invalidArgument(
      `--share-ports takes FIRST-LAST, ports ${FIRST_UNPRIVILEGED_PORT} to 65535, at most ${MAX_PORTS} of them, not '${value}'`,
    );
  }
  return { firstPort: first, lastPort: last };
}

/** What a Share asks for, checked against what the host allows. */
export interface ShareRequest {
  address: string;
  /** A port of the range, or undefined for the first free one. */
  port: number | undefined;
  durationSeconds: number;
}

/** Sharing is off unless an administrator turned it on: the same answer for every caller. */
export function sharingOff(): SwitcherError {
  return missingHostFeature(
    'Sharing guests with other computers is off on this host; an administrator turns it on (the service’s --share-listen option)',
  );
}

interface OptionValue {
  signature: string;
  value: unknown;
}

const INTEGER_TYPES = new Set(['y', 'n', 'q', 'i', 'u', 'x', 't']);

function integer(key: string, { signature, value }: OptionValue): number {
  if (!INTEGER_TYPES.has(signature))
    throw invalidArgument(`Option ${key} takes an unsigned integer (D-Bus type u or t), not type ${signature || '?'}`);
  return Number(BigInt(value as number | bigint));
}

/** Share's options: address (s), port (u; 0 = any free one), duration (u, seconds). */
export function parseShareOptions(options: Record<string, OptionValue>, settings: SharingSettings): ShareRequest {
  const request: ShareRequest = {
    address: settings.addresses[0] as string,
    port: undefined,
    durationSeconds: DEFAULT_SHARE_SECONDS,
  };
  for (const [key, option] of Object.entries(options)) {
    switch (key) {
      case 'address':
        if (typeof option.value !== 'string') throw invalidArgument('Option address takes a string (s)');
        if (!settings.addresses.includes(option.value))
          throw invalidArgument(
            `A share may listen on ${settings.addresses.join(', ')} only, not '${option.value.slice(0, 64)}'`,
          );
        request.address = option.value;
        break;
      case 'port': {
        const port = integer(key, option);
        if (port !== 0 && (port < settings.firstPort || port > settings.lastPort))
          throw invalidArgument(
            `A share listens on a port from ${settings.firstPort} to ${settings.lastPort} (0: the first free one), not ${port}`,
          );
        request.port = port === 0 ? undefined : port;
        break;
      }
      case 'duration': {
        const seconds = integer(key, option);
        if (seconds < 1 || seconds > MAX_SHARE_SECONDS)
          throw invalidArgument(`A share lasts 1 to ${MAX_SHARE_SECONDS} seconds (7 days), not ${seconds}`);
        request.durationSeconds = seconds;
        break;
      }
      default:
        throw invalidArgument(`Unknown option '${key.slice(0, 64)}'; Share takes address, port, duration`);
    }
  }
  return request;
}
