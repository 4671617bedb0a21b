// The live-figures sampler on the test's own clock: it reads only while a
// client watches, once at once and then once an interval, and sets no timer
// at all while nobody watches. Watchers are real connections to a private
// dbus-daemon (the sampler follows them there); libvirt's reading is a
// stand-in that counts the calls and answers with figures the test chooses.

import { sessionBus } from '@jellybrick/dbus-next';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { whenConnected, type MessageBus } from '../../service/dbus/bus.js';
import type { DomainStatsRecord } from '../../service/libvirt/domain-stats.js';
import type { GuestState } from '../../service/guests/state.js';
import { UNKNOWN_FIGURES, type Figures } from '../../service/stats/figures.js';
import { StatsSampler, type SampledGuests } from '../../service/stats/sampler.js';
import { ManualClock } from '../support/manual-clock.js';
import { startPrivateBus, type PrivateBus } from '../support/private-bus.js';
import { ProcessGroup } from '../support/processes.js';
import { nextEvent, flush } from '../support/wait.js';

const INTERVAL_MS = 1_000;
const ALPHA = '/me/phyllo/Switcher1/Guest/_a';

/** The sampler's work after a timer or a reading: its promises have run (the stand-in does no I/O). */

const group = new ProcessGroup();
let bus: PrivateBus;
let service: MessageBus;
let watcher: MessageBus;

beforeAll(async () => {
  bus = await startPrivateBus(group);
  service = sessionBus({ busAddress: bus.address });
  await whenConnected(service, 5_000);
}, 20_000);

afterAll(async () => {
  service?.disconnect();
  await group.stopAll();
  bus?.dispose();
});

class Libvirt {
  reads = 0;
  /** Whether the reading carries the balloon's figures (a busy monitor leaves them out). */
  balloon = true;
  /** alpha's CPU time, ns: the test moves it on with the clock. */
  cpuTimeNs = 0;
  readonly read = async (): Promise<DomainStatsRecord[]> => {
    this.reads++;
    return [
      {
        name: 'alpha',
        values: new Map([
          ['cpu.time', this.cpuTimeNs],
          ['vcpu.current', 1],
          ...(this.balloon ? ([['balloon.rss', 64 * 1024]] as const) : []),
        ]),
      },
    ];
  };
}

/** alpha as the registry has it. */
let alphaState: GuestState = 'running';
const guests: SampledGuests = { connected: true, guests: () => [{ name: 'alpha', path: ALPHA, state: alphaState }] };
let clock: ManualClock;
let libvirt: Libvirt;
let sampler: StatsSampler;
let shown: Figures[];

beforeEach(async () => {
  clock = new ManualClock();
  alphaState = 'running';
  libvirt = new Libvirt();
  sampler = new StatsSampler(service, guests, { read: libvirt.read, timeoutMs: 5_000, intervalMs: INTERVAL_MS, clock });
  shown = [];
  sampler.on('figures', (path, figures) => path === ALPHA && shown.push(figures));
  watcher = sessionBus({ busAddress: bus.address });
  await whenConnected(watcher, 5_000);
});

afterEach(() => {
  sampler.stop();
  watcher.disconnect();
});

/** Moves the clock on by `ms` and lets what fired finish. */
async function advance(ms: number): Promise<void> {
  clock.advance(ms);
  await flush();
}

