// The service against a real libvirt-dbus on libvirt's test driver.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CallCounter } from '../support/bus-monitor.js';
import { ServiceStack } from '../support/stack.js';
import { GUEST, MANAGER, MANAGER_PATH, propertiesChanged } from '../support/dbus-client.js';
import { defineTestGuest, libvirtCall, libvirtState, switcherMetadata } from '../support/libvirt.js';

const ERR = 'me.phyllo.Switcher1.Error';

let stack: ServiceStack;
let test: string;

beforeAll(async () => {
  stack = await ServiceStack.start();
  await stack.client.watch();
  test = await stack.client.guestByName('test');
});

afterAll(async () => {
  await stack?.stop();
});

describe('listing', () => {
  it('shows the test driver guest with what libvirt says of it', async () => {
    expect(await stack.client.listGuests()).toEqual([test]);
    expect(test).toBe('/me/phyllo/Switcher1/guest/6695eb01_f6a4_8304_79aa_97f2502e193f');
    expect(await stack.client.properties(test)).toEqual({
      Name: 'test',
      Uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f',
      State: 'running',
      Vcpus: 2,
      MemoryMiB: 8192n,
      Autostart: false,
      OsId: '',
      Monitor: '',
      Monitors: [],
      // No video device: one head, following no window, no 3D; it runs as defined.
      Heads: 1,
      Resolution: [0, 0],
      Accel3D: false,
      RunningDisplay: {},
      ViewerPid: 0,
      UsbRules: [],
      Seat: '',
      // The test driver's guest has no <graphics>: nothing for a viewer to show.
      Display: '',
      // No client watches: no figures.
      CpuPercent: -1,
      MemoryUsedMiB: 0n,
      // Not shared with another computer (nor allowed to be, on this service).
      Shared: false,
      SharedUntil: 0n,
    });
    expect(await stack.client.properties(MANAGER_PATH, MANAGER)).toEqual({
      Connection: 'test:///default',
      Connected: true,
      Scope: 'user',
      SharingAllowed: false,
    });
  });

  it('finds a guest by name or UUID and says which it could not find', async () => {
    expect(await stack.client.guestByName('6695eb01-f6a4-8304-79aa-97f2502e193f')).toBe(test);
    expect(await stack.client.guestByName('6695EB01-F6A4-8304-79AA-97F2502E193F')).toBe(test);
    expect(await stack.client.errorOf(MANAGER_PATH, MANAGER, 'FindGuest', 's', ['nope'])).toBe(`${ERR}.NoSuchGuest`);
    expect(await stack.client.errorOf(MANAGER_PATH, MANAGER, 'FindGuest', 's', [''])).toBe(`${ERR}.InvalidArgument`);
  });
});

