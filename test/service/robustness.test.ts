// Thousands of malformed calls thrown at the API: every one gets a typed
// error (ours, or the standard D-Bus one for what we do not have) without a
// stack trace, the service stays up and nothing changes.

import { DBusError, Message, Variant } from '@jellybrick/dbus-next';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { callWithDeadline } from '../../service/dbus/bus.js';
import { loadContract } from '../../service/contract/interface-xml.js';
import { ServiceStack } from '../support/stack.js';
import { GUEST, MANAGER, MANAGER_PATH, SERVICE } from '../support/dbus-client.js';

const contract = loadContract();
let stack: ServiceStack;
let guest: string;

beforeAll(async () => {
  stack = await ServiceStack.start();
  guest = await stack.client.guestByName('test');
});
afterAll(async () => {
  await stack?.stop();
});

// Argument lists of many D-Bus types, each with a matching signature.
const typedValue: fc.Arbitrary<[string, unknown]> = fc.oneof(
  fc.string({ maxLength: 300 }).map((v): [string, unknown] => ['s', v]),
  fc.integer({ min: 0, max: 0xffffffff }).map((v): [string, unknown] => ['u', v]),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((v): [string, unknown] => ['i', v]),
  fc.boolean().map((v): [string, unknown] => ['b', v]),
  fc.double({ noNaN: true }).map((v): [string, unknown] => ['d', v]),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v): [string, unknown] => ['t', v]),
  fc.constantFrom('/', '/me/phyllo/Switcher1/guest/x', '/org/libvirt/Test').map((v): [string, unknown] => ['o', v]),
  fc.array(fc.string({ maxLength: 20 }), { maxLength: 5 }).map((v): [string, unknown] => ['as', v]),
  fc.uint8Array({ maxLength: 64 }).map((v): [string, unknown] => ['ay', Buffer.from(v)]),
  fc.string({ maxLength: 20 }).map((v): [string, unknown] => ['v', new Variant('s', v)]),
  fc
    .dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 })
    .map((v): [string, unknown] => ['a{ss}', v]),
);

const memberName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,30}$/);
const knownMembers = [
  ...[...(contract.get(MANAGER)?.methods.keys() ?? [])],
  ...[...(contract.get(GUEST)?.methods.keys() ?? [])],
  'Get',
  'GetAll',
  'Set',
  'Introspect',
];

const call = fc.record({
  path: fc.oneof(
    fc.constant(MANAGER_PATH),
    fc.constant('GUEST'),
    fc.constant('/me/phyllo/Switcher1/guest/00000000_0000_0000_0000_000000000000'),
    fc.stringMatching(/^[A-Za-z0-9_]{1,12}$/).map((s) => `/me/phyllo/Switcher1/${s}`),
  ),
  iface: fc.constantFrom(MANAGER, GUEST, 'org.freedesktop.DBus.Properties', 'me.phyllo.Switcher1.Nope', undefined),
  member: fc.oneof(fc.constantFrom(...knownMembers), memberName),
  args: fc.array(typedValue, { maxLength: 4 }),
});

type Call = { path: string; iface: string | undefined; member: string; args: [string, unknown][] };

/** A call that is well formed and would act: not what this test is about. */
function isWellFormed(c: Call, signature: string): boolean {
  // A call without an interface finds the method by name (D-Bus allows that).
  const specs = c.iface ? [contract.get(c.iface)] : [contract.get(MANAGER), contract.get(GUEST)];
  const method = specs.map((spec) => spec?.methods.get(c.member)).find((m) => m?.inSignature === signature);
  if (method && method.inSignature === signature) {
    if (c.member === 'Shutdown') return false; // its argument is checked; both kinds are fine
    return true;
  }
  // Introspecting any path is a fair question (empty paths answer with no interfaces).
  if (c.member === 'Introspect' && signature === '' && (!c.iface || c.iface === 'org.freedesktop.DBus.Introspectable'))
    return true;
  if (c.iface === 'org.freedesktop.DBus.Properties') {
    const [name] = c.args.map(([, v]) => v);
    return (signature === 's' || signature === 'ss') && (name === MANAGER || name === GUEST);
  }
  return false;
}

