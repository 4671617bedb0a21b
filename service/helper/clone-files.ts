// The helper's side of Clone: no caller's file is involved, so the helper
// copies the source's files into the clone's itself, by the two UUIDs — the
// clone's UEFI variables and TPM state named from its own UUID, its disks
// into the volumes the service made for that UUID.

import { isDeepStrictEqual } from 'node:util';
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { invalidState } from '../errors.js';
import type { Answers, CloneDisk, GuestFilesFound } from '../guest-files/protocol.js';
import { log } from '../log.js';
import { copyOpenFile } from '../copy/file-copy.js';
import { allGuestFiles, closeGuestFiles, openGuestFiles, type OpenGuestFile } from './guest-files.js';
import { undoUnlessDefined } from './import-files.js';
import { MadeFiles } from './made-files.js';
import type { HelperParts, Session } from './session.js';
import { makeStateFiles } from './state-files.js';
import { openFileByPath } from './trusted-path.js';

/** What a guest's files are, for the service to plan a clone (the volumes it must make, and their sizes). */
export async function inspectGuest(parts: HelperParts, uuid: string): Promise<GuestFilesFound> {
  const files = await openGuestFiles(parts.locator, await parts.locator.guest(uuid));
  try {
    return {
      disks: files.disks.map((d) => ({
        target: d.target as string,
        format: d.format as string,
        file: d.path,
        size: d.content.size,
        dataBytes: d.content.dataBytes,
        overlay: d.overlay === true,
      })),
      nvram: files.nvram ? { size: files.nvram.content.size, dataBytes: files.nvram.content.dataBytes } : null,
      tpm: files.tpm.map((t) => ({ path: t.bundlePath, size: t.content.size, dataBytes: t.content.dataBytes })),
    };
  } finally {
    await closeGuestFiles(files);
  }
}

export async function cloneFiles(
  parts: HelperParts,
  session: Session,
  request: { source: string; uuid: string; disks: CloneDisk[] },
): Promise<Answers['clone']['result']> {
  const { locator } = parts;
  const { uuid } = request;
  const source = await locator.guest(request.source);
  if (!(await locator.isOff(source.domain))) throw invalidState(`${source.definition.name} is not shut off`);
  await locator.requireUndefined(uuid);
  const files = await openGuestFiles(locator, source);
  const targets: FileHandle[] = [];
  let done: MadeFiles | undefined;
  try {
    const overlay = files.disks.find((d) => d.overlay);
    if (overlay) {
      throw invalidState(
        `Disk ${overlay.target as string} is an overlay on another image, which a clone would share; flatten it first (qemu-img convert)`,
      );
    }
    const wanted = request.disks.map((d) => d.target).sort();
    if (!isDeepStrictEqual(wanted, files.disks.map((d) => d.target as string).sort())) {
      throw invalidState(`${source.definition.name}'s disks changed meanwhile; nothing was made`);
    }
    session.total(allGuestFiles(files).reduce((sum, f) => sum + f.content.dataBytes, 0));
    done = new MadeFiles(await parts.journal.begin(session.id, { op: 'clone', uuid }));
    const made = done;
    const copy = async (from: OpenGuestFile, to: FileHandle): Promise<void> => {
      await copyOpenFile(from.handle, from.content, to, {
        signal: session.signal,
        onBytes: (bytes) => session.progress(bytes),
      });
    };
    const copies: [OpenGuestFile, FileHandle][] = [];
    let nvramPath = await makeStateFiles(
      locator,
      uuid,
      made,
      {
        nvram: files.nvram,
        tpm: files.tpm.map((file) => {
          const [folder, name] = file.bundlePath.split('/').slice(1) as [string, string];
          return { file, folder, name };
        }),
      },
      (file, handle) => {
        targets.push(handle);
        copies.push([file, handle]);
      },
    );
    for (const [from, to] of copies) await copy(from, to);
    for (const disk of request.disks) {
      session.signal.throwIfAborted();
      const from = files.disks.find((d) => d.target === disk.target) as OpenGuestFile;
      const path = await locator.volumeFile(disk);
      if (!path) throw invalidState(`libvirt's pool ${disk.pool} has no volume ${disk.volume}`);
      const handle = await openFileByPath(path, constants.O_RDWR, true);
      targets.push(handle);
      const { size } = await handle.stat();
      if (size !== from.content.size) {
        throw invalidState(`The volume ${disk.volume} is ${size} bytes, not ${from.content.size}`);
      }
      await copy(from, handle);
    }
    for (const handle of targets.splice(0)) await handle.close();
    // A UEFI source never started has no store yet: the clone's own path still, never the source's.
    if (source.definition.uefi) nvramPath ??= locator.newNvram(uuid).path;
    await session.ready({ nvramPath });
    await made.keep();
    log.info(`clone of ${request.source} as ${uuid}: its files in place`);
    return {};
  } catch (error) {
    for (const handle of targets.splice(0)) await handle.close().catch(() => undefined);
    if (done) await undoUnlessDefined(parts, uuid, done);
    throw error;
  } finally {
    await closeGuestFiles(files);
  }
}
