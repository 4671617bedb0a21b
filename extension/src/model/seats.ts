// Multi-seat: which guests a session on a seat may use, and which guest
// its seat starts with. Pure.

import type { GuestSummary } from './guest-list.js';

export interface SeatSummary {
  path: string;
  id: string;
  /** The assigned guest's path, or '/'. */
  guest: string;
}

/**
 * A session on `ownSeat` uses the guests of its seat and those of none; with
 * one seat, all. With several, a session whose seat is not known (yet, or
 * at all: the service cannot place it) uses only those of no seat — the
 * others the service would refuse it anyway.
 */
export function usableBy(guest: Pick<GuestSummary, 'seat'>, ownSeat: string, seatCount: number): boolean {
  if (seatCount < 2) return true;
  return !guest.seat || guest.seat === ownSeat;
}

/** The guest a session on `ownSeat` starts with (kiosk-like), if its seat has one. */
export function seatGuest(seats: Iterable<SeatSummary>, ownSeat: string): string | undefined {
  for (const seat of seats) if (seat.id === ownSeat && seat.guest !== '/') return seat.guest;
  return undefined;
}