describe('the live-figures sampler', () => {
  it('reads nothing and keeps no timer while nobody watches', async () => {
    await advance(60_000);
    expect(libvirt.reads).toBe(0);
    expect(clock.pending).toBe(0);
    expect(sampler.figures(ALPHA)).toEqual(UNKNOWN_FIGURES);
  });

  it('reads at once when a client watches, then once an interval, with CPU use over the clock’s time', async () => {
    await sampler.watch(watcher.name as string);
    expect(libvirt.reads).toBe(1);
    // Memory is known from the first reading; CPU use needs a second.
    expect(sampler.figures(ALPHA)).toEqual({ cpuPercent: -1, memoryUsedMiB: 64n });
    libvirt.cpuTimeNs += 250_000_000; // a quarter of the interval
    await advance(INTERVAL_MS - 1);
    expect(libvirt.reads).toBe(1);
    await advance(1);
    expect(libvirt.reads).toBe(2);
    expect(sampler.figures(ALPHA)).toEqual({ cpuPercent: 25, memoryUsedMiB: 64n });
    // Each reading sets the next timer once it is in (a slow libvirt is not asked twice at once).
    for (let i = 0; i < 3; i++) await advance(INTERVAL_MS);
    expect(libvirt.reads).toBe(5);
  });

  it('keeps the memory last read when a reading lacks the balloon’s figures', async () => {
    await sampler.watch(watcher.name as string);
    expect(sampler.figures(ALPHA).memoryUsedMiB).toBe(64n);
    libvirt.balloon = false;
    await advance(INTERVAL_MS);
    await advance(INTERVAL_MS);
    expect(libvirt.reads).toBe(3);
    expect(sampler.figures(ALPHA).memoryUsedMiB).toBe(64n);
  });

  it('shows no figures for a guest the registry has down, whatever a late reading of it says', async () => {
    await sampler.watch(watcher.name as string);
    libvirt.cpuTimeNs += 250_000_000;
    await advance(INTERVAL_MS);
    expect(sampler.figures(ALPHA)).toEqual({ cpuPercent: 25, memoryUsedMiB: 64n });
    // Forced off: libvirt's reading of it, as it went, still has CPU time but no balloon or vCPUs.
    alphaState = 'shutoff';
    libvirt.balloon = false;
    await advance(INTERVAL_MS);
    expect(libvirt.reads).toBe(3);
    expect(sampler.figures(ALPHA)).toEqual(UNKNOWN_FIGURES);
    expect(shown.at(-1)).toEqual(UNKNOWN_FIGURES);
    // Started again: its figures come back from its readings.
    alphaState = 'running';
    libvirt.balloon = true;
    await advance(INTERVAL_MS);
    expect(sampler.figures(ALPHA).memoryUsedMiB).toBe(64n);
  });

  it('drops a guest’s figures at once when it goes down, before the next reading', async () => {
    await sampler.watch(watcher.name as string);
    expect(sampler.figures(ALPHA).memoryUsedMiB).toBe(64n);
    const reads = libvirt.reads;
    sampler.forget(ALPHA);
    expect(libvirt.reads).toBe(reads);
    expect(sampler.figures(ALPHA)).toEqual(UNKNOWN_FIGURES);
    expect(shown.at(-1)).toEqual(UNKNOWN_FIGURES);
    // Told once: forgetting a guest with no figures says nothing.
    const told = shown.length;
    sampler.forget(ALPHA);
    expect(shown).toHaveLength(told);
  });

  it('stops reading, keeps no timer and forgets the figures once the client says it is done', async () => {
    await sampler.watch(watcher.name as string);
    await advance(INTERVAL_MS);
    expect(libvirt.reads).toBe(2);
    sampler.unwatch(watcher.name as string);
    expect(clock.pending).toBe(0);
    expect(shown.at(-1)).toEqual(UNKNOWN_FIGURES);
    await advance(60_000);
    expect(libvirt.reads).toBe(2);
  });

  it('stops reading once the last watcher leaves the bus without a word, not before', async () => {
    const other = sessionBus({ busAddress: bus.address });
    await whenConnected(other, 5_000);
    await sampler.watch(watcher.name as string);
    await sampler.watch(other.name as string);
    // One of two leaves: the other still watches.
    const left = nextEvent(sampler, 'figures', { match: (_path, figures) => figures === UNKNOWN_FIGURES });
    other.disconnect();
    await advance(INTERVAL_MS);
    expect(libvirt.reads).toBe(2);
    watcher.disconnect();
    await left; // the bus said the last one left
    expect(sampler.watcherCount).toBe(0);
    expect(clock.pending).toBe(0);
    await advance(60_000);
    expect(libvirt.reads).toBe(2);
  });
});
