// Live figures, autostart and why guests stop (forced off, killed, their OS
// panicked), against a real libvirtd running real (tiny, software-emulated)
// QEMU guests. The service's calls to
// libvirt are counted by the bus itself (dbus-monitor), not by the service.

import { readFileSync } from 'node:fs';
import { Variant } from '@jellybrick/dbus-next';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallCounter } from '../support/bus-monitor.js';
import {
  GUEST,
  MANAGER,
  MANAGER_PATH,
  propertiesChanged,
  TestClient,
  type RecordedSignal,
} from '../support/dbus-client.js';
import {
  libvirtAutostart as libvirtAutostartOf,
  libvirtCall,
  libvirtDomainPath,
  libvirtState,
  tinyQemuGuestXml,
  warmUpDomainStats,
} from '../support/libvirt.js';
import { panicGuestXml, type PanicEvent } from '../support/panic-guest.js';
import { ServiceStack } from '../support/stack.js';

const QEMU = '/org/libvirt/QEMU';
let stack: ServiceStack;
let libvirtCalls: CallCounter;
const paths: Record<string, string> = {};
const watchers: TestClient[] = [];

async function watcher(): Promise<TestClient> {
  const client = await TestClient.connect(stack.bus.address);
  watchers.push(client);
  return client;
}

const watch = (client: TestClient): Promise<unknown[]> => client.service(MANAGER_PATH, MANAGER, 'WatchStats');
const unwatch = (client: TestClient): Promise<unknown[]> => client.service(MANAGER_PATH, MANAGER, 'UnwatchStats');

async function figures(name: string): Promise<[number, bigint]> {
  const all = await stack.client.properties(paths[name] as string);
  return [all.CpuPercent as number, all.MemoryUsedMiB as bigint];
}

/** The values of `property` a guest announced from signal index `from` on. */
function announced(name: string, property: string, from: number): unknown[] {
  return stack.client.signals
    .slice(from)
    .filter(propertiesChanged(paths[name] as string, property))
    .map((s) => (s.body[1] as Record<string, Variant>)[property]?.value);
}

/** The service's readings of statistics the bus has routed so far (the monitor caught up first). */
async function readingsSoFar(): Promise<number> {
  await libvirtCalls.caughtUp(stack.client);
  return libvirtCalls.count('GetAllDomainStats');
}

/**
 * Waits for the figures of `name` to go back to unknown: what the sampler
 * says as it stops. Its memory, known from the first reading (its CPU use
 * needs two).
 */
async function figuresForgotten(name: string, from: number): Promise<void> {
  await stack.client.waitForSignal(propertiesChanged(paths[name] as string, 'MemoryUsedMiB', 0n), 5_000, from);
}

/** libvirt's own CPU time of a guest, ns. */
async function libvirtCpuTime(name: string): Promise<bigint> {
  const path = await libvirtDomainPath(stack, name, QEMU);
  const [stats] = (await libvirtCall(stack, path, 'org.libvirt.Domain', 'GetStats', 'uu', [2, 0])) as [
    Record<string, Variant>,
  ];
  // libvirt-dbus wraps each value in a variant of its own.
  return (stats['cpu.time']?.value as Variant).value as bigint;
}

beforeAll(async () => {
  stack = await ServiceStack.start({ realLibvirtd: true, uri: 'qemu:///session' });
  await stack.client.watch();
  for (const name of ['alpha', 'bravo', 'charlie']) {
    const [path] = await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [
      tinyQemuGuestXml(name),
    ]);
    if (name !== 'charlie') await libvirtCall(stack, path as string, 'org.libvirt.Domain', 'Create', 'u', [0]);
    paths[name] = await stack.client.waitForGuest(name);
  }
  await stack.client.waitForProperty(paths.alpha as string, 'State', 'running');
  await stack.client.waitForProperty(paths.bravo as string, 'State', 'running');
  const service = stack.service?.pid as number;
  libvirtCalls = await CallCounter.start(stack.group, stack.client, stack.bus.address, service, 'org.libvirt');
  await warmUpDomainStats(stack);
}, 90_000);

afterAll(async () => {
  for (const client of watchers) client.disconnect();
  await stack?.stop();
});

