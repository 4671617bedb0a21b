// The guest registry's own logic where libvirt cannot be made to misbehave
// on cue: a domain libvirt lists but will not let us read, a reply that
// libvirt computed before a domain went and that arrives after. The client here
// is a stand-in with LibvirtClient's surface; everything else is real.

import { EventEmitter } from 'node:events';
import { expect, it } from 'vitest';
import { SwitcherError } from '../../service/errors.js';
import type { Guest } from '../../service/guests/guest.js';
import { GuestRegistry } from '../../service/guests/registry.js';
import type { LibvirtClient } from '../../service/libvirt/client.js';
import { ManualClock } from '../support/manual-clock.js';
import { nextEvent, flush } from '../support/wait.js';

/** One turn of the event loop: every promise the stand-in settled has run its handlers (it does no I/O). */

const domainXml = (name: string, uuid: string): string =>
  `<domain type='test'><name>${name}</name><uuid>${uuid}</uuid><memory unit='MiB'>16</memory><vcpu>1</vcpu></domain>`;

class FlakyLibvirt extends EventEmitter {
  readonly endpoint = { uri: 'test:///default', connectPath: '/org/libvirt/Test', bus: 'session' as const };
  readonly owner = ':1.1';
  /** How many more reads of each domain fail with libvirt's error. */
  readonly failures = new Map<string, number>();
  /** Reads of a domain held back: each answers (as it was when asked) only when its release is called. */
  readonly held = new Map<string, (() => void)[]>();
  readonly domains = new Map([
    ['/org/libvirt/Test/domain/_a', domainXml('alpha', '00000000-0000-0000-0000-00000000000a')],
    ['/org/libvirt/Test/domain/_b', domainXml('bravo', '00000000-0000-0000-0000-00000000000b')],
  ]);

  async start(): Promise<void> {}
  stop(): void {}
  async isActivatable(): Promise<boolean> {
    return false;
  }
  async listDomains(): Promise<string[]> {
    return [...this.domains.keys()];
  }
  async domainXml(path: string): Promise<string> {
    const left = this.failures.get(path) ?? 0;
    if (left > 0) {
      this.failures.set(path, left - 1);
      throw new SwitcherError('Libvirt', 'internal error: cannot read this domain now');
    }
    const xml = this.domains.get(path);
    if (xml === undefined) throw new SwitcherError('NoSuchGuest', 'Domain not found');
    const held = this.held.get(path);
    if (held) {
      const answered = new Promise<void>((release) => held.push(release));
      this.emit('held', path);
      await answered;
    }
    return xml;
  }
  /** virDomainGetState's answer per domain; shut off when not set. */
  readonly states = new Map<string, [number, number]>();
  async domainState(path: string): Promise<[number, number]> {
    return this.states.get(path) ?? [5, 0];
  }
  /** Domains whose autostart flag is set. */
  readonly autostart = new Set<string>();
  async domainAutostart(path: string): Promise<boolean> {
    return this.autostart.has(path);
  }
}

it('is connected though one domain cannot be read, and reads that one again until it can', async () => {
  const libvirt = new FlakyLibvirt();
  libvirt.failures.set('/org/libvirt/Test/domain/_b', 2);
  const clock = new ManualClock();
  const registry = new GuestRegistry(libvirt as unknown as LibvirtClient, { firstDelayMs: 10, maxDelayMs: 100 }, clock);
  const added: string[] = [];
  registry.on('added', (guest) => added.push(guest.name));
  try {
    await registry.start();
    expect(registry.connected).toBe(true);
    expect(added).toEqual(['alpha']);
    clock.advance(9);
    await flush();
    expect(libvirt.failures.get('/org/libvirt/Test/domain/_b')).toBe(1); // not yet read again
    clock.advance(1); // the first retry, 10 ms on: it fails too
    await flush();
    expect(libvirt.failures.get('/org/libvirt/Test/domain/_b')).toBe(0);
    expect(added).toEqual(['alpha']);
    const bravo = nextEvent(registry, 'added');
    clock.advance(20); // the second, 20 ms after the first
    await bravo;
    expect(added).toEqual(['alpha', 'bravo']);
    expect(libvirt.failures.get('/org/libvirt/Test/domain/_b')).toBe(0);
  } finally {
    registry.stop();
  }
});

