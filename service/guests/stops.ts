// Why a guest stopped, told once per stop. A stop is the registry's state
// leaving a running one (running, paused, suspended, starting, stopping) for
// shutoff or crashed; its reason is the detail of libvirt's lifecycle event:
// the Stopped event's (shut down, forced off, crashed, its QEMU process
// gone…), or the Crashed event of an OS that panicked (libvirt then applies
// its on_crash: the Stopped event that may follow is the same stop). The two
// arrive in either order — the registry may apply the state from our own
// action before libvirt's event, or from the event itself — so whichever
// comes second tells the stop, always after the state. A Crashed event whose
// guest loaded its crash kernel (pvpanic "crash loaded") is no stop: libvirt
// keeps it running while it writes its dump, and its stop, if it comes, is
// told with that stop's own reason.

import { EventEmitter } from 'node:events';
import type { LibvirtClient } from '../libvirt/client.js';
import { log } from '../log.js';
import type { Guest } from './guest.js';
import type { GuestRegistry } from './registry.js';
import { CrashedDetail, DomainEvent, isDown } from './state.js';

/** The Manager's GuestStopped reasons (see the contract). */
export type StopReason = 'shutdown' | 'destroyed' | 'crashed' | 'migrated' | 'saved' | 'failed' | 'snapshot';

// virDomainEventStoppedDetailType, in order.
const STOPPED_DETAILS: readonly StopReason[] = [
  'shutdown',
  'destroyed',
  'crashed',
  'migrated',
  'saved',
  'failed',
  'snapshot',
];

/** Why a lifecycle event says a guest stopped running; undefined when it does not say so. */
export function stopReasonFromEvent(event: number, detail: number): StopReason | undefined {
  // A detail newer than this list is still a stop; it is told as the plain one.
  if (event === DomainEvent.Stopped) return STOPPED_DETAILS[detail] ?? 'shutdown';
  // Panicked, or a detail newer than this list; crash loaded is not a stop.
  if (event === DomainEvent.Crashed && detail !== CrashedDetail.CrashLoaded) return 'crashed';
  return undefined;
}

export interface GuestStopsEvents {
  stopped: [guest: Guest, reason: StopReason];
}

export class GuestStops extends EventEmitter<GuestStopsEvents> {
  /** Reasons from libvirt's events whose state the registry has not applied yet, by libvirt path. */
  private readonly reasons = new Map<string, StopReason>();
  /** Guests whose state says stopped and whose event is still to come. */
  private readonly untold = new Set<string>();
  /** Guests whose stop was told: more events of it (Stopped after Crashed) are the same stop. */
  private readonly told = new Set<string>();

  private readonly onEvent = (libvirtPath: string, event: number, detail: number): void => {
    if (event === DomainEvent.Crashed && detail === CrashedDetail.CrashLoaded) {
      const name = this.registry.guests().find((g) => g.libvirtPath === libvirtPath)?.name ?? libvirtPath;
      log.info(`${JSON.stringify(name)}: its OS crashed and is writing its dump (crash loaded); it keeps running`);
      return;
    }
    const reason = stopReasonFromEvent(event, detail);
    if (!reason || this.told.has(libvirtPath)) return;
    const guest = this.registry.guests().find((g) => g.libvirtPath === libvirtPath);
    // A guest the registry does not know (yet) has nobody listening for it.
    if (!guest) return;
    if (this.untold.has(libvirtPath) && isDown(guest.state)) this.tell(guest, reason);
    else this.reasons.set(libvirtPath, reason);
  };

  private readonly onChanged = (guest: Guest, changed: readonly string[], before: Guest): void => {
    if (!changed.includes('state')) return;
    const path = guest.libvirtPath;
    if (!isDown(guest.state)) {
      // Stopping once its stop was told: libvirt 11 announces the on_crash of a guest that panicked as a
      // Shutdown event, then Stopped, after the Crashed one (9.0 sends Stopped alone): the same stop.
      if (guest.state === 'stopping' && this.told.has(path)) return;
      // Running (or on its way) again: the next stop is a new one. A reason read meanwhile was an old event's.
      this.forget(path);
      return;
    }
    // Crashed, then shut off; or stopping, then crashed again: the same stop.
    if (isDown(before.state) || this.told.has(path)) return;
    const reason = this.reasons.get(path);
    if (reason) this.tell(guest, reason);
    else this.untold.add(path);
  };

  private readonly onRemoved = (guest: Guest): void => {
    this.forget(guest.libvirtPath);
  };

  constructor(
    private readonly client: LibvirtClient,
    private readonly registry: GuestRegistry,
  ) {
    super();
  }

  /**
   * Call after the registry has started and after whoever announces its
   * state changes has subscribed, so that a stop is told after its state.
   */
  start(): void {
    this.client.on('domainEvent', this.onEvent);
    this.registry.on('changed', this.onChanged);
    this.registry.on('removed', this.onRemoved);
  }

  stop(): void {
    this.client.off('domainEvent', this.onEvent);
    this.registry.off('changed', this.onChanged);
    this.registry.off('removed', this.onRemoved);
    this.removeAllListeners();
  }

  private tell(guest: Guest, reason: StopReason): void {
    this.forget(guest.libvirtPath);
    this.told.add(guest.libvirtPath);
    this.emit('stopped', guest, reason);
  }

  private forget(libvirtPath: string): void {
    this.reasons.delete(libvirtPath);
    this.untold.delete(libvirtPath);
    this.told.delete(libvirtPath);
  }
}
