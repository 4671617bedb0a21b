// What one request of the helper's has made — folders, files, staging
// files, a caller's temporary bundle — each written into its journal before
// it is made, and undone newest first when the request fails or is
// cancelled (or, after a crash, by recovery.ts from the journal alone).

import { rm, rmdir } from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import type { Caller } from '../guest-files/protocol.js';
import type { JournalEntry, JournalRecord } from '../jobs/journal.js';
import { log } from '../log.js';

export type MadeStep =
  | { made: 'dir'; path: string }
  | { made: 'file'; path: string }
  /** A file of the helper's own staging folder (a flattened image): always removed. */
  | { made: 'staging'; path: string }
  /** A worker's temporary bundle in a caller's folder: removed as that caller, never by root. */
  | { made: 'partial-bundle'; caller: Caller; directory: string; temporaryName: string };

/** A journal line back as a step, or undefined when it is none of ours. */
export function madeStep(record: JournalRecord): MadeStep | undefined {
  const text = (key: string): string | undefined =>
    typeof record[key] === 'string' ? (record[key] as string) : undefined;
  const path = text('path');
  switch (record.made) {
    case 'dir':
    case 'file':
    case 'staging':
      return path && path.startsWith('/') ? { made: record.made, path } : undefined;
    case 'partial-bundle': {
      const caller = record.caller as Caller | undefined;
      const directory = text('directory');
      const temporaryName = text('temporaryName');
      const ids = caller && [caller.uid, caller.gid, ...(Array.isArray(caller.groups) ? caller.groups : [NaN])];
      if (!ids?.every((n) => Number.isInteger(n) && n >= 0) || !directory || !temporaryName) return undefined;
      return { made: 'partial-bundle', caller, directory, temporaryName } as MadeStep;
    }
    default:
      return undefined;
  }
}

/** Undoes one step made by root: a file or staging file removed, a folder removed if empty. */
export async function undoLocal(step: MadeStep): Promise<boolean> {
  switch (step.made) {
    case 'file':
    case 'staging':
      await rm(step.path, { force: true });
      return true;
    case 'dir':
      return rmdir(step.path).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT' || error.code === 'ENOTEMPTY') return false;
          throw error;
        },
      );
    case 'partial-bundle':
      return false;
  }
}

export class MadeFiles {
  private readonly steps: MadeStep[] = [];

  constructor(private readonly entry: JournalEntry) {}

  /** Records a step before it is taken. */
  async add(step: MadeStep): Promise<void> {
    await this.entry.record(step as unknown as JournalRecord);
    this.steps.push(step);
  }

  /** Steps of a kind taken so far (staging files to remove after success). */
  taken(kind: MadeStep['made']): MadeStep[] {
    return this.steps.filter((s) => s.made === kind);
  }

  /**
   * Undoes every step taken by root, newest first; a partial bundle is left
   * to `removePartial` (a worker run as its caller).
   */
  async undo(removePartial: (step: Extract<MadeStep, { made: 'partial-bundle' }>) => Promise<void>): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        if (step.made === 'partial-bundle') await removePartial(step);
        else await undoLocal(step);
      } catch (error) {
        log.warning(
          `could not undo ${step.made} ${'path' in step ? step.path : step.temporaryName}: ${errorMessage(error)}`,
        );
      }
    }
  }

  /** The request ended as it should: keep what it made, forget the journal. */
  async keep(): Promise<void> {
    this.steps.length = 0;
    await this.entry.finish();
  }

  /** Leaves the journal for recovery at the next start (whether to undo cannot be told now). */
  async leave(): Promise<void> {
    this.steps.length = 0;
    await this.entry.abandon();
  }

  /** After an undo: the journal has nothing left to say. */
  async close(): Promise<void> {
    await this.entry.finish();
  }
}
