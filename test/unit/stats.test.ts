// Live figures from libvirt's statistics, and why guests stop: the pure parts.

import { describe, expect, it } from 'vitest';
import { Variant } from '@jellybrick/dbus-next';
import { parseDomainStats, type DomainStatsRecord } from '../../service/libvirt/domain-stats.js';
import { cpuPercent, figuresOf, memoryUsedKiB, sampleOf, type Sample } from '../../service/stats/figures.js';
import { stopReasonFromEvent } from '../../service/guests/stops.js';

const SECOND = 1_000_000_000n;
const sample = (atNs: bigint, cpuTimeNs: number, vcpus = 1, memoryKiB?: number): Sample => ({
  atNs,
  cpuTimeNs,
  vcpus,
  memoryKiB,
});

describe('CPU use', () => {
  it('is the CPU time used over the wall time, as a share of every vCPU', () => {
    expect(cpuPercent(sample(0n, 0), sample(SECOND, 250_000_000))).toBe(25);
    // Two vCPUs: one whole vCPU busy is half of the guest.
    expect(cpuPercent(sample(0n, 0, 2), sample(SECOND, 1_000_000_000, 2))).toBe(50);
    // Over two seconds.
    expect(cpuPercent(sample(0n, 0, 4), sample(2n * SECOND, 2_000_000_000, 4))).toBe(25);
  });

  it('has one decimal and never passes 100 (cpu.time counts QEMU’s own threads too)', () => {
    expect(cpuPercent(sample(0n, 0), sample(SECOND, 123_456_789))).toBe(12.3);
    expect(cpuPercent(sample(0n, 0), sample(SECOND, 1_100_000_000))).toBe(100);
  });

  it('is unknown without an earlier sample, when the CPU time went back, or without time or vCPUs', () => {
    expect(cpuPercent(undefined, sample(SECOND, 5))).toBeUndefined();
    expect(cpuPercent(sample(0n, 900), sample(SECOND, 100))).toBeUndefined(); // started anew
    expect(cpuPercent(sample(SECOND, 0), sample(SECOND, 100))).toBeUndefined();
    expect(cpuPercent(sample(0n, 0, 0), sample(SECOND, 100, 0))).toBeUndefined();
  });
});

describe('memory in use', () => {
  const values = (entries: Record<string, number>) => new Map(Object.entries(entries));

  it('is what the guest reports through its balloon driver when it does', () => {
    expect(
      memoryUsedKiB(values({ 'balloon.available': 4_000_000, 'balloon.unused': 1_000_000, 'balloon.rss': 3_900_000 })),
    ).toBe(3_000_000);
  });

  it('else what its QEMU process holds on the host', () => {
    expect(memoryUsedKiB(values({ 'balloon.current': 65536, 'balloon.rss': 49620 }))).toBe(49620);
    expect(memoryUsedKiB(values({}))).toBeUndefined();
  });
});

describe('figures', () => {
  it('come in MiB and percent, and are unknown (-1, 0) until known', () => {
    expect(figuresOf(undefined, sample(SECOND, 5, 1, 49620))).toEqual({ cpuPercent: -1, memoryUsedMiB: 48n });
    expect(figuresOf(sample(0n, 0), sample(SECOND, 500_000_000, 1, undefined))).toEqual({
      cpuPercent: 50,
      memoryUsedMiB: 0n,
    });
  });
});

describe('GetAllDomainStats records', () => {
  it('are read as libvirt-dbus sends them: names and numeric values, bigints included', () => {
    const records = parseDomainStats([
      [
        't1',
        {
          // libvirt-dbus wraps each value in a variant of its own.
          'cpu.time': new Variant('v', new Variant('t', 318562000n)),
          'vcpu.current': new Variant('v', new Variant('u', 2)),
          'balloon.rss': new Variant('v', new Variant('t', 49620n)),
          'dirtyrate.calc_mode': new Variant('v', new Variant('s', 'page-sampling')),
        },
      ],
      'not a record',
    ]);
    expect(records).toEqual([
      {
        name: 't1',
        values: new Map([
          ['cpu.time', 318562000],
          ['vcpu.current', 2],
          ['balloon.rss', 49620],
        ]),
      },
    ]);
    expect(sampleOf(records[0] as DomainStatsRecord, 7n)).toEqual({
      atNs: 7n,
      cpuTimeNs: 318562000,
      vcpus: 2,
      memoryKiB: 49620,
    });
    expect(parseDomainStats(undefined)).toEqual([]);
  });
});

describe('why a guest stopped', () => {
  it("reads libvirt's Stopped event detail, and its Crashed event", () => {
    const STOPPED = 5;
    // virDomainEventStoppedDetailType: SHUTDOWN 0, DESTROYED 1, CRASHED 2, SAVED 4, FAILED 5.
    expect(stopReasonFromEvent(STOPPED, 0)).toBe('shutdown');
    expect(stopReasonFromEvent(STOPPED, 1)).toBe('destroyed');
    expect(stopReasonFromEvent(STOPPED, 2)).toBe('crashed');
    expect(stopReasonFromEvent(STOPPED, 4)).toBe('saved');
    expect(stopReasonFromEvent(STOPPED, 5)).toBe('failed'); // its QEMU process ended: killed, out of memory
    expect(stopReasonFromEvent(STOPPED, 99)).toBe('shutdown'); // a detail from a newer libvirt
    expect(stopReasonFromEvent(8, 0)).toBe('crashed'); // Crashed, panicked
    expect(stopReasonFromEvent(2, 0)).toBeUndefined(); // Started
    expect(stopReasonFromEvent(3, 0)).toBeUndefined(); // Suspended
  });
});
