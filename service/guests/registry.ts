// Every guest libvirt knows, kept current from libvirt's events. A full
// resync happens only when libvirt-dbus (re)appears or libvirt's daemon
// comes back (libvirt/daemon-watch.ts); afterwards each event touches just
// its guest. While libvirt is unreachable what we knew stays readable and
// Connected is false.

import { EventEmitter } from 'node:events';
import { REAL_CLOCK, type Clock } from '../clock.js';
import { errorMessage, SwitcherError } from '../errors.js';
import { isDomainGone, type LibvirtClient } from '../libvirt/client.js';
import { parseDomainXml } from '../libvirt/domain-xml.js';
import { uuidFromDomainPath } from '../libvirt/uri.js';
import { log } from '../log.js';
import { changedFacts, guestPath, type Guest, type GuestFacts } from './guest.js';
import { DomainEvent, stateFromEvent, stateFromLibvirt, stillHeld, type GuestState } from './state.js';
import { count } from '../readable.js';

export interface GuestRegistryEvents {
  added: [guest: Guest];
  removed: [guest: Guest];
  /** Some facts changed: `changed` names them, `before` is the guest as it was. */
  changed: [guest: Guest, changed: (keyof GuestFacts)[], before: Guest];
  connected: [connected: boolean];
}

export interface ReconnectPolicy {
  /** First retry after losing libvirt, doubled up to maxDelayMs. */
  firstDelayMs: number;
  maxDelayMs: number;
}

const FETCH_CONCURRENCY = 16;
// How long after an action of ours a contrary event is checked with libvirt before it counts.
const SETTLE_WINDOW_MS = 500;
// virDomainState's shut off, and virDomainXMLFlags' INACTIVE.
const LIBVIRT_SHUTOFF = 5;
const XML_INACTIVE = 2;
// A domain libvirt would not let us read is tried again this many times (with the backoff), then on its next event.
const UNREADABLE_RETRIES = 5;

export class GuestRegistry extends EventEmitter<GuestRegistryEvents> {
  private readonly byLibvirtPath = new Map<string, Guest>();
  private readonly byPath = new Map<string, Guest>();
  private sortedPaths: string[] | undefined;
  private isConnected = false;
  private resyncRunning: Promise<void> | undefined;
  private resyncAgain = false;
  private cancelRetry: (() => void) | undefined;
  private retryDelayMs: number;
  private activatable = false;
  /** libvirt's daemon is known to be down: wait for it to come back rather than retrying on a timer. */
  private daemonDown = false;
  private stopped = false;
  /**
   * Count of lifecycle events seen per domain. libvirt-dbus answers calls from
   * a thread pool, so a reply may have been computed before an event we have
   * already applied: a read that saw the count change under it keeps the
   * event's state rather than its own stale one.
   */
  private readonly eventCount = new Map<string, number>();
  /**
   * States of ours that libvirt has no word for (starting, stopping), per
   * domain: they stand over libvirt's reads until libvirt says otherwise.
   */
  private readonly held = new Map<string, { state: GuestState }>();
  /** The last state an action of ours settled per domain, and when. */
  private readonly settled = new Map<string, { state: GuestState; at: number }>();
  /**
   * Reads of a domain under way, and how many times it was removed since the
   * first of them began: a reply libvirt computed before the domain went can
   * arrive after we removed it, and must not bring it back. Each read is
   * numbered: one answered after a later one was applied is dropped.
   */
  private readonly reads = new Map<string, { count: number; removals: number; started: number; applied: number }>();
  /** Domains libvirt listed but would not let us read, with their retry timers. */
  private readonly unreadable = new Map<string, { attempts: number; cancelTimer?: () => void }>();

