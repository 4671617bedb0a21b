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
    expect(allowed('ForceOff')).not.toContain('shutoff');
  });

  it('says why in words', () => {
    expect(whyActionRefused('Pause', 'shutoff')).toBe('Cannot pause guest: it is shut off');
  });
});
