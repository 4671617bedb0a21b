import { describe, expect, it } from 'vitest';
import { cloneName, progressPercent, transfersFor } from '../../extension/src/model/transfer.js';

describe('transfers in the menu', () => {
  it('offers Export and Clone for a guest that is off, Move to for one that runs', () => {
    expect(transfersFor('shutoff')).toEqual(['Export', 'Clone']);
    expect(transfersFor('crashed')).toEqual(['Export', 'Clone']);
    expect(transfersFor('running')).toEqual(['MigrateTo']);
    expect(transfersFor('paused')).toEqual(['MigrateTo']);
    expect(transfersFor('stopping')).toEqual([]);
    expect(transfersFor('from-the-future')).toEqual([]);
  });

  it("reads progress as a person would (the bytes are GLib.format_size's, in flows/transfers.ts)", () => {
    expect(progressPercent(0.4237)).toBe(42);
    expect(progressPercent(0)).toBe(0);
    expect(progressPercent(1.5)).toBe(100);
    expect(progressPercent(-0.2)).toBe(0);
  });

  it('proposes a clone name no guest has', () => {
    expect(cloneName('win11', ['win11'])).toBe('win11 copy');
    expect(cloneName('win11', ['win11', 'win11 copy', 'win11 copy 2'])).toBe('win11 copy 3');
  });
});
