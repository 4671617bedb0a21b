// No caller starves another (issue 18, item 7): bob, a real second uid on
// seat1, fires 120 DescribeInstaller calls at once at the host-wide service
// (which once started 120 osinfo-detect processes and stalled everybody).
// Every call gets an answer or Busy within its deadline, a few
// osinfo-detect processes at most run at once, at low priority (nice 10), and seat0
// keeps being answered: its ListGuests, and its own DescribeInstaller,
// which a flood of bob's does not queue behind his.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GUEST, MANAGER, MANAGER_PATH, SERVICE } from '../support/dbus-client.js';
import { startFloodedService, type FloodedService } from '../support/flood.js';
import { DEFAULT_CALL_LIMITS } from '../../service/access/call-limiter.js';

const CALLS = 120;
/** What each of bob's calls may take: a queued one waits at most maxWaitMs for its turn, then runs. */
const DEADLINE_MS = DEFAULT_CALL_LIMITS.maxWaitMs + 15_000;
const BUSY = 'me.phyllo.Switcher1.Error.Busy';
const LIMITS = 'org.freedesktop.DBus.Error.LimitsExceeded';
const MiB = 1024 ** 2;

let flood: FloodedService;

beforeAll(async () => {
  flood = await startFloodedService(20);
  // libosinfo's database is read on the first call, once: not what is measured here.
  await flood.stack.client.call(SERVICE, MANAGER_PATH, MANAGER, 'DescribeInstaller', 's', [flood.iso], 30_000);
}, 60_000);

afterAll(async () => {
  await flood?.stop();
});

it('answers each of 120 DescribeInstaller at once, or says Busy, with a few osinfo-detect at low priority, while seat0 is answered', async () => {
  const { stack, bob, iso, detect } = flood;
  detect.reset();
  let flooding = true;
  const answers = bob
    .calls(CALLS, DEADLINE_MS, SERVICE, MANAGER_PATH, MANAGER, 'DescribeInstaller', 's', [iso])
    .finally(() => {
      flooding = false;
    });
  // seat0 meanwhile: ListGuests, each within a second, however long the flood lasts.
  const listed: number[] = [];
  const own = stack.client.call(SERVICE, MANAGER_PATH, MANAGER, 'DescribeInstaller', 's', [iso], DEADLINE_MS);
  while (flooding) {
    const started = performance.now();
    const [guests] = await stack.client.call(SERVICE, MANAGER_PATH, MANAGER, 'ListGuests', '', [], 1_000);
    listed.push(performance.now() - started);
    expect(guests).toHaveLength(21);
  }
  const [description] = (await own) as [Record<string, { value: unknown }>];
  expect(description.id?.value).toBe('http://microsoft.com/win/11');

  const results = await answers;
  const kinds = new Map<string, number>();
  for (const { error } of results) kinds.set(error, (kinds.get(error) ?? 0) + 1);
  // Nothing but answers and Busy, and no call past its deadline.
  expect([...kinds.keys()].sort()).toEqual(['ok', BUSY].sort());
  expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(DEADLINE_MS);
  // At least what one caller may run and queue was served; the rest refused at once.
  const served = kinds.get('ok') ?? 0;
  expect(served).toBeGreaterThanOrEqual(DEFAULT_CALL_LIMITS.perCaller);
  expect(served).toBeLessThanOrEqual(DEFAULT_CALL_LIMITS.perCaller + DEFAULT_CALL_LIMITS.waitingPerCaller);

  const runs = detect.runs();
  expect(runs.started).toBe(served + 1);
  expect(runs.atOnce).toBeLessThanOrEqual(DEFAULT_CALL_LIMITS.total);
  expect([...runs.niceness]).toEqual(['10']);
  expect([...runs.ioClasses]).toEqual(['best-effort: prio 7']);
  expect(listed.length).toBeGreaterThan(0);
}, 60_000);

it('refuses a message larger than it reads before reading it: LimitsExceeded at once, nothing held, seat0 answered', async () => {
  const { stack, bob } = flood;
  const pid = stack.service?.pid as number;
  const peakKiB = (): number => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  const before = peakKiB();
  const sent = [
    // 30 MB in one string (the bus takes 32): read, it would be held twice over.
    bob.call(SERVICE, MANAGER_PATH, MANAGER, 'ListOperatingSystems', 's', ['x'.repeat(30 * MiB)]),
    // 40 000 strings where one is asked for: decoding them, not the refusal of the signature, was the cost.
    bob.call(SERVICE, MANAGER_PATH, MANAGER, 'FindGuest', 'as', [Array.from({ length: 40_000 }, () => 'y')]),
  ];
  const [guests] = await stack.client.call(SERVICE, MANAGER_PATH, MANAGER, 'ListGuests', '', [], 1_000);
  expect(guests).toHaveLength(21);
  const answers = await Promise.all(sent);
  expect(answers.map((a) => a.error)).toEqual([LIMITS, LIMITS]);
  expect(answers[0]?.message).toMatch(/^The message is too large: \d+ bytes, where at most 65536 are read$/);
  // Less than the message itself: read whole (and decoded), it would be held twice over.
  expect(peakKiB() - before).toBeLessThan(30 * 1024);
  // Just under the limit, a call is read and answered as any other.
  const under = await bob.call(SERVICE, MANAGER_PATH, MANAGER, 'ListOperatingSystems', 's', ['x'.repeat(60_000)]);
  expect(under.error).toBe('me.phyllo.Switcher1.Error.InvalidArgument');
  await stack.service?.waitForOutput(/refused a \d+-byte message from :\d+\.\d+ unread: too large/);
}, 60_000);

