// What the service exports, checked against data/me.phyllo.Switcher1.xml:
// interfaces per object, property names and types, method reply and signal
// signatures, all read off the wire.

import { Message, Variant } from '@jellybrick/dbus-next';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callWithDeadline } from '../../service/dbus/bus.js';
import { loadContract, parseInterfaceXml, type InterfaceSpec } from '../../service/contract/interface-xml.js';
import { ServiceStack } from '../support/stack.js';
import { GUEST, MANAGER, MANAGER_PATH, SERVICE } from '../support/dbus-client.js';
import { defineTestGuest, libvirtCall, libvirtDomainPath } from '../support/libvirt.js';
import { JOB, jobEnd } from '../support/guest-files.js';

const contract = loadContract();
const STANDARD = [
  'org.freedesktop.DBus.Introspectable',
  'org.freedesktop.DBus.Peer',
  'org.freedesktop.DBus.Properties',
];

let stack: ServiceStack;
let guest: string;
let exports: string;
/** A finished job (an export), and the bundle it wrote of a guest since removed, to import. */
let job: string;
let bundle: string;
/** A guest of the test driver with no disks (its 'test' guest names disk files that are not there). */
let diskless: string;
/** A guest of the test driver with a SPICE display and a virtio video device. */
let shown: string;

beforeAll(async () => {
  stack = await ServiceStack.start();
  await stack.client.watch();
  guest = await stack.client.guestByName('test');
  exports = mkdtempSync(join(tmpdir(), 'phyllome-contract-'));
  await defineTestGuest(stack, 'contract-import');
  const [started] = await stack.client.service(
    await stack.client.waitForGuest('contract-import'),
    GUEST,
    'Export',
    's',
    [exports],
  );
  job = started as string;
  expect((await jobEnd(stack, job)).success).toBe(true);
  bundle = join(exports, 'contract-import.phyllome');
  await libvirtCall(
    stack,
    await libvirtDomainPath(stack, 'contract-import'),
    'org.libvirt.Domain',
    'Undefine',
    'u',
    [0],
  );
  await stack.client.waitForSignal((s) => s.member === 'GuestRemoved');
  await defineTestGuest(stack, 'contract-files');
  diskless = await stack.client.waitForGuest('contract-files');
  await defineTestGuest(stack, 'contract-display', {
    devices: "<graphics type='spice'/><video><model type='virtio' primary='yes'/></video>",
  });
  shown = await stack.client.waitForGuest('contract-display');
});
afterAll(async () => {
  await stack?.stop();
  if (exports) rmSync(exports, { recursive: true, force: true });
});

async function rawCall(
  path: string,
  iface: string,
  member: string,
  signature = '',
  body: unknown[] = [],
): Promise<Message> {
  return callWithDeadline(
    stack.client.bus,
    new Message({ destination: SERVICE, path, interface: iface, member, signature, body }),
    30_000,
  );
}

async function introspect(path: string): Promise<Map<string, InterfaceSpec>> {
  const [xml] = await stack.client.service(path, 'org.freedesktop.DBus.Introspectable', 'Introspect');
  return parseInterfaceXml(xml as string);
}

function describeSpec(spec: InterfaceSpec): unknown {
  return {
    methods: [...spec.methods.values()].map((m) => [m.name, m.inSignature, m.outSignature]),
    properties: [...spec.properties.values()].map((p) => [p.name, p.type, p.access, p.emitsChanged]),
    signals: [...spec.signals.values()].map((s) => [s.name, s.signature]),
  };
}

describe.each([
  ['manager', MANAGER, (): string => MANAGER_PATH],
  ['guest', GUEST, (): string => guest],
  ['job', JOB, (): string => job],
])('the %s object', (_kind, iface, path) => {
  it('introspects as the contract says, plus the standard interfaces', async () => {
    const exported = await introspect(path());
    // The manager's object is also the ObjectManager of everything below it.
    const standard = iface === MANAGER ? [...STANDARD, 'org.freedesktop.DBus.ObjectManager'] : STANDARD;
    expect([...exported.keys()].sort()).toEqual([...standard, iface].sort());
    expect(describeSpec(exported.get(iface) as InterfaceSpec)).toEqual(
      describeSpec(contract.get(iface) as InterfaceSpec),
    );
  });

  it('has exactly the contract properties, each of the contract type', async () => {
    const reply = await rawCall(path(), 'org.freedesktop.DBus.Properties', 'GetAll', 's', [iface]);
    expect(reply.signature).toBe('a{sv}');
    const all = reply.body[0] as Record<string, Variant>;
    const expected = [...(contract.get(iface) as InterfaceSpec).properties.values()];
    expect(Object.keys(all).sort()).toEqual(expected.map((p) => p.name).sort());
    for (const property of expected)
      expect([property.name, all[property.name]?.signature]).toEqual([property.name, property.type]);
  });
});