describe('actions', () => {
  const act = (member: string, signature = '', body: unknown[] = []): Promise<unknown[]> =>
    stack.client.service(test, GUEST, member, signature, body);
  const state = (): Promise<unknown> => stack.client.property(test, GUEST, 'State');

  it('pauses and resumes, announcing each change', async () => {
    const from = stack.client.signals.length;
    await act('Pause');
    await stack.client.waitForSignal(propertiesChanged(test, 'State', 'paused'), 5_000, from);
    expect(await libvirtState(stack, 'test')).toBe(3); // VIR_DOMAIN_PAUSED
    await act('Resume');
    await stack.client.waitForSignal(propertiesChanged(test, 'State', 'running'), 5_000, from);
    expect(await libvirtState(stack, 'test')).toBe(1);
  });

  it('shows the result of an action as soon as libvirt said yes, for a caller acting in sequence', async () => {
    for (let i = 0; i < 20; i++) {
      await act('Pause');
      expect(await state()).toBe('paused');
      await act('Resume');
      expect(await state()).toBe('running');
    }
    // PauseAll then ResumeAll at once: ResumeAll must know what PauseAll just paused.
    for (let i = 0; i < 10; i++) {
      const [paused] = await stack.client.service(MANAGER_PATH, MANAGER, 'PauseAll');
      const [resumed] = await stack.client.service(MANAGER_PATH, MANAGER, 'ResumeAll');
      expect(resumed).toEqual(paused);
    }
    expect(await libvirtState(stack, 'test')).toBe(1);
  });

  it('refuses what makes no sense now, and changes nothing', async () => {
    expect(await stack.client.errorOf(test, GUEST, 'Resume')).toBe(`${ERR}.InvalidState`);
    expect(await stack.client.errorOf(test, GUEST, 'Start')).toBe(`${ERR}.InvalidState`);
    expect(await state()).toBe('running');
    expect(await libvirtState(stack, 'test')).toBe(1);
  });

  it('shuts down gracefully and reports that the guest went down, then starts it again', async () => {
    expect(await act('Shutdown', 'u', [30])).toEqual([true]);
    expect(await state()).toBe('shutoff');
    expect(await libvirtState(stack, 'test')).toBe(5);
    expect(await stack.client.errorOf(test, GUEST, 'Pause')).toBe(`${ERR}.InvalidState`);
    await act('Start');
    await stack.client.waitForProperty(test, 'State', 'running');
    expect(await libvirtState(stack, 'test')).toBe(1);
  });

  it('rejects a shutdown time-out out of range', async () => {
    expect(await stack.client.errorOf(test, GUEST, 'Shutdown', 'u', [0])).toBe(`${ERR}.InvalidArgument`);
    expect(await stack.client.errorOf(test, GUEST, 'Shutdown', 'u', [3601])).toBe(`${ERR}.InvalidArgument`);
    expect(await state()).toBe('running');
  });

  it('forces off and reboots', async () => {
    // A reboot leaves the guest running, as it was: what shows it happened is the service's call to libvirt.
    const [domain] = await libvirtCall(stack, '/org/libvirt/Test', 'org.libvirt.Connect', 'DomainLookupByName', 's', [
      'test',
    ]);
    const libvirt = await CallCounter.start(
      stack.group,
      stack.client,
      stack.bus.address,
      stack.service?.pid as number,
      'org.libvirt',
    );
    try {
      await act('Reboot');
      expect(await libvirt.waitForCall('Reboot')).toBe(domain);
      expect(libvirt.count('Reboot')).toBe(1);
    } finally {
      await libvirt.stop();
    }
    expect(await libvirtState(stack, 'test')).toBe(1);
    await act('ForceOff');
    await stack.client.waitForProperty(test, 'State', 'shutoff');
    expect(await libvirtState(stack, 'test')).toBe(5);
    await act('Start');
    await stack.client.waitForProperty(test, 'State', 'running');
  });
});

describe('monitor assignment', () => {
  afterEach(async () => {
    await stack.client.service(test, GUEST, 'SetMonitor', 's', ['']);
  });

  it("is kept in the domain's own metadata and announced", async () => {
    const from = stack.client.signals.length;
    await stack.client.service(test, GUEST, 'SetMonitor', 's', ['DP-2']);
    expect(await stack.client.property(test, GUEST, 'Monitor')).toBe('DP-2');
    await stack.client.waitForSignal(propertiesChanged(test, 'Monitor', 'DP-2'), 2_000, from);
    const metadata = await switcherMetadata(stack, 'test');
    expect(metadata).toBe('<switcher>\n  <monitor connector="DP-2"/>\n</switcher>');
  });

  it('refuses what is not a connector name, and changes nothing', async () => {
    await stack.client.service(test, GUEST, 'SetMonitor', 's', ['DP-2']);
    for (const bad of ['DP 1', '../../etc', '<x/>', 'x'.repeat(40), '-DP']) {
      expect(await stack.client.errorOf(test, GUEST, 'SetMonitor', 's', [bad])).toBe(`${ERR}.InvalidArgument`);
    }
    expect(await stack.client.property(test, GUEST, 'Monitor')).toBe('DP-2');
  });

  it('is cleared with an empty name', async () => {
    await stack.client.service(test, GUEST, 'SetMonitor', 's', ['DP-2']);
    await stack.client.service(test, GUEST, 'SetMonitor', 's', ['']);
    expect(await stack.client.property(test, GUEST, 'Monitor')).toBe('');
  });
});

describe('guests defined and undefined behind our back', () => {
  it('appear with their OS and leave, live', async () => {
    const from = stack.client.signals.length;
    const uuid = await defineTestGuest(stack, 'win11', {
      osId: 'http://microsoft.com/win/11',
      vcpus: 4,
      memoryMiB: 4096,
    });
    const path = `/me/phyllo/Switcher1/guest/${uuid.replace(/-/g, '_')}`;
    const added = await stack.client.waitForSignal((s) => s.member === 'GuestAdded', 2_000, from);
    expect(added.body).toEqual([path]);
    expect(await stack.client.properties(path)).toMatchObject({
      Name: 'win11',
      State: 'shutoff',
      Vcpus: 4,
      MemoryMiB: 4096n,
      OsId: 'http://microsoft.com/win/11',
    });
    expect(await stack.client.listGuests()).toEqual([test, path]); // sorted by name
    await libvirtCall(
      stack,
      `/org/libvirt/Test/domain/_${uuid.replace(/-/g, '_')}`,
      'org.libvirt.Domain',
      'Undefine',
      'u',
      [0],
    );
    const removed = await stack.client.waitForSignal((s) => s.member === 'GuestRemoved', 2_000, from);
    expect(removed.body).toEqual([path]);
    expect(await stack.client.listGuests()).toEqual([test]);
    expect(await stack.client.errorOf(path, GUEST, 'Start')).toBe(`${ERR}.NoSuchGuest`);
  });
});