it('answers a flood of ListOperatingSystems, 40 KB each, or says Busy, and seat0 is answered meanwhile, its own list too', async () => {
  const { stack, bob } = flood;
  let flooding = true;
  const answers = bob
    .calls(100, 30_000, SERVICE, MANAGER_PATH, MANAGER, 'ListOperatingSystems', 's', [''])
    .finally(() => {
      flooding = false;
    });
  const [own] = await stack.client.call(SERVICE, MANAGER_PATH, MANAGER, 'ListOperatingSystems', 's', [''], 5_000);
  expect((own as unknown[]).length).toBeGreaterThan(100);
  while (flooding) await stack.client.call(SERVICE, MANAGER_PATH, MANAGER, 'ListGuests', '', [], 1_000);
  // Fewer calls at once than the bus lets one connection have pending (past 128 the bus says LimitsExceeded).
  const kinds = new Set((await answers).map((a) => `${a.error}${a.message ? `: ${a.message}` : ''}`));
  // His share is what one caller may run and queue: the rest is refused at once, not queued as replies.
  const served = (await answers).filter((a) => a.error === 'ok').length;
  expect(served).toBeGreaterThanOrEqual(DEFAULT_CALL_LIMITS.perCaller);
  expect(served).toBeLessThan(100);
  expect(
    [...kinds].every((kind) => kind === 'ok' || kind.startsWith(`${BUSY}: `)),
    [...kinds].join('; '),
  ).toBe(true);
}, 60_000);

it('refuses unread a call whose arguments no such method takes, and a signal a client sends it alone', async () => {
  const { stack, bob } = flood;
  // 8 000 variants: decoding them was the cost (a flood of such calls held everybody for minutes).
  const variants = Array.from({ length: 8_000 }, () => ({ $variant: ['y', 1] }));
  const wrong = await bob.call(SERVICE, MANAGER_PATH, MANAGER, 'ListGuests', 'av', [variants]);
  expect([wrong.error, wrong.message]).toEqual([
    'org.freedesktop.DBus.Error.InvalidArgs',
    "ListGuests takes arguments of type '', not 'av'",
  ]);
  await stack.service?.waitForOutput(/unread: refused call/);
  // Well-typed, but no call takes what they hold: 16 000 variants inside the variant Set takes (decoding
  // each took 6 ms, and 100 ms as the service runs V8), or inside an option of CreateGuest's; 2000 strings.
  const deep = { $variant: ['av', Array.from({ length: 16_000 }, () => ({ $variant: ['y', 1] }))] };
  const shapes = await Promise.all([
    bob.call(SERVICE, MANAGER_PATH, 'org.freedesktop.DBus.Properties', 'Set', 'ssv', [MANAGER, 'Nothing', deep]),
    bob.call(SERVICE, MANAGER_PATH, MANAGER, 'CreateGuest', 'sssa{sv}', ['x', '', '', { 'memory-mib': deep }]),
    bob.call(SERVICE, flood.guest, GUEST, 'SetMonitors', 'as', [Array.from({ length: 2000 }, () => 'DP-1')]),
  ]);
  expect(shapes.map((a) => [a.error, a.message])).toEqual([
    [
      'org.freedesktop.DBus.Error.InvalidArgs',
      "A variant in a call to this service holds one value or a struct of them, not type 'av'",
    ],
    [
      'org.freedesktop.DBus.Error.InvalidArgs',
      "A variant in a call to this service holds one value or a struct of them, not type 'av'",
    ],
    ['org.freedesktop.DBus.Error.InvalidArgs', 'A call to this service holds at most 1024 values; this one holds more'],
  ]);
  const service = (
    await bob.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetNameOwner', 's', [
      SERVICE,
    ])
  ).body[0] as string;
  await bob.emit(service, '/', 'org.example.Anything', 'Said', 'av', [variants]);
  await stack.service?.waitForOutput(/unread: unicast signal/);
  const [guests] = await stack.client.call(SERVICE, MANAGER_PATH, MANAGER, 'ListGuests', '', [], 1_000);
  expect(guests).toHaveLength(21);
});

it("decodes only so much of one caller's calls: past his budget, even well-shaped ones are refused unread", async () => {
  const { stack, bob, guest } = flood;
  // 1000 connectors, a body the bus and the shape both take: each costs the values dbus-next would build.
  const connectors = Array.from({ length: 1000 }, (_, i) => `DP-${i}`);
  const started = performance.now();
  let flooding = true;
  const answers = bob.calls(100, 30_000, SERVICE, guest, GUEST, 'SetMonitors', 'as', [connectors]).finally(() => {
    flooding = false;
  });
  while (flooding) {
    const [guests] = await stack.client.call(SERVICE, MANAGER_PATH, MANAGER, 'ListGuests', '', [], 5_000);
    expect(guests).toHaveLength(21);
  }
  const results = await answers;
  const seconds = (performance.now() - started) / 1000;
  const overBudget = results.filter(
    (a) => a.error === LIMITS && a.message.startsWith('You have sent the service too much in too short a time'),
  );
  const read = results.filter((a) => a.error !== LIMITS);
  expect(overBudget).toHaveLength(100 - read.length);
  // Read: his budget's burst (1 MiB) and what it refilled at 256 KiB a second while he sent, each call
  // counting its 1001 values at 64 bytes each, no more.
  const cost = 1001 * 64;
  expect(read.length).toBeGreaterThan(0);
  expect(read.length).toBeLessThanOrEqual(Math.ceil((1024 * 1024 + 256 * 1024 * seconds) / cost));
  // Nothing of his is left queued: seat0 is answered at once.
  const [guests] = await stack.client.call(SERVICE, MANAGER_PATH, MANAGER, 'ListGuests', '', [], 1_000);
  expect(guests).toHaveLength(21);
  await stack.service?.waitForOutput(/unread: over budget/);
}, 60_000);
