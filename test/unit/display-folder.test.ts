// The host-wide service's display folders (service/display/): the ACL bytes
// the relay writes, and the check that no caller can add, rename or remove
// anything on the way to a display socket.

import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDisplayFolder } from '../../service/display/display-sockets.js';
import { accessAcl, gioEscaped, READ, SEARCH, WRITE } from '../../service/display/posix-acl.js';

describe('an access ACL for one user', () => {
  it("is the kernel's system.posix_acl_access: the owner's, that user's, and nothing for anyone else", () => {
    const acl = accessAcl(READ | WRITE, 1000, READ | WRITE);
    // version 2; USER_OBJ rw; USER 1000 rw; GROUP_OBJ none; MASK rw; OTHER none (tag, perm, id; little-endian).
    expect(Buffer.from(acl).toString('hex')).toBe(
      '02000000' +
        '01000600ffffffff' +
        '02000600e8030000' +
        '04000000ffffffff' +
        '10000600ffffffff' +
        '20000000ffffffff',
    );
    expect(gioEscaped(accessAcl(READ | WRITE | SEARCH, 65534, SEARCH)).slice(0, 16)).toBe('\\x02\\x00\\x00\\x00');
  });

  it('gives the mode the kernel derives from it: the owner, the mask as the group, nothing for others', () => {
    const dir = mkdtempSync(join(tmpdir(), 'phyllome-acl-'));
    try {
      const file = join(dir, 'f');
      writeFileSync(file, '');
      chmodSync(file, 0o644);
      const hex = Buffer.from(accessAcl(READ | WRITE, 1000, READ | WRITE)).toString('hex');
      // Written as the relay's GIO would, by another writer of extended attributes.
      execFileSync('/usr/bin/python3', [
        '-c',
        `import os; os.setxattr(${JSON.stringify(file)}, 'system.posix_acl_access', bytes.fromhex('${hex}'))`,
      ]);
      expect(statSync(file).mode & 0o777).toBe(0o660);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the display folder', () => {
  let work = '';
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'phyllome-display-check-'));
    chmodSync(work, 0o755);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('is made where missing, the service’s own, users passing and nobody listing', async () => {
    const dir = join(work, 'made', 'display');
    expect(await checkDisplayFolder(dir)).toBe(dir);
    expect(statSync(dir).mode & 0o7777).toBe(0o711);
  });

  it('may be below a sticky folder anybody writes in, as /tmp', async () => {
    const sticky = join(work, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    expect(await checkDisplayFolder(join(sticky, 'display'))).toBe(join(sticky, 'display'));
  });

  it('is refused below a folder others may write in, or of another user, or when it is not the service’s', async () => {
    const open = join(work, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    await expect(checkDisplayFolder(join(open, 'display'))).rejects.toMatchObject({
      kind: 'ViewerFailed',
      message: expect.stringContaining(`${open}, above`),
    });
    const theirs = join(work, 'theirs');
    mkdirSync(theirs);
    chownSync(theirs, 65534, 65534);
    await expect(checkDisplayFolder(join(theirs, 'display'))).rejects.toMatchObject({ kind: 'ViewerFailed' });
    const notOurs = join(work, 'not-ours');
    mkdirSync(notOurs);
    chownSync(notOurs, 65534, 65534);
    await expect(checkDisplayFolder(notOurs)).rejects.toMatchObject({
      message: expect.stringContaining("is not a folder of the service's user"),
    });
  });

  it('follows the administrator’s link once and checks where it leads', async () => {
    const real = join(work, 'real');
    mkdirSync(real);
    symlinkSync(real, join(work, 'link'));
    expect(await checkDisplayFolder(join(work, 'link'))).toBe(real);
  });
});
