// The caller's side of Export, run as the caller: the export folder checked
// (a folder the caller may write into, on a file system that holds files,
// with room), then the bundle written there from the guest's files the
// helper handed down read-only — under a hidden temporary name, renamed
// only when complete and on disk. Whatever the caller renames or links in
// their folder meanwhile can only move writes made with their own rights.

import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, mkdir, open, readdir, rename, rm, statfs, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { callerPath, refusePseudoFileSystem, viewAsCaller, W, X, type FileCaller } from '../access/caller-files.js';
import { alreadyExists, invalidArgument, invalidState, noSuchFile, SwitcherError } from '../errors.js';
import { count } from '../readable.js';
import { checksumOf } from '../copy/block-checksum.js';
import { dataBytes } from '../copy/data-map.js';
import { copyOpenFile, descriptorFile, syncDirectory, writeNewFile } from '../copy/file-copy.js';
import {
  buildManifest,
  DEFINITION_NAME,
  MANIFEST_NAME,
  serializeManifest,
  type BundleFile,
} from '../bundle/manifest.js';
import { fileError } from '../copy/file-error.js';
import type { WorkerTask } from './protocol.js';

export interface WorkContext {
  signal: AbortSignal;
  onBytes: (bytes: number) => void;
}

/** The name an export writes under until it is complete: hidden, and never a bundle's. */
export function temporaryBundleName(bundleName: string): string {
  return `.${bundleName}.partial-${randomBytes(4).toString('hex')}`;
}

const PARTIAL = /^\.[A-Za-z0-9+][A-Za-z0-9._+-]{0,99}\.phyllome\.partial-[0-9a-f]{8}$/;

/**
 * The export folder as the caller names it: absolute, there, a folder on a
 * file system that holds files, one they may write into. Returns it as the
 * kernel resolves it (links, then '..').
 */
export async function checkFolder(directory: string, as: FileCaller): Promise<string> {
  const named = callerPath(directory, 'The export folder');
  const view = await viewAsCaller(named, as, W | X).catch((error: unknown) => {
    throw fileError(error, `use ${named}`);
  });
  if (view.kind === 'closed') {
    throw new SwitcherError('AccessDenied', `You cannot write into ${named}: ${view.where} is closed to you`);
  }
  if (view.kind === 'missing') throw noSuchFile(`No folder at ${named}`);
  // What it is first: a file where a folder is wanted is no question of rights.
  if (!view.stats.isDirectory()) throw invalidArgument(`${named} is not a folder`);
  const path = view.path;
  await refusePseudoFileSystem(path, named);
  if (view.kind === 'denied') throw new SwitcherError('AccessDenied', `You cannot write into ${named}`);
  await access(path, constants.W_OK | constants.X_OK).catch((error: unknown) => {
    throw fileError(error, `write into ${path}`);
  });
  return path;
}

