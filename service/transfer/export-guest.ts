// Export: a guest that is off, written to a bundle in the caller's folder —
// its definition (our metadata inside), its disks kept sparse (an overlay
// flattened with its backing chain), its UEFI variables and TPM state, and a
// manifest with a checksum per file, written last, all under a hidden
// temporary name renamed only when complete and on disk. The service opens
// none of it: the guest-files helper opens the guest's files from libvirt's
// definition of its UUID, and a worker run as the caller writes the bundle
// with the caller's own rights. What can be refused at once (the folder,
// room, a bundle of that name) is refused before any job exists.

import { basename } from 'node:path';
import type { Caller } from '../guest-files/protocol.js';
import type { CallHandlers, FilesCall } from '../guest-files/client.js';
import { invalidState } from '../errors.js';
import type { Guest } from '../guests/guest.js';
import type { JobContext, JobOutcome } from '../jobs/job.js';
import { bundleName } from '../bundle/manifest.js';
import { isOff, jobKey, whileShutOff, type TransferHost } from './transfer-context.js';

export interface ExportPlan {
  guest: Guest;
  bundlePath: string;
  /** The data to copy, as the helper measured it (an overlay by what flattening it takes). */
  total: number;
  /** The helper's request, waiting for go. */
  call: FilesCall<'export'>;
  handlers: CallHandlers;
}

/** Checks the request and has the helper (and a worker, as the caller) check the folder; throws before any job. */
export async function planExport(
  host: TransferHost,
  guest: Guest,
  directory: string,
  caller: Caller,
): Promise<ExportPlan> {
  if (!isOff(guest)) {
    throw invalidState(`${guest.name} is ${guest.state}; shut it down before exporting it`);
  }
  const handlers: CallHandlers = {};
  const call = await host.files.request(
    {
      op: 'export',
      job: jobKey('export'),
      caller,
      uuid: guest.uuid,
      directory,
      bundleName: bundleName(guest.name),
      autostart: guest.autostart,
    },
    handlers,
  );
  const ready = await call.ready();
  if (typeof ready.bundlePath !== 'string' || typeof ready.total !== 'number') {
    call.cancel();
    throw invalidState('The guest-files helper planned no bundle');
  }
  return { guest, bundlePath: ready.bundlePath, total: ready.total, call, handlers };
}

export async function runExport(host: TransferHost, plan: ExportPlan, job: JobContext): Promise<JobOutcome> {
  const name = plan.guest.name;
  const guard = whileShutOff(host.registry, plan.guest.path, job.signal);
  const cancel = (): void => plan.call.cancel();
  guard.signal.addEventListener('abort', cancel, { once: true });
  try {
    job.setTotal(plan.total);
    plan.handlers.onTotal = (bytes) => job.setTotal(bytes);
    plan.handlers.onProgress = (bytes) => job.advance(bytes);
    plan.call.go();
    const { bundlePath } = await plan.call.result().catch((error: unknown) => {
      // Stopped because the guest started: say that, not the helper's "cancelled".
      throw guard.signal.aborted && !job.signal.aborted ? (guard.signal.reason as Error) : error;
    });
    // Result is for all to read: the bundle's name, not the caller's folder (said in the message, to the caller).
    return { result: basename(bundlePath), message: `Exported ${name} to ${bundlePath}` };
  } finally {
    guard.signal.removeEventListener('abort', cancel);
    guard.release();
  }
}
