// Files a caller names, as another user of this host calls (setpriv, no
// libvirt group) on a private bus that lets every user in, the service
// being root: what lies behind a folder closed to the caller is never told
// apart — an installer, an export folder or a bundle that is there gets the
// same answer as one that is not — and a symbolic link is no way around a
// closed folder. The guest-files helper, root too, opens them through
// workers run as the caller (with a workers' group of their own).

import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUEST, MANAGER, MANAGER_PATH, SERVICE } from '../support/dbus-client.js';
import { defineTestGuest } from '../support/libvirt.js';
import { ServiceStack } from '../support/stack.js';
import { twoUsers, UidCaller } from '../support/uid-caller.js';

const ERR = 'me.phyllo.Switcher1.Error';
const [OTHER] = twoUsers();

let stack: ServiceStack;
let caller: UidCaller;
let guest: string;
let work: string;
/** Root's own folder (0700), holding a file, a folder and a bundle-shaped folder. */
let closed: string;
/** A folder open to everybody. */
let open: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'phyllome-caller-files-'));
  chmodSync(work, 0o755);
  closed = join(work, 'closed');
  mkdirSync(join(closed, 'folder', 'guest.phyllome'), { recursive: true });
  writeFileSync(join(closed, 'there.iso'), 'not even an ISO');
  chmodSync(join(closed, 'there.iso'), 0o644);
  chmodSync(closed, 0o700);
  open = join(work, 'open');
  mkdirSync(open, { mode: 0o777 });
  chmodSync(open, 0o777);
  // A link from the open folder into the closed one: the walk follows it as the kernel would.
  symlinkSync(join(closed, 'there.iso'), join(open, 'link.iso'));
  symlinkSync(join(closed, 'folder'), join(open, 'link-folder'));
  stack = await ServiceStack.start({ anyUser: true, workers: true });
  caller = await UidCaller.start(stack.group, OTHER, stack.bus.address);
  await defineTestGuest(stack, 'caller-files');
  guest = await stack.client.waitForGuest('caller-files');
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The caller's error name and message, with the path it named taken out (so two answers can be compared). */
async function answer(path: string, iface: string, member: string, argument: string): Promise<string> {
  const reply = await caller.call(SERVICE, path, iface, member, 's', [argument]);
  return `${reply.error}: ${reply.message.replaceAll(argument, 'PATH')}`;
}

describe('behind a folder closed to the caller, a file and nothing look the same', () => {
  it('DescribeInstaller', async () => {
    const there = await answer(MANAGER_PATH, MANAGER, 'DescribeInstaller', join(closed, 'there.iso'));
    const nothing = await answer(MANAGER_PATH, MANAGER, 'DescribeInstaller', join(closed, 'nothing.iso'));
    const deeper = await answer(MANAGER_PATH, MANAGER, 'DescribeInstaller', join(closed, 'no', 'such.iso'));
    expect(there).toBe(`${ERR}.UnreadableFile: You cannot read the installer PATH: ${closed} is closed to you`);
    expect(nothing).toBe(there);
    expect(deeper).toBe(there);
    // root's own home the same way: /root/.bashrc is there, /root/nonexist is not.
    expect(await answer(MANAGER_PATH, MANAGER, 'DescribeInstaller', '/root/.bashrc')).toBe(
      await answer(MANAGER_PATH, MANAGER, 'DescribeInstaller', '/root/nonexist'),
    );
  });

  it('Export', async () => {
    const there = await answer(guest, GUEST, 'Export', join(closed, 'folder'));
    const nothing = await answer(guest, GUEST, 'Export', join(closed, 'nothing'));
    expect(there).toBe(`${ERR}.AccessDenied: You cannot write into PATH: ${closed} is closed to you`);
    expect(nothing).toBe(there);
  });

  it('Import', async () => {
    const there = await answer(MANAGER_PATH, MANAGER, 'Import', join(closed, 'folder', 'guest.phyllome'));
    const nothing = await answer(MANAGER_PATH, MANAGER, 'Import', join(closed, 'folder', 'nothing.phyllome'));
    expect(there).toBe(`${ERR}.AccessDenied: You cannot read PATH: ${closed} is closed to you`);
    expect(nothing).toBe(there);
  });

  it('through a symbolic link from an open folder too', async () => {
    expect(await answer(MANAGER_PATH, MANAGER, 'DescribeInstaller', join(open, 'link.iso'))).toBe(
      `${ERR}.UnreadableFile: You cannot read the installer PATH: ${closed} is closed to you`,
    );
    expect(await answer(guest, GUEST, 'Export', join(open, 'link-folder'))).toBe(
      `${ERR}.AccessDenied: You cannot write into PATH: ${closed} is closed to you`,
    );
  });

  // A second user's attack: another's /proc/PID/root is a link the kernel will not read for the caller.
  it("through another's /proc/PID/root: closed, in words, not the kernel's errno", async () => {
    const root = `/proc/${stack.service?.pid}/root`;
    const there = await answer(MANAGER_PATH, MANAGER, 'DescribeInstaller', `${root}/etc/shadow`);
    expect(there).toBe(`${ERR}.UnreadableFile: You cannot read the installer PATH: ${root} is closed to you`);
    expect(await answer(MANAGER_PATH, MANAGER, 'DescribeInstaller', `${root}/nonexistent`)).toBe(there);
    expect(there).not.toMatch(/EACCES|readlink/);
  });
});

describe('where the caller may look, it is told what is there', () => {
  it('nothing is NoSuchFile, a file that is no ISO is UnreadableFile', async () => {
    expect(await answer(MANAGER_PATH, MANAGER, 'DescribeInstaller', join(open, 'nothing.iso'))).toBe(
      `${ERR}.NoSuchFile: No installer at PATH`,
    );
    expect(await answer(guest, GUEST, 'Export', join(open, 'nothing'))).toBe(`${ERR}.NoSuchFile: No folder at PATH`);
    expect(await answer(MANAGER_PATH, MANAGER, 'Import', join(open, 'nothing.phyllome'))).toMatch(
      new RegExp(`^${ERR}.NoSuchFile: `),
    );
  });
  // A fresh user's trial: Export and Import of a file of one's own answered "closed to you".
  it('a file of its own where a folder is wanted is no folder; a folder it may not write, or a file it may not read, is closed', async () => {
    const file = join(open, `own-${OTHER}.txt`);
    writeFileSync(file, 'mine');
    chmodSync(file, 0o644);
    expect(await answer(guest, GUEST, 'Export', file)).toBe(`${ERR}.InvalidArgument: PATH is not a folder`);
    expect(await answer(MANAGER_PATH, MANAGER, 'Import', file)).toBe(
      `${ERR}.InvalidArgument: PATH is not a bundle (a folder)`,
    );
    const readOnly = join(open, 'read-only');
    mkdirSync(readOnly, { mode: 0o755 });
    expect(await answer(guest, GUEST, 'Export', readOnly)).toBe(`${ERR}.AccessDenied: You cannot write into PATH`);
    const unreadable = join(open, 'unreadable.iso');
    writeFileSync(unreadable, 'x');
    chmodSync(unreadable, 0o600);
    expect(await answer(MANAGER_PATH, MANAGER, 'DescribeInstaller', unreadable)).toBe(
      `${ERR}.UnreadableFile: You cannot read the installer PATH`,
    );
  });
});