it('answers every method with the contract out-signature', async () => {
  const spec = (name: string): InterfaceSpec => contract.get(name) as InterfaceSpec;
  const calls: [string, string, string, string, unknown[]][] = [
    [MANAGER_PATH, MANAGER, 'ListGuests', '', []],
    [MANAGER_PATH, MANAGER, 'FindGuest', 's', ['test']],
    [MANAGER_PATH, MANAGER, 'PauseAll', '', []],
    [MANAGER_PATH, MANAGER, 'ResumeAll', '', []],
    [MANAGER_PATH, MANAGER, 'ListUsbDevices', '', []],
    [MANAGER_PATH, MANAGER, 'ListSeats', '', []],
    [MANAGER_PATH, MANAGER, 'SetFocusedGuest', 'o', ['/']],
    [MANAGER_PATH, MANAGER, 'ListOperatingSystems', 's', ['windows']],
    [MANAGER_PATH, MANAGER, 'DescribeCaller', '', []],
    [MANAGER_PATH, MANAGER, 'WatchStats', '', []],
    [MANAGER_PATH, MANAGER, 'UnwatchStats', '', []],
    [guest, GUEST, 'Pause', '', []],
    [guest, GUEST, 'Resume', '', []],
    [guest, GUEST, 'Reboot', '', []],
    [guest, GUEST, 'Shutdown', 'u', [10]],
    [guest, GUEST, 'Start', '', []],
    // Refused by the test driver inside the job (it cannot migrate), but the reply is the job.
    [guest, GUEST, 'MigrateTo', 'sa{sv}', ['qemu+unix:///system?socket=/nonexistent/libvirt-sock', {}]],
    [guest, GUEST, 'ForceOff', '', []],
    [guest, GUEST, 'SetMonitor', 's', ['Virtual-1']],
    [shown, GUEST, 'SetMonitors', 'as', [['Virtual-1', 'Virtual-2']]],
    [shown, GUEST, 'DescribeDisplay', '', []],
    [
      shown,
      GUEST,
      'SetDisplay',
      'a{sv}',
      [{ heads: new Variant('u', 2), resolution: new Variant('(uu)', [1920, 1080]) }],
    ],
    [diskless, GUEST, 'Export', 's', [exports]],
    [diskless, GUEST, 'Clone', 's', ['contract-clone']],
    [MANAGER_PATH, MANAGER, 'ListJobs', '', []],
  ];
  const jobs: string[] = [];
  const covered = new Set<string>();
  for (const [path, iface, member, signature, body] of calls) {
    const method = spec(iface).methods.get(member);
    expect(method, `${iface}.${member} is in the contract`).toBeDefined();
    expect(signature).toBe(method?.inSignature);
    // Actions settle through libvirt's events; wait for the state the next call needs.
    if (member === 'Resume') await stack.client.waitForProperty(guest, 'State', 'paused');
    if (member === 'Start') await stack.client.waitForProperty(guest, 'State', 'shutoff');
    if (['ForceOff', 'Pause', 'Shutdown', 'Reboot', 'MigrateTo'].includes(member))
      await stack.client.waitForProperty(guest, 'State', 'running');
    // One job per guest at a time: the last one ends first.
    if (member === 'Clone') await jobEnd(stack, jobs.at(-1) as string);
    const reply = await rawCall(path, iface, member, signature, body).catch((error: Error) => {
      throw new Error(`${member}: ${error.message}`);
    });
    expect([member, reply.signature ?? '']).toEqual([member, method?.outSignature]);
    const [first] = reply.body;
    if (typeof first === 'string' && first.startsWith('/me/phyllo/Switcher1/job/')) jobs.push(first);
    covered.add(`${iface}.${member}`);
  }
  const ends = await Promise.all(jobs.map((started) => jobEnd(stack, started)));
  expect(ends.map((e) => e.success)).toEqual([false, true, true]);
  expect(ends[0]?.message).toMatch(/not supported/);
  expect(jobs.length).toBe(3);
  await stack.client.waitForGuest('contract-clone');
  // Import makes its guest from Phyllome's model, which needs a QEMU host: its reply is checked in
  // bundle-qemu.test.ts against a real libvirtd; here, its typed refusal of a test driver's guest.
  const imported = await rawCall(MANAGER_PATH, MANAGER, 'Import', 's', [bundle]).then(
    () => 'ok',
    (e: { type?: string; text?: string }) => `${e.type}: ${e.text}`,
  );
  expect(imported).toMatch(/^me\.phyllo\.Switcher1\.Error\.InvalidArgument: .*only QEMU and KVM guests/);
  covered.add(`${MANAGER}.Import`);
  // Cancel ends a running job; a finished one refuses it (both typed): see transfer-qemu.test.ts.
  expect(await stack.client.errorOf(job, JOB, 'Cancel')).toBe('me.phyllo.Switcher1.Error.InvalidState');
  covered.add(`${JOB}.Cancel`);
  // UsbDevice objects need plugged devices, Seat objects seats: their methods are checked in
  // usb.test.ts (in the USB lab) and seats.test.ts (with logind).
  // Show needs a display the test driver's guest does not have (no <graphics>): its typed refusal is
  // checked here, its success against a real libvirtd in viewers.test.ts.
  await stack.client.waitForProperty(guest, 'State', 'shutoff');
  const error = await rawCall(guest, GUEST, 'Show').then(
    () => 'ok',
    (e: { type?: string }) => e.type,
  );
  expect(error).toBe('me.phyllo.Switcher1.Error.NoDisplay');
  covered.add(`${GUEST}.Show`);
  // OpenDisplay is the host-wide service's: this per-user one refuses it, typed; its success is in host-wide.test.ts.
  const display = await rawCall(guest, GUEST, 'OpenDisplay').then(
    () => 'ok',
    (e: { type?: string }) => e.type,
  );
  expect(display).toBe('me.phyllo.Switcher1.Error.InvalidState');
  covered.add(`${GUEST}.OpenDisplay`);
  // Sharing is off until an administrator allows it: Share is refused, typed, the same for everybody, and
  // Unshare has nothing to end; a share itself is tried from a second computer in sharing.test.ts.
  expect(await stack.client.property(MANAGER_PATH, MANAGER, 'SharingAllowed')).toBe(false);
  const shared = await rawCall(guest, GUEST, 'Share', 'a{sv}', [{}]).then(
    () => 'ok',
    (e: { type?: string }) => e.type,
  );
  expect(shared).toBe('me.phyllo.Switcher1.Error.MissingHostFeature');
  covered.add(`${GUEST}.Share`);
  expect((await rawCall(guest, GUEST, 'Unshare')).signature ?? '').toBe('');
  covered.add(`${GUEST}.Unshare`);
  // DescribeInstaller and CreateGuest need an ISO and a QEMU host: their replies are checked in
  // create-guest.test.ts against a real libvirtd; here, their typed refusal of a missing file.
  for (const [member, signature, body] of [
    ['DescribeInstaller', 's', ['/nonexistent/installer.iso']],
    ['CreateGuest', 'sssa{sv}', ['new', '', '/nonexistent/installer.iso', {}]],
  ] as const) {
    const refusal = await rawCall(MANAGER_PATH, MANAGER, member, signature, [...body]).then(
      () => 'ok',
      (e: { type?: string }) => e.type,
    );
    expect([member, refusal]).toEqual([member, 'me.phyllo.Switcher1.Error.NoSuchFile']);
    covered.add(`${MANAGER}.${member}`);
  }
  const all = [MANAGER, GUEST, JOB].flatMap((i) => [...spec(i).methods.keys()].map((m) => `${i}.${m}`));
  expect([...covered].sort()).toEqual(all.sort());
  await stack.client.service(guest, GUEST, 'Start').catch(() => undefined);
});

