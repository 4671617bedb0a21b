import { describe, expect, it } from 'vitest';
import { GuestList, runningCount, statusMessage } from '../../extension/src/model/guest-list.js';
import { actionsFor, needsConfirmation, presentState } from '../../extension/src/model/guest-state.js';

const guest = (path: string, name: string, state = 'shutoff') => ({ path, name, state, osId: '' });

describe('guest states in the menu', () => {
  it('offers only what makes sense, the drastic action last', () => {
    expect(actionsFor('running')).toEqual(['Pause', 'Shutdown', 'Reboot', 'ForceOff']);
    expect(actionsFor('paused')).toEqual(['Resume', 'ForceOff']);
    expect(actionsFor('shutoff')).toEqual(['Start']);
    expect(actionsFor('stopping')).toEqual(['ForceOff']);
    expect(actionsFor('from-the-future')).toEqual([]);
  });

  it('reads in words with an icon, and copes with a state it does not know', () => {
    expect(presentState('running')).toEqual({ label: 'Running', iconName: 'media-playback-start-symbolic' });
    expect(presentState('shutoff').label).toBe('Off');
    expect(presentState('hibernating').label).toBe('Unknown');
  });

  it('asks before forcing off, and only then', () => {
    expect(needsConfirmation('ForceOff')).toBe(true);
    expect(needsConfirmation('Shutdown')).toBe(false);
  });
});

describe('the guest list', () => {
  it('orders by name as a person reads, whatever the case, ties by path', () => {
    const list = new GuestList();
    list.put(guest('/b', 'windows 11'));
    list.put(guest('/a', 'Fedora'));
    list.put(guest('/c', 'arch'));
    list.put(guest('/d', 'Fedora'));
    expect(list.ordered().map((g) => g.path)).toEqual(['/c', '/a', '/d', '/b']);
    expect(list.indexOf('/b')).toBe(3);
  });

  it('stays in order through inserts, renames and removals, at a thousand guests', () => {
    const list = new GuestList();
    const names = Array.from({ length: 1000 }, (_, i) => `guest-${(i * 7919) % 1000}`);
    names.forEach((name, i) => list.put(guest(`/g${i}`, name)));
    const sorted = (): string[] => [...list.ordered()].map((g) => g.name);
    expect(sorted()).toEqual([...names].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })));
    list.update('/g3', { name: 'aaa first' });
    expect(list.ordered()[0]?.path).toBe('/g3');
    expect(list.indexOf('/g3')).toBe(0);
    list.update('/g3', { state: 'running' });
    expect(list.get('/g3')?.state).toBe('running');
    list.remove('/g3');
    expect(list.size).toBe(999);
    const order = (a: string, b: string): number =>
      a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' });
    expect(
      list.ordered().every((g, i, all) => i === 0 || order((all[i - 1] as { name: string }).name, g.name) <= 0),
    ).toBe(true);
  });

  it('knows new guests from replaced ones and merges changes', () => {
    const list = new GuestList();
    expect(list.put(guest('/a', 'A'))).toBe(true);
    expect(list.put(guest('/a', 'A'))).toBe(false);
    expect(list.size).toBe(1);
    expect(list.update('/a', { state: 'running' })?.state).toBe('running');
    expect(list.update('/nope', { state: 'running' })).toBeUndefined();
    expect(list.remove('/a')).toBe(true);
    expect(list.remove('/a')).toBe(false);
  });

  it('says in plain words when the service or libvirt is missing', () => {
    expect(statusMessage({ kind: 'absent' }, 0)).toBe('The guest service is not running');
    expect(statusMessage({ kind: 'disconnected', uri: 'qemu:///system' }, 3)).toMatch(/Cannot reach libvirt/);
    expect(statusMessage({ kind: 'ready', uri: 'x' }, 0)).toBe('No guests yet');
    expect(statusMessage({ kind: 'ready', uri: 'x' }, 2)).toBeUndefined();
  });

  it('sums up running guests for the panel', () => {
    const list = new GuestList();
    list.put(guest('/a', 'A', 'running'));
    list.put(guest('/b', 'B', 'paused'));
    expect(runningCount(list, { kind: 'ready', uri: 'x' })).toBe(1);
    expect(runningCount(list, { kind: 'absent' })).toBeUndefined();
  });
});
