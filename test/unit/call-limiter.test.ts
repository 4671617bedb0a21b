import { describe, expect, it } from 'vitest';
import { CallLimiter, type CallLimits, type Release } from '../../service/access/call-limiter.js';
import { SwitcherError } from '../../service/errors.js';
import { PerUserCalls } from '../../service/access/expensive-calls.js';
import { tableSenderUids } from '../support/sender-uids.js';
import { ManualClock } from '../support/manual-clock.js';
import { flush } from '../support/wait.js';

const LIMITS: CallLimits = { perCaller: 2, total: 3, waitingPerCaller: 2, waitingTotal: 3, maxWaitMs: 1000 };

/** Starts an acquire and records how it settles. */
function attempt(limiter: CallLimiter, caller: string) {
  const outcome: { release?: Release; error?: SwitcherError } = {};
  void limiter.acquire(caller).then(
    (release) => {
      outcome.release = release;
    },
    (error: SwitcherError) => {
      outcome.error = error;
    },
  );
  return outcome;
}

describe('the call limiter', () => {
  it('lets a caller run a few calls at once, queues a few more, and refuses the rest at once with Busy', async () => {
    const clock = new ManualClock();
    const limiter = new CallLimiter(LIMITS, clock);
    const calls = Array.from({ length: 10 }, () => attempt(limiter, 'bob'));
    await flush();
    expect(calls.filter((c) => c.release)).toHaveLength(2);
    expect(limiter.waiting('bob')).toBe(2);
    const refused = calls.filter((c) => c.error);
    expect(refused).toHaveLength(6);
    expect(refused.every((c) => c.error?.kind === 'Busy')).toBe(true);
    expect(refused[0]?.error?.message).toBe('You have too many requests under way; try again when one has finished');
    // One finishes: the first waiting takes its place, in order of arrival.
    calls[0]?.release?.();
    await flush();
    expect(calls[2]?.release).toBeDefined();
    expect(calls[3]?.release).toBeUndefined();
    expect(limiter.running('bob')).toBe(2);
  });

  it('gives a freed place to the caller with the fewest running, so one flood does not starve another', async () => {
    const clock = new ManualClock();
    const limiter = new CallLimiter(LIMITS, clock);
    const bob = [attempt(limiter, 'bob')];
    const carol = [attempt(limiter, 'carol'), attempt(limiter, 'carol')];
    await flush();
    // Every place is taken (bob 1, carol 2): bob's second waits, then ada's first.
    bob.push(attempt(limiter, 'bob'));
    const ada = attempt(limiter, 'ada');
    await flush();
    expect([bob[1]?.release, ada.release]).toEqual([undefined, undefined]);
    // A place frees: bob's second waited longer, but ada has none running and bob one.
    carol[0]?.release?.();
    await flush();
    expect(ada.release).toBeDefined();
    expect(bob[1]?.release).toBeUndefined();
    carol[1]?.release?.();
    await flush();
    expect(bob[1]?.release).toBeDefined();
  });

  it('refuses a call whose turn does not come in time, and forgets it', async () => {
    const clock = new ManualClock();
    const limiter = new CallLimiter(LIMITS, clock);
    const first = [attempt(limiter, 'bob'), attempt(limiter, 'bob')];
    const late = attempt(limiter, 'bob');
    await flush();
    clock.advance(999);
    await flush();
    expect(late.error).toBeUndefined();
    clock.advance(1);
    await flush();
    expect(late.error?.kind).toBe('Busy');
    expect(late.error?.message).toMatch(/waited 1 s for a turn/);
    expect(limiter.waiting()).toBe(0);
    // A place freed afterwards goes to nobody: the refused call is gone.
    first[0]?.release?.();
    await flush();
    expect(late.release).toBeUndefined();
    expect(limiter.running()).toBe(1);
  });

  it('cancels the wait timer of a call that got its turn', async () => {
    const clock = new ManualClock();
    const limiter = new CallLimiter(LIMITS, clock);
    const first = [attempt(limiter, 'bob'), attempt(limiter, 'bob')];
    const next = attempt(limiter, 'bob');
    await flush();
    expect(clock.pending).toBe(1);
    first[0]?.release?.();
    await flush();
    expect(next.release).toBeDefined();
    expect(clock.pending).toBe(0);
    clock.advance(5000);
    await flush();
    expect(next.error).toBeUndefined();
  });

  it('bounds the calls of everybody together: running, then waiting', async () => {
    const clock = new ManualClock();
    const limiter = new CallLimiter(LIMITS, clock);
    const callers = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const calls = callers.map((caller) => attempt(limiter, caller));
    await flush();
    // 3 run (total), 3 wait (waitingTotal), the seventh is refused though it has nothing under way.
    expect(calls.filter((c) => c.release)).toHaveLength(3);
    expect(limiter.waiting()).toBe(3);
    expect(calls[6]?.error?.message).toBe("The service is busy with other people's requests; try again in a moment");
  });

  it('gives a place back once however often release is called, and run() gives it back on failure', async () => {
    const clock = new ManualClock();
    const limiter = new CallLimiter(LIMITS, clock);
    const one = attempt(limiter, 'bob');
    await flush();
    one.release?.();
    one.release?.();
    expect(limiter.running()).toBe(0);
    await expect(
      limiter.run('bob', () => Promise.reject(new SwitcherError('InvalidArgument', 'no'))),
    ).rejects.toMatchObject({ kind: 'InvalidArgument' });
    expect(await limiter.run('bob', () => Promise.resolve(42))).toBe(42);
    expect(limiter.running()).toBe(0);
  });
});

describe('expensive calls per user', () => {
  it('counts every connection of a uid as that uid, asking the bus once per connection', async () => {
    const { senders, asked } = tableSenderUids({ ':1.1': 1001, ':1.2': 1001, ':1.3': 1000 });
    const calls = new PerUserCalls(new CallLimiter(LIMITS, new ManualClock()), (sender) => senders.uid(sender));
    const never = (): Promise<never> => new Promise(() => undefined);
    // Two connections of uid 1001: two places between them, then its queue, then Busy.
    for (let i = 0; i < 2; i++) void calls.run({ sender: ':1.1' }, never);
    for (let i = 0; i < 2; i++) void calls.run({ sender: ':1.2' }, never);
    const refused = calls.run({ sender: ':1.2' }, never);
    await expect(refused).rejects.toMatchObject({ kind: 'Busy' });
    // uid 1000 still has its own place.
    let ran = false;
    await calls.run({ sender: ':1.3' }, async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(asked).toEqual([':1.1', ':1.2', ':1.3']);
    // A connection the bus cannot tell about is refused, and asked about again next time.
    await expect(calls.run({ sender: ':1.9' }, never)).rejects.toMatchObject({ kind: 'AccessDenied' });
    await expect(calls.run({ sender: ':1.9' }, never)).rejects.toMatchObject({ kind: 'AccessDenied' });
    expect(asked.filter((sender) => sender === ':1.9')).toHaveLength(2);
  });
});
