// The checksum a bundle's manifest gives each file: SHA-256 over the
// SHA-256 digests of the file's 4 MiB blocks, in order (the last block may be
// shorter; an empty file has none). A block the file does not store (a
// hole) reads as zeros, so its digest is known without reading it: the
// checksum of a sparse disk costs only its data, and it depends only on the
// content, never on which file system kept which zeros.

import { createHash, type Hash } from 'node:crypto';

export const CHECKSUM_BLOCK = 4 * 1024 * 1024;
/** How the manifest names this scheme. */
export const CHECKSUM_ALGORITHM = 'sha256-4MiB-blocks';

const zeroDigests = new Map<number, Buffer>();
const ZEROS = Buffer.alloc(1024 * 1024);

/** The digest of a block of `length` zeros (computed once per length). */
export function zeroBlockDigest(length: number): Buffer {
  let digest = zeroDigests.get(length);
  if (!digest) {
    digest = createHash('sha256').update(Buffer.alloc(length)).digest();
    zeroDigests.set(length, digest);
  }
  return digest;
}

export function blockCount(size: number): number {
  return Math.ceil(size / CHECKSUM_BLOCK);
}

export function blockLength(size: number, index: number): number {
  return Math.min(CHECKSUM_BLOCK, size - index * CHECKSUM_BLOCK);
}

/**
 * Takes a file's content from start to end: whole blocks that are holes,
 * and the bytes of the others in pieces of any length.
 */
export class BlockChecksum {
  private readonly outer: Hash = createHash('sha256');
  private inner: Hash | undefined;
  /** Bytes of the file taken so far. */
  private position = 0;

  constructor(readonly size: number) {}

  /** Block `index`, next in order, is all zeros. */
  addHole(index: number): void {
    if (this.inner || index * CHECKSUM_BLOCK !== this.position || index >= blockCount(this.size)) {
      throw new Error(`hole block ${index} out of order at ${this.position}`);
    }
    const length = blockLength(this.size, index);
    this.outer.update(zeroBlockDigest(length));
    this.position += length;
  }

  /** The next bytes of the file (within the file; may span blocks). */
  addData(data: Uint8Array): void {
    let offset = 0;
    while (offset < data.length) {
      const take = Math.min(data.length - offset, this.roomInBlock());
      this.innerHash().update(data.subarray(offset, offset + take));
      this.advance(take);
      offset += take;
    }
  }

  /** The next `length` bytes of the file are zeros (inside a block that holds data). */
  addZeros(length: number): void {
    let left = length;
    while (left > 0) {
      const take = Math.min(left, this.roomInBlock(), ZEROS.length);
      this.innerHash().update(ZEROS.subarray(0, take));
      this.advance(take);
      left -= take;
    }
  }

  /** The hex checksum, once the whole file was given. */
  digest(): string {
    if (this.position !== this.size || this.inner) {
      throw new Error(`checksum of ${this.size} bytes was given ${this.position}`);
    }
    return this.outer.digest('hex');
  }

  private roomInBlock(): number {
    const room = CHECKSUM_BLOCK - (this.position % CHECKSUM_BLOCK);
    const left = this.size - this.position;
    if (left <= 0) throw new Error(`more than ${this.size} bytes given`);
    return Math.min(room, left);
  }

  private innerHash(): Hash {
    this.inner ??= createHash('sha256');
    return this.inner;
  }

  private advance(bytes: number): void {
    this.position += bytes;
    if (this.position % CHECKSUM_BLOCK === 0 || this.position === this.size) {
      this.outer.update((this.inner as Hash).digest());
      this.inner = undefined;
    }
  }
}

/** The checksum of bytes held in memory (definitions, small files). */
export function checksumOf(data: Uint8Array): string {
  const checksum = new BlockChecksum(data.length);
  checksum.addData(data);
  return checksum.digest();
}
