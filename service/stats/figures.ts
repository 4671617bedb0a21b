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
 * Memory in use, KiB: as the guest's OS reports it through its balloon driver
 * (balloon.available − balloon.unused) when it does, else what the guest's
 * QEMU process holds on the host (balloon.rss).
 */
export function memoryUsedKiB(values: ReadonlyMap<string, number>): number | undefined {
  const available = values.get('balloon.available');
  const unused = values.get('balloon.unused');
  if (available !== undefined && unused !== undefined && available >= unused) return available - unused;
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
