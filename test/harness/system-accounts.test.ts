// The accounts tests make on this host: those of a run killed before it
// removed them are removed by the next run; those of a live run are not.

import { execFileSync, spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepStaleAccounts } from '../support/system-accounts.js';

const made: string[] = [];

function exists(name: string): boolean {
  return spawnSync('getent', ['group', name]).status === 0;
}

function groupOf(pid: number, suffix: string): string {
  const name = `phyl-sweep-${pid.toString(36)}-${suffix}`;
  execFileSync('groupadd', ['--system', name]);
  made.push(name);
  return name;
}

afterEach(() => {
  for (const name of made.splice(0)) if (exists(name)) execFileSync('groupdel', [name]);
});

describe('accounts a test run makes', () => {
  it('are removed by a later run once their maker is gone, and kept while it lives', () => {
    // A process that has ended: its pid stands for a run that was killed.
    const gone = spawnSync('true').pid as number;
    const stale = groupOf(gone, 'a1b2');
    const live = groupOf(process.pid, 'c3d4');
    // Not of the form the sweep knows: somebody else's.
    const foreign = `phyl-sweep-${gone.toString(36)}`;
    execFileSync('groupadd', ['--system', foreign]);
    made.push(foreign);

    const removed = sweepStaleAccounts();
    expect(removed).toContain(stale);
    expect(exists(stale)).toBe(false);
    expect(exists(live)).toBe(true);
    expect(exists(foreign)).toBe(true);
  });
});