it('gives up after a few tries, and reads the domain again on its next event', async () => {
  const libvirt = new FlakyLibvirt();
  libvirt.failures.set('/org/libvirt/Test/domain/_b', 1_000);
  const clock = new ManualClock();
  const registry = new GuestRegistry(libvirt as unknown as LibvirtClient, { firstDelayMs: 1, maxDelayMs: 4 }, clock);
  try {
    await registry.start();
    // Far longer than the five backoffs (1, 2, 4, 4, 4 ms), each retry answered before time moves on.
    for (let ms = 0; ms < 100; ms++) {
      clock.advance(1);
      await flush();
    }
    const tries = 1_000 - (libvirt.failures.get('/org/libvirt/Test/domain/_b') ?? 0);
    expect(tries).toBe(6); // the resync's read, then five retries
    expect(clock.pending).toBe(0); // and no sixth one waiting
    libvirt.failures.set('/org/libvirt/Test/domain/_b', 0);
    const added = nextEvent(registry, 'added');
    libvirt.emit('domainEvent', '/org/libvirt/Test/domain/_b', 4, 0);
    await added;
    expect(registry.find('bravo')?.name).toBe('bravo');
    expect(registry.connected).toBe(true);
  } finally {
    registry.stop();
  }
});

it('does not bring back a domain that went while a read of it was under way', async () => {
  const libvirt = new FlakyLibvirt();
  const bravo = '/org/libvirt/Test/domain/_b';
  const registry = new GuestRegistry(libvirt as unknown as LibvirtClient, { firstDelayMs: 10, maxDelayMs: 100 });
  const seen: string[] = [];
  registry.on('added', (guest) => seen.push(`+${guest.name}`));
  registry.on('removed', (guest) => seen.push(`-${guest.name}`));
  try {
    await registry.start();
    // A definition change makes us read bravo; libvirt answers, but the reply is slow to come.
    libvirt.held.set(bravo, []);
    const asked = nextEvent(libvirt, 'held');
    libvirt.emit('metadataChange', bravo);
    await asked;
    const heldReads = libvirt.held.get(bravo) ?? [];
    expect(heldReads).toHaveLength(1);
    // Meanwhile bravo goes, and its event says so.
    libvirt.held.delete(bravo);
    libvirt.domains.delete(bravo);
    const removed = nextEvent(registry, 'removed');
    libvirt.emit('domainEvent', bravo, 1, 0); // Undefined
    await removed;
    expect(registry.find('bravo')).toBeUndefined();
    // The late reply arrives, and is handled within this turn of the loop.
    for (const release of heldReads) release();
    await flush();
    expect(registry.find('bravo')).toBeUndefined();
    expect(seen).toEqual(['+alpha', '+bravo', '-bravo']);
  } finally {
    registry.stop();
  }
});

it('keeps what a later read told when an earlier read of the same domain answers after it', async () => {
  const libvirt = new FlakyLibvirt();
  const bravo = '/org/libvirt/Test/domain/_b';
  const registry = new GuestRegistry(libvirt as unknown as LibvirtClient, { firstDelayMs: 10, maxDelayMs: 100 });
  try {
    await registry.start();
    // A read of bravo begins (its definition event) and is slow to be answered.
    libvirt.held.set(bravo, []);
    const asked = nextEvent(libvirt, 'held');
    libvirt.emit('metadataChange', bravo);
    await asked;
    const heldReads = libvirt.held.get(bravo) ?? [];
    expect(heldReads).toHaveLength(1);
    // Meanwhile autostart is set (libvirt sends no event for it) and bravo is read again, at once.
    libvirt.held.delete(bravo);
    libvirt.autostart.add(bravo);
    expect((await registry.refresh(bravo))?.autostart).toBe(true);
    // The first read's answer, from before the flag, arrives last.
    for (const release of heldReads) release();
    await flush();
    expect(registry.find('bravo')?.autostart).toBe(true);
  } finally {
    registry.stop();
  }
});