describe('live figures', () => {
  it('are unknown, and nothing is read from libvirt, while nobody watches', async () => {
    // No timer reads while nobody watches: test/unit/stats-sampler.test.ts moves the clock on to show it.
    expect(await readingsSoFar()).toBe(0);
    expect(await figures('alpha')).toEqual([-1, 0n]);
    expect(await figures('bravo')).toEqual([-1, 0n]);
  });

  it('appear after WatchStats for every running guest, from one libvirt call a second for all of them', async () => {
    const from = stack.client.signals.length;
    const cpuBefore = await libvirtCpuTime('alpha');
    const first = await watcher();
    const [calls, stats] = [libvirtCalls.count(), await readingsSoFar()];
    const watched = Date.now();
    await watch(first);
    // The first reading at once: asked of libvirt before WatchStats answered.
    expect((await readingsSoFar()) - stats).toBe(1);
    // Four readings: one call each, about a second apart, and nothing else asked of libvirt.
    await libvirtCalls.until(stats + 4, 'GetAllDomainStats', 15_000);
    const elapsed = Date.now() - watched;
    const [allSince, statsSince] = [libvirtCalls.count() - calls, libvirtCalls.count('GetAllDomainStats') - stats];
    expect(statsSince).toBe(4);
    expect(allSince).toBe(statsSince);
    expect(elapsed).toBeGreaterThanOrEqual(2_500); // not faster than one a second

    // The guest did work (libvirt's CPU time grew), and we said how much of its vCPU it took.
    expect(await libvirtCpuTime('alpha')).toBeGreaterThan(cpuBefore);
    for (const name of ['alpha', 'bravo']) {
      const cpu = announced(name, 'CpuPercent', from) as number[];
      expect(
        cpu.some((v) => v > 0 && v <= 100),
        `${name}: ${cpu.join(', ')}`,
      ).toBe(true);
      const [now, memory] = await figures(name);
      // A share of its vCPUs, known while watched (-1 is "unknown").
      expect(now).toBeGreaterThanOrEqual(0);
      expect(now).toBeLessThanOrEqual(100);
      // A 64 MiB guest: its QEMU process holds tens of MiB.
      expect(Number(memory)).toBeGreaterThan(8);
      expect(Number(memory)).toBeLessThan(1024);
    }
    // The guest that is off has none.
    expect(await figures('charlie')).toEqual([-1, 0n]);
    expect(announced('charlie', 'CpuPercent', from)).toEqual([]);
  });

  it('go on while another client watches, and stop when the last watcher disconnects', async () => {
    const [first] = watchers as [TestClient];
    const second = await watcher();
    await watch(second);
    await unwatch(first);
    await libvirtCalls.until((await readingsSoFar()) + 2, 'GetAllDomainStats', 10_000);

    const from = stack.client.signals.length;
    second.disconnect(); // without UnwatchStats: the bus says it left
    await figuresForgotten('alpha', from);
    expect(await figures('alpha')).toEqual([-1, 0n]);
    expect(await figures('bravo')).toEqual([-1, 0n]);
    // Stopped: the next reading is the one a new watcher gets at once, and it is the only one since.
    const stopped = await readingsSoFar();
    const third = await watcher();
    const calls = libvirtCalls.count();
    const watched = stack.client.signals.length;
    await watch(third);
    expect(await readingsSoFar()).toBe(stopped + 1);
    expect(libvirtCalls.count()).toBe(calls + 1);
    // Its figures are in (a reading still under way when the last watcher goes is dropped), then it goes.
    await stack.client.waitForSignal(propertiesChanged(paths.alpha as string, 'MemoryUsedMiB'), 5_000, watched);
    const unwatched = stack.client.signals.length;
    await unwatch(third);
    await figuresForgotten('alpha', unwatched);
  });

  it('count a client once however often it asks', async () => {
    const client = await watcher();
    const from = stack.client.signals.length;
    await watch(client);
    await watch(client);
    await stack.client.waitForSignal(propertiesChanged(paths.alpha as string, 'MemoryUsedMiB'), 5_000, from);
    // One UnwatchStats stops it: the client was counted once.
    const unwatched = stack.client.signals.length;
    await unwatch(client);
    await figuresForgotten('alpha', unwatched);
    // Asking to stop again, or without ever watching, changes nothing.
    await unwatch(client);
    await unwatch(stack.client);
    expect(await figures('alpha')).toEqual([-1, 0n]);
  });

  it('go away for a guest that stops while watched, which is told why', async () => {
    const client = await watcher();
    const watched = stack.client.signals.length;
    await watch(client);
    // Its second reading: it has a known CPU use.
    await stack.client.waitForSignal(
      (s) =>
        propertiesChanged(paths.bravo as string, 'CpuPercent')(s) &&
        announced('bravo', 'CpuPercent', watched).some((v) => (v as number) >= 0),
      5_000,
      watched,
    );
    const from = stack.client.signals.length;
    await stack.client.service(paths.bravo as string, GUEST, 'ForceOff');
    const stopped = await stack.client.waitForSignal((s) => s.member === 'GuestStopped', 5_000, from);
    expect(stopped.body).toEqual([paths.bravo, 'destroyed']);
    await stack.client.waitForSignal(propertiesChanged(paths.bravo as string, 'CpuPercent', -1), 5_000, from);
    expect(await figures('bravo')).toEqual([-1, 0n]);
    expect((await figures('alpha'))[1]).toBeGreaterThan(0n);
    await unwatch(client);
  });
});

