// The journal of what a job made: written before each step, read back after
// a crash (a process that never finished, a line cut short), gone once the
// job ends.

import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, parseRecords } from '../../service/jobs/journal.js';

let work: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'phyllome-journal-'));
});

afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('a journal', () => {
  it('keeps nothing of a job that finished, and makes its folder only on first use, for its owner alone', async () => {
    const dir = join(work, 'state');
    const journal = new Journal(dir);
    expect(await journal.unfinished()).toEqual([]);
    const entry = await journal.begin('job-1', { op: 'import', uuid: 'u' });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    await entry.record({ made: 'file', path: '/x' });
    await entry.finish();
    expect(readdirSync(dir)).toEqual([]);
    expect(await journal.unfinished()).toEqual([]);
  });

  it('gives back, after a crash, what each unfinished job recorded, in order', async () => {
    const journal = new Journal(work);
    const one = await journal.begin('a1', { op: 'import', uuid: 'u1' });
    await one.record({ made: 'dir', path: '/d' });
    await one.record({ made: 'file', path: '/d/f' });
    const two = await journal.begin('b2', { op: 'export' });
    await two.record({ made: 'partial-bundle', directory: '/home/x', name: '.g.phyllome.partial-1' });
    const done = await journal.begin('c3', { op: 'clone' });
    await done.finish();
    // The process dies here: nothing is closed. A second instance reads the folder.
    expect(await new Journal(work).unfinished()).toEqual([
      {
        id: 'a1',
        about: { op: 'import', uuid: 'u1' },
        steps: [
          { made: 'dir', path: '/d' },
          { made: 'file', path: '/d/f' },
        ],
      },
      {
        id: 'b2',
        about: { op: 'export' },
        steps: [{ made: 'partial-bundle', directory: '/home/x', name: '.g.phyllome.partial-1' }],
      },
    ]);
    await journal.forget('a1');
    expect((await journal.unfinished()).map((j) => j.id)).toEqual(['b2']);
  });

  it('leaves out a step whose line the crash cut short, and damaged lines', async () => {
    const journal = new Journal(work);
    await (await journal.begin('cut', { op: 'import' })).record({ made: 'file', path: '/a' });
    appendFileSync(join(work, 'cut.journal'), '{"made":"file","pa');
    expect((await journal.unfinished())[0]?.steps).toEqual([{ made: 'file', path: '/a' }]);
    expect(parseRecords('{"a":1}\nnot json\n[1]\n{"b":2}\n{"c"')).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('takes only plain ids, never a path', async () => {
    const journal = new Journal(work);
    await expect(journal.begin('../x', {})).rejects.toThrow(/not a journal id/);
    await expect(journal.forget('a/b')).rejects.toThrow(/not a journal id/);
    await expect(journal.begin('same', {})).resolves.toBeDefined();
    await expect(journal.begin('same', {})).rejects.toThrow(/EEXIST/);
  });
});
