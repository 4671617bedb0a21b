// Sharing a guest with another computer, as the menu and the Share dialog
// see it: when Share… is offered, the lengths a person picks from, what
// the service's answer holds, and how long is left. Pure; the service has
// the last word on what is allowed.

import { N_ } from './i18n.js';
import type { GuestSummary } from './guest-list.js';

/** The lengths offered, in seconds, with their words (translated where shown). */
export const SHARE_DURATIONS: readonly { seconds: number; label: string }[] = [
  { seconds: 15 * 60, label: N_('15 Minutes') },
  { seconds: 60 * 60, label: N_('1 Hour') },
  { seconds: 4 * 60 * 60, label: N_('4 Hours') },
];

/** What another computer needs, as Share answers it: shown once, and kept nowhere. */
export interface ShareCredential {
  address: string;
  port: number;
  password: string;
  /** Seconds since the epoch. */
  expires: number;
  uri: string;
  /** SHA-256 of the host's certificate, AB:CD:… */
  fingerprint: string;
  /** A virt-viewer connection file with all of it (remote-viewer FILE.vv). */
  connectionFile: string;
}

/** Whether the menu offers Share… for a guest: the host allows it, the guest runs, and shows on SPICE. */
export function canShare(guest: Pick<GuestSummary, 'state' | 'display' | 'shared'>, allowed: boolean): boolean {
  return allowed && !guest.shared && guest.display === 'spice' && ['running', 'paused'].includes(guest.state);
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const number = (value: unknown): number =>
  typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : NaN;

/** Share's a{sv} answer (unpacked), checked: undefined when it lacks what another computer needs. */
export function shareCredential(answer: Record<string, unknown>): ShareCredential | undefined {
  const credential: ShareCredential = {
    address: text(answer.address),
    port: number(answer.port),
    password: text(answer.password),
    expires: number(answer.expires),
    uri: text(answer.uri),
    fingerprint: text(answer.fingerprint),
    connectionFile: text(answer['connection-file']),
  };
  const complete =
    credential.address !== '' &&
    Number.isInteger(credential.port) &&
    credential.password !== '' &&
    Number.isFinite(credential.expires) &&
    credential.fingerprint !== '' &&
    credential.connectionFile !== '';
  return complete ? credential : undefined;
}

/** A fingerprint (AB:CD:…) in lines of 16 bytes, as a dialog can show it whole. */
export function fingerprintLines(fingerprint: string): string {
  const bytes = fingerprint.split(':');
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) lines.push(bytes.slice(i, i + 16).join(':'));
  return lines.join('\n');
}
