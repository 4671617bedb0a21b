// The helper's side of installer ISOs: a worker run as the caller reads
// them (and asks libosinfo what they hold); where QEMU runs as another user,
// a worker copies them, as the caller reads them, into the guest's own
// volumes (<uuid>-installer.iso, <uuid>-drivers.iso) that the service made,
// so the guest boots exactly what was checked and QEMU can always read it.
// The copy is checked once more on the bytes now in the volume.

import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { invalidState, SwitcherError, unreadableFile } from '../errors.js';
import type { Caller, MediaFound, MediaRef, VolumeRef } from '../guest-files/protocol.js';
import type { HelperParts, Session } from './session.js';
import { openFileByPath } from './trusted-path.js';
import { workerOutcome } from './worker-launcher.js';

const ISO_MAGIC_OFFSET = 32_769; // "CD001" of the first volume descriptor, sector 16

function mediaFound(data: Record<string, unknown>, count: number): MediaFound[] {
  const media = data.media;
  if (!Array.isArray(media) || media.length !== count)
    throw new SwitcherError('Internal', 'A worker answered no media');
  return media.map((value: unknown) => {
    const m = (value ?? {}) as Record<string, unknown>;
    if (typeof m.path !== 'string' || typeof m.osName !== 'string' || typeof m.size !== 'number') {
      throw new SwitcherError('Internal', 'A worker answered a medium without its path');
    }
    return { path: m.path.slice(0, 4096), size: m.size, osName: m.osName.slice(0, 256) };
  });
}

export async function inspectMedia(
  parts: HelperParts,
  session: Session,
  request: { caller: Caller; media: MediaRef[]; detect: boolean },
): Promise<{ media: MediaFound[] }> {
  const worker = parts.launcher.start(request.caller, {
    op: 'inspect-media',
    media: request.media,
    detect: request.detect,
  });
  return { media: mediaFound(await workerOutcome(worker, {}, session.signal), request.media.length) };
}

export async function copyMedia(
  parts: HelperParts,
  session: Session,
  request: { caller: Caller; uuid: string; media: (MediaRef & VolumeRef)[] },
): Promise<Record<string, never>> {
  await parts.locator.requireUndefined(request.uuid);
  const volumes: FileHandle[] = [];
  try {
    for (const medium of request.media) {
      const path = await parts.locator.volumeFile(medium);
      if (!path) throw invalidState(`libvirt's pool ${medium.pool} has no volume ${medium.volume}`);
      volumes.push(await openFileByPath(path, constants.O_RDWR, true));
    }
    const worker = parts.launcher.start(
      request.caller,
      { op: 'copy-media', media: request.media.map((m, i) => ({ path: m.path, what: m.what, fd: 3 + i })) },
      volumes.map((v) => v.fd),
    );
    await workerOutcome(worker, { onProgress: (bytes) => session.progress(bytes) }, session.signal);
    // The worker is gone: what the guest will boot is what each volume holds now.
    for (const [i, volume] of volumes.entries()) {
      const magic = Buffer.alloc(5);
      const { bytesRead } = await volume.read(magic, 0, 5, ISO_MAGIC_OFFSET);
      if (bytesRead < 5 || magic.toString('latin1') !== 'CD001') {
        const medium = request.media[i] as MediaRef;
        throw unreadableFile(`The ${medium.what} ${medium.path} changed while it was copied: it is no ISO 9660 image`);
      }
    }
    return {};
  } finally {
    for (const volume of volumes) await volume.close().catch(() => undefined);
  }
}