/** The plan's check, before any job: the folder, no bundle of that name yet, and room for `needed` bytes. */
export async function planFolder(
  directory: string,
  bundleName: string,
  needed: number,
  as: FileCaller,
): Promise<{ directory: string; bundlePath: string }> {
  const target = await checkFolder(directory, as);
  const bundlePath = join(target, bundleName);
  if (await exists(bundlePath)) throw alreadyExists(`${bundlePath} already exists`);
  const space = await statfs(target);
  const free = space.bavail * space.bsize;
  if (free < needed) {
    throw invalidState(`${target} has ${count(free, 'byte')} free; the export needs ${count(needed, 'byte')}`);
  }
  return { directory: target, bundlePath };
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

/** A folder held open, so every path below it is its descriptor's (/proc/self/fd/N), whatever is renamed. */
async function hold(path: string): Promise<FileHandle> {
  return open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
}

const through = (handle: FileHandle): string => `/proc/self/fd/${handle.fd}`;

/** An export as the helper asks for it (protocol.ts). */
export type ExportTask = Omit<Extract<WorkerTask, { op: 'export' }>, 'op' | 'walkAs'>;

/** What a worker answers when its plan stands (and waits for 'go'). */
export interface PlannedBundle {
  directory: string;
  bundlePath: string;
}

/**
 * Checks the folder (as planFolder), tells `planned` and waits for it to
 * resolve (the helper's 'go'), then writes the bundle into the folder it
 * checked, held open from then on; `copied` resolves once the helper has
 * found the guest unchanged (or rejects to undo). Resolves to the bundle's
 * path.
 */
export async function writeBundle(
  task: ExportTask,
  work: WorkContext,
  steps: { planned: (plan: PlannedBundle) => Promise<void>; copied: () => Promise<void> },
  as: FileCaller,
): Promise<string> {
  if (!PARTIAL.test(task.temporaryName)) throw new Error(`not a temporary bundle name: ${task.temporaryName}`);
  const plan = await planFolder(task.directory, task.bundleName, task.needed, as);
  const target = plan.directory;
  const folderHandle = await hold(target);
  const held: FileHandle[] = [folderHandle];
  const folder = through(folderHandle);
  let temporaryHandle: FileHandle | undefined;
  let made = false;
  try {
    await steps.planned(plan);
    await mkdir(join(folder, task.temporaryName), { mode: 0o700 });
    made = true;
    temporaryHandle = await hold(join(folder, task.temporaryName));
    held.push(temporaryHandle);
    const temporary = through(temporaryHandle);
    const definition = Buffer.from(task.definition);
    await writeNewFile(join(temporary, DEFINITION_NAME), definition);
    const entries: BundleFile[] = [
      { path: DEFINITION_NAME, role: 'definition', size: definition.length, checksum: checksumOf(definition) },
    ];
    const directories = new Set<string>([temporary]);
    for (const file of task.files) {
      work.signal.throwIfAborted();
      const destination = join(temporary, file.bundlePath);
      await mkdir(dirname(destination), { recursive: true, mode: 0o700 });
      directories.add(dirname(destination));
      const source = descriptorFile(file.fd);
      const out = await open(
        destination,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o600,
      );
      try {
        const content = { size: file.size, extents: file.extents, dataBytes: dataBytes(file.extents) };
        const result = await copyOpenFile(source, content, out, { signal: work.signal, onBytes: work.onBytes });
        entries.push({
          path: file.bundlePath,
          role: file.role,
          size: result.size,
          checksum: result.checksum,
          ...(file.target ? { target: file.target, format: file.format } : {}),
          ...(file.flattened ? { flattened: true } : {}),
        });
      } finally {
        await out.close();
      }
    }
    work.signal.throwIfAborted();
    // The helper checks the guest is still off and defined the same way before anything is kept.
    await steps.copied();
    const manifest = buildManifest(task.guest, entries, new Date());
    await writeNewFile(join(temporary, MANIFEST_NAME), Buffer.from(serializeManifest(manifest)));
    for (const directory of [...directories].reverse()) await syncDirectory(directory);
    work.signal.throwIfAborted();
    const bundle = join(folder, task.bundleName);
    if (await exists(bundle)) throw alreadyExists(`${join(target, task.bundleName)} appeared during the export`);
    // What is renamed must be the folder written, not something put in its place.
    const [named, ours] = await Promise.all([lstat(join(folder, task.temporaryName)), temporaryHandle.stat()]);
    if (!named.isDirectory() || named.dev !== ours.dev || named.ino !== ours.ino) {
      throw invalidState(`The export's temporary folder in ${target} was moved during the export`);
    }
    await rename(join(folder, task.temporaryName), bundle);
    made = false;
    await syncDirectory(folder);
    return join(target, task.bundleName);
  } catch (error) {
    if (made) await undo(folder, task.temporaryName, temporaryHandle);
    throw error;
  } finally {
    for (const handle of held.reverse()) await handle.close();
  }
}

/**
 * Empties the temporary folder wherever it has been moved to (through its
 * descriptor), then removes it by name if what has that name is still it.
 */
async function undo(folder: string, temporaryName: string, temporary: FileHandle | undefined): Promise<void> {
  if (temporary) {
    const inside = through(temporary);
    for (const entry of await readdir(inside).catch(() => [])) {
      await rm(join(inside, entry), { recursive: true, force: true }).catch(() => undefined);
    }
  }
  const named = await lstat(join(folder, temporaryName)).catch(() => undefined);
  if (!named) return;
  const ours = temporary ? await temporary.stat().catch(() => undefined) : undefined;
  if (named.isDirectory() && ours && named.dev === ours.dev && named.ino === ours.ino) {
    await rm(join(folder, temporaryName), { recursive: true, force: true }).catch(() => undefined);
  } else if (named.isSymbolicLink()) {
    // Put there by the caller in place of ours: removed as the name we gave, never followed.
    await rm(join(folder, temporaryName), { force: true }).catch(() => undefined);
  }
}

/**
 * A temporary bundle folder a killed export left in the caller's folder,
 * removed as the caller (the helper's journal names it after a crash).
 */
export async function removePartial(directory: string, temporaryName: string): Promise<boolean> {
  if (!PARTIAL.test(temporaryName)) throw new Error(`not a temporary bundle name: ${temporaryName}`);
  const path = join(directory, temporaryName);
  const found = await lstat(path).catch(() => undefined);
  if (!found?.isDirectory()) return false;
  await rm(path, { recursive: true, force: true });
  return true;
}
