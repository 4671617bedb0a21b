// Live figures, only while someone looks. Clients ask for them
// (Manager.WatchStats) and are followed by their unique bus name until they
// say they are done or leave the bus; while at least one watches, a timer
// reads every running guest's statistics in one libvirt call about once a
// second and announces each guest's figures that changed. With no watcher
// there is no timer and no libvirt call, and every guest's figures are
// unknown again.

import { EventEmitter } from 'node:events';
import { REAL_CLOCK, type Clock } from '../clock.js';
import { PeerWatch } from '../dbus/peer-watch.js';
import type { MessageBus } from '../dbus/bus.js';
import type { Guest } from '../guests/guest.js';
import type { GuestRegistry } from '../guests/registry.js';
import { isDown } from '../guests/state.js';
import type { DomainStatsRecord } from '../libvirt/domain-stats.js';
import { log } from '../log.js';
import { figuresOf, sameFigures, sampleOf, UNKNOWN_FIGURES, type Figures, type Sample } from './figures.js';
import { errorMessage } from '../errors.js';

export const DEFAULT_INTERVAL_MS = 1_000;

export interface StatsSamplerEvents {
  /** A guest's figures changed (to UNKNOWN_FIGURES when they are no longer known). */
  figures: [path: string, figures: Figures];
}

export interface StatsSamplerOptions {
  /** One reading of every running domain's statistics (libvirt/domain-stats.ts). */
  read: () => Promise<DomainStatsRecord[]>;
  intervalMs?: number;
  /** Deadline of the bus calls that follow watchers. */
  timeoutMs: number;
  /** The time readings are spaced and stamped by: the real one, or a test's own. */
  clock?: Clock;
}

/** What the sampler needs of the registry: whether libvirt answers, and each guest's name, path and state. */
export interface SampledGuests {
  readonly connected: GuestRegistry['connected'];
  guests(): readonly Pick<Guest, 'name' | 'path' | 'state'>[];
}

export class StatsSampler extends EventEmitter<StatsSamplerEvents> {
  private readonly watchers: PeerWatch;
  private readonly read: () => Promise<DomainStatsRecord[]>;
  private readonly intervalMs: number;
  private readonly clock: Clock;
  /** Cancels the timer of the next reading; undefined while none is set. */
  private cancelTimer: (() => void) | undefined;
  /** Changes at every start and halt, so a reading that outlives its run is dropped. */
  private run = 0;
  private sampling = false;
  private failing = false;
  /** The last sample of each running guest, by our path. */
  private readonly samples = new Map<string, Sample>();
  /** The figures of each guest that has known ones, by our path. */
  private readonly shown = new Map<string, Figures>();

  constructor(
    bus: MessageBus,
    private readonly registry: SampledGuests,
    options: StatsSamplerOptions,
  ) {
    super();
    this.read = options.read;
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.clock = options.clock ?? REAL_CLOCK;
    this.watchers = new PeerWatch(bus, options.timeoutMs);
    this.watchers.on('gone', (name) => {
      log.debug(`stats watcher ${name} left the bus`);
      this.haltIfUnwatched();
    });
  }

  /** A guest's current figures (UNKNOWN_FIGURES when none). */
  figures(path: string): Figures {
    return this.shown.get(path) ?? UNKNOWN_FIGURES;
  }

  /** A guest went down: its figures go now, not at the next reading (which would not have it). */
  forget(path: string): void {
    this.samples.delete(path);
    this.publish(path, UNKNOWN_FIGURES);
  }

  /** How many clients watch now. */
  get watcherCount(): number {
    return this.watchers.size;
  }

  /** A client (by unique bus name) wants figures; once per client however often it asks. */
  async watch(sender: string): Promise<void> {
    const followed = this.watchers.add(sender);
    this.start();
    if (!(await followed)) this.haltIfUnwatched();
  }

  /** A client no longer wants figures. */
  unwatch(sender: string): void {
    this.watchers.remove(sender);
    this.haltIfUnwatched();
  }

  stop(): void {
    this.halt();
    this.watchers.stop();
    this.removeAllListeners();
  }

  private start(): void {
    if (this.sampling || this.watchers.size === 0) return;
    this.sampling = true;
    this.run++;
    log.info('live figures: sampling (a client watches)');
    void this.tick(this.run);
  }

  private haltIfUnwatched(): void {
    if (this.watchers.size === 0) this.halt();
  }

  private halt(): void {
    if (!this.sampling) return;
    this.sampling = false;
    this.run++;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.samples.clear();
    const shown = [...this.shown.keys()];
    this.shown.clear();
    for (const path of shown) this.emit('figures', path, UNKNOWN_FIGURES);
    log.info('live figures: stopped (no client watches)');
  }

  private async tick(run: number): Promise<void> {
    this.cancelTimer = undefined;
    const started = this.clock.now();
    let records: DomainStatsRecord[] = [];
    if (this.registry.connected) {
      try {
        records = await this.read();
        this.failing = false;
      } catch (error) {
        // Said once, not once a second; an unreachable libvirt is the registry's to handle.
        if (!this.failing) log.warning(`cannot read guest statistics: ${errorMessage(error)}`);
        this.failing = true;
      }
    }
    if (run !== this.run) return; // halted (and perhaps started again) meanwhile
    const now = this.clock.now();
    // The clock's milliseconds are the samples' time: CPU use over a second needs no finer grain.
    this.apply(records, BigInt(Math.round(now)) * 1_000_000n);
    this.cancelTimer = this.clock.after(Math.max(0, this.intervalMs - (now - started)), () => void this.tick(run));
  }

  /**
   * New figures from one reading: guests that no longer run have none. A
   * guest the registry has down has none either, whatever the reading says:
   * one read as it went down (or read before, and answered after) is a
   * record of a process that is gone, with some of its figures missing.
   */
  private apply(records: DomainStatsRecord[], at: bigint): void {
    const running = this.registry.guests().filter((g) => !isDown(g.state));
    const byName = new Map(running.map((g) => [g.name, g.path]));
    const seen = new Set<string>();
    for (const record of records) {
      const path = byName.get(record.name);
      if (!path) continue;
      seen.add(path);
      const before = this.samples.get(path);
      const read = sampleOf(record, at);
      // A running guest's reading without the balloon's figures (its monitor busy, say) keeps the memory
      // last read; one with no CPU time either is a guest that stopped, whose figures go.
      const keep = read.memoryKiB === undefined && read.cpuTimeNs !== undefined && before;
      const sample = keep ? { ...read, memoryKiB: before.memoryKiB } : read;
      this.publish(path, figuresOf(before, sample));
      this.samples.set(path, sample);
    }
    for (const path of new Set([...this.samples.keys(), ...this.shown.keys()])) {
      if (seen.has(path)) continue;
      this.samples.delete(path);
      this.publish(path, UNKNOWN_FIGURES);
    }
  }

  private publish(path: string, figures: Figures): void {
    if (sameFigures(this.figures(path), figures)) return;
    if (sameFigures(figures, UNKNOWN_FIGURES)) this.shown.delete(path);
    else this.shown.set(path, figures);
    this.emit('figures', path, figures);
  }
}