it('sends every signal with the contract signature', async () => {
  const from = stack.client.signals.length;
  const uuid = await defineTestGuest(stack, 'contract-signals');
  const path = `/me/phyllo/Switcher1/guest/${uuid.replace(/-/g, '_')}`;
  await stack.client.waitForSignal((s) => s.member === 'GuestAdded', 2_000, from);
  await stack.client.service(path, GUEST, 'Start');
  await stack.client.waitForSignal((s) => s.member === 'PropertiesChanged' && s.path === path, 2_000, from);
  await stack.client.service(path, GUEST, 'ForceOff');
  await libvirtCall(
    stack,
    `/org/libvirt/Test/domain/_${uuid.replace(/-/g, '_')}`,
    'org.libvirt.Domain',
    'Undefine',
    'u',
    [0],
  );
  await stack.client.waitForSignal((s) => s.member === 'GuestRemoved', 2_000, from);

  const seen = stack.client.signals.slice(from).filter((s) => s.path.startsWith(MANAGER_PATH));
  const manager = contract.get(MANAGER) as InterfaceSpec;
  for (const signal of seen) {
    if (signal.interface === 'org.freedesktop.DBus.ObjectManager') {
      expect(signal.path).toBe(MANAGER_PATH);
      expect(signal.member).toMatch(/^Interfaces(Added|Removed)$/);
      if (signal.member === 'InterfacesAdded') {
        const [, interfaces] = signal.body as [string, Record<string, Record<string, Variant>>];
        for (const [ifaceName, properties] of Object.entries(interfaces)) {
          const spec = (contract.get(ifaceName) as InterfaceSpec).properties;
          expect(Object.keys(properties).sort()).toEqual([...spec.keys()].sort());
          for (const [name, value] of Object.entries(properties))
            expect([name, value.signature]).toEqual([name, spec.get(name)?.type]);
        }
      }
    } else if (signal.interface === MANAGER) {
      const spec = manager.signals.get(signal.member);
      expect(spec, `${signal.member} is in the contract`).toBeDefined();
      expect(signal.body.length).toBe(spec?.args.length);
      expect(typeof signal.body[0]).toBe('string');
    } else {
      expect(signal.interface).toBe('org.freedesktop.DBus.Properties');
      const [ifaceName, changed] = signal.body as [string, Record<string, Variant>];
      const properties = (contract.get(ifaceName) as InterfaceSpec).properties;
      for (const [name, value] of Object.entries(changed))
        expect([name, value.signature]).toEqual([name, properties.get(name)?.type]);
    }
  }
  expect(new Set(seen.map((s) => s.member))).toEqual(
    new Set([
      'InterfacesAdded',
      'GuestAdded',
      'InterfacesRemoved',
      'GuestRemoved',
      'PropertiesChanged',
      'GuestStopped',
    ]),
  );
});

