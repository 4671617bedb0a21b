// A session's seat as the service places it (DescribeCaller), not XDG_SEAT:
// which guests it shows and where it lands (extension/src/flows/seat-landing.ts).

import { describe, expect, it } from 'vitest';
import type { CollectionListener } from '../../extension/src/model/collection.js';
import type { GuestSummary } from '../../extension/src/model/guest-list.js';
import { SeatSession } from '../../extension/src/flows/seat-landing.js';

const guest = (name: string, seat: string): GuestSummary => ({
  path: `/g/${name}`,
  name,
  state: 'shutoff',
  osId: '',
  seat,
});
const SEATS = [
  { path: '/s/seat0', id: 'seat0', guest: '/g/bravo' },
  { path: '/s/seat1', id: 'seat1', guest: '/g/alpha' },
];

function session(): { seats: SeatSession; shown: () => string[]; landed: string[] } {
  let shown: string[] = [];
  const landed: string[] = [];
  const view: CollectionListener<GuestSummary> = {
    reset: (list) => (shown = list.map((g) => g.name)),
    added: (g) => shown.push(g.name),
    removed: (path) => (shown = shown.filter((name) => `/g/${name}` !== path)),
    changed: () => undefined,
  };
  const seats = new SeatSession('', view, (g) => landed.push(g.name), { landed: false });
  seats.seatEvents.reset(SEATS);
  seats.guests.reset([guest('alpha', 'seat1'), guest('bravo', 'seat0'), guest('charlie', '')]);
  return { seats, shown: () => [...shown].sort(), landed };
}

describe('a session on one of several seats', () => {
  it('shows only the guests of no seat, and lands nowhere, until the service has placed it', () => {
    const { shown, landed } = session();
    expect(shown()).toEqual(['charlie']);
    expect(landed).toEqual([]);
  });

  it("then shows its seat's guests and those of none, and lands in its seat's guest once", () => {
    const { seats, shown, landed } = session();
    seats.setOwnSeat('seat1');
    expect(shown()).toEqual(['alpha', 'charlie']);
    expect(landed).toEqual(['alpha']);
    seats.setOwnSeat('seat1');
    seats.seatEvents.changed('/s/seat1', { guest: '/g/alpha' });
    expect(landed).toEqual(['alpha']);
  });

  it('placed nowhere (the service cannot tell), keeps to the guests of no seat', () => {
    const { seats, shown, landed } = session();
    seats.setOwnSeat('');
    expect(shown()).toEqual(['charlie']);
    expect(landed).toEqual([]);
  });
});
