// Who may act on what (service/access/policy.ts), from facts alone.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  actsAsOwn,
  cancelRefusal,
  decide,
  decideCancel,
  OTHER_SEAT_ACTION,
  OTHER_USERS_JOB_ACTION,
  polkitAnswer,
  polkitFlags,
  refusal,
  touchedSeats,
  type CallerPlace,
} from '../../service/access/policy.js';

const AT_SEAT1: CallerPlace = { session: 'c1', seat: 'seat1', active: true, local: true };

describe('the active local session of a seat', () => {
  it("acts on its seat's and on what is of no seat, nothing else, without asking", () => {
    expect(decide(AT_SEAT1, ['seat1'])).toBe('allow');
    expect(decide(AT_SEAT1, [''])).toBe('allow');
    expect(decide(AT_SEAT1, ['seat1', ''])).toBe('allow');
    expect(decide(AT_SEAT1, ['seat0'])).toBe('ask-polkit');
    // A device of its seat for another seat's guest touches both.
    expect(decide(AT_SEAT1, ['seat1', 'seat0'])).toBe('ask-polkit');
  });
});

describe('any other caller', () => {
  it('needs polkit even for its own seat: in the background, remote, or placed nowhere by logind', () => {
    expect(actsAsOwn({ ...AT_SEAT1, active: false }, ['seat1'])).toBe(false);
    expect(actsAsOwn({ ...AT_SEAT1, local: false }, ['seat1'])).toBe(false);
    expect(actsAsOwn(undefined, [''])).toBe(false);
    // A session on no seat (ssh) owns only what is of no seat.
    expect(actsAsOwn({ session: 's', seat: '', active: true, local: true }, [''])).toBe(true);
    expect(actsAsOwn({ session: 's', seat: '', active: true, local: true }, ['seat0'])).toBe(false);
  });

  it("is allowed by polkit's yes alone: no, a challenge the call did not allow, or no answer refuse", () => {
    expect(decide(undefined, ['seat0'], 'yes')).toBe('allow');
    for (const answer of ['no', 'challenge', 'failed'] as const)
      expect(decide(undefined, ['seat0'], answer)).toBe('deny');
    // An answer does not take away what the caller may do anyway.
    expect(decide(AT_SEAT1, ['seat1'], 'no')).toBe('allow');
  });
});

describe('polkit', () => {
  it('is read as yes, challenge or no, and may ask the user only when the caller allowed it', () => {
    expect(polkitAnswer([true, false, {}])).toBe('yes');
    expect(polkitAnswer([false, true, {}])).toBe('challenge');
    expect(polkitAnswer([false, false, { 'polkit.dismissed': 'true' }])).toBe('no');
    expect(polkitFlags(true)).toBe(1);
    expect(polkitFlags(false)).toBe(0);
  });
});

describe('a refusal', () => {
  it('names the seats touched once, and says why in the caller’s terms', () => {
    expect(touchedSeats(['seat1', '', 'seat0', 'seat1'])).toEqual(['seat0', 'seat1']);
    expect(touchedSeats(['', ''])).toEqual(['']);
    expect(refusal(AT_SEAT1, ['seat0', 'seat1'], 'test', 'no')).toBe(
      `Not allowed to act on test: it belongs to seat0, and your session is on seat1, and polkit did not allow it (${OTHER_SEAT_ACTION})`,
    );
    expect(refusal(undefined, [''], 'test', 'failed')).toMatch(/places your process in no session.*did not answer/);
    expect(refusal({ ...AT_SEAT1, active: false }, ['seat1'], 'test', 'challenge')).toMatch(
      /not the active one of its seat.*ALLOW_INTERACTIVE_AUTHORIZATION/,
    );
  });

  it('says where the caller sits, first what logind says of its session, then the seats', () => {
    const why = (place: CallerPlace | undefined, seats: string[]): string =>
      refusal(place, seats, 'test', 'no').replace(/^Not allowed to act on test: (.*), and polkit.*$/, '$1');
    expect(why(undefined, ['seat0'])).toBe(
      'logind places your process in no session (and your user has none on a display)',
    );
    expect(why({ ...AT_SEAT1, local: false, active: false }, ['seat0'])).toBe('your session c1 is remote');
    expect(why({ ...AT_SEAT1, active: false }, ['seat0'])).toBe('your session c1 is not the active one of its seat');
    expect(why(AT_SEAT1, ['seat2', 'seat0', ''])).toBe('it belongs to seat0 and seat2, and your session is on seat1');
    expect(why({ session: 's', seat: '', active: true, local: true }, ['seat0'])).toBe(
      'it belongs to seat0, and your session is on no seat',
    );
    // Nothing of another seat: no seat is named, "of no seat" least of all.
    expect(why(AT_SEAT1, ['seat1'])).toBe('it is not of your seat');
    expect(why(AT_SEAT1, [''])).toBe('it is not of your seat');
  });
});

describe('the polkit actions asked about', () => {
  it('are the ones our .policy file declares', () => {
    const policy = readFileSync(new URL('../../data/me.phyllo.switcher.policy', import.meta.url), 'utf8');
    const declared = [...policy.matchAll(/<action id="([^"]+)"/g)].map((m) => m[1]);
    expect(declared).toEqual([OTHER_SEAT_ACTION, OTHER_USERS_JOB_ACTION]);
  });
});

describe('cancelling a job', () => {
  it('is for the user who started it, whatever seat; anybody else needs polkit’s yes', () => {
    expect(decideCancel(1000, 1000)).toBe('allow');
    expect(decideCancel(1001, 1000)).toBe('ask-polkit');
    expect(decideCancel(0, 1000)).toBe('ask-polkit');
    expect(decideCancel(1001, 1000, 'yes')).toBe('allow');
    for (const answer of ['no', 'challenge', 'failed'] as const) expect(decideCancel(1001, 1000, answer)).toBe('deny');
  });

  it('is refused naming who started the job and the action polkit was asked about', () => {
    expect(cancelRefusal('the import job /me/phyllo/Switcher1/job/3', 1000, 'no')).toBe(
      `Not allowed to cancel the import job /me/phyllo/Switcher1/job/3: user 1000 started it, and polkit did not allow it (${OTHER_USERS_JOB_ACTION})`,
    );
  });
});