it('answers what it does not have with the standard D-Bus errors', async () => {
  const errorOf = (path: string, iface: string | undefined, member: string, signature = '', body: unknown[] = []) =>
    stack.client.errorOf(path, iface, member, signature, body);
  const std = (name: string): string => `org.freedesktop.DBus.Error.${name}`;
  expect(await errorOf(MANAGER_PATH, MANAGER, 'Frobnicate')).toBe(std('UnknownMethod'));
  expect(await errorOf(MANAGER_PATH, undefined, 'Frobnicate')).toBe(std('UnknownMethod'));
  expect(await errorOf(MANAGER_PATH, 'me.phyllo.Switcher1.Nope', 'ListGuests')).toBe(std('UnknownInterface'));
  expect(await errorOf(guest, MANAGER, 'ListGuests')).toBe(std('UnknownInterface'));
  expect(await errorOf('/me/phyllo/Switcher1/nothing', MANAGER, 'ListGuests')).toBe(std('UnknownObject'));
  expect(await errorOf(MANAGER_PATH, MANAGER, 'FindGuest', 'u', [1])).toBe(std('InvalidArgs'));
  const properties = 'org.freedesktop.DBus.Properties';
  expect(await errorOf(guest, properties, 'Get', 'ss', [GUEST, 'Nope'])).toBe(std('UnknownProperty'));
  expect(await errorOf(guest, properties, 'Get', 'ss', ['me.phyllo.Nope', 'Name'])).toBe(std('UnknownInterface'));
  expect(await errorOf(guest, properties, 'Set', 'ssv', [GUEST, 'Name', new Variant('s', 'x')])).toBe(
    std('PropertyReadOnly'),
  );
  // A guest path that holds no guest is still ours to name.
  expect(await errorOf('/me/phyllo/Switcher1/guest/00000000_0000_0000_0000_000000000000', GUEST, 'Start')).toBe(
    'me.phyllo.Switcher1.Error.NoSuchGuest',
  );
});

