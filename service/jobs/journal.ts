// What a job has made, written down before it is made, so that a process
// killed mid-job (kill -9, a power cut) leaves nothing behind unexplained:
// the next start reads what unfinished jobs recorded and undoes it. One file
// per job in a directory of the process's own (mode 0700), a JSON line per
// step, each on disk (fdatasync) before the step is taken; a job that ends,
// well or not, removes its file. Both the service (volumes) and the
// guest-files helper (UEFI variables, TPM state, staging files, a caller's
// partial bundle) keep one.

import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const SUFFIX = '.journal';

export type JournalRecord = Record<string, unknown>;

/** An unfinished job found at start: what it was, and each step it recorded, in order. */
export interface UnfinishedJob {
  id: string;
  about: JournalRecord;
  steps: JournalRecord[];
}

export class JournalEntry {
  private closed = false;

  constructor(
    readonly id: string,
    private readonly path: string,
    private readonly file: FileHandle,
  ) {}

  /** Writes a step down, on disk when this resolves: call it before taking the step. */
  async record(step: JournalRecord): Promise<void> {
    if (this.closed) throw new Error(`journal ${this.id} is closed`);
    await this.file.write(`${JSON.stringify(step)}\n`);
    await this.file.datasync();
  }

  /** Stops writing, leaving the record for the next start to deal with (what is there cannot be told now). */
  async abandon(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close();
  }

  /** The job ended and left what it means to leave: nothing to undo any more. */
  async finish(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close();
    await rm(this.path, { force: true });
  }
}

export class Journal {
  constructor(readonly dir: string) {}

  /** Starts the record of a job; `about` says what it is (its operation, its guest's UUID). */
  async begin(id: string, about: JournalRecord): Promise<JournalEntry> {
    if (!ID.test(id)) throw new Error(`not a journal id: ${id}`);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, `${id}${SUFFIX}`);
    const file = await open(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    const entry = new JournalEntry(id, path, file);
    try {
      await entry.record(about);
      // The file's name is on disk too, or a crash could lose the record of what follows.
      await syncDirectory(this.dir);
    } catch (error) {
      await entry.finish();
      throw error;
    }
    return entry;
  }

  /**
   * Every job that began and did not finish, oldest first by id. A step cut
   * short by the crash (its line incomplete) was never taken: it is left out.
   */
  async unfinished(): Promise<UnfinishedJob[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const jobs: UnfinishedJob[] = [];
    for (const name of names.filter((n) => n.endsWith(SUFFIX)).sort()) {
      const id = name.slice(0, -SUFFIX.length);
      if (!ID.test(id)) continue;
      const records = parseRecords(await readFile(join(this.dir, name), 'utf8'));
      jobs.push({ id, about: records[0] ?? {}, steps: records.slice(1) });
    }
    return jobs;
  }

  /** Forgets an unfinished job once what it made has been dealt with. */
  async forget(id: string): Promise<void> {
    if (!ID.test(id)) throw new Error(`not a journal id: ${id}`);
    await rm(join(this.dir, `${id}${SUFFIX}`), { force: true });
  }
}

/** The complete JSON object lines of a journal file. */
export function parseRecords(text: string): JournalRecord[] {
  const records: JournalRecord[] = [];
  const lines = text.split('\n');
  // The last piece is what follows the last newline: a line being written when the process died.
  for (const line of lines.slice(0, -1)) {
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) records.push(value as JournalRecord);
    } catch {
      // A damaged line records nothing.
    }
  }
  return records;
}

async function syncDirectory(path: string): Promise<void> {
  const dir = await open(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
