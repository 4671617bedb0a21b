import { describe, expect, it } from 'vitest';
import { osLabel } from '../../extension/src/model/os-label.js';
import { SWITCH_KEYS, switchTarget } from '../../extension/src/model/switching.js';

const guests = ['/a', '/b', '/c'].map((path) => ({ path, name: path.slice(1), state: 'running', osId: '' }));
const target = (current: string | undefined, request: Parameters<typeof switchTarget>[2]) =>
  switchTarget(guests, current, request)?.path;

describe('switching shortcuts', () => {
  it('pick a guest by its place in the launcher', () => {
    expect(target(undefined, { kind: 'place', place: 1 })).toBe('/a');
    expect(target('/a', { kind: 'place', place: 3 })).toBe('/c');
    expect(target('/a', { kind: 'place', place: 4 })).toBeUndefined();
  });

  it('go round the guests, next and previous', () => {
    expect(target('/a', { kind: 'next' })).toBe('/b');
    expect(target('/c', { kind: 'next' })).toBe('/a');
    expect(target('/a', { kind: 'previous' })).toBe('/c');
  });

  it('from the host, start at either end', () => {
    expect(target(undefined, { kind: 'next' })).toBe('/a');
    expect(target(undefined, { kind: 'previous' })).toBe('/c');
    expect(switchTarget([], undefined, { kind: 'next' })).toBeUndefined();
  });

  it('bind nine places plus next and previous', () => {
    expect(SWITCH_KEYS.map(([key]) => key)).toEqual([
      ...Array.from({ length: 9 }, (_, i) => `switch-to-guest-${i + 1}`),
      'next-guest',
      'previous-guest',
    ]);
  });
});

describe('OS names', () => {
  it.each([
    ['http://microsoft.com/win/11', 'Windows 11'],
    ['http://fedoraproject.org/fedora/41', 'Fedora 41'],
    ['http://apple.com/macos/14', 'macOS 14'],
    ['http://archlinux.org/archlinux/rolling', 'Arch Linux'],
    ['http://example.org/os/acme/7', 'acme 7'],
    ['', ''],
  ])('%s reads "%s"', (id, label) => {
    expect(osLabel(id)).toBe(label);
  });
});
