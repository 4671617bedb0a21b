// Copies one file's content into another, keeping it sparse, and checksums
// it on the way (block-checksum.ts). Only the parts that hold data are read
// (data-map.ts); within them, runs of zeros are not written, so the copy's
// holes are at least the source's (cp --sparse=always does the same). Reads
// run ahead and writes behind, in libuv's thread pool, while this thread
// hashes; pieces of 1 MiB stay in the CPU's cache from read to write. What is
// written goes to disk as the copy goes (one fdatasync at a time, every
// FLUSH_EVERY), so the disk works while we read and hash and the caller's
// final fsync has little left; nor does the copy pile up dirty pages.

import { BlockChecksum, blockCount, CHECKSUM_BLOCK } from './block-checksum.js';
import type { Extent } from './data-map.js';

export const PIECE = 1024 * 1024;
const READ_AHEAD = 4;
const BUFFERS = READ_AHEAD + 2;
/** Runs of zeros this long (and aligned) are left as holes… */
const ZERO_UNIT = 64 * 1024;
/** …and a run's zero pages at either end too: holes as fine as the file system keeps them. */
const PAGE = 4096;
const ZEROS = Buffer.alloc(ZERO_UNIT);
/** Data pieces between two flushes of the target. */
const FLUSH_EVERY = (32 * 1024 * 1024) / PIECE;

/**
 * What a copy reads and writes through: a FileHandle of Node's, or a
 * descriptor inherited from another process (file-copy.ts's descriptorFile).
 */
export interface RandomAccessFile {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
}

export interface CopyOptions {
  signal?: AbortSignal;
  /** Called with the data bytes each piece added (sums to the extents' total). */
  onBytes?: (bytes: number) => void;
}

/** Data bytes per `unit`-sized stretch of the file, from its extents. */
export function dataPerUnit(size: number, extents: readonly Extent[], unit: number): number[] {
  const perUnit = new Array<number>(Math.ceil(size / unit)).fill(0);
  for (const { offset, length } of extents) {
    let position = offset;
    const end = offset + length;
    while (position < end) {
      const index = Math.floor(position / unit);
      const unitEnd = Math.min(end, (index + 1) * unit);
      perUnit[index] = (perUnit[index] ?? 0) + (unitEnd - position);
      position = unitEnd;
    }
  }
  return perUnit;
}

function isZero(buffer: Buffer, start: number, end: number): boolean {
  return buffer.subarray(start, end).equals(ZEROS.subarray(0, end - start));
}

/**
 * The non-zero runs of `data`, as [start, end) pairs: found in ZERO_UNITs,
 * then trimmed of whole zero pages at either end.
 */
export function nonZeroRuns(data: Uint8Array): [number, number][] {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const runs: [number, number][] = [];
  const trimmed = (start: number, end: number): [number, number] => {
    while (start + PAGE <= end && isZero(buffer, start, start + PAGE)) start += PAGE;
    while (end - PAGE >= start && end % PAGE === 0 && isZero(buffer, end - PAGE, end)) end -= PAGE;
    return [start, end];
  };
  let start = -1;
  for (let position = 0; position < buffer.length; position += ZERO_UNIT) {
    const end = Math.min(position + ZERO_UNIT, buffer.length);
    const zero = isZero(buffer, position, end);
    if (!zero && start < 0) start = position;
    if (zero && start >= 0) {
      runs.push(trimmed(start, position));
      start = -1;
    }
  }
  if (start >= 0) runs.push(trimmed(start, buffer.length));
  return runs;
}

/**
 * Reads `size` bytes of `source` whose data lies in `extents` and returns
 * their checksum; with a `target` (open for writing, all holes, `size` long)
 * writes the data there too. Throws the signal's reason when aborted; every
 * read and write has settled by the time it returns or throws.
 */
export async function copySparse(
  source: RandomAccessFile,
  target: RandomAccessFile | undefined,
  size: number,
  extents: readonly Extent[],
  options: CopyOptions = {},
): Promise<string> {
  const perPiece = dataPerUnit(size, extents, PIECE);
  const perBlock = dataPerUnit(size, extents, CHECKSUM_BLOCK);
  const dataPieces = perPiece.flatMap((bytes, index) => (bytes > 0 ? [index] : []));
  const buffers = Array.from({ length: Math.min(BUFFERS, dataPieces.length) }, () => Buffer.allocUnsafe(PIECE));
  const writes: Promise<void>[] = buffers.map(() => Promise.resolve());
  const reads: Promise<Buffer>[] = [];
  const inFlight: Promise<unknown>[] = [];
  const pieceLength = (piece: number): number => Math.min(PIECE, size - piece * PIECE);
  const issue = (k: number): void => {
    const piece = dataPieces[k] as number;
    const slot = k % buffers.length;
    const read = (writes[slot] as Promise<void>).then(() =>
      readFully(source, buffers[slot] as Buffer, pieceLength(piece), piece * PIECE),
    );
    read.catch(() => undefined); // awaited below, or settled in finally
    reads[k] = read;
    inFlight.push(read);
  };
  const checksum = new BlockChecksum(size);
  const piecesPerBlock = CHECKSUM_BLOCK / PIECE;
  let flushing = false;
  /** Starts writing to disk what was written so far, unless a flush is under way. */
  const flush = (file: RandomAccessFile): void => {
    if (flushing) return;
    flushing = true;
    const flushed = Promise.all(writes)
      .then(() => file.datasync())
      .finally(() => (flushing = false));
    flushed.catch(() => undefined); // a failing disk fails the writes, or the caller's fsync
    inFlight.push(flushed);
  };
  try {
    for (let k = 0; k < Math.min(READ_AHEAD, dataPieces.length); k++) issue(k);
    let k = 0;
    for (let block = 0; block < blockCount(size); block++) {
      options.signal?.throwIfAborted();
      if (perBlock[block] === 0) {
        checksum.addHole(block);
        continue;
      }
      const firstPiece = block * piecesPerBlock;
      for (let piece = firstPiece; piece < Math.min(firstPiece + piecesPerBlock, perPiece.length); piece++) {
        if (perPiece[piece] === 0) {
          checksum.addZeros(pieceLength(piece));
          continue;
        }
        if (k + READ_AHEAD < dataPieces.length) issue(k + READ_AHEAD);
        const data = await (reads[k] as Promise<Buffer>);
        checksum.addData(data);
        if (target) {
          const write = writeRuns(target, data, piece * PIECE);
          write.catch(() => undefined);
          writes[k % buffers.length] = write;
          inFlight.push(write);
          if ((k + 1) % FLUSH_EVERY === 0) flush(target);
        }
        options.onBytes?.(perPiece[piece] as number);
        k++;
      }
    }
    await Promise.all(writes);
    return checksum.digest();
  } finally {
    // Nothing may touch the files once the caller closes them.
    await Promise.allSettled(inFlight);
  }
}

async function readFully(file: RandomAccessFile, buffer: Buffer, length: number, position: number): Promise<Buffer> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw new Error(`the file ended at ${position + done} bytes, before its size`);
    done += bytesRead;
  }
  return buffer.subarray(0, length);
}

async function writeRuns(file: RandomAccessFile, data: Buffer, position: number): Promise<void> {
  await Promise.all(
    nonZeroRuns(data).map(async ([start, end]) => {
      let done = start;
      while (done < end) {
        const { bytesWritten } = await file.write(data, done, end - done, position + done);
        done += bytesWritten;
      }
    }),
  );
}
