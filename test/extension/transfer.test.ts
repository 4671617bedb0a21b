import { describe, expect, it } from 'vitest';
import { cloneName, expandPath, formatBytes, progressText, transfersFor } from '../../extension/src/model/transfer.js';

describe('transfers in the menu', () => {
  it('offers Export and Clone for a guest that is off, Move to for one that runs', () => {
    expect(transfersFor('shutoff')).toEqual(['Export', 'Clone']);
    expect(transfersFor('crashed')).toEqual(['Export', 'Clone']);
    expect(transfersFor('running')).toEqual(['MigrateTo']);
    expect(transfersFor('paused')).toEqual(['MigrateTo']);
    expect(transfersFor('stopping')).toEqual([]);
    expect(transfersFor('from-the-future')).toEqual([]);
  });

  it('reads progress as a person would', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(999)).toBe('999 bytes');
    expect(formatBytes(1_234_567)).toBe('1.2 MB');
    expect(formatBytes(268_435_456)).toBe('268 MB');
    expect(formatBytes(2.8e12)).toBe('2.8 TB');
    expect(progressText(0.4237, 1.2e9, 2.8e9)).toBe('42 % — 1.2 GB of 2.8 GB');
    expect(progressText(0, 0, 0)).toBe('0 %');
    expect(progressText(1.5, 10, 10)).toBe('100 % — 10 bytes of 10 bytes');
  });

  it('proposes a clone name no guest has', () => {
    expect(cloneName('win11', ['win11'])).toBe('win11 copy');
    expect(cloneName('win11', ['win11', 'win11 copy', 'win11 copy 2'])).toBe('win11 copy 3');
  });

  it('expands ~ in paths typed by hand', () => {
    expect(expandPath(' ~/Backups ', '/home/ann')).toBe('/home/ann/Backups');
    expect(expandPath('~', '/home/ann')).toBe('/home/ann');
    expect(expandPath('/srv/x', '/home/ann')).toBe('/srv/x');
  });
});
