// How the guest-files helper, root, reaches files by path (run here as root,
// with folders of another user made for the test): links followed only
// where the system put them, files made only in folders that are the
// system's, never through a link, never over what is there, and a FIFO
// never waited on.

import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, lchownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInFolder, isSystemOwner, openFileByPath, openTrustedFolder } from '../../service/helper/trusted-path.js';

const NOBODY = 65534;
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'phyllome-trusted-'));
  chmodSync(work, 0o755);
  // root's own folder and file, a link root made to it
  mkdirSync(join(work, 'root', 'inner'), { recursive: true });
  writeFileSync(join(work, 'root', 'disk.img'), 'disk');
  symlinkSync(join(work, 'root', 'inner'), join(work, 'root', 'link'));
  // a folder of a person's (nobody here): a link they made in it, and a file
  mkdirSync(join(work, 'person'));
  writeFileSync(join(work, 'person', 'disk.img'), 'theirs');
  symlinkSync('/etc/shadow', join(work, 'person', 'shadow.img'));
  symlinkSync(join(work, 'root', 'inner'), join(work, 'person', 'to-root'));
  for (const path of ['person', 'person/disk.img']) chownSync(join(work, path), NOBODY, NOBODY);
  for (const path of ['person/shadow.img', 'person/to-root']) lchownSync(join(work, path), NOBODY, NOBODY);
  // a folder everyone may write, not sticky
  mkdirSync(join(work, 'open', 'below'), { recursive: true });
  chmodSync(join(work, 'open'), 0o777);
  execFileSync('mkfifo', [join(work, 'root', 'fifo.img')]);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the system owns', () => {
  it("root, us and its own accounts' folders, never a person's (nobody included)", () => {
    expect(isSystemOwner(0)).toBe(true);
    expect(isSystemOwner(64055)).toBe(true); // Debian's libvirt-qemu: above the people's range
    expect(isSystemOwner(102)).toBe(true); // tss, swtpm's user
    expect(isSystemOwner(1000)).toBe(false);
    expect(isSystemOwner(59999)).toBe(false);
    expect(isSystemOwner(NOBODY)).toBe(false);
  });
});

describe('a folder files are made in', () => {
  it('is opened through links the system made, and files are made there never over anything', async () => {
    const folder = await openTrustedFolder(join(work, 'root', 'link'));
    try {
      const file = await createInFolder(folder, 'VARS.fd', 0o600);
      await file.close();
      await expect(createInFolder(folder, 'VARS.fd', 0o600)).rejects.toMatchObject({ code: 'EEXIST' });
      symlinkSync('/etc/passwd', join(work, 'root', 'inner', 'planted'));
      await expect(createInFolder(folder, 'planted', 0o600)).rejects.toMatchObject({ code: 'EEXIST' });
      expect(() => createInFolder(folder, '../escape', 0o600)).toThrow(/not a file name/);
    } finally {
      await folder.close();
    }
  });

  it('is refused when a person could change what is in it, or on the way to it, or through their link', async () => {
    await expect(openTrustedFolder(join(work, 'person'))).rejects.toMatchObject({ code: 'EUNTRUSTED' });
    await expect(openTrustedFolder(join(work, 'open', 'below'))).rejects.toMatchObject({ code: 'EUNTRUSTED' });
    await expect(openTrustedFolder(join(work, 'person', 'to-root'))).rejects.toMatchObject({ code: 'EUNTRUSTED' });
  });

  it('is made where missing, each folder told before it is made', async () => {
    const made: string[] = [];
    const folder = await openTrustedFolder(join(work, 'root', 'new', 'deeper'), {
      mode: 0o711,
      making: async (path) => {
        made.push(path);
      },
    });
    await folder.close();
    expect(made).toEqual([join(work, 'root', 'new'), join(work, 'root', 'new', 'deeper')]);
  });
});

describe('a file read by path (a disk libvirt names)', () => {
  it('is opened in a folder of a person, but never through a link they put there', async () => {
    const theirs = await openFileByPath(join(work, 'person', 'disk.img'), constants.O_RDONLY, false);
    expect((await theirs.readFile()).toString()).toBe('theirs');
    await theirs.close();
    await expect(openFileByPath(join(work, 'person', 'shadow.img'), constants.O_RDONLY, false)).rejects.toMatchObject({
      code: 'EUNTRUSTED',
    });
    const ours = await openFileByPath(join(work, 'root', 'disk.img'), constants.O_RDONLY, true);
    await ours.close();
  });

  it('is no FIFO, found without waiting on it', async () => {
    await expect(openFileByPath(join(work, 'root', 'fifo.img'), constants.O_RDONLY, true)).rejects.toMatchObject({
      code: 'EFTYPE',
    });
  });
});