describe('a guest killed behind our back', () => {
  it('is announced as failed (its QEMU process ended), after its state', async () => {
    const from = stack.client.signals.length;
    const pidFile = `/proc/${stack.libvirtdNamespacePid}/root/run/libvirt/qemu/alpha.pid`;
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    const stopped = await stack.client.waitForSignal((s) => s.member === 'GuestStopped', 15_000, from);
    expect(stopped.body).toEqual([paths.alpha, 'failed']);
    const stateChange = stack.client.signals.slice(from).findIndex(propertiesChanged(paths.alpha as string, 'State'));
    expect(stateChange).toBeGreaterThanOrEqual(0);
    expect(stateChange).toBeLessThan(stack.client.signals.slice(from).indexOf(stopped));
    // libvirt keeps it as shut off, reason crashed.
    await stack.client.waitForProperty(paths.alpha as string, 'State', 'crashed');
    expect(stack.client.signals.slice(from).filter((s) => s.member === 'GuestStopped')).toHaveLength(1);
  });
});

describe('a guest whose OS panics (a real pvpanic device, written by the guest)', () => {
  // virDomainEventType, and the details of Crashed and Stopped.
  const CRASHED = 8;
  const STOPPED = 5;
  const PANICKED = 0;
  const CRASH_LOADED = 1;
  const STOPPED_CRASHED = 2;
  const libvirtEvent =
    (domain: string, event: number, detail: number) =>
    (s: RecordedSignal): boolean =>
      s.member === 'DomainEvent' && s.body[0] === domain && s.body[1] === event && s.body[2] === detail;
  const stopsOf = (guest: string, from: number): RecordedSignal[] =>
    stack.client.signals.slice(from).filter((s) => s.member === 'GuestStopped' && s.body[0] === guest);

  /** Defines and starts a panicking guest; its libvirt path and ours. */
  async function start(name: string, event: PanicEvent): Promise<[string, string]> {
    const [domain] = await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [
      panicGuestXml(stack.libvirtdNamespacePid, name, event),
    ]);
    const guest = await stack.client.waitForGuest(name);
    await libvirtCall(stack, domain as string, 'org.libvirt.Domain', 'Create', 'u', [0]);
    return [domain as string, guest];
  }

  it('that panicked is told once, as crashed, after its state, though libvirt then stops it', async () => {
    await stack.client.watch('org.libvirt');
    const from = stack.client.signals.length;
    const [domain, guest] = await start('panicky', 'panicked');
    await stack.client.waitForSignal(libvirtEvent(domain, CRASHED, PANICKED), 60_000, from);
    // Its on_crash (destroy): the same stop, libvirt's second event of it.
    await stack.client.waitForSignal(libvirtEvent(domain, STOPPED, STOPPED_CRASHED), 30_000, from);
    const stopped = await stack.client.waitForSignal(
      (s) => s.member === 'GuestStopped' && s.body[0] === guest,
      5_000,
      from,
    );
    expect(stopped.body).toEqual([guest, 'crashed']);
    const signals = stack.client.signals.slice(from);
    const crashedState = signals.findIndex(propertiesChanged(guest, 'State', 'crashed'));
    expect(crashedState).toBeGreaterThanOrEqual(0);
    expect(crashedState).toBeLessThan(signals.indexOf(stopped));
    // The service has had every event of it once it answers a later call (the bus keeps their order).
    expect(await stack.client.property(guest, GUEST, 'State')).toBe('crashed');
    expect(stopsOf(guest, from)).toHaveLength(1);
  });

  it('that loaded its crash kernel runs on untold; its stop, later, is told once with its own reason', async () => {
    const from = stack.client.signals.length;
    const [domain, guest] = await start('dumper', 'crash-loaded');
    await stack.client.waitForProperty(guest, 'State', 'running', 10_000);
    await stack.client.waitForSignal(libvirtEvent(domain, CRASHED, CRASH_LOADED), 60_000, from);
    // Our service has had that event once it answers a later call: running, as libvirt says, and nothing told.
    expect(await stack.client.property(guest, GUEST, 'State')).toBe('running');
    expect(await libvirtState(stack, 'dumper', QEMU)).toBe(1);
    expect(stopsOf(guest, from)).toEqual([]);
    expect(stack.client.signals.slice(from).filter(propertiesChanged(guest, 'State', 'crashed'))).toEqual([]);

    // Its dump written (a key press), it powers itself off.
    const pressed = stack.client.signals.length;
    await libvirtCall(stack, domain, 'org.libvirt.Domain', 'SendKey', 'uuauu', [0, 50, [28], 0]); // Linux keycode: Enter
    const stopped = await stack.client.waitForSignal(
      (s) => s.member === 'GuestStopped' && s.body[0] === guest,
      30_000,
      pressed,
    );
    expect(stopped.body).toEqual([guest, 'shutdown']);
    const signals = stack.client.signals.slice(pressed);
    const shutoff = signals.findIndex(propertiesChanged(guest, 'State', 'shutoff'));
    expect(shutoff).toBeGreaterThanOrEqual(0);
    expect(shutoff).toBeLessThan(signals.indexOf(stopped));
    await stack.client.waitForSignal(libvirtEvent(domain, STOPPED, 0), 5_000, pressed);
    expect(await stack.client.property(guest, GUEST, 'State')).toBe('shutoff');
    expect(stopsOf(guest, from)).toHaveLength(1);
  });
});

