// The qcow2 header check of imported images, on images made by the real
// qemu-img (every way an image can reach outside itself) and on headers
// written by hand where qemu-img makes none (unknown features, damage).

import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  imageRefusal,
  parseQcow2Header,
  QCOW2_HEADER_BYTES,
  qcow2Problems,
} from '../../service/helper/qcow2-header.js';

let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'phyllome-qcow2-'));
  image('base.raw', '-f', 'raw', '1M');
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/**
 * Makes an image with qemu-img create (its options, then its size when the
 * last argument is one) and returns its first bytes, as the helper reads them.
 */
function image(name: string, ...args: string[]): Buffer {
  const path = join(work, name);
  const size = /^\d+[KMG]$/.test(args.at(-1) ?? '') ? [args.pop() as string] : [];
  const create = (): void => {
    execFileSync('qemu-img', ['create', '-q', ...args.map((a) => a.replaceAll('@', work)), path, ...size], {
      stdio: 'pipe',
    });
  };
  // LUKS times its key derivation by the CPU time it gets; on a busy machine qemu-img may measure
  // none ("Unable to get accurate CPU usage") and refuse: that is qemu-img's, so ask it again.
  for (let attempt = 1; ; attempt++) {
    try {
      create();
      break;
    } catch (error) {
      const said = String((error as { stderr?: Buffer }).stderr ?? '');
      if (attempt >= 10 || !said.includes('Unable to get accurate CPU usage')) throw error;
    }
  }
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(QCOW2_HEADER_BYTES);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

describe('a qcow2 image that holds its own data', () => {
  it('is taken, version 3 and version 2 (compat 0.10), with zstd compression and extended L2 entries', () => {
    for (const [name, options] of [
      ['v3.qcow2', ['-f', 'qcow2', '1M']],
      ['v2.qcow2', ['-f', 'qcow2', '-o', 'compat=0.10', '1M']],
      ['zstd.qcow2', ['-f', 'qcow2', '-o', 'compression_type=zstd', '1M']],
      ['l2.qcow2', ['-f', 'qcow2', '-o', 'extended_l2=on,cluster_size=64k', '1M']],
    ] as const) {
      const bytes = image(name, ...options);
      expect([name, imageRefusal('qcow2', bytes)]).toEqual([name, undefined]);
    }
    const header = parseQcow2Header(image('size.qcow2', '-f', 'qcow2', '5G'));
    expect(header.virtualSize).toBe(5n * 1024n ** 3n);
    expect(header.version).toBe(3);
  });
});

describe('a qcow2 image that reaches outside itself', () => {
  it('is refused for a backing file, naming it', () => {
    const bytes = image('overlay.qcow2', '-f', 'qcow2', '-b', '@/base.raw', '-F', 'raw');
    expect(imageRefusal('qcow2', bytes)).toBe(`it is a qcow2 image with a backing file (${work}/base.raw)`);
  });

  it('is refused for an external data file, by its feature bit and its name', () => {
    const bytes = image('data.qcow2', '-f', 'qcow2', '-o', 'data_file=@/data.raw', '1M');
    expect(imageRefusal('qcow2', bytes)).toBe('it is a qcow2 image with an external data file');
    const header = parseQcow2Header(bytes);
    expect(header.extensions).toContain(0x44415441);
  });

  it('is refused for encryption, whose keys do not travel', () => {
    const bytes = image(
      'luks.qcow2',
      '--object',
      'secret,id=sec0,data=phyllome',
      '-f',
      'qcow2',
      '-o',
      'encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=10',
      '1M',
    );
    expect(imageRefusal('qcow2', bytes)).toBe('it is a qcow2 image with LUKS encryption, whose keys do not travel');
  });

  it('is refused for an incompatible feature it does not know, or the corrupt mark', () => {
    const bytes = Buffer.from(image('plain.qcow2', '-f', 'qcow2', '1M'));
    bytes.writeBigUInt64BE(1n << 40n, 72);
    expect(imageRefusal('qcow2', bytes)).toBe(
      'it is a qcow2 image with incompatible features unknown here (0x10000000000)',
    );
    bytes.writeBigUInt64BE(2n, 72);
    expect(qcow2Problems(parseQcow2Header(bytes))).toEqual(['the mark of a corrupt image']);
  });

  it('is refused for a backing file format extension even without a backing name', () => {
    const bytes = Buffer.from(image('ext.qcow2', '-f', 'qcow2', '1M'));
    const headerLength = bytes.readUInt32BE(100);
    // The first extension's type, rewritten: what follows the header is read as extensions.
    bytes.writeUInt32BE(0xe2792aca, headerLength);
    expect(imageRefusal('qcow2', bytes)).toMatch(/a backing file format/);
  });
});

describe('what is not a qcow2 image this reads', () => {
  it('is refused as what it is: another format, no magic, version 1, cut short, extensions past the cluster', () => {
    expect(imageRefusal('vmdk', Buffer.alloc(512))).toBe('it is a vmdk image; only raw and qcow2 images are taken');
    expect(imageRefusal('qcow2', Buffer.alloc(512))).toMatch(/not a qcow2 image/);
    const v1 = Buffer.from(image('v1.qcow2', '-f', 'qcow2', '1M'));
    v1.writeUInt32BE(1, 4);
    expect(imageRefusal('qcow2', v1)).toMatch(/version 1/);
    expect(imageRefusal('qcow2', image('cut.qcow2', '-f', 'qcow2', '1M').subarray(0, 50))).toMatch(/cut short/);
    const runaway = Buffer.from(image('runaway.qcow2', '-f', 'qcow2', '1M'));
    runaway.writeUInt32BE(0x12345678, runaway.readUInt32BE(100));
    runaway.writeUInt32BE(0x7fffffff, runaway.readUInt32BE(100) + 4);
    expect(imageRefusal('qcow2', runaway)).toMatch(/past its first cluster/);
  });

  it('is not asked of raw images: libvirt is told they are raw, so a qcow2 header in one is only bytes', () => {
    const bytes = image('looks.qcow2', '-f', 'qcow2', '-b', '@/base.raw', '-F', 'raw');
    expect(imageRefusal('raw', bytes)).toBeUndefined();
  });
});
