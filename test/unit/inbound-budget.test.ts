// What each caller may have decoded over time (service/dbus/inbound-budget.ts),
// on a clock the test moves, and who the bus says a caller is.

import { describe, expect, it } from 'vitest';
import { budgetKeys, InboundBudget, UNRESOLVED, type BudgetRates } from '../../service/dbus/inbound-budget.js';
import { ManualClock } from '../support/manual-clock.js';
import { tableSenderUids } from '../support/sender-uids.js';
import { flush } from '../support/wait.js';

const RATES: BudgetRates = { bytesPerSecond: 1000, burstBytes: 4000, minCharge: 100 };

describe('the inbound budget', () => {
  it('lets a burst through, then refuses until time refills it, at its rate', () => {
    const clock = new ManualClock();
    const budget = new InboundBudget(RATES, clock);
    expect(budget.take(['uid 1001'], 3000)).toBe(true);
    expect(budget.take(['uid 1001'], 1000)).toBe(true);
    // Empty: refused, and a refusal takes nothing.
    expect(budget.take(['uid 1001'], 1)).toBe(false);
    clock.advance(99);
    expect(budget.take(['uid 1001'], 1)).toBe(false);
    // A tenth of a second refills 100 bytes: the smallest call's cost.
    clock.advance(1);
    expect(budget.take(['uid 1001'], 1)).toBe(true);
    expect(budget.take(['uid 1001'], 1)).toBe(false);
    // A quiet while refills it to its burst, no more.
    clock.advance(60_000);
    expect(budget.take(['uid 1001'], 4000)).toBe(true);
    expect(budget.take(['uid 1001'], 100)).toBe(false);
  });

  it('keeps each caller apart: one that spent all of its own leaves another its whole burst', () => {
    const clock = new ManualClock();
    const budget = new InboundBudget(RATES, clock);
    while (budget.take(['uid 1002'], 100));
    expect(budget.take(['uid 1000'], 4000)).toBe(true);
  });

  it('charges tiny calls the floor, so a flood of them is bounded too', () => {
    const budget = new InboundBudget(RATES, new ManualClock());
    let taken = 0;
    while (budget.take(['uid 1002'], 0)) taken++;
    expect(taken).toBe(RATES.burstBytes / RATES.minCharge);
  });

  it('refills nothing when the clock goes back', () => {
    let now = 10_000;
    const budget = new InboundBudget(RATES, { now: () => now });
    expect(budget.take(['uid 1001'], 4000)).toBe(true);
    now = 0;
    expect(budget.take(['uid 1001'], 100)).toBe(false);
  });

  it('keeps a bounded number of callers, forgetting those whose bucket has refilled', () => {
    const clock = new ManualClock();
    const budget = new InboundBudget(RATES, clock);
    expect(budget.take(['uid 1002'], 4000)).toBe(true);
    for (let i = 0; i < 5000; i++) budget.take([`name :1.${i}`], 100);
    // The spent one, the oldest of all, is kept: those nearer full are forgotten first.
    expect(budget.take(['uid 1002'], 100)).toBe(false);
    // Once it would have refilled, it may go (and reads the same).
    clock.advance(4_000);
    for (let i = 5000; i < 10000; i++) budget.take([`name :1.${i}`], 100);
    expect(budget.take(['uid 1002'], 4000)).toBe(true);
  });
});

describe('who a caller is, for the budget', () => {
  it('is its uid once the bus tells it; until then its connection and all unknown ones together', async () => {
    const { senders, asked } = tableSenderUids({ ':1.1': 1002, ':1.2': 1002, ':1.3': 0 });
    const keysOf = budgetKeys(senders, (uid) => uid === 0);
    expect(keysOf(':1.1')).toEqual(['name :1.1', UNRESOLVED]);
    expect(keysOf(':1.3')).toEqual(['name :1.3', UNRESOLVED]);
    expect(keysOf(':1.9')).toEqual(['name :1.9', UNRESOLVED]);
    await flush();
    // Two connections of one uid share its budget; root draws on none.
    expect(keysOf(':1.1')).toEqual(['uid 1002']);
    expect(keysOf(':1.2')).toEqual(['name :1.2', UNRESOLVED]);
    await flush();
    expect(keysOf(':1.2')).toEqual(['uid 1002']);
    expect(keysOf(':1.3')).toEqual([]);
    // A connection the bus could not tell about is asked about again, once per message at most.
    expect(keysOf(':1.9')).toEqual(['name :1.9', UNRESOLVED]);
    await flush();
    expect(asked).toEqual([':1.1', ':1.3', ':1.9', ':1.2', ':1.9']);
  });

  it('gives connection after connection of one user no fresh burst each: the unknown ones share one', () => {
    const budget = new InboundBudget(RATES, new ManualClock());
    let read = 0;
    for (let connection = 0; connection < 100; connection++) {
      while (budget.take([`name :1.${connection}`, UNRESOLVED], 1000)) read++;
    }
    expect(read).toBe(RATES.burstBytes / 1000);
    // A known user's own budget is untouched by them.
    expect(budget.take(['uid 1000'], 4000)).toBe(true);
    // Nothing is taken from any bucket when one of them is short.
    expect(budget.take(['uid 1001', UNRESOLVED], 1000)).toBe(false);
    expect(budget.take(['uid 1001'], 4000)).toBe(true);
    // An exempt caller draws on none.
    expect(budget.take([], 1_000_000)).toBe(true);
  });
});