describe('autostart', () => {
  const libvirtAutostart = (name: string): Promise<boolean> => libvirtAutostartOf(stack, name, QEMU);
  const setAutostart = (path: string, value: Variant): Promise<string> =>
    stack.client.errorOf(path, 'org.freedesktop.DBus.Properties', 'Set', 'ssv', [GUEST, 'Autostart', value]);

  it("is libvirt's own flag, set through the contract and shown at once", async () => {
    for (const value of [true, false]) {
      const from = stack.client.signals.length;
      expect(await setAutostart(paths.charlie as string, new Variant('b', value))).toBe('ok');
      // Announced by the time Set returns: libvirt itself sends no event for it.
      expect(announced('charlie', 'Autostart', from)).toEqual([value]);
      expect(await stack.client.property(paths.charlie as string, GUEST, 'Autostart')).toBe(value);
      expect(await libvirtAutostart('charlie')).toBe(value);
    }
  });

  it('refuses a value of the wrong type, and a transient guest, changing nothing', async () => {
    expect(await setAutostart(paths.charlie as string, new Variant('s', 'yes'))).toBe(
      'org.freedesktop.DBus.Error.InvalidArgs',
    );
    expect(await libvirtAutostart('charlie')).toBe(false);

    await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainCreateXML', 'su', [tinyQemuGuestXml('transient'), 0]);
    const transient = await stack.client.waitForGuest('transient');
    expect(await setAutostart(transient, new Variant('b', true))).toBe('me.phyllo.Switcher1.Error.Libvirt');
    expect(await stack.client.property(transient, GUEST, 'Autostart')).toBe(false);
  });
});
