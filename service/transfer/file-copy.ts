// Whole files in and out of bundles: measured first (size and data, so a job
// knows its total before it starts), then copied sparse with their checksum
// and flushed to disk before anyone relies on them.

import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { openRegularFile } from '../dbus/caller-files.js';
import { dataBytes, dataMap, type Extent } from './data-map.js';
import { copySparse } from './sparse-copy.js';

export interface MeasuredFile {
  path: string;
  /** Apparent size in bytes. */
  size: number;
  extents: Extent[];
  /** Bytes the file actually stores (its data extents). */
  dataBytes: number;
}

export interface CopiedFile {
  size: number;
  checksum: string;
}

export interface FileCopyOptions {
  signal?: AbortSignal;
  onBytes?: (bytes: number) => void;
  /** Mode of a file this creates (default 0600: guest data is private). */
  mode?: number;
}

export async function measureFile(path: string): Promise<MeasuredFile> {
  const file = await openRegularFile(path, constants.O_NOFOLLOW);
  if (!file) throw new Error(`${path} is not a regular file`);
  try {
    const stat = await file.stat();
    const extents = await dataMap(file, stat.size);
    return { path, size: stat.size, extents, dataBytes: dataBytes(extents) };
  } finally {
    await file.close();
  }
}

/** Checksums a measured file without copying it. */
export async function checksumFile(source: MeasuredFile, options: FileCopyOptions = {}): Promise<string> {
  return withSource(source, (file) => copySparse(file, undefined, source.size, source.extents, options));
}

/**
 * Copies a measured file to `targetPath`. 'create' makes a new file and
 * fails if one is there; 'overwrite' empties a file that exists (a volume
 * libvirt has just created for it). The copy is on disk (fsync) when this
 * resolves.
 */
export async function copyFileTo(
  source: MeasuredFile,
  targetPath: string,
  how: 'create' | 'overwrite',
  options: FileCopyOptions = {},
): Promise<CopiedFile> {
  return withSource(source, async (file) => {
    const flags =
      how === 'create'
        ? constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW
        : constants.O_WRONLY | constants.O_NOFOLLOW;
    const target = await open(targetPath, flags, options.mode ?? 0o600);
    try {
      // All holes, then only the data written: the target ends as sparse as the source.
      await target.truncate(0);
      await target.truncate(source.size);
      const checksum = await copySparse(file, target, source.size, source.extents, options);
      await target.sync();
      return { size: source.size, checksum };
    } finally {
      await target.close();
    }
  });
}

/** Writes bytes held in memory to a new file, on disk when this resolves. */
export async function writeNewFile(path: string, data: Uint8Array, mode = 0o600): Promise<void> {
  const file = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** fsyncs a directory, so the names made in it (and renames into it) survive a crash. */
export async function syncDirectory(path: string): Promise<void> {
  const dir = await open(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

async function withSource<T>(source: MeasuredFile, use: (file: FileHandle) => Promise<T>): Promise<T> {
  const file = await openRegularFile(source.path, constants.O_NOFOLLOW);
  if (!file) throw new Error(`${source.path} is no longer a regular file`);
  try {
    const stat = await file.stat();
    if (stat.size !== source.size) throw new Error(`${source.path} changed size while being copied`);
    return await use(file);
  } finally {
    await file.close();
  }
}
