// The guest registry's own logic where libvirt cannot be made to misbehave
// on cue: a domain libvirt lists but will not let us read. The client here
// is a stand-in with LibvirtClient's surface; everything else is real.

import { EventEmitter } from 'node:events';
import { expect, it } from 'vitest';
import { SwitcherError } from '../../service/errors.js';
import { GuestRegistry } from '../../service/guests/registry.js';
import type { LibvirtClient } from '../../service/libvirt/client.js';

const domainXml = (name: string, uuid: string): string =>
  `<domain type='test'><name>${name}</name><uuid>${uuid}</uuid><memory unit='MiB'>16</memory><vcpu>1</vcpu></domain>`;

class FlakyLibvirt extends EventEmitter {
  readonly endpoint = { uri: 'test:///default', connectPath: '/org/libvirt/Test', bus: 'session' as const };
  readonly owner = ':1.1';
  /** How many more reads of each domain fail with libvirt's error. */
  readonly failures = new Map<string, number>();
  private readonly domains = new Map([
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
    return this.domains.get(path) as string;
  }
  async domainState(): Promise<[number, number]> {
    return [5, 0];
  }
  async domainAutostart(): Promise<boolean> {
    return false;
  }
}

it('is connected though one domain cannot be read, and reads that one again until it can', async () => {
  const libvirt = new FlakyLibvirt();
  libvirt.failures.set('/org/libvirt/Test/domain/_b', 2);
  const registry = new GuestRegistry(libvirt as unknown as LibvirtClient, { firstDelayMs: 10, maxDelayMs: 100 });
  const added: string[] = [];
  registry.on('added', (guest) => added.push(guest.name));
  try {
    await registry.start();
    expect(registry.connected).toBe(true);
    expect(added).toEqual(['alpha']);
    for (let i = 0; i < 100 && added.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(added).toEqual(['alpha', 'bravo']);
    expect(libvirt.failures.get('/org/libvirt/Test/domain/_b')).toBe(0);
  } finally {
    registry.stop();
  }
});

it('gives up after a few tries, and reads the domain again on its next event', async () => {
  const libvirt = new FlakyLibvirt();
  libvirt.failures.set('/org/libvirt/Test/domain/_b', 1_000);
  const registry = new GuestRegistry(libvirt as unknown as LibvirtClient, { firstDelayMs: 1, maxDelayMs: 4 });
  try {
    await registry.start();
    await new Promise((r) => setTimeout(r, 200));
    const tries = 1_000 - (libvirt.failures.get('/org/libvirt/Test/domain/_b') ?? 0);
    expect(tries).toBe(6); // the resync's read, then five retries
    libvirt.failures.set('/org/libvirt/Test/domain/_b', 0);
    libvirt.emit('domainEvent', '/org/libvirt/Test/domain/_b', 4, 0);
    for (let i = 0; i < 100 && !registry.find('bravo'); i++) await new Promise((r) => setTimeout(r, 5));
    expect(registry.find('bravo')?.name).toBe('bravo');
    expect(registry.connected).toBe(true);
  } finally {
    registry.stop();
  }
});