it("reads a running guest's two definitions, and once it is shut off it runs with no display", async () => {
  const video = (heads: number): string => `<devices><video><model type='virtio' heads='${heads}'/></video></devices>`;
  const live = `<domain type='test'><name>duo</name><uuid>00000000-0000-0000-0000-00000000000d</uuid>${video(2)}</domain>`;
  const next = live.replace(video(2), video(1));
  class Running extends FlakyLibvirt {
    override readonly domains = new Map([['/org/libvirt/Test/domain/_d', live]]);
    override async domainXml(path: string, flags = 0): Promise<string> {
      return flags === 2 ? next : super.domainXml(path);
    }
    override async domainState(): Promise<[number, number]> {
      return [1, 1];
    }
  }
  const registry = new GuestRegistry(new Running() as unknown as LibvirtClient);
  try {
    await registry.start();
    const [guest] = registry.guests();
    expect([guest?.video.heads, guest?.runningVideo?.heads]).toEqual([1, 2]);
    // ForceOff settles the state before libvirt's Stopped event has the guest read again.
    registry.settle(guest as NonNullable<typeof guest>, 'shutoff');
    expect(registry.guests()[0]?.runningVideo).toBeNull();
  } finally {
    registry.stop();
  }
});

it('keeps a state of ours that libvirt has no word for over its reads, until libvirt says otherwise', async () => {
  const libvirt = new FlakyLibvirt();
  const alpha = '/org/libvirt/Test/domain/_a';
  libvirt.states.set(alpha, [1, 1]); // running
  const registry = new GuestRegistry(libvirt as unknown as LibvirtClient);
  const state = (): string | undefined => registry.find('alpha')?.state;
  try {
    await registry.start();
    // An ACPI shutdown under way: libvirt still reads the guest as running.
    const release = registry.hold(registry.find('alpha') as Guest, 'stopping');
    expect(state()).toBe('stopping');
    // A metadata change, a resync and a state read each read it anew, as running.
    libvirt.emit('metadataChange', alpha);
    await flush();
    await registry.resync();
    await registry.refreshState(registry.find('alpha') as Guest);
    expect(state()).toBe('stopping');
    // Once libvirt reads another state (the guest went down), that stands and the hold is over.
    libvirt.states.set(alpha, [5, 1]);
    await registry.refresh(alpha);
    expect(state()).toBe('shutoff');
    libvirt.states.set(alpha, [1, 1]);
    await registry.refresh(alpha);
    expect(state()).toBe('running');
    release(); // late: it ends nothing newer
    // A late event saying running (resumed) is old news while it holds; libvirt's event of another state ends it.
    registry.hold(registry.find('alpha') as Guest, 'stopping');
    libvirt.emit('domainEvent', alpha, 4, 0); // resumed
    await flush();
    expect(state()).toBe('stopping');
    libvirt.emit('domainEvent', alpha, 3, 0); // suspended
    await flush();
    expect(state()).toBe('paused');
    libvirt.states.set(alpha, [1, 1]);
    await registry.refresh(alpha);
    expect(state()).toBe('running');
    registry.hold(registry.find('alpha') as Guest, 'stopping')();
    await registry.refresh(alpha);
    expect(state()).toBe('running');
  } finally {
    registry.stop();
  }
});

it('shows a guest starting while libvirt still reads it as off, and what libvirt says once it is up', async () => {
  const libvirt = new FlakyLibvirt();
  const bravo = '/org/libvirt/Test/domain/_b';
  const registry = new GuestRegistry(libvirt as unknown as LibvirtClient);
  try {
    await registry.start();
    registry.hold(registry.find('bravo') as Guest, 'starting');
    await registry.refresh(bravo);
    expect(registry.find('bravo')?.state).toBe('starting');
    // Create returned: settle() puts what libvirt confirmed, and a read of the state before it changes nothing.
    registry.settle(registry.find('bravo') as Guest, 'running');
    libvirt.states.set(bravo, [1, 1]);
    await registry.refresh(bravo);
    expect(registry.find('bravo')?.state).toBe('running');
    libvirt.states.set(bravo, [5, 1]);
    await registry.refresh(bravo);
    expect(registry.find('bravo')?.state).toBe('shutoff');
  } finally {
    registry.stop();
  }
});
