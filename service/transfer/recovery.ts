// What a service killed mid-job (kill -9, a power cut) left in libvirt,
// dealt with when it is connected again: for each job its journal says never
// finished, the volumes it made are deleted through libvirt's storage API,
// one log line each — unless libvirt has a guest of that job's UUID by now
// (it was defined as the job's last step), whose volumes they then are.
// The guest-files helper does the same for the files it made.

import { errorMessage } from '../errors.js';
import type { Journal } from '../jobs/journal.js';
import type { LibvirtClient } from '../libvirt/client.js';
import { domainByUuid } from '../libvirt/domain.js';
import { poolByName } from '../libvirt/storage-pool.js';
import { deleteVolume, volumeByName } from '../libvirt/storage-vol.js';
import { log } from '../log.js';

export async function recoverJobs(client: LibvirtClient, journal: Journal): Promise<void> {
  for (const job of await journal.unfinished()) {
    const op = typeof job.about.op === 'string' ? job.about.op : 'job';
    const uuid = typeof job.about.uuid === 'string' ? job.about.uuid : undefined;
    const what = `the unfinished ${op} ${job.id}${uuid ? ` (guest ${uuid})` : ''}`;
    try {
      if (uuid && (await domainByUuid(client, uuid))) {
        log.info(`${what}: libvirt has that guest, whose volumes these are; kept`);
        await journal.forget(job.id);
        continue;
      }
      for (const step of [...job.steps].reverse()) {
        if (step.made !== 'volume' || typeof step.pool !== 'string' || typeof step.volume !== 'string') continue;
        const pool = await poolByName(client, step.pool);
        const volume = pool && (await volumeByName(client, pool.path, step.volume));
        if (!volume) continue;
        await deleteVolume(client, volume);
        log.info(`${what}: deleted the volume ${step.volume} of pool ${step.pool}`);
      }
      await journal.forget(job.id);
    } catch (error) {
      log.warning(`${what}: not dealt with yet (${errorMessage(error)}); tried again at the next start`);
    }
  }
}
