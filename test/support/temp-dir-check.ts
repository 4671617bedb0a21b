// A global setup of every test run: the run gets a temporary folder of its
// own (TMPDIR, which Node's os.tmpdir(), mktemp and every daemon a test
// starts use), so what one run leaves is told apart from what runs beside it
// make, and the run fails if a test left anything of ours (phyllome-*) there:
// every test removes what it creates. The folder goes at the end either way.

import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function temporaryFolderOfTheRun(): () => void {
  const outer = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'phyllome-run-'));
  // As /tmp: the other users tests call as (setpriv) reach what a test makes there.
  chmodSync(dir, 0o1777);
  process.env.TMPDIR = dir;
  return () => {
    if (outer === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outer;
    const left = readdirSync(dir);
    const ours = left.filter((name) => name.startsWith('phyllome-'));
    const others = left.filter((name) => !name.startsWith('phyllome-'));
    rmSync(dir, { recursive: true, force: true });
    if (others.length > 0) console.warn(`the test run's temporary folder also held: ${others.join(', ')}`);
    if (ours.length > 0) {
      throw new Error(`the tests left ${ours.length} temporary entries behind (now removed): ${ours.join(', ')}`);
    }
  };
}
