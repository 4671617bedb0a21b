import { describe, expect, it } from 'vitest';
import { seatGuest, usableBy } from '../../extension/src/model/seats.js';

describe('a session on a seat', () => {
  it("uses its seat's guests and those of none, when there are several seats", () => {
    expect(usableBy({ seat: 'seat1' }, 'seat1', 2)).toBe(true);
    expect(usableBy({ seat: '' }, 'seat1', 2)).toBe(true);
    expect(usableBy({ seat: 'seat0' }, 'seat1', 2)).toBe(false);
  });

  it('uses every guest with a single seat', () => {
    expect(usableBy({ seat: 'seat0' }, 'seat1', 1)).toBe(true);
    expect(usableBy({ seat: 'seat0' }, '', 0)).toBe(true);
  });

  it('uses only the guests of no seat, with several seats, while it does not know its own', () => {
    expect(usableBy({ seat: 'seat0' }, '', 2)).toBe(false);
    expect(usableBy({ seat: '' }, '', 2)).toBe(true);
  });

  it("lands in its seat's guest, if it has one", () => {
    const seats = [
      { path: '/s0', id: 'seat0', guest: '/g0' },
      { path: '/s1', id: 'seat1', guest: '/' },
    ];
    expect(seatGuest(seats, 'seat0')).toBe('/g0');
    expect(seatGuest(seats, 'seat1')).toBeUndefined();
    expect(seatGuest(seats, 'seat9')).toBeUndefined();
  });
});
