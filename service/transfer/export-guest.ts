// Export: a guest that is off, written to a bundle — its definition (our
// metadata inside), its disks kept sparse, its UEFI variables and TPM state,
// and a manifest with a checksum per file, written last. All of it goes into
// a hidden temporary directory that is renamed to the bundle's name only
// when complete and on disk, so an interrupted export never looks finished.

import { randomBytes } from 'node:crypto';
import { access, constants, lchown, lstat, mkdir, open, rename, stat, statfs, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { callerPath, refusePseudoFileSystem, viewAsCaller, W, X, type FileCaller } from '../dbus/caller-files.js';
import { alreadyExists, invalidArgument, invalidState, noSuchFile, SwitcherError } from '../errors.js';
import type { Guest } from '../guests/guest.js';
import type { JobContext, JobOutcome } from '../jobs/job.js';
import { inactiveXml } from '../libvirt/domain.js';
import { checksumOf } from './block-checksum.js';
import { copyFileTo, syncDirectory, writeNewFile } from './file-copy.js';
import { readDefinition } from './guest-definition.js';
import { allFiles, dataTotal, gatherGuestFiles, type GuestFile } from './guest-files.js';
import {
  buildManifest,
  bundleName,
  DEFINITION_NAME,
  MANIFEST_NAME,
  serializeManifest,
  type BundleFile,
} from './manifest.js';
import { fileError, isOff, pathExists, Undo, whileShutOff, type TransferHost } from './transfer-context.js';
import { count } from '../readable.js';

export interface ExportPlan {
  guest: Guest;
  directory: string;
  bundlePath: string;
  definitionXml: string;
  files: GuestFile[];
  /** Who gets the bundle when the service (root) writes it for another user; undefined: the service keeps it. */
  owner: { uid: number; gid: number } | undefined;
  /** The export folder as checked (device and inode): the folder written into must still be that one. */
  directoryId: { dev: number; ino: number };
}

/**
 * A directory a caller names: absolute, there, a directory on a file system
 * that holds files, writable by us and by the caller (walked from / down as
 * the caller first: behind a folder closed to it, nothing is looked at).
 */
export async function checkDirectory(directory: string, what: string, caller: FileCaller | undefined): Promise<string> {
  const named = callerPath(directory, what);
  const view = await viewAsCaller(named, caller, W | X).catch((error: unknown) => {
    throw fileError(error, `use ${named}`);
  });
  if (view.kind === 'closed') {
    throw new SwitcherError('AccessDenied', `You cannot write into ${named}: ${view.where} is closed to you`);
  }
  if (view.kind === 'missing') throw noSuchFile(`No folder at ${named}`);
  // What it is first: a file where a folder is wanted is no question of rights.
  if (!view.stats.isDirectory()) throw invalidArgument(`${named} is not a folder`);
  // From here the folder as the walk found it, its symbolic links and '..' resolved as the kernel does.
  const path = view.path;
  await refusePseudoFileSystem(path, named);
  if (view.kind === 'denied') throw new SwitcherError('AccessDenied', `You cannot write into ${named}`);
  await access(path, constants.W_OK | constants.X_OK).catch((error: unknown) => {
    throw fileError(error, `write into ${path}`);
  });
  return path;
}

/**
 * The bundle's owner: the caller, when the service runs as root for
 * somebody else, in the target folder's group when the caller is of it.
 */
async function bundleOwner(directory: string, caller: FileCaller | undefined): Promise<ExportPlan['owner']> {
  if (!caller || process.getuid?.() !== 0 || caller.uid === 0) return undefined;
  const { gid } = await stat(directory);
  return { uid: caller.uid, gid: caller.gids.includes(gid) ? gid : (caller.gids[0] ?? caller.uid) };
}

/** Checks the request and measures what will be copied; throws before any job exists. */
export async function planExport(
  host: TransferHost,
  guest: Guest,
  directory: string,
  caller: FileCaller | undefined,
): Promise<ExportPlan> {
  if (!isOff(guest)) {
    throw invalidState(`${guest.name} is ${guest.state}; shut it down before exporting it`);
  }
  const target = await checkDirectory(directory, 'The export folder', caller);
  const bundlePath = join(target, bundleName(guest.name));
  if (await pathExists(bundlePath)) throw alreadyExists(`${bundlePath} already exists`);
  const definitionXml = await inactiveXml(host.client, guest.libvirtPath);
  const definition = readDefinition(definitionXml);
  const files = allFiles(await gatherGuestFiles(host, definition));
  const space = await statfs(target);
  const needed = dataTotal(files) + definitionXml.length;
  const free = space.bavail * space.bsize;
  if (free < needed) {
    throw invalidState(`${target} has ${count(free, 'byte')} free; the export needs ${count(needed, 'byte')}`);
  }
  const { dev, ino } = await stat(target);
  return {
    guest,
    directory: target,
    bundlePath,
    definitionXml,
    files,
    owner: await bundleOwner(target, caller),
    directoryId: { dev, ino },
  };
}

/**
 * The export folder is the caller's, who may rename things in it while we
 * write: the folder and our temporary directory are held open, and every
 * path we write goes through their descriptors (/proc/self/fd/N), so no
 * rename or symlink of the caller's can send the service's writes elsewhere.
 */
async function holdDirectory(path: string, expected?: { dev: number; ino: number }): Promise<FileHandle> {
  const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  const info = await handle.stat();
  if (expected && (info.dev !== expected.dev || info.ino !== expected.ino)) {
    await handle.close();
    throw invalidState(`${path} was replaced during the export; nothing was written`);
  }
  return handle;
}

const viaDescriptor = (handle: FileHandle): string => `/proc/self/fd/${handle.fd}`;

export async function runExport(host: TransferHost, plan: ExportPlan, job: JobContext): Promise<JobOutcome> {
  const name = plan.guest.name;
  const undo = new Undo();
  const guard = whileShutOff(host.registry, plan.guest.path, job.signal);
  const held: FileHandle[] = [];
  try {
    job.setTotal(dataTotal(plan.files));
    const folderHandle = await holdDirectory(plan.directory, plan.directoryId);
    held.push(folderHandle);
    const folder = viaDescriptor(folderHandle);
    const temporaryName = `.${bundleName(name)}.partial-${randomBytes(4).toString('hex')}`;
    await mkdir(join(folder, temporaryName), { mode: 0o700 });
    undo.tree(join(folder, temporaryName));
    const temporaryHandle = await holdDirectory(join(folder, temporaryName));
    held.push(temporaryHandle);
    const temporary = viaDescriptor(temporaryHandle);
    undo.contents(temporary);
    const definition = Buffer.from(plan.definitionXml);
    await writeNewFile(join(temporary, DEFINITION_NAME), definition);
    const entries: BundleFile[] = [
      { path: DEFINITION_NAME, role: 'definition', size: definition.length, checksum: checksumOf(definition) },
    ];
    const directories = new Set<string>([temporary]);
    const written = [join(temporary, DEFINITION_NAME), join(temporary, MANIFEST_NAME)];
    for (const file of plan.files) {
      const destination = join(temporary, file.bundlePath);
      written.push(destination);
      await mkdir(dirname(destination), { recursive: true, mode: 0o700 });
      directories.add(dirname(destination));
      const copied = await copyFileTo(file.file, destination, 'create', {
        signal: guard.signal,
        onBytes: (bytes) => job.advance(bytes),
      });
      entries.push({
        path: file.bundlePath,
        role: file.role,
        size: copied.size,
        checksum: copied.checksum,
        ...(file.target ? { target: file.target, format: file.format } : {}),
      });
    }
    guard.signal.throwIfAborted();
    // The guest must still be as it was exported: off, and defined the same way.
    if ((await inactiveXml(host.client, plan.guest.libvirtPath)) !== plan.definitionXml) {
      throw invalidState(`${name}'s definition changed during the export; nothing was kept`);
    }
    // libvirt's autostart flag is not in the definition: the manifest carries it.
    const manifest = buildManifest(
      { name, uuid: plan.guest.uuid, autostart: plan.guest.autostart },
      entries,
      new Date(),
    );
    await writeNewFile(join(temporary, MANIFEST_NAME), Buffer.from(serializeManifest(manifest)));
    if (plan.owner) {
      const { uid, gid } = plan.owner;
      for (const path of [...written, ...directories]) {
        // Our temporary directory is named by its descriptor's magic link: chown what it points at.
        if (path === temporary) await temporaryHandle.chown(uid, gid);
        else await lchown(path, uid, gid);
      }
    }
    for (const directory of [...directories].reverse()) await syncDirectory(directory);
    guard.signal.throwIfAborted();
    const bundle = join(folder, bundleName(name));
    if (await pathExists(bundle)) throw alreadyExists(`${plan.bundlePath} appeared during the export`);
    // What we rename must be the directory we wrote, not something put in its place.
    const [named, ours] = await Promise.all([lstat(join(folder, temporaryName)), temporaryHandle.stat()]);
    if (!named.isDirectory() || named.dev !== ours.dev || named.ino !== ours.ino) {
      throw invalidState(`The export's temporary folder in ${plan.directory} was moved during the export`);
    }
    await rename(join(folder, temporaryName), bundle);
    undo.forget();
    await syncDirectory(folder);
    return { result: plan.bundlePath, message: `Exported ${name} to ${plan.bundlePath}` };
  } catch (error) {
    await undo.run();
    throw fileError(error, `export ${name}`);
  } finally {
    guard.release();
    for (const handle of held.reverse()) await handle.close();
  }
}