  constructor(
    private readonly client: LibvirtClient,
    private readonly reconnect: ReconnectPolicy = { firstDelayMs: 250, maxDelayMs: 30_000 },
    /** The retries' and the settle window's time. */
    private readonly clock: Clock = REAL_CLOCK,
  ) {
    super();
    this.setMaxListeners(0); // every Shutdown in flight waits on 'changed'
    this.retryDelayMs = reconnect.firstDelayMs;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  async start(): Promise<void> {
    this.client.on('domainEvent', (path, event, detail) => void this.onDomainEvent(path, event, detail));
    this.client.on('metadataChange', (path) => void this.refresh(path));
    this.client.on('deviceChange', (path) => void this.refresh(path));
    await this.client.start();
    // Owner changes from here on; the owner at start is handled just below.
    this.client.on('owner', (owner) => this.onOwner(owner));
    this.activatable = await this.client.isActivatable().catch(() => false);
    // With an owner, or a bus that can start libvirt-dbus, try right away.
    if (this.client.owner || this.activatable) await this.resync();
  }

  stop(): void {
    this.stopped = true;
    this.cancelRetry?.();
    for (const { cancelTimer } of this.unreadable.values()) cancelTimer?.();
    this.unreadable.clear();
    this.client.stop();
    this.removeAllListeners();
  }

  /** Our object paths, sorted by guest name (then UUID), the same array until the list changes. */
  paths(): string[] {
    if (!this.sortedPaths) {
      this.sortedPaths = [...this.byPath.values()]
        .sort((a, b) => a.name.localeCompare(b.name) || a.uuid.localeCompare(b.uuid))
        .map((g) => g.path);
    }
    return this.sortedPaths;
  }

  guests(): Guest[] {
    return [...this.byPath.values()];
  }

  get(path: string): Guest | undefined {
    return this.byPath.get(path);
  }

  /** A guest by its exact libvirt name, or its UUID (any case). */
  find(nameOrUuid: string): Guest | undefined {
    const wanted = nameOrUuid.toLowerCase();
    let byUuid: Guest | undefined;
    for (const guest of this.byPath.values()) {
      if (guest.name === nameOrUuid) return guest;
      if (guest.uuid === wanted) byUuid = guest;
    }
    return byUuid;
  }

  /**
   * Sets the state an action that libvirt has just confirmed leads to, so a
   * caller acting in sequence sees it at once rather than an event later.
   * libvirt-dbus sends events apart from replies, so an older event can still
   * arrive after this: for a moment such events are checked with libvirt
   * before they count (see onDomainEvent).
   */
  settle(guest: Guest, state: GuestState): void {
    const current = this.byPath.get(guest.path);
    if (!current) return;
    this.held.delete(current.libvirtPath);
    this.settled.set(current.libvirtPath, { state, at: this.clock.now() });
    this.update(current, { state });
  }

  /**
   * Shows a state of ours that libvirt has no word for: starting while
   * libvirt still reads the guest as off, stopping while an ACPI shutdown is
   * under way and libvirt still reads it as running. Any re-read of the guest
   * meanwhile (a metadata change, a resync, a late reply) keeps it; libvirt's
   * events, a read of another state, settle() or the returned release end it.
   */
  hold(guest: Guest, state: GuestState): () => void {
    const current = this.byPath.get(guest.path);
    if (!current) return () => undefined;
    const { libvirtPath } = current;
    const mine = { state };
    this.held.set(libvirtPath, mine);
    this.update(current, { state });
    return () => {
      if (this.held.get(libvirtPath) === mine) this.held.delete(libvirtPath);
    };
  }

  /** Sets a fact we changed in libvirt ourselves and libvirt sends no event for (autostart). */
  setFact<K extends 'autostart'>(guest: Guest, key: K, value: GuestFacts[K]): void {
    const current = this.byPath.get(guest.path);
    if (current) this.update(current, { [key]: value });
  }

  /** Re-reads one guest from libvirt; removes it when libvirt no longer has it. */
  async refresh(libvirtPath: string): Promise<Guest | undefined> {
    const events = this.eventCount.get(libvirtPath) ?? 0;
    const started = process.hrtime.bigint();
    try {
      const facts = await this.fetch(libvirtPath);
      // No facts: the guest was removed meanwhile (then it is gone), or a newer read told it (then that stands).
      return facts
        ? this.upsert(libvirtPath, this.keepNewerState(libvirtPath, events, facts, started))
        : this.byLibvirtPath.get(libvirtPath);
    } catch (error) {
      this.onFetchError(libvirtPath, error);
      return undefined;
    }
  }

  /** Re-reads only the state of a guest. */
  async refreshState(guest: Guest): Promise<void> {
    const events = this.eventCount.get(guest.libvirtPath) ?? 0;
    try {
      const [state, reason] = await this.client.domainState(guest.libvirtPath);
      const current = this.byPath.get(guest.path);
      if (current && this.eventCount.get(guest.libvirtPath) === events) {
        this.update(current, { state: this.readState(guest.libvirtPath, stateFromLibvirt(state, reason)) });
      }
    } catch (error) {
      this.onFetchError(guest.libvirtPath, error);
    }
  }

  /** Reports that a call found libvirt unreachable: mark it and try again later. */
  lostLibvirt(reason: string): void {
    if (this.stopped) return;
    if (this.isConnected) log.warning(`libvirt unreachable: ${reason}`);
    this.setConnected(false);
    this.scheduleRetry();
  }

  /**
   * libvirt's daemon went away (it stopped or restarted under libvirt-dbus,
   * which says nothing): Connected is false until daemonBack().
   */
  daemonGone(reason: string): void {
    if (this.stopped) return;
    this.daemonDown = true;
    this.cancelRetry?.();
    this.cancelRetry = undefined;
    log.warning(`libvirt's daemon is gone: ${reason}`);
    this.setConnected(false);
  }

  /** libvirt's daemon accepts connections again: read everything anew (libvirt-dbus reconnects on our first call). */
  daemonBack(): void {
    if (this.stopped) return;
    this.daemonDown = false;
    this.retryDelayMs = this.reconnect.firstDelayMs;
    log.info("libvirt's daemon is back");
    void this.resync();
  }

  /** Reads every domain and brings our list in line with libvirt's. */
  resync(): Promise<void> {
    if (this.resyncRunning) {
      this.resyncAgain = true;
      return this.resyncRunning;
    }
    this.resyncRunning = (async () => {
      do {
        this.resyncAgain = false;
        await this.resyncOnce();
      } while (this.resyncAgain && !this.stopped);
    })().finally(() => {
      this.resyncRunning = undefined;
    });
    return this.resyncRunning;
  }

  private async resyncOnce(): Promise<void> {
    const started = process.hrtime.bigint();
    let paths: string[];
    try {
      paths = await this.client.listDomains();
    } catch (error) {
      this.lostLibvirt(errorMessage(error));
      return;
    }
    const seen = new Set(paths);
    let unreachable = false;
    await forEachLimited(paths, FETCH_CONCURRENCY, async (path) => {
      const events = this.eventCount.get(path) ?? 0;
      const started = process.hrtime.bigint();
      try {
        const facts = await this.fetch(path);
        if (facts) this.upsert(path, this.keepNewerState(path, events, facts, started));
      } catch (error) {
        if (isDomainGone(error)) seen.delete(path);
        else if (isUnreachable(error)) unreachable = true;
        this.onFetchError(path, error);
      }
    });
    for (const [libvirtPath, guest] of this.byLibvirtPath) {
      if (!seen.has(libvirtPath)) this.remove(guest);
    }
    if (unreachable) return; // onFetchError has scheduled a retry
    this.retryDelayMs = this.reconnect.firstDelayMs;
    this.cancelRetry?.();
    this.cancelRetry = undefined;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    log.info(`libvirt ${this.client.endpoint.uri}: ${count(this.byPath.size, 'guest')} in sync (${ms.toFixed(1)} ms)`);
    // One domain we could not read does not make libvirt unreachable: it is retried on its own.
    this.setConnected(true);
  }

  /** A domain's facts as libvirt gives them; undefined when we removed the domain while they were read. */
  private async fetch(libvirtPath: string): Promise<GuestFacts | undefined> {
    const read = this.reads.get(libvirtPath) ?? { count: 0, removals: 0, started: 0, applied: 0 };
    this.reads.set(libvirtPath, read);
    read.count++;
    const ticket = ++read.started;
    const removalsBefore = read.removals;
    let answers: [string, [number, number], boolean];
    let next: string | undefined;
    let stale = false;
    try {
      answers = await Promise.all([
        this.client.domainXml(libvirtPath),
        this.client.domainState(libvirtPath),
        this.client.domainAutostart(libvirtPath),
      ]);
      // A domain that runs has two definitions: the live one, and the one its next start takes.
      if (answers[1][0] !== LIBVIRT_SHUTOFF) next = await this.client.domainXml(libvirtPath, XML_INACTIVE);
      // A read begun later and answered first knows better (an autostart set in between, say).
      stale = ticket < read.applied;
      if (!stale) read.applied = ticket;
    } finally {
      if (--read.count === 0) this.reads.delete(libvirtPath);
    }
    if (read.removals !== removalsBefore || stale) return undefined;
    const [xml, [state, reason], autostart] = answers;
    const facts = parseDomainXml(xml);
    const video = next === undefined ? facts.video : parseDomainXml(next).video;
    this.readable(libvirtPath);
    return {
      name: facts.name,
      uuid: facts.uuid || uuidFromDomainPath(libvirtPath) || '',
      state: this.readState(libvirtPath, stateFromLibvirt(state, reason)),
      vcpus: facts.vcpus,
      memoryMiB: facts.memoryMiB,
      autostart,
      osId: facts.osId,
      display: facts.display,
      video,
      runningVideo: next === undefined ? null : facts.video,
      settings: facts.settings,
      usbHostdevs: facts.usbHostdevs,
    };
  }

  /** libvirt's reading of a domain's state, under any state of ours it has not reached yet. */
  private readState(libvirtPath: string, read: GuestState): GuestState {
    const held = this.held.get(libvirtPath);
    if (!held) return read;
    if (stillHeld(held.state, read)) return held.state;
    this.held.delete(libvirtPath);
    return read;
  }

  /** Fetched facts, with the state of any event that arrived while they were read. */
  private keepNewerState(libvirtPath: string, eventsBefore: number, facts: GuestFacts, started: bigint): GuestFacts {
    const current = this.byLibvirtPath.get(libvirtPath);
    if (!current) return facts;
    // An event, or an action of ours that libvirt confirmed (settle), after the read began knows better.
    const settledSince = (this.settled.get(libvirtPath)?.at ?? 0n) > started;
    if ((this.eventCount.get(libvirtPath) ?? 0) === eventsBefore && !settledSince) return facts;
    return stoppedRunsNothing({ ...facts, state: current.state });
  }

  private async onDomainEvent(libvirtPath: string, event: number, detail: number): Promise<void> {
    this.eventCount.set(libvirtPath, (this.eventCount.get(libvirtPath) ?? 0) + 1);
    const guest = this.byLibvirtPath.get(libvirtPath);
    let state = stateFromEvent(event, detail);
    const held = this.held.get(libvirtPath);
    // An event saying what a state of ours stands over is old news (a late Resumed or Started while an
    // ACPI shutdown is under way: libvirt sends none as one begins); any other ends the hold.
    if (state && held && stillHeld(held.state, state)) state = undefined;
    else if (state) this.held.delete(libvirtPath);
    const settled = this.settled.get(libvirtPath);
    if (guest && state && settled && state !== settled.state && this.clock.now() - settled.at < SETTLE_WINDOW_MS) {
      // Right after an action of ours, an event saying otherwise may be an older one: ask libvirt.
      await this.refreshState(guest);
    } else if (guest && state) {
      this.update(guest, { state });
    }
    // A definition changed, a domain left libvirt or a transient one stopped
    // (and so vanished), or we have not seen this domain yet: ask libvirt.
    // One that started runs with its definition's display now (RunningDisplay).
    if (
      !guest ||
      event === DomainEvent.Defined ||
      event === DomainEvent.Undefined ||
      event === DomainEvent.Started ||
      event === DomainEvent.Stopped
    ) {
      await this.refresh(libvirtPath);
    }
  }

  private onFetchError(libvirtPath: string, error: unknown): void {
    if (isDomainGone(error)) {
      this.readable(libvirtPath);
      const guest = this.byLibvirtPath.get(libvirtPath);
      if (guest) this.remove(guest);
    } else if (isUnreachable(error)) {
      this.lostLibvirt(errorMessage(error));
    } else {
      log.warning(`could not read domain ${libvirtPath}: ${errorMessage(error)}`);
      this.retryUnreadable(libvirtPath);
    }
  }

  /** A domain we could not read is tried again with the backoff, a few times; then on its next event. */
  private retryUnreadable(libvirtPath: string): void {
    const entry = this.unreadable.get(libvirtPath) ?? { attempts: 0 };
    this.unreadable.set(libvirtPath, entry);
    if (entry.cancelTimer || entry.attempts >= UNREADABLE_RETRIES || this.stopped) return;
    const delay = Math.min(this.reconnect.firstDelayMs * 2 ** entry.attempts, this.reconnect.maxDelayMs);
    entry.attempts++;
    entry.cancelTimer = this.clock.after(delay, () => {
      entry.cancelTimer = undefined;
      void this.refresh(libvirtPath);
    });
  }

  private readable(libvirtPath: string): void {
    const entry = this.unreadable.get(libvirtPath);
    if (!entry) return;
    entry.cancelTimer?.();
    this.unreadable.delete(libvirtPath);
  }

  private onOwner(owner: string): void {
    if (this.stopped) return;
    if (owner) {
      log.info(`libvirt-dbus appeared as ${owner}`);
      void this.resync();
    } else {
      log.warning('libvirt-dbus left the bus');
      this.setConnected(false);
      // A bus that can activate libvirt-dbus gets asked again; otherwise its return is announced by the bus.
      if (this.activatable) this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.cancelRetry || this.stopped || this.daemonDown) return;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.reconnect.maxDelayMs);
    this.cancelRetry = this.clock.after(delay, () => {
      this.cancelRetry = undefined;
      void this.resync();
    });
  }

