// A qcow2 overlay made into one image for a bundle: qemu-img convert reads
// the whole chain (the overlay and what it is backed by, as libvirt's image
// names them) into a staging file of the helper's own, which a worker then
// copies; a bundle carries what its guest needs to boot elsewhere. The
// format is always given (-f), so qemu-img never guesses one.

import { execFile } from 'node:child_process';
import { errorMessage, SwitcherError } from '../errors.js';

const MEASURE_TIMEOUT_MS = 60_000;

function qemuImg(args: string[], timeoutMs: number, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'qemu-img',
      args,
      { timeout: timeoutMs, maxBuffer: 1024 * 1024, ...(signal ? { signal } : {}) },
      (error, stdout, stderr) => {
        if (error) {
          const why = String(stderr).trim().split('\n').at(-1) || errorMessage(error);
          reject(new SwitcherError('Internal', `qemu-img ${args[0]} failed: ${why}`));
        } else resolve(String(stdout));
      },
    );
  });
}

/** What the flattened image will take (qemu-img measure's "required"), in bytes. */
export async function flattenedSize(path: string, format: string): Promise<number> {
  const text = await qemuImg(['measure', '--output=json', '-f', format, '-O', 'qcow2', path], MEASURE_TIMEOUT_MS);
  const required = (JSON.parse(text) as { required?: unknown }).required;
  if (typeof required !== 'number' || !Number.isSafeInteger(required) || required < 0) {
    throw new SwitcherError('Internal', 'qemu-img measure gave no size');
  }
  return required;
}

/**
 * Writes the image at `path` (of `format`) and its whole backing chain into
 * one qcow2 image at `staging`, a file of the helper's own folder.
 */
export async function flatten(path: string, format: string, staging: string, signal: AbortSignal): Promise<void> {
  // No time limit but the job's: a large chain takes as long as its data.
  await qemuImg(['convert', '-f', format, '-O', 'qcow2', path, staging], 0, signal);
}
