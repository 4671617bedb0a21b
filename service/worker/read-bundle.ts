// The caller's side of Import, run as the caller: the bundle read and
// measured for the service's plan (its manifest and definition as text, each
// file there at its size — the service checks it all again, as it would any
// caller's words), then each file copied into the places the helper made
// and handed down, every checksum compared on the bytes written.

import { constants } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  callerPath,
  openRegularFile,
  R,
  refusePseudoFileSystem,
  viewAsCaller,
  X,
  type FileCaller,
} from '../access/caller-files.js';
import type { BundleRead } from '../guest-files/protocol.js';
import { invalidArgument, noSuchFile, SwitcherError } from '../errors.js';
import { copyOpenFile, descriptorFile, measureOpenFile } from '../copy/file-copy.js';
import { DEFINITION_NAME, MANIFEST_NAME, MAX_SMALL_FILE, parseManifest } from '../bundle/manifest.js';
import { fileError } from '../copy/file-error.js';
import type { WorkContext } from './export-bundle.js';

/**
 * The bundle folder a caller names, as the kernel resolves it for them
 * (a link to a bundle is that bundle); refusals name what is closed.
 */
export async function openBundle(bundlePath: string, as: FileCaller): Promise<string> {
  const named = callerPath(bundlePath, 'The bundle path');
  const view = await viewAsCaller(named, as, R | X).catch((error: unknown) => {
    throw fileError(error, `import ${named}`);
  });
  if (view.kind === 'closed') {
    throw new SwitcherError('AccessDenied', `You cannot read ${named}: ${view.where} is closed to you`);
  }
  if (view.kind === 'missing') throw noSuchFile(`Cannot import ${named}: ${named} does not exist`);
  if (!view.stats.isDirectory()) throw invalidArgument(`${named} is not a bundle (a folder)`);
  await refusePseudoFileSystem(view.path, named);
  if (view.kind === 'denied') {
    throw new SwitcherError('AccessDenied', `You cannot read ${named}: ${named} is closed to you`);
  }
  return view.path;
}

async function readSmallFile(path: string, what: string): Promise<Buffer> {
  // Never waited on (a FIFO), never through a link: what is opened is checked.
  const file = await openRegularFile(path, constants.O_NOFOLLOW).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ELOOP') throw invalidArgument(`The bundle is damaged: ${what} is not a file`);
    throw fileError(error, `read ${what}`);
  });
  if (!file) throw invalidArgument(`The bundle is damaged: ${what} is not a file`);
  try {
    const info = await file.stat();
    if (info.size > MAX_SMALL_FILE) throw invalidArgument(`The bundle is damaged: ${what} is too large`);
    return await file.readFile();
  } finally {
    await file.close();
  }
}

/** The bundle as it is: its manifest and definition (bytes), and each file the manifest lists, there at its size. */
export async function readBundle(bundlePath: string, as: FileCaller): Promise<BundleRead> {
  const bundle = await openBundle(bundlePath, as);
  const manifestBytes = await readSmallFile(join(bundle, MANIFEST_NAME), 'its manifest');
  // Read here only to know which files to measure; the service reads it again for itself.
  const manifest = parseManifest(manifestBytes.toString());
  const files: BundleRead['files'] = [];
  for (const entry of manifest.files) {
    const path = join(bundle, entry.path);
    const found = await lstat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw fileError(error, `read ${entry.path}`);
    });
    if (!found) throw invalidArgument(`The bundle is incomplete: ${entry.path} is missing`);
    if (!found.isFile()) throw invalidArgument(`The bundle is damaged: ${entry.path} is not a file`);
    if (found.size !== entry.size) {
      throw invalidArgument(`The bundle is damaged: ${entry.path} has ${found.size} bytes, not ${entry.size}`);
    }
    const file = await openRegularFile(path, constants.O_NOFOLLOW).catch((error: unknown) => {
      throw fileError(error, `read ${entry.path}`);
    });
    if (!file) throw invalidArgument(`The bundle is damaged: ${entry.path} is not a file`);
    try {
      // What it stores, as the file system counts it: a plan needs no data map (the copy makes one).
      const info = await file.stat();
      files.push({ path: entry.path, size: info.size, dataBytes: Math.min(info.size, info.blocks * 512) });
    } finally {
      await file.close();
    }
  }
  const definition = await readSmallFile(join(bundle, DEFINITION_NAME), 'its definition');
  return { bundle, manifest: manifestBytes.toString('base64'), definition: definition.toString('base64'), files };
}

export interface PlacedFile {
  fd: number;
  bundlePath: string;
  size: number;
  checksum: string;
}

/** Copies each bundle file into the place the helper handed down, checking its checksum on what was copied. */
export async function copyIntoPlaces(
  bundlePath: string,
  places: PlacedFile[],
  work: WorkContext,
  as: FileCaller,
): Promise<void> {
  const bundle = await openBundle(bundlePath, as);
  for (const place of places) {
    work.signal.throwIfAborted();
    const file = await openRegularFile(join(bundle, place.bundlePath), constants.O_NOFOLLOW).catch((error: unknown) => {
      throw fileError(error, `read ${place.bundlePath}`);
    });
    if (!file) throw invalidArgument(`The bundle is damaged: ${place.bundlePath} is not a file`);
    try {
      const content = await measureOpenFile(file);
      if (content.size !== place.size) {
        throw invalidArgument(`The bundle changed: ${place.bundlePath} has ${content.size} bytes, not ${place.size}`);
      }
      const copied = await copyOpenFile(file, content, descriptorFile(place.fd), {
        signal: work.signal,
        onBytes: work.onBytes,
      });
      if (copied.checksum !== place.checksum) {
        throw invalidArgument(`The bundle is damaged: ${place.bundlePath} does not match its checksum`);
      }
    } finally {
      await file.close();
    }
  }
}
