// The helper's side of Export: the guest's files opened read-only from
// libvirt's definition of its UUID (an overlay first flattened, with its
// backing chain, into a staging file of the helper's own), and a worker run
// as the caller that writes the bundle into the caller's folder from those
// descriptors. The guest's files are the caller's to copy by construction
// (they may export this guest); nothing is chowned, and nothing is made by
// root in a folder a caller controls.

import { constants } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidState, SwitcherError } from '../errors.js';
import type { Answers, Caller } from '../guest-files/protocol.js';
import { log } from '../log.js';
import { measureOpenFile } from '../copy/file-copy.js';
import { flattenedDefinition } from '../bundle/guest-definition.js';
import { inactiveXml } from '../libvirt/domain.js';
import { temporaryBundleName } from '../worker/export-bundle.js';
import { flatten, flattenedSize } from './flatten.js';
import { allGuestFiles, closeGuestFiles, openGuestFiles, type OpenGuestFile } from './guest-files.js';
import { MadeFiles, type MadeStep } from './made-files.js';
import type { HelperParts, Session } from './session.js';
import { openFileByPath } from './trusted-path.js';
import { workerOutcome, type Worker } from './worker-launcher.js';

const text = (data: Record<string, unknown>, key: string): string => {
  const value = data[key];
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096) {
    throw new SwitcherError('Internal', `A worker answered without ${key}`);
  }
  return value;
};

/** A temporary bundle a worker could not remove (it was killed), removed by another run as its caller. */
export async function removePartialBundle(
  parts: HelperParts,
  step: Extract<MadeStep, { made: 'partial-bundle' }>,
): Promise<void> {
  const worker = parts.launcher.start(step.caller, {
    op: 'remove-partial',
    directory: step.directory,
    temporaryName: step.temporaryName,
  });
  const data = await workerOutcome(worker);
  if (data.removed === true) log.info(`removed the unfinished bundle ${join(step.directory, step.temporaryName)}`);
}

