// Where a file keeps its data, so a copy reads and writes only that and a
// sparse disk stays sparse: qemu-img map asks the kernel (SEEK_DATA and
// SEEK_HOLE, as cp does) on the very file we opened, read as raw bytes
// whatever it holds (-f raw: nothing in a guest's disk is ever probed),
// sharing it with a QEMU that runs it (-U: no lock taken). Node has no lseek.
// qemu-img reopens our descriptor through /proc/self/fd, which checks the
// file's permissions again: only the process that opened a file measures it
// (the helper its guests' files, a worker the caller's), never one it was
// handed down to. Where that fails, the whole file counts as data and the
// copy still skips blocks of zeros (cp --sparse=always's way), only slower:
// never a byte lost.

import { spawnOwned } from '../owned-process.js';
import { log } from '../log.js';
import { errorMessage } from '../errors.js';

export interface Extent {
  /** Bytes from the start of the file. */
  offset: number;
  length: number;
}

const MAP_TIMEOUT_MS = 30_000;
let warnedFallback = false;

/** The whole file as one extent. */
export function wholeFile(size: number): Extent[] {
  return size > 0 ? [{ offset: 0, length: size }] : [];
}

/** One entry of `qemu-img map --output=json`: a stretch of the file and whether it holds data. */
interface MapEntry {
  start: unknown;
  length: unknown;
  data: unknown;
}

/**
 * The data extents in `qemu-img map --output=json`'s answer for a file of
 * `size` bytes: in order, apart, adjacent ones joined, the last cut at the
 * file's end (qemu counts whole 512-byte sectors). Anything else is an error.
 */
export function parseDataMap(json: string, size: number): Extent[] {
  const entries: unknown = JSON.parse(json);
  if (!Array.isArray(entries)) throw new Error('the data map is not a list');
  const extents: Extent[] = [];
  let end = 0;
  for (const entry of entries as MapEntry[]) {
    const { start, length, data } = entry ?? {};
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || typeof data !== 'boolean') {
      throw new Error(`unexpected data map entry ${JSON.stringify(entry).slice(0, 80)}`);
    }
    const offset = start as number;
    if ((length as number) <= 0 || offset < end) throw new Error(`data map entry ${offset}+${length} out of order`);
    end = offset + (length as number);
    if (!data || offset >= size) continue;
    const extent = { offset, length: Math.min(end, size) - offset };
    const last = extents.at(-1);
    if (last && last.offset + last.length === offset) last.length += extent.length;
    else extents.push(extent);
  }
  if (end < size) throw new Error(`the data map ends at ${end}, before the file's end (${size})`);
  return extents;
}

export function dataBytes(extents: readonly Extent[]): number {
  return extents.reduce((sum, e) => sum + e.length, 0);
}

/** The data extents of an open regular file of `size` bytes, opened by this process. */
export async function dataMap(file: { fd: number }, size: number): Promise<Extent[]> {
  try {
    return parseDataMap(await runQemuImgMap(file), size);
  } catch (error) {
    if (!warnedFallback) {
      warnedFallback = true;
      log.warning(`no data map (${errorMessage(error)}); copying whole files, skipping zeros`);
    }
    return wholeFile(size);
  }
}

function runQemuImgMap(file: { fd: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    // The file is qemu-img's standard input, named by descriptor: no path of the file's is looked up.
    const args = ['map', '-U', '-f', 'raw', '--output=json', '/proc/self/fd/0'];
    const child = spawnOwned('qemu-img', args, { stdio: [file.fd, 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), MAP_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out).toString());
      else reject(new Error(`qemu-img map ${signal ?? `exited ${code}`}: ${Buffer.concat(err).toString().trim()}`));
    });
  });
}
