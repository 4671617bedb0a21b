// The helper's side of Import: the guest's places made from its UUID alone
// (UEFI variables <nvram dir>/<uuid>_VARS.fd, TPM state <swtpm dir>/<uuid>/,
// each O_CREAT|O_EXCL|O_NOFOLLOW in folders that are the system's), the
// volumes the service made for it opened through libvirt, and a worker run
// as the caller to copy the bundle's files into them. Once the worker is
// gone — nothing but this process holds those files then — each qcow2
// image is checked on the bytes now in its volume.

import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { alreadyExists, errorMessage, invalidArgument, invalidState } from '../errors.js';
import type { Answers, ImportFile } from '../guest-files/protocol.js';
import { log } from '../log.js';
import { MadeFiles } from './made-files.js';
import { imageRefusal, QCOW2_HEADER_BYTES } from './qcow2-header.js';
import type { HelperParts, Session } from './session.js';
import { cannotMake, makeStateFiles } from './state-files.js';
import { existsIn, openFileByPath, openTrustedFolder } from './trusted-path.js';
import { workerOutcome } from './worker-launcher.js';
import type { Caller } from '../guest-files/protocol.js';

/** The bundle's place for each file, opened for the worker to write. */
interface Place {
  file: ImportFile;
  handle: FileHandle;
}

/** Refuses a UUID whose UEFI variables or TPM state this host has already (an import never overwrites). */
export async function checkFree(parts: HelperParts, uuid: string, nvram: boolean, tpm: boolean): Promise<void> {
  const { locator } = parts;
  const nvramFile = locator.newNvram(uuid);
  const found = async (folder: string, name: string): Promise<boolean> => {
    const handle = await openTrustedFolder(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!handle) return false;
    try {
      return await existsIn(handle, name);
    } finally {
      await handle.close();
    }
  };
  if (nvram && (await found(nvramFile.folder, nvramFile.name))) {
    throw alreadyExists(`UEFI variables for UUID ${uuid} are already at ${nvramFile.path}`);
  }
  const tpmDir = locator.tpmDir(uuid);
  if (tpm && (await found(locator.dirs.swtpmDir, uuid))) {
    throw alreadyExists(`TPM state for UUID ${uuid} is already at ${tpmDir}`);
  }
}

/** Makes each place, then has the caller's worker fill them; resolves once the service keeps them. */
export async function importFiles(
  parts: HelperParts,
  session: Session,
  request: { caller: Caller; uuid: string; bundle: string; uefi: boolean; files: ImportFile[] },
): Promise<Answers['import']['result']> {
  const { locator } = parts;
  const { uuid } = request;
  await locator.requireUndefined(uuid);
  const done = new MadeFiles(await parts.journal.begin(session.id, { op: 'import', uuid }));
  const places: Place[] = [];
  let nvramPath: string | null = null;
  try {
    nvramPath = await makeStateFiles(
      locator,
      uuid,
      done,
      {
        nvram: request.files.find((f) => f.role === 'nvram'),
        tpm: request.files
          .filter((f) => f.role === 'tpm')
          .map((file) => {
            const [folder, name] = (file.tpmPath as string).split('/') as [string, string];
            return { file, folder, name };
          }),
      },
      (file, handle) => places.push({ file, handle }),
    );
    for (const disk of request.files.filter((f) => f.role === 'disk')) {
      const ref = { pool: disk.pool as string, volume: disk.volume as string };
      const path = await locator.volumeFile(ref);
      if (!path) throw invalidState(`libvirt's pool ${ref.pool} has no volume ${ref.volume}`);
      const handle = await openFileByPath(path, constants.O_RDWR, true).catch((e: unknown) => {
        throw cannotMake(e, `disk ${disk.target}'s volume ${path}`);
      });
      places.push({ file: disk, handle });
      const { size } = await handle.stat();
      if (size !== disk.size) throw invalidState(`The volume ${ref.volume} is ${size} bytes, not ${disk.size}`);
    }
    // A UEFI guest whose store did not travel gets one at its first start, at the path named for its UUID.
    if (request.uefi) nvramPath ??= locator.newNvram(uuid).path;
    session.signal.throwIfAborted();
    const worker = parts.launcher.start(
      request.caller,
      {
        op: 'import',
        bundle: request.bundle,
        files: places.map((p, i) => ({
          fd: 3 + i,
          bundlePath: p.file.bundlePath,
          size: p.file.size,
          checksum: p.file.checksum,
        })),
      },
      places.map((p) => p.handle.fd),
    );
    await workerOutcome(worker, { onProgress: (bytes) => session.progress(bytes) }, session.signal);
    // The worker is gone: what the volumes hold now is what the guest will read.
    for (const place of places.filter((p) => p.file.role === 'disk')) {
      const first = Buffer.alloc(Math.min(QCOW2_HEADER_BYTES, place.file.size));
      const { bytesRead } = await place.handle.read(first, 0, first.length, 0);
      const refusal = imageRefusal(place.file.format as string, first.subarray(0, bytesRead));
      if (refusal) {
        throw invalidArgument(
          `The bundle's disk ${place.file.target} cannot be imported: ${refusal}. ` +
            'An import takes disk images that hold their own data only',
        );
      }
    }
    await closeAll(places);
    await session.ready({ nvramPath });
    await done.keep();
    log.info(`import of ${uuid}: ${places.length} files in place`);
    return {};
  } catch (error) {
    await closeAll(places);
    await undoUnlessDefined(parts, uuid, done);
    throw error;
  }
}

/**
 * Undoes what a request made for a new guest — unless libvirt has a guest
 * of that UUID by now: the service defined it before its 'go' could reach
 * us, and the files named by its UUID are that guest's.
 */
export async function undoUnlessDefined(parts: HelperParts, uuid: string, done: MadeFiles): Promise<void> {
  let defined: boolean;
  try {
    defined = await parts.locator.isDefined(uuid);
  } catch (error) {
    log.warning(`cannot tell whether libvirt has ${uuid} (${errorMessage(error)}); the next start decides`);
    await done.leave();
    return;
  }
  if (defined) {
    log.info(`kept the files made for ${uuid}: libvirt has that guest now`);
    await done.keep();
    return;
  }
  await done.undo(async () => undefined);
  await done.close();
}

async function closeAll(places: Place[]): Promise<void> {
  for (const place of places.splice(0)) await place.handle.close().catch(() => undefined);
}