// Well-typed calls that still make no sense: each must be refused too.
const pointed: Call[] = [
  {
    path: 'GUEST',
    iface: 'org.freedesktop.DBus.Properties',
    member: 'Set',
    args: [
      ['s', GUEST],
      ['s', 'Name'],
      ['v', new Variant('s', 'x')],
    ],
  },
  {
    path: 'GUEST',
    iface: 'org.freedesktop.DBus.Properties',
    member: 'Set',
    args: [
      ['s', GUEST],
      ['s', 'Autostart'],
      ['v', new Variant('s', 'yes')],
    ],
  },
  {
    path: MANAGER_PATH,
    iface: 'org.freedesktop.DBus.Properties',
    member: 'Set',
    args: [
      ['s', MANAGER],
      ['s', 'Connected'],
      ['v', new Variant('b', false)],
    ],
  },
  {
    path: 'GUEST',
    iface: 'org.freedesktop.DBus.Properties',
    member: 'Get',
    args: [
      ['s', GUEST],
      ['s', 'Nope'],
    ],
  },
  { path: 'GUEST', iface: GUEST, member: 'Resume', args: [] },
  { path: 'GUEST', iface: GUEST, member: 'Start', args: [] },
  { path: 'GUEST', iface: GUEST, member: 'Shutdown', args: [['u', 0]] },
  { path: 'GUEST', iface: GUEST, member: 'Shutdown', args: [['u', 0xffffffff]] },
  { path: MANAGER_PATH, iface: MANAGER, member: 'FindGuest', args: [['s', 'x'.repeat(60_000)]] },
  // Past 64 KiB a message is not read at all: LimitsExceeded.
  { path: MANAGER_PATH, iface: MANAGER, member: 'FindGuest', args: [['s', 'x'.repeat(100_000)]] },
  { path: MANAGER_PATH, iface: MANAGER, member: 'FindGuest', args: [['s', '']] },
];

it('answers every malformed call with a typed error and stays up', async () => {
  const samples = [...pointed, ...fc.sample(call, { numRuns: 3000, seed: 0x5eed })];
  const answers = new Map<string, number>();
  const before = await stack.client.properties(guest);
  const batch = 50;
  let sent = 0;
  for (let i = 0; i < samples.length; i += batch) {
    await Promise.all(
      samples.slice(i, i + batch).map(async (sample) => {
        const c = sample as Call;
        const path = c.path === 'GUEST' ? guest : c.path;
        const signature = c.args.map(([t]) => t).join('');
        if (!pointed.includes(c) && isWellFormed({ ...c, path }, signature)) return;
        if (
          c.member === 'Shutdown' &&
          signature === 'u' &&
          Number(c.args[0]?.[1]) >= 1 &&
          Number(c.args[0]?.[1]) <= 3600
        )
          return;
        sent++;
        const message = new Message({
          destination: SERVICE,
          path,
          member: c.member,
          signature,
          body: c.args.map(([, v]) => v),
          ...(c.iface ? { interface: c.iface } : {}),
        });
        try {
          await callWithDeadline(stack.client.bus, message, 5_000);
          answers.set('ok', (answers.get('ok') ?? 0) + 1);
          expect.fail(`${c.iface ?? ''}.${c.member}(${signature}) on ${path} succeeded`);
        } catch (error) {
          if (!(error instanceof DBusError)) throw error;
          answers.set(error.type, (answers.get(error.type) ?? 0) + 1);
          expect(error.type).toMatch(
            /^(me\.phyllo\.Switcher1\.Error\.(InvalidArgument|NoSuchGuest|InvalidState)|org\.freedesktop\.DBus\.Error\.(UnknownMethod|UnknownInterface|UnknownObject|UnknownProperty|InvalidArgs|PropertyReadOnly|LimitsExceeded))$/,
          );
          expect(error.text).not.toMatch(/\n\s+at |node_modules|\.js:\d+/);
        }
      }),
    );
  }
  expect(sent).toBeGreaterThan(2000);
  expect(stack.service?.running).toBe(true);
  expect(await stack.client.properties(guest)).toEqual(before);
  expect(await stack.client.listGuests()).toEqual([guest]);
  // Every kind of refusal was exercised, not just one.
  expect([...answers.keys()].sort()).toEqual([
    ...['InvalidArgument', 'InvalidState', 'NoSuchGuest'].map((k) => `me.phyllo.Switcher1.Error.${k}`),
    ...[
      'InvalidArgs',
      'LimitsExceeded',
      'PropertyReadOnly',
      'UnknownInterface',
      'UnknownMethod',
      'UnknownObject',
      'UnknownProperty',
    ].map((k) => `org.freedesktop.DBus.Error.${k}`),
  ]);
});
