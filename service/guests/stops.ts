// Why a guest stopped, from libvirt's lifecycle events: the Stopped event's
// detail (shut down, forced off, crashed, its QEMU process gone…) and the
// Crashed event of a guest OS that panicked. GuestStops tells each stop once,
// after the registry has applied the state it comes with.

import { EventEmitter } from 'node:events';
import type { LibvirtClient } from '../libvirt/client.js';
import type { Guest } from './guest.js';
import type { GuestRegistry } from './registry.js';
import { DomainEvent } from './state.js';

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
  if (event === DomainEvent.Stopped) return STOPPED_DETAILS[detail] ?? 'shutdown';
  if (event === DomainEvent.Crashed) return 'crashed';
  return undefined;
}

export interface GuestStopsEvents {
  stopped: [guest: Guest, reason: StopReason];
}

export class GuestStops extends EventEmitter<GuestStopsEvents> {
  /** Domains whose crash was told by their Crashed event: their Stopped event (detail crashed) is the same stop. */
  private readonly crashTold = new Set<string>();
  private readonly onEvent = (libvirtPath: string, event: number, detail: number): void => {
    if (event === DomainEvent.Started) {
      this.crashTold.delete(libvirtPath);
      return;
    }
    const reason = stopReasonFromEvent(event, detail);
    if (!reason) return;
    if (reason === 'crashed') {
      if (this.crashTold.has(libvirtPath) && event === DomainEvent.Stopped) return;
      this.crashTold.add(libvirtPath);
    }
    // The registry has applied the event's state already (its listener came first); a guest it
    // does not know (yet) has nobody listening for it.
    const guest = this.registry.guests().find((g) => g.libvirtPath === libvirtPath);
    if (guest) this.emit('stopped', guest, reason);
  };
  private readonly onRemoved = (guest: Guest): void => {
    this.crashTold.delete(guest.libvirtPath);
  };

  constructor(
    private readonly client: LibvirtClient,
    private readonly registry: GuestRegistry,
  ) {
    super();
  }

  /** Call after the registry has started, so its listener runs first. */
  start(): void {
    this.client.on('domainEvent', this.onEvent);
    this.registry.on('removed', this.onRemoved);
  }

  stop(): void {
    this.client.off('domainEvent', this.onEvent);
    this.registry.off('removed', this.onRemoved);
    this.removeAllListeners();
  }
}
