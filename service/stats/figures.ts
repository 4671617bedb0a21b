// A guest's live figures from two samples of libvirt's statistics: CPU use as
// a share of its vCPUs, memory in use. Pure: no I/O, no clock.

import type { DomainStatsRecord } from '../libvirt/domain-stats.js';

/** What the Guest object publishes: CpuPercent (-1 unknown) and MemoryUsedMiB (0 unknown). */
export interface Figures {
  /** 0..100 of the guest's vCPUs, one decimal; -1 when unknown. */
  cpuPercent: number;
  /** MiB; 0 when unknown. */
  memoryUsedMiB: bigint;
}

export const UNKNOWN_FIGURES: Figures = Object.freeze({ cpuPercent: -1, memoryUsedMiB: 0n });

/** One guest's statistics at one moment. */
export interface Sample {
  /** Monotonic time the sample was taken, ns. */
  atNs: bigint;
  /** libvirt's cpu.time: CPU time the guest's QEMU process used, ns. */
  cpuTimeNs: number | undefined;
  vcpus: number | undefined;
  /** KiB, see memoryUsedKiB. */
  memoryKiB: number | undefined;
}

export function sampleOf(record: DomainStatsRecord, atNs: bigint): Sample {
  return {
    atNs,
    cpuTimeNs: record.values.get('cpu.time'),
    vcpus: record.values.get('vcpu.current'),
    memoryKiB: memoryUsedKiB(record.values),
  };
}

/**
 * Memory in use, KiB, as the guest's OS counts it: its total less what it
 * could still give to programs without swapping (Linux's MemTotal −
 * MemAvailable, which `free` shows as used), from the statistics its balloon
 * driver reports (balloon.available is its MemTotal, balloon.usable its
 * MemAvailable: cockpit-machines reads usable the same way). The page cache
 * and reclaimable caches are not in use: the guest hands them back when a
 * program asks. A driver too old to report usable reports what is free
 * (balloon.unused): then total − free − caches (balloon.disk_caches, when
 * reported), which is virt-manager's reading without the cache it counts as
 * used. A guest that reports neither (no balloon, or no statistics period)
 * shows what its QEMU process holds on the host (balloon.rss).
 */
export function memoryUsedKiB(values: ReadonlyMap<string, number>): number | undefined {
  const total = values.get('balloon.available');
  const usable = values.get('balloon.usable');
  // usable above the total: a sample from before the balloon inflated at boot (both are read at different times).
  if (total !== undefined && usable !== undefined && usable <= total) return total - usable;
  const unused = values.get('balloon.unused');
  if (total !== undefined && unused !== undefined && unused <= total)
    return Math.max(0, total - unused - (values.get('balloon.disk_caches') ?? 0));
  return values.get('balloon.rss');
}

/**
 * CPU use between two samples as a share of the guest's vCPUs, 0..100, one
 * decimal; undefined when it cannot be told (no earlier sample, CPU time that
 * went back because the guest started anew, no time between them).
 */
export function cpuPercent(before: Sample | undefined, after: Sample): number | undefined {
  if (!before || before.cpuTimeNs === undefined || after.cpuTimeNs === undefined) return undefined;
  const wallNs = Number(after.atNs - before.atNs);
  const cpuNs = after.cpuTimeNs - before.cpuTimeNs;
  const vcpus = after.vcpus ?? 0;
  if (wallNs <= 0 || cpuNs < 0 || vcpus < 1) return undefined;
  // cpu.time includes QEMU's own threads, so a guest whose every vCPU is busy can read a little over 100.
  const percent = Math.min(100, (cpuNs / (wallNs * vcpus)) * 100);
  return Math.round(percent * 10) / 10;
}

/** The figures a guest shows after a new sample. */
export function figuresOf(before: Sample | undefined, after: Sample): Figures {
  return {
    cpuPercent: cpuPercent(before, after) ?? -1,
    memoryUsedMiB: after.memoryKiB === undefined ? 0n : BigInt(Math.round(after.memoryKiB / 1024)),
  };
}

export function sameFigures(a: Figures, b: Figures): boolean {
  return a.cpuPercent === b.cpuPercent && a.memoryUsedMiB === b.memoryUsedMiB;
}