it('is the ObjectManager of its objects: one reply with all of them, each as its own GetAll says', async () => {
  const reply = await rawCall(MANAGER_PATH, 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects');
  expect(reply.signature).toBe('a{oa{sa{sv}}}');
  const all = reply.body[0] as Record<string, Record<string, Record<string, Variant>>>;
  // Guests here (jobs of the test above are managed objects too, for a while).
  const managed = Object.fromEntries(Object.entries(all).filter(([path]) => path.includes('/guest/')));
  expect(Object.keys(managed).sort()).toEqual((await stack.client.listGuests()).sort());
  for (const [path, interfaces] of Object.entries(managed)) {
    expect(Object.keys(interfaces)).toEqual([GUEST]);
    const unwrap = (props: Record<string, Variant>) =>
      Object.fromEntries(Object.entries(props).map(([k, v]) => [k, v.value]));
    expect(unwrap(interfaces[GUEST] as Record<string, Variant>)).toEqual(await stack.client.properties(path));
  }
});

it('announces a new guest with InterfacesAdded, carrying its properties, before GuestAdded', async () => {
  const from = stack.client.signals.length;
  const uuid = await defineTestGuest(stack, 'managed-order', { vcpus: 3 });
  const path = `/me/phyllo/Switcher1/guest/${uuid.replace(/-/g, '_')}`;
  await stack.client.waitForSignal((s) => s.member === 'GuestAdded' && s.body[0] === path, 2_000, from);
  const seen = stack.client.signals.slice(from).filter((s) => s.body[0] === path);
  expect(seen.map((s) => s.member).slice(0, 2)).toEqual(['InterfacesAdded', 'GuestAdded']);
  const added = seen[0]?.body[1] as Record<string, Record<string, Variant>>;
  expect(added[GUEST]?.Name?.value).toBe('managed-order');
  expect(added[GUEST]?.Vcpus?.value).toBe(3);
  // Gone again: InterfacesRemoved before GuestRemoved.
  const libvirtPath = `/org/libvirt/Test/domain/_${uuid.replace(/-/g, '_')}`;
  await libvirtCall(stack, libvirtPath, 'org.libvirt.Domain', 'Undefine', 'u', [0]);
  await stack.client.waitForSignal((s) => s.member === 'GuestRemoved' && s.body[0] === path, 2_000, from);
  const gone = stack.client.signals.slice(from).filter((s) => s.body[0] === path && /Removed$/.test(s.member));
  expect(gone.map((s) => [s.member, s.body[1]])).toEqual([
    ['InterfacesRemoved', [GUEST]],
    ['GuestRemoved', undefined],
  ]);
});

it("sends every job's signals with the contract signature", async () => {
  const seen = stack.client.signals.filter(
    (s) => s.path.startsWith('/me/phyllo/Switcher1/job/') || s.member.startsWith('Job'),
  );
  const members = new Set(seen.map((s) => s.member));
  expect([...members].sort()).toEqual(['Completed', 'JobAdded', 'PropertiesChanged']);
  for (const signal of seen) {
    if (signal.member === 'Completed') {
      expect(signal.interface).toBe(JOB);
      expect([typeof signal.body[0], typeof signal.body[1]]).toEqual(['boolean', 'string']);
    } else if (signal.member === 'JobAdded') {
      expect(signal.interface).toBe(MANAGER);
      expect(signal.body[0]).toMatch(/^\/me\/phyllo\/Switcher1\/job\/\d+$/);
    } else {
      const [ifaceName, changed] = signal.body as [string, Record<string, Variant>];
      expect(ifaceName).toBe(JOB);
      const properties = (contract.get(JOB) as InterfaceSpec).properties;
      for (const [name, value] of Object.entries(changed))
        expect([name, value.signature]).toEqual([name, properties.get(name)?.type]);
    }
  }
});
