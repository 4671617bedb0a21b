import { describe, expect, it } from 'vitest';
import { proposeGuestName, readDescription } from '../../extension/src/new-guest/proposal.js';

describe('the New Guest window', () => {
  it('proposes a name from the OS that a guest can take, unique among those there', () => {
    expect(proposeGuestName('Microsoft Windows 11', [])).toBe('Windows-11');
    expect(proposeGuestName('Debian 11', ['Debian-11'])).toBe('Debian-11-2');
    expect(proposeGuestName('Debian 11', ['Debian-11', 'Debian-11-2'])).toBe('Debian-11-3');
    expect(proposeGuestName('  (weird) / OS  ', [])).toBe('weird-OS');
    expect(proposeGuestName('', [])).toBe('guest');
  });

  it("reads DescribeInstaller's answer, with the limits its spin buttons need", () => {
    const d = readDescription({
      id: 'http://microsoft.com/win/11',
      name: 'Microsoft Windows 11',
      family: 'windows',
      'memory-mib': 4096n,
      vcpus: 2,
      'disk-gib': 64n,
      'min-memory-mib': 4096n,
      'min-vcpus': 2,
      'min-disk-gib': 64n,
      'max-memory-mib': 24105n,
      'max-vcpus': 2,
      warnings: ['No KVM for this guest'],
    });
    expect(d).toEqual({
      id: 'http://microsoft.com/win/11',
      name: 'Microsoft Windows 11',
      family: 'windows',
      memoryMiB: 4096,
      vcpus: 2,
      diskGiB: 64,
      min: { memoryMiB: 4096, vcpus: 2, diskGiB: 64 },
      max: { memoryMiB: 24105, vcpus: 2, diskGiB: 65536 },
      warnings: ['No KVM for this guest'],
      unsupported: '',
    });
  });

  it('never offers a maximum below the minimum, even when the host is too small', () => {
    const d = readDescription({ 'min-memory-mib': 4096n, 'max-memory-mib': 2048n, 'min-vcpus': 2, 'max-vcpus': 1 });
    expect(d.max.memoryMiB).toBe(4096);
    expect(d.max.vcpus).toBe(2);
  });
});
