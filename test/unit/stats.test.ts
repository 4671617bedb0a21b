// Live figures from libvirt's statistics: the pure parts.

import { describe, expect, it } from 'vitest';
import { Variant } from '@jellybrick/dbus-next';
import { parseDomainStats, type DomainStatsRecord } from '../../service/libvirt/domain-stats.js';
import { cpuPercent, figuresOf, memoryUsedKiB, sampleOf, type Sample } from '../../service/stats/figures.js';

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
  /** `virsh domstats --balloon` lines as libvirt prints them (KiB). */
  const domstats = (text: string) =>
    new Map(
      text
        .trim()
        .split('\n')
        .map((line) => line.trim().split('='))
        .map(([key, value]) => [key as string, Number(value)]),
    );
  const mib = (kib: number | undefined) => (kib === undefined ? undefined : Math.round(kib / 1024));

  // Statistics real Linux guests reported through virtio-balloon, as published with virsh domstats.
  it('is what the OS counts in use: its total less its MemAvailable (balloon.usable), not its page cache', () => {
    // A 16 GiB guest running Redis, nearly idle.
    const redis = domstats(`
      balloon.current=16777216
      balloon.maximum=16777216
      balloon.unused=16136688
      balloon.available=16390492
      balloon.usable=15969800
      balloon.disk_caches=227124
      balloon.rss=2054652`);
    expect(mib(memoryUsedKiB(redis))).toBe(411);
    // A 4 GiB VPS with one vCPU.
    const vps = domstats(`
      balloon.current=4194304
      balloon.unused=3310832
      balloon.available=3411636
      balloon.usable=3192772
      balloon.disk_caches=12528
      balloon.rss=3233044`);
    expect(mib(memoryUsedKiB(vps))).toBe(214);
    // A 2 GiB Ubuntu cloud image.
    const cloud = domstats(`
      balloon.current=2097152
      balloon.unused=1921792
      balloon.available=2010804
      balloon.usable=1851408
      balloon.disk_caches=68820
      balloon.rss=1388484`);
    expect(mib(memoryUsedKiB(cloud))).toBe(156);
    // A guest swapping: 4.3 GiB of cache, 8 GiB still available of 21 GiB.
    const swapping = domstats(`
      balloon.current=23068672
      balloon.unused=4194304
      balloon.available=22118400
      balloon.usable=8388608
      balloon.disk_caches=4508876
      balloon.rss=23068672`);
    expect(mib(memoryUsedKiB(swapping))).toBe(13408);
  });

  it("shows 985 MiB, not 3724, for the 4 GiB guest whose page cache was counted (issue 19's)", () => {
    // Its OS's own figures: 3.9 GiB total, 195 MiB free, 2.9 GiB available (2.6 GiB of it cache).
    const guest = values({
      'balloon.current': 4_194_304,
      'balloon.available': 4_013_404,
      'balloon.unused': 200_028,
      'balloon.usable': 3_004_764,
      'balloon.disk_caches': 2_744_320,
      'balloon.rss': 4_102_000,
    });
    expect(mib(memoryUsedKiB(guest))).toBe(985);
    // What was shown: total less free, the cache counted as used (virt-manager's reading).
    expect(Math.round((4_013_404 - 200_028) / 1024)).toBe(3724);
  });

  it('without MemAvailable (an older balloon driver): total less free less the caches it reports', () => {
    expect(memoryUsedKiB(values({ 'balloon.available': 4_000_000, 'balloon.unused': 1_000_000 }))).toBe(3_000_000);
    expect(
      memoryUsedKiB(
        values({ 'balloon.available': 4_000_000, 'balloon.unused': 1_000_000, 'balloon.disk_caches': 2_500_000 }),
      ),
    ).toBe(500_000);
  });

  it('does not trust a MemAvailable above the total (read before the balloon inflated at boot)', () => {
    const booting = values({
      'balloon.available': 2_010_804,
      'balloon.usable': 3_900_000,
      'balloon.unused': 1_921_792,
      'balloon.disk_caches': 68_820,
    });
    expect(memoryUsedKiB(booting)).toBe(2_010_804 - 1_921_792 - 68_820);
  });

  it('else what its QEMU process holds on the host', () => {
    // No balloon statistics (no driver, or no statistics period): only the balloon's size and the RSS.
    expect(memoryUsedKiB(values({ 'balloon.current': 65536, 'balloon.rss': 49620 }))).toBe(49620);
    expect(memoryUsedKiB(values({ 'balloon.unused': 5, 'balloon.rss': 49620 }))).toBe(49620);
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