export async function exportFiles(
  parts: HelperParts,
  session: Session,
  request: { caller: Caller; uuid: string; directory: string; bundleName: string; autostart: boolean },
): Promise<Answers['export']['result']> {
  const { locator } = parts;
  const guest = await locator.guest(request.uuid);
  const name = guest.definition.name;
  if (!(await locator.isOff(guest.domain))) {
    throw invalidState(`${name} is running; shut it down before exporting it`);
  }
  const files = await openGuestFiles(locator, guest);
  const staged: OpenGuestFile[] = [];
  const overlays = files.disks.filter((d) => d.overlay);
  const temporaryName = temporaryBundleName(request.bundleName);
  let done: MadeFiles | undefined;
  let worker: Worker | undefined;
  let changed = false;
  /** The worker that writes the bundle, with the guest's files (`copied`) as fd 3 and on. */
  const startWriter = (directory: string, copied: OpenGuestFile[], needed: number): Worker => {
    const flattenedTargets = staged.map((s) => s.target as string);
    return parts.launcher.start(
      request.caller,
      {
        op: 'export',
        directory,
        bundleName: request.bundleName,
        temporaryName,
        needed,
        definition: flattenedTargets.length > 0 ? flattenedDefinition(guest.xml, flattenedTargets) : guest.xml,
        guest: { name, uuid: request.uuid, autostart: request.autostart },
        files: copied.map((f, i) => ({
          fd: 3 + i,
          bundlePath: f.bundlePath,
          role: f.role,
          size: f.content.size,
          extents: f.content.extents,
          ...(f.target ? { target: f.target, format: f.format as string } : {}),
          ...(f.overlay ? { flattened: true } : {}),
        })),
      },
      copied.map((f) => f.handle.fd),
    );
  };
  try {
    // An overlay goes as one image: what it will take, from qemu-img, before any job.
    let needed = guest.xml.length;
    for (const file of allGuestFiles(files)) {
      needed += file.overlay ? await flattenedSize(file.path, file.format as string) : file.content.dataBytes;
    }
    // One worker from the plan to the end, which checks the folder and then writes into the one it
    // checked; where an overlay must be flattened first, a worker checks and another writes.
    let planned: Promise<Record<string, unknown>>;
    let outcome: Promise<Record<string, unknown>> | undefined;
    const handlers = {
      onProgress: (bytes: number) => session.progress(bytes),
      // Every file is written: the guest must still be off and defined as it was exported.
      onCopied: () => {
        const running = worker as Worker;
        void (async () => {
          const same =
            (await locator.isOff(guest.domain)) && (await inactiveXml(locator.client, guest.domain)) === guest.xml;
          changed = !same;
          running.send({ op: same ? 'commit' : 'abort' });
        })().catch((error: unknown) => {
          log.warning(`export of ${name}: ${(error as Error).message}`);
          running.send({ op: 'abort' });
        });
      },
    };
    if (overlays.length === 0) {
      worker = startWriter(request.directory, allGuestFiles(files), needed);
      let plannedNow: (data: Record<string, unknown>) => void = () => undefined;
      planned = new Promise((resolve) => (plannedNow = resolve));
      outcome = workerOutcome(worker, { ...handlers, onPlanned: plannedNow }, session.signal);
      outcome.catch(() => undefined);
      planned = Promise.race([planned, outcome.then(() => ({}))]);
    } else {
      const probe = parts.launcher.start(request.caller, {
        op: 'check-folder',
        directory: request.directory,
        bundleName: request.bundleName,
        needed,
      });
      planned = workerOutcome(probe, {}, session.signal);
    }
    const plan = await planned;
    const directory = text(plan, 'directory');
    const bundlePath = text(plan, 'bundlePath');
    await session.ready({ bundlePath, total: needed - guest.xml.length });

    done = new MadeFiles(await parts.journal.begin(session.id, { op: 'export', uuid: request.uuid }));
    for (const disk of overlays) {
      // qemu-img opens the chain by path: only where nobody but the system may change it.
      await openFileByPath(disk.path, constants.O_RDONLY, true)
        .then((h) => h.close())
        .catch(() => {
          throw invalidState(
            `Disk ${disk.target as string} is an overlay in a folder others may change; it is not flattened`,
          );
        });
      const staging = join(parts.stagingDir, `${session.id}-${disk.target as string}.qcow2`);
      await done.add({ made: 'staging', path: staging });
      await flatten(disk.path, disk.format as string, staging, session.signal);
      const handle = await openFileByPath(staging, constants.O_RDONLY, true);
      staged.push({
        ...disk,
        path: staging,
        bundlePath: `disks/${disk.target as string}.qcow2`,
        handle,
        content: await measureOpenFile(handle),
        format: 'qcow2',
      });
    }
    await done.add({ made: 'partial-bundle', caller: request.caller, directory, temporaryName });
    if (!outcome) {
      const copied = allGuestFiles(files).map(
        (f) => staged.find((s) => s.target !== undefined && s.target === f.target && f.role === 'disk') ?? f,
      );
      session.total(copied.reduce((sum, f) => sum + f.content.dataBytes, 0));
      worker = startWriter(directory, copied, 0);
      const writer = worker;
      outcome = workerOutcome(writer, { ...handlers, onPlanned: () => writer.send({ op: 'go' }) }, session.signal);
    } else {
      worker?.send({ op: 'go' });
    }
    const written = text(await outcome, 'bundlePath');
    for (const step of done.taken('staging')) if ('path' in step) await rm(step.path, { force: true });
    await done.keep();
    return { bundlePath: written };
  } catch (error) {
    if (done) {
      // A worker that ended on its own removed its temporary folder; one that was killed could not,
      // and another, run as the caller, does.
      const killed = worker ? (await worker.exited) === null : true;
      await done.undo((step) => (killed ? removePartialBundle(parts, step) : Promise.resolve()));
      await done.close();
    } else if (worker) {
      await worker.exited;
    }
    if (changed) throw invalidState(`${name} was started or changed during the export; nothing was kept`);
    throw error;
  } finally {
    for (const file of staged) await file.handle.close().catch(() => undefined);
    await closeGuestFiles(files);
  }
}
