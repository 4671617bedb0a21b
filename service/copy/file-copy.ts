// Whole files in and out of bundles: measured first (size and data, so a job
// knows its total before it starts), then copied sparse with their checksum
// and flushed to disk before anyone relies on them. Files are open ones —
// a FileHandle of ours, or a descriptor another process opened and handed
// down (the guest-files helper gives its workers the guest's files so) —
// and a few helpers take paths where the caller's process may open them.

import { constants, fdatasync, fstat, fsync, ftruncate, read, write, close } from 'node:fs';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';
import { openRegularFile } from '../access/caller-files.js';
import { dataBytes, dataMap, type Extent } from './data-map.js';
import { copySparse, type RandomAccessFile } from './sparse-copy.js';

/** An open file a copy can read, write, size and flush. FileHandle is one. */
export interface OpenFile extends RandomAccessFile {
  readonly fd: number;
  stat(): Promise<{ size: number; isFile(): boolean }>;
  truncate(length: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** What a file holds: its apparent size and where its data is. */
export interface FileContent {
  /** Apparent size in bytes. */
  size: number;
  extents: Extent[];
  /** Bytes the file actually stores (its data extents). */
  dataBytes: number;
}

export interface MeasuredFile extends FileContent {
  path: string;
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

const readAsync = promisify(read);
const writeAsync = promisify(write);
const fstatAsync = promisify(fstat);
const ftruncateAsync = promisify(ftruncate);
const fsyncAsync = promisify(fsync);
const fdatasyncAsync = promisify(fdatasync);
const closeAsync = promisify(close);

/**
 * A descriptor this process was handed (fd 3… of a worker) as an OpenFile:
 * Node makes FileHandles only of files it opens itself, and reopening one
 * through /proc would check the file's permissions against us again — the
 * very thing the descriptor is handed down to spare.
 */
export function descriptorFile(fd: number): OpenFile {
  return {
    fd,
    // promisify(read) and promisify(write) resolve to { bytesRead | bytesWritten, buffer }.
    read: (buffer, offset, length, position) => readAsync(fd, buffer, offset, length, position),
    write: (buffer, offset, length, position) => writeAsync(fd, buffer, offset, length, position),
    datasync: () => fdatasyncAsync(fd),
    stat: () => fstatAsync(fd),
    truncate: (length) => ftruncateAsync(fd, length),
    sync: () => fsyncAsync(fd),
    close: () => closeAsync(fd),
  };
}

/** The size and data extents of an open regular file. */
export async function measureOpenFile(file: OpenFile): Promise<FileContent> {
  const stat = await file.stat();
  if (!stat.isFile()) throw new Error('not a regular file');
  const extents = await dataMap(file, stat.size);
  return { size: stat.size, extents, dataBytes: dataBytes(extents) };
}

/**
 * Copies `content` of `source` into `target` (emptied first: all holes,
 * then only the data written, so it ends as sparse as the source) and
 * returns its checksum; the copy is on disk (fsync) when this resolves.
 */
export async function copyOpenFile(
  source: OpenFile,
  content: FileContent,
  target: OpenFile,
  options: FileCopyOptions = {},
): Promise<CopiedFile> {
  const stat = await source.stat();
  if (stat.size !== content.size) throw new Error(`the file changed size (${stat.size} bytes, was ${content.size})`);
  await target.truncate(0);
  await target.truncate(content.size);
  const checksum = await copySparse(source, target, content.size, content.extents, options);
  await target.sync();
  return { size: content.size, checksum };
}

/** Checksums an open file's content without copying it. */
export async function checksumOpenFile(
  source: OpenFile,
  content: FileContent,
  options: FileCopyOptions = {},
): Promise<string> {
  return copySparse(source, undefined, content.size, content.extents, options);
}

export async function measureFile(path: string): Promise<MeasuredFile> {
  const file = await openRegularFile(path, constants.O_NOFOLLOW);
  if (!file) throw new Error(`${path} is not a regular file`);
  try {
    return { path, ...(await measureOpenFile(file)) };
  } finally {
    await file.close();
  }
}

/** Checksums a measured file without copying it. */
export async function checksumFile(source: MeasuredFile, options: FileCopyOptions = {}): Promise<string> {
  return withSource(source, (file) => checksumOpenFile(file, source, options));
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
      return await copyOpenFile(file, source, target, options);
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

async function withSource<T>(source: MeasuredFile, use: (file: OpenFile) => Promise<T>): Promise<T> {
  const file = await openRegularFile(source.path, constants.O_NOFOLLOW);
  if (!file) throw new Error(`${source.path} is no longer a regular file`);
  try {
    return await use(file);
  } finally {
    await file.close();
  }
}
