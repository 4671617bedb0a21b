// Installer ISOs as the caller has them, read as the caller: each checked
// (a regular ISO 9660 image the caller may read), the OS libosinfo sees on it
// (osinfo-detect, run as the caller too), and, where QEMU runs as another
// user, copied into the guest's own volume that the helper handed down.

import { constants } from 'node:fs';
import type { MediaFound, MediaRef } from '../guest-files/protocol.js';
import { unreadableFile } from '../errors.js';
import { checkIso, detectOsName } from '../create/installer.js';
import { openRegularFile, type FileCaller } from '../access/caller-files.js';
import { copyOpenFile, descriptorFile, measureOpenFile } from '../copy/file-copy.js';
import type { WorkContext } from './export-bundle.js';

export async function inspectMedia(media: MediaRef[], detect: boolean, as: FileCaller): Promise<MediaFound[]> {
  const found: MediaFound[] = [];
  for (const medium of media) {
    const path = await checkIso(medium.path, as, medium.what);
    const file = await openRegularFile(path, constants.O_NOFOLLOW);
    const size = file ? (await file.stat()).size : 0;
    await file?.close();
    found.push({ path, size, osName: detect ? await detectOsName(path) : '' });
  }
  return found;
}

/** Each ISO copied, as the caller reads it now, into the volume the helper opened for it. */
export async function copyMedia(
  media: (MediaRef & { fd: number })[],
  work: WorkContext,
  as: FileCaller,
): Promise<void> {
  for (const medium of media) {
    const path = await checkIso(medium.path, as, medium.what);
    const file = await openRegularFile(path, constants.O_NOFOLLOW);
    if (!file) throw unreadableFile(`The ${medium.what} ${medium.path} is no longer a regular file`);
    try {
      const content = await measureOpenFile(file);
      await copyOpenFile(file, content, descriptorFile(medium.fd), work);
    } finally {
      await file.close();
    }
  }
}
