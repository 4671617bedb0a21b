// The sparse copy on real files of this machine's file system: the bytes,
// the holes and the checksum.

import { mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync, closeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checksumOf } from '../../service/copy/block-checksum.js';
import {
  checksumFile,
  copyFileTo,
  copyOpenFile,
  descriptorFile,
  measureFile,
  measureOpenFile,
} from '../../service/copy/file-copy.js';

const dir = mkdtempSync(join(tmpdir(), 'phyllome-sparse-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1024 * 1024;

/** A 64 MiB file: data at a few places, one allocated stretch of zeros, holes elsewhere. */
function makeSparseFile(path: string): void {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, 64 * MiB);
  writeSync(fd, Buffer.alloc(3 * MiB + 5, 0xa5), 0, 3 * MiB + 5, 1 * MiB);
  writeSync(fd, Buffer.alloc(2 * MiB, 0), 0, 2 * MiB, 20 * MiB); // allocated, but zeros
  const tail = Buffer.from('the end of the disk');
  writeSync(fd, tail, 0, tail.length, 64 * MiB - tail.length);
  closeSync(fd);
}

describe('a sparse copy', () => {
  const source = join(dir, 'source.img');
  makeSparseFile(source);

  it('reads only the data, copies every byte, keeps the holes and checksums the content', async () => {
    const measured = await measureFile(source);
    expect(measured.size).toBe(64 * MiB);
    // The kernel reports the data extents (page-aligned): far less than the file.
    expect(measured.dataBytes).toBeGreaterThanOrEqual(3 * MiB + 5);
    expect(measured.dataBytes).toBeLessThan(16 * MiB);
    let reported = 0;
    const target = join(dir, 'copy.img');
    const copied = await copyFileTo(measured, target, 'create', { onBytes: (n) => (reported += n) });
    expect(reported).toBe(measured.dataBytes);
    const content = readFileSync(source);
    expect(readFileSync(target).equals(content)).toBe(true);
    expect(copied.checksum).toBe(checksumOf(content));
    expect(await checksumFile(measured)).toBe(copied.checksum);
    // Holes stay holes, and the allocated zeros became one.
    expect(statSync(target).blocks * 512).toBeLessThanOrEqual(statSync(source).blocks * 512);
    expect(statSync(target).blocks * 512).toBeLessThan(6 * MiB);
    expect(statSync(target).mode & 0o777).toBe(0o600);
  });

  it('never overwrites a file when creating', async () => {
    const measured = await measureFile(source);
    const existing = join(dir, 'existing.img');
    const fd = openSync(existing, 'w');
    writeSync(fd, Buffer.from('kept as it was'));
    closeSync(fd);
    await expect(copyFileTo(measured, existing, 'create')).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(existing, 'utf8')).toBe('kept as it was');
  });

  it('overwrites a file it is told to, leaving nothing of it', async () => {
    const target = join(dir, 'volume.img');
    const fd = openSync(target, 'w');
    writeSync(fd, Buffer.alloc(70 * MiB, 0xff));
    closeSync(fd);
    await copyFileTo(await measureFile(source), target, 'overwrite');
    expect(readFileSync(target).equals(readFileSync(source))).toBe(true);
  });

  it('stops when aborted, with every read and write settled', async () => {
    const controller = new AbortController();
    const target = join(dir, 'aborted.img');
    let calls = 0;
    const copying = copyFileTo(await measureFile(source), target, 'create', {
      signal: controller.signal,
      onBytes: () => {
        if (++calls === 2) controller.abort(new Error('stop'));
      },
    });
    await expect(copying).rejects.toThrow('stop');
  });

  it('copies between descriptors handed down from another process as between files it opened', async () => {
    // A worker gets the guest's files as bare descriptors: no path, no FileHandle.
    const source = descriptorFile(openSync(join(dir, 'source.img'), 'r'));
    const target = descriptorFile(openSync(join(dir, 'by-descriptor.img'), 'w+', 0o600));
    try {
      const content = await measureOpenFile(source);
      expect(content).toMatchObject({ size: 64 * MiB, extents: (await measureFile(join(dir, 'source.img'))).extents });
      const copied = await copyOpenFile(source, content, target);
      expect(readFileSync(join(dir, 'by-descriptor.img')).equals(readFileSync(join(dir, 'source.img')))).toBe(true);
      expect(copied.checksum).toBe(checksumOf(readFileSync(join(dir, 'source.img'))));
      expect(statSync(join(dir, 'by-descriptor.img')).blocks * 512).toBeLessThan(6 * MiB);
    } finally {
      await source.close();
      await target.close();
    }
  });
});