  private setConnected(connected: boolean): void {
    if (connected === this.isConnected) return;
    this.isConnected = connected;
    this.emit('connected', connected);
  }

  private upsert(libvirtPath: string, facts: GuestFacts): Guest {
    const existing = this.byLibvirtPath.get(libvirtPath);
    if (existing) return this.update(existing, facts);
    const guest: Guest = { ...facts, path: guestPath(facts.uuid), libvirtPath };
    this.byLibvirtPath.set(libvirtPath, guest);
    this.byPath.set(guest.path, guest);
    this.sortedPaths = undefined;
    log.info(`guest added: ${JSON.stringify(guest.name)} (${guest.uuid}) ${guest.state}`);
    this.emit('added', guest);
    return guest;
  }

  /** Applies new facts; announces what changed. */
  private update(guest: Guest, facts: Partial<GuestFacts>): Guest {
    const current = this.byPath.get(guest.path);
    if (!current) return guest;
    const next: Guest = stoppedRunsNothing({ ...current, ...facts });
    const changed = changedFacts(current, next);
    if (changed.length === 0) return current;
    this.byPath.set(next.path, next);
    this.byLibvirtPath.set(next.libvirtPath, next);
    if (changed.includes('name')) this.sortedPaths = undefined;
    if (changed.includes('state')) log.info(`guest ${JSON.stringify(next.name)}: ${current.state} -> ${next.state}`);
    this.emit('changed', next, changed, current);
    return next;
  }

  private remove(guest: Guest): void {
    if (!this.byPath.delete(guest.path)) return;
    this.byLibvirtPath.delete(guest.libvirtPath);
    const read = this.reads.get(guest.libvirtPath);
    if (read) read.removals++;
    this.eventCount.delete(guest.libvirtPath);
    this.settled.delete(guest.libvirtPath);
    this.held.delete(guest.libvirtPath);
    this.readable(guest.libvirtPath);
    this.sortedPaths = undefined;
    log.info(`guest removed: ${JSON.stringify(guest.name)} (${guest.uuid})`);
    this.emit('removed', guest);
  }
}

function isUnreachable(error: unknown): boolean {
  return error instanceof SwitcherError && (error.kind === 'NotConnected' || error.kind === 'Timeout');
}

/** A guest that is shut off runs with no display: its state may say so before a read of it does. */
function stoppedRunsNothing<T extends GuestFacts>(facts: T): T {
  return facts.state === 'shutoff' && facts.runningVideo !== null ? { ...facts, runningVideo: null } : facts;
}

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
