import { describe, expect, it } from 'vitest';
import { stateFromEvent, stateFromLibvirt, whyActionRefused, type GuestState } from '../../service/guests/state.js';

describe('libvirt states', () => {
  it.each([
    [1, 0, 'running'],
    [2, 0, 'running'],
    [3, 1, 'paused'],
    [4, 1, 'stopping'],
    [5, 1, 'shutoff'],
    [5, 3, 'crashed'],
    [6, 0, 'crashed'],
    [7, 0, 'suspended'],
    [0, 0, 'running'], // no state: libvirt has not said, and the guest is there
    [9, 0, 'shutoff'], // a state newer than these
  ])('state %i reason %i is %s', (state, reason, expected) => {
    expect(stateFromLibvirt(state, reason)).toBe(expected);
  });
});

describe('lifecycle events', () => {
  it.each([
    [2, 0, 'running'],
    [3, 0, 'paused'],
    [4, 0, 'running'],
    [5, 0, 'shutoff'],
    [5, 2, 'crashed'],
    [6, 1, 'stopping'],
    [7, 0, 'suspended'],
    [8, 0, 'crashed'], // panicked
    [8, 1, undefined], // crash loaded: libvirt keeps it running while it writes its dump
    [0, 0, undefined],
    [1, 0, undefined],
    [9, 0, undefined], // an event newer than these
  ])('event %i detail %i means %s', (event, detail, expected) => {
    expect(stateFromEvent(event, detail)).toBe(expected);
  });
});

describe('what makes sense in which state', () => {
  const states: GuestState[] = ['running', 'paused', 'shutoff', 'crashed', 'suspended', 'starting', 'stopping'];
  const allowed = (action: Parameters<typeof whyActionRefused>[0]): GuestState[] =>
    states.filter((s) => whyActionRefused(action, s) === undefined);

  it('starts only what is down, pauses only what runs, resumes only what is paused', () => {
    expect(allowed('Start')).toEqual(['shutoff', 'crashed']);
    expect(allowed('Pause')).toEqual(['running']);
    expect(allowed('Resume')).toEqual(['paused']);
    expect(allowed('Shutdown')).toEqual(['running']);
    expect(allowed('Reboot')).toEqual(['running']);
    // Forcing off is the way out of every state but off.
    expect(allowed('ForceOff')).toEqual(['running', 'paused', 'crashed', 'suspended', 'starting', 'stopping']);
  });

  it('says why in words: the action, then the state the guest is in', () => {
    const refusals = states.map((state) => whyActionRefused('Start', state));
    expect(refusals).toEqual([
      'Cannot start guest: it is already running',
      'Cannot start guest: it is paused',
      undefined,
      undefined,
      'Cannot start guest: it is suspended to memory',
      'Cannot start guest: it is starting',
      'Cannot start guest: it is shutting down',
    ]);
    expect(whyActionRefused('Pause', 'shutoff')).toBe('Cannot pause guest: it is shut off');
    expect(whyActionRefused('Shutdown', 'crashed')).toBe('Cannot shut down guest: it has crashed');
    expect(whyActionRefused('ForceOff', 'shutoff')).toBe('Cannot force off guest: it is shut off');
    expect(whyActionRefused('Reboot', 'paused')).toBe('Cannot reboot guest: it is paused');
    expect(whyActionRefused('Resume', 'running')).toBe('Cannot resume guest: it is already running');
  });
});
