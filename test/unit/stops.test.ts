// Why a guest stopped, told once per stop: libvirt's event details, and the
// orders in which an event and the state it comes with reach GuestStops. The
// client and the registry are stand-ins with the surface GuestStops uses;
// test/service/real-qemu.test.ts has the same with real guests.

import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Guest } from '../../service/guests/guest.js';
import type { GuestRegistry } from '../../service/guests/registry.js';
import type { GuestState } from '../../service/guests/state.js';
import { GuestStops, stopReasonFromEvent, type StopReason } from '../../service/guests/stops.js';
import type { LibvirtClient } from '../../service/libvirt/client.js';

// virDomainEventType
const STARTED = 2;
const SUSPENDED = 3;
const STOPPED = 5;
const SHUTDOWN = 6;
const CRASHED = 8;
// virDomainEventStoppedDetailType, virDomainEventCrashedDetailType
const DESTROYED = 1;
const STOPPED_CRASHED = 2;
const PANICKED = 0;
const CRASH_LOADED = 1;

describe("libvirt's event details", () => {
  it('name the reason of every Stopped event, in the order of virDomainEventStoppedDetailType', () => {
    const reasons = [0, 1, 2, 3, 4, 5, 6].map((detail) => stopReasonFromEvent(STOPPED, detail));
    expect(reasons).toEqual(['shutdown', 'destroyed', 'crashed', 'migrated', 'saved', 'failed', 'snapshot']);
    expect(stopReasonFromEvent(STOPPED, 99)).toBe('shutdown'); // a detail from a newer libvirt
  });

  it('say a panic stopped the guest, and a crash kernel loaded did not', () => {
    expect(stopReasonFromEvent(CRASHED, PANICKED)).toBe('crashed');
    expect(stopReasonFromEvent(CRASHED, CRASH_LOADED)).toBeUndefined();
  });

  it('of the other events say nothing about a stop', () => {
    for (const event of [0, 1, STARTED, SUSPENDED, 4, SHUTDOWN, 7])
      expect(stopReasonFromEvent(event, 0)).toBeUndefined();
  });
});

class FakeRegistry extends EventEmitter {
  guest: Guest = {
    path: '/me/g',
    libvirtPath: '/org/libvirt/QEMU/domain/_g',
    name: 'g',
    state: 'running',
  } as Guest;
  guests(): Guest[] {
    return [this.guest];
  }
  /** The state changes as the registry's update() announces it. */
  setState(state: GuestState): void {
    // A new Guest per change, as the registry makes them.
    const before = this.guest;
    this.guest = { ...before, state };
    this.emit('changed', this.guest, ['state'], before);
  }
}

describe('GuestStops', () => {
  let client: EventEmitter;
  let registry: FakeRegistry;
  /** What happened, in order: state changes and stops told. */
  let seen: string[];
  const event = (type: number, detail: number): void => {
    client.emit('domainEvent', registry.guest.libvirtPath, type, detail);
  };

  beforeEach(() => {
    client = new EventEmitter();
    registry = new FakeRegistry();
    seen = [];
    // Whoever announces the state subscribes first, as the daemon's exporter does.
    registry.on('changed', (guest: Guest) => seen.push(`State ${guest.state}`));
    const stops = new GuestStops(client as unknown as LibvirtClient, registry as unknown as GuestRegistry);
    stops.on('stopped', (_guest, reason: StopReason) => seen.push(`GuestStopped ${reason}`));
    stops.start();
  });

  it('tells a stop whose event came first once its state is applied', () => {
    event(STOPPED, DESTROYED);
    expect(seen).toEqual([]);
    registry.setState('shutoff');
    expect(seen).toEqual(['State shutoff', 'GuestStopped destroyed']);
  });

  it('tells a stop whose state came first (our own ForceOff) once its event says why', () => {
    registry.setState('shutoff');
    event(STOPPED, DESTROYED);
    expect(seen).toEqual(['State shutoff', 'GuestStopped destroyed']);
  });

  it('tells a panic once, though libvirt then stops the guest for its on_crash', () => {
    event(CRASHED, PANICKED);
    registry.setState('crashed');
    event(STOPPED, STOPPED_CRASHED);
    registry.setState('shutoff'); // re-read afterwards
    expect(seen).toEqual(['State crashed', 'GuestStopped crashed', 'State shutoff']);
  });

  it('tells a panic once as libvirt 11 announces it: Crashed, then Shutdown and Stopped for its on_crash', () => {
    // As libvirt 11.3 sent them (test/libvirt/run.sh): its state goes crashed, stopping, crashed.
    event(CRASHED, PANICKED);
    registry.setState('crashed');
    event(SHUTDOWN, 2);
    registry.setState('stopping');
    event(STOPPED, STOPPED_CRASHED);
    registry.setState('crashed');
    expect(seen).toEqual(['State crashed', 'GuestStopped crashed', 'State stopping', 'State crashed']);
    // And when the events run ahead of the states.
    event(STARTED, 0);
    registry.setState('running');
    seen = [];
    event(CRASHED, PANICKED);
    event(SHUTDOWN, 2);
    event(STOPPED, STOPPED_CRASHED);
    registry.setState('crashed');
    registry.setState('stopping');
    registry.setState('crashed');
    expect(seen).toEqual(['State crashed', 'GuestStopped crashed', 'State stopping', 'State crashed']);
  });

  it('tells nothing while a guest that loaded its crash kernel runs on, then its stop with its own reason', () => {
    event(CRASHED, CRASH_LOADED);
    expect(seen).toEqual([]);
    event(SHUTDOWN, 1);
    registry.setState('stopping');
    event(STOPPED, 0);
    registry.setState('shutoff');
    expect(seen).toEqual(['State stopping', 'State shutoff', 'GuestStopped shutdown']);
  });

  it('tells each stop of a guest that ran again in between', () => {
    registry.setState('shutoff');
    event(STOPPED, DESTROYED);
    event(STARTED, 0);
    registry.setState('running');
    registry.setState('paused');
    event(STOPPED, 5);
    registry.setState('shutoff');
    expect(seen.filter((s) => s.startsWith('GuestStopped'))).toEqual(['GuestStopped destroyed', 'GuestStopped failed']);
  });

  it('does not keep an old reason for a later stop', () => {
    // A Stopped event for a guest already stopped and told (forced off while crashed and kept).
    event(CRASHED, PANICKED);
    registry.setState('crashed');
    event(STOPPED, DESTROYED);
    registry.setState('running');
    // This stop's own event is still to come: nothing is told before it, then its reason.
    registry.setState('shutoff');
    expect(seen.filter((s) => s.startsWith('GuestStopped'))).toEqual(['GuestStopped crashed']);
    event(STOPPED, 0);
    expect(seen.at(-1)).toBe('GuestStopped shutdown');
  });
});