describe('PauseAll and ResumeAll', () => {
  const pathOf = (uuid: string): string => `/me/phyllo/Switcher1/guest/${uuid.replace(/-/g, '_')}`;
  const defined: string[] = [];

  /** alpha and bravo running, bravo then paused by the user; test running. */
  async function twoGuests(): Promise<[string, string]> {
    const [a, b] = [await defineTestGuest(stack, 'alpha'), await defineTestGuest(stack, 'bravo')];
    defined.push(a, b);
    for (const uuid of [a, b]) await stack.client.waitForProperty(pathOf(uuid), 'State', 'shutoff');
    for (const uuid of [a, b]) await stack.client.service(pathOf(uuid), GUEST, 'Start');
    await stack.client.service(pathOf(b), GUEST, 'Pause'); // the user's own pause
    await stack.client.waitForProperty(pathOf(b), 'State', 'paused');
    await stack.client.waitForProperty(pathOf(a), 'State', 'running');
    return [pathOf(a), pathOf(b)];
  }

  // Each test's guests go with it, and test runs again, as the other tests expect.
  afterEach(async () => {
    for (const uuid of defined.splice(0)) {
      const domain = `/org/libvirt/Test/domain/_${uuid.replace(/-/g, '_')}`;
      await libvirtCall(stack, domain, 'org.libvirt.Domain', 'Destroy', 'u', [0]).catch(() => undefined);
      await libvirtCall(stack, domain, 'org.libvirt.Domain', 'Undefine', 'u', [0]);
      await stack.client.waitForSignal((sig) => sig.member === 'GuestRemoved' && sig.body[0] === pathOf(uuid));
    }
    if ((await stack.client.property(test, GUEST, 'State')) === 'paused') {
      await stack.client.service(test, GUEST, 'Resume');
      await stack.client.waitForProperty(test, 'State', 'running');
    }
  });

  it('resume only what PauseAll paused', async () => {
    const [a, b] = await twoGuests();
    const [paused] = await stack.client.service(MANAGER_PATH, MANAGER, 'PauseAll');
    expect(paused).toEqual([a, test].sort());
    await stack.client.waitForProperty(test, 'State', 'paused');
    const [resumed] = await stack.client.service(MANAGER_PATH, MANAGER, 'ResumeAll');
    expect(resumed).toEqual([a, test].sort());
    await stack.client.waitForProperty(test, 'State', 'running');
    await stack.client.waitForProperty(a, 'State', 'running');
    expect(await stack.client.property(b, GUEST, 'State')).toBe('paused');
    // A second ResumeAll has nothing left to resume.
    expect(await stack.client.service(MANAGER_PATH, MANAGER, 'ResumeAll')).toEqual([[]]);
  });

  it('leaves to the user a guest the user resumed and paused again after PauseAll', async () => {
    const [alpha, bravo] = await twoGuests();
    await stack.client.service(bravo, GUEST, 'Resume');
    await stack.client.waitForProperty(bravo, 'State', 'running');
    const [paused] = await stack.client.service(MANAGER_PATH, MANAGER, 'PauseAll');
    expect(paused).toEqual([alpha, bravo, test].sort());
    await stack.client.waitForProperty(alpha, 'State', 'paused');
    // The user resumes alpha, then pauses it again: that pause is now the user's own.
    await stack.client.service(alpha, GUEST, 'Resume');
    await stack.client.waitForProperty(alpha, 'State', 'running');
    await stack.client.service(alpha, GUEST, 'Pause');
    await stack.client.waitForProperty(alpha, 'State', 'paused');
    const [resumed] = await stack.client.service(MANAGER_PATH, MANAGER, 'ResumeAll');
    expect(resumed).toEqual([bravo, test].sort());
    expect(await stack.client.property(alpha, GUEST, 'State')).toBe('paused');
  });
});
