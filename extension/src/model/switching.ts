// Which guest a switching shortcut means. Pure.

import type { GuestSummary } from './guest-list.js';

export type SwitchRequest = { kind: 'place'; place: number } | { kind: 'next' } | { kind: 'previous' };

/**
 * The guest to switch to: by its place in the launcher (1-based), or the
 * next/previous one after `current` (the guest whose viewer has the focus),
 * wrapping around. From the host, next is the first and previous the last.
 */
export function switchTarget(
  ordered: readonly GuestSummary[],
  current: string | undefined,
  request: SwitchRequest,
): GuestSummary | undefined {
  if (ordered.length === 0) return undefined;
  if (request.kind === 'place') return ordered[request.place - 1];
  const at = ordered.findIndex((g) => g.path === current);
  if (at < 0) return request.kind === 'next' ? ordered[0] : ordered[ordered.length - 1];
  const step = request.kind === 'next' ? 1 : -1;
  return ordered[(at + step + ordered.length) % ordered.length];
}

/** The settings key of each switching shortcut, with what it asks for. */
export const SWITCH_KEYS: [key: string, request: SwitchRequest][] = [
  ...Array.from({ length: 9 }, (_, i): [string, SwitchRequest] => [
    `switch-to-guest-${i + 1}`,
    { kind: 'place', place: i + 1 },
  ]),
  ['next-guest', { kind: 'next' }],
  ['previous-guest', { kind: 'previous' }],
];
