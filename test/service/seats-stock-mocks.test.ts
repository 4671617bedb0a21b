// The small input: python-dbusmock's stock logind template, which has
// no GetSessionByPID, and its stock polkitd. logind answers but cannot place
// the caller, so the caller is treated as being on another seat and polkit
// decides: AllowUnknown(true) lets Seat.AssignGuest through, false refuses it.
// (Their answers are global; seats.test.ts has polkit decide by who asks.)

import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPrivateBus, type PrivateBus } from '../support/private-bus.js';
import { ServiceStack } from '../support/stack.js';
import { GUEST, TestClient } from '../support/dbus-client.js';
import { LOGIND, LOGIND_PATH, POLKIT, POLKIT_PATH } from '../support/logind-mock.js';

const MOCK = 'org.freedesktop.DBus.Mock';
const SEAT = 'me.phyllo.Switcher1.Seat';
const seat1 = '/me/phyllo/Switcher1/seat/seat1';

let stack: ServiceStack;
let system: PrivateBus;
let test = '';

beforeAll(async () => {
  stack = await ServiceStack.start({ withService: false });
  system = await startPrivateBus(stack.group);
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: system.address };
  for (const template of ['logind', 'polkitd']) {
    stack.group.start(`stock ${template}`, '/usr/bin/python3', ['-m', 'dbusmock', '--system', '--template', template], {
      env,
    });
  }
  // The mocks are told what to do on their own bus.
  const mocks = await TestClient.connect(system.address);
  try {
    for (const name of [LOGIND, POLKIT]) await mocks.waitForOwner(name);
    await mocks.call(LOGIND, LOGIND_PATH, MOCK, 'AddSeat', 's', ['seat0']);
    await mocks.call(LOGIND, LOGIND_PATH, MOCK, 'AddSeat', 's', ['seat1']);
  } finally {
    mocks.disconnect();
  }
  await stack.startService('test:///default', ['--system-bus', system.address]);
  test = await stack.client.guestByName('test');
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  system?.dispose();
});

async function allowUnknown(allowed: boolean): Promise<void> {
  const mocks = await TestClient.connect(system.address);
  try {
    await mocks.call(POLKIT, POLKIT_PATH, MOCK, 'AllowUnknown', 'b', [allowed]);
  } finally {
    mocks.disconnect();
  }
}

it('lets polkit decide for a caller logind answers for but cannot place', async () => {
  await allowUnknown(false);
  expect(await stack.client.errorOf(seat1, SEAT, 'AssignGuest', 'o', [test])).toBe(
    'me.phyllo.Switcher1.Error.AccessDenied',
  );
  expect(await stack.client.property(test, GUEST, 'Seat')).toBe('');
  await allowUnknown(true);
  expect(await stack.client.errorOf(seat1, SEAT, 'AssignGuest', 'o', [test])).toBe('ok');
  expect(await stack.client.property(test, GUEST, 'Seat')).toBe('seat1');
});
