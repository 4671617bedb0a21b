// A worker: one task of one caller, run as that caller (uid, groups; no
// capabilities, no new privileges) by the guest-files helper, the only kind
// of process that ever opens a path a caller named. Its task is the first
// line of its standard input; it answers on its standard output, ends with
// one result or one error, and exits. If the helper goes away (its input
// ends), it stops and undoes what it was making.

import { errorMessage, SwitcherError } from '../errors.js';
import { encode, type MediaRef } from '../guest-files/protocol.js';
import { readLines } from '../guest-files/lines.js';
import { fileError } from '../copy/file-error.js';
import { planFolder, removePartial, writeBundle, type PlannedBundle, type WorkContext } from './export-bundle.js';
import { copyMedia, inspectMedia } from './media.js';
import { MAX_WORKER_LINE, type WorkerEvent, type WorkerTask } from './protocol.js';
import { copyIntoPlaces, readBundle } from './read-bundle.js';
import { selfAsCaller } from './self.js';

/** Progress is told at most this often: a line each way through the helper, per report. */
const PROGRESS_EVERY_MS = 100;

function emit(event: WorkerEvent): void {
  process.stdout.write(encode(event));
}

const DOING: Record<WorkerTask['op'], string> = {
  'inspect-media': 'read the installer',
  'copy-media': 'copy the installer',
  'check-folder': 'export into that folder',
  export: 'export the guest',
  'read-bundle': 'read the bundle',
  import: 'import the bundle',
  'remove-partial': 'remove an unfinished bundle',
};

export async function runWorker(): Promise<number> {
  const stopped = new AbortController();
  const lines: string[] = [];
  let waiting: ((line: string | undefined) => void) | undefined;
  let ended = false;
  readLines(
    process.stdin,
    MAX_WORKER_LINE,
    (line) => {
      if (waiting) {
        const wake = waiting;
        waiting = undefined;
        wake(line);
      } else lines.push(line);
    },
    () => {
      ended = true;
      stopped.abort(new SwitcherError('Internal', 'The guest-files helper stopped; nothing was kept'));
      waiting?.(undefined);
    },
  );
  const nextLine = (): Promise<string | undefined> => {
    if (lines.length > 0) return Promise.resolve(lines.shift());
    if (ended) return Promise.resolve(undefined);
    return new Promise((resolve) => (waiting = resolve));
  };

  const first = await nextLine();
  if (first === undefined) return 1;
  const task = JSON.parse(first) as WorkerTask;
  let pending = 0;
  let last = 0;
  const flush = (): void => {
    if (pending > 0) emit({ ev: 'progress', bytes: pending });
    pending = 0;
    last = Date.now();
  };
  const work: WorkContext = {
    signal: stopped.signal,
    onBytes: (bytes) => {
      pending += bytes;
      if (Date.now() - last >= PROGRESS_EVERY_MS) flush();
    },
  };
  try {
    /** Waits for the helper's word to go on (`op`); anything else, or no word, stops it. */
    const waitFor = async (op: string): Promise<void> => {
      const control = await nextLine();
      if (control === undefined || (JSON.parse(control) as { op?: string }).op !== op) {
        throw new SwitcherError('InvalidState', 'Stopped; nothing was kept');
      }
    };
    const data = await perform(task, work, {
      planned: async (plan) => {
        emit({ ev: 'planned', data: { ...plan } });
        await waitFor('go');
      },
      copied: async () => {
        flush();
        emit({ ev: 'copied' });
        await waitFor('commit');
      },
    });
    flush();
    emit({ ev: 'result', data });
    return 0;
  } catch (error) {
    const typed = error instanceof SwitcherError ? error : fileError(error, DOING[task.op]);
    emit({ ev: 'error', kind: typed.kind, message: errorMessage(typed) });
    return 1;
  }
}

async function perform(
  task: WorkerTask,
  work: WorkContext,
  steps: { planned: (plan: PlannedBundle) => Promise<void>; copied: () => Promise<void> },
): Promise<Record<string, unknown>> {
  // A worker run as the caller walks as itself; one the per-user helper runs as its own user, as the caller.
  const as = task.walkAs ?? selfAsCaller();
  switch (task.op) {
    case 'inspect-media':
      return { media: await inspectMedia(task.media as MediaRef[], task.detect, as) };
    case 'copy-media':
      await copyMedia(task.media, work, as);
      return {};
    case 'check-folder':
      return await planFolder(task.directory, task.bundleName, task.needed, as);
    case 'export':
      return { bundlePath: await writeBundle(task, work, steps, as) };
    case 'read-bundle':
      return { ...(await readBundle(task.bundle, as)) };
    case 'import':
      await copyIntoPlaces(task.bundle, task.files, work, as);
      return {};
    case 'remove-partial':
      return { removed: await removePartial(task.directory, task.temporaryName) };
  }
}
