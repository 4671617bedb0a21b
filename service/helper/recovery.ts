// What a helper killed mid-request left behind, dealt with when it starts
// again: for each request its journal says never finished, what it made is
// removed, newest first, one log line each — files and folders by root, a
// caller's temporary bundle by a worker run as that caller (their own
// rights, never root's). Files made for a new guest stay when libvirt has a
// guest of that UUID by now: the service defined it, and they are its.

import { errorMessage } from '../errors.js';
import { log } from '../log.js';
import { removePartialBundle } from './export-files.js';
import { madeStep, undoLocal, type MadeStep } from './made-files.js';
import type { HelperParts } from './session.js';

export async function recover(parts: HelperParts): Promise<void> {
  for (const job of await parts.journal.unfinished()) {
    const op = typeof job.about.op === 'string' ? job.about.op : 'request';
    const uuid = typeof job.about.uuid === 'string' ? job.about.uuid : undefined;
    const what = `the unfinished ${op} ${job.id}${uuid ? ` (guest ${uuid})` : ''}`;
    if ((op === 'import' || op === 'clone') && uuid) {
      let defined: boolean;
      try {
        defined = await parts.locator.isDefined(uuid);
      } catch (error) {
        log.warning(`${what}: cannot ask libvirt (${errorMessage(error)}); left for the next start`);
        continue;
      }
      if (defined) {
        log.info(`${what}: libvirt has that guest, whose files these are; kept`);
        await parts.journal.forget(job.id);
        continue;
      }
    }
    const steps = job.steps.map(madeStep).filter((s): s is MadeStep => s !== undefined);
    for (const step of steps.reverse()) {
      try {
        if (step.made === 'partial-bundle') {
          await removePartialBundle(parts, step);
          log.info(
            `${what}: asked a worker of uid ${step.caller.uid} to remove ${step.temporaryName} in ${step.directory}`,
          );
        } else if (await undoLocal(step)) {
          log.info(
            `${what}: removed the ${step.made === 'dir' ? 'folder' : step.made === 'staging' ? 'staging file' : 'file'} ${step.path}`,
          );
        }
      } catch (error) {
        log.warning(
          `${what}: could not remove ${'path' in step ? step.path : step.temporaryName}: ${errorMessage(error)}`,
        );
      }
    }
    await parts.journal.forget(job.id);
  }
}
