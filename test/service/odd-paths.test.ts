// Paths and files that are not what they seem, from a fresh user's trial on
// libvirt's test driver: a FIFO where a bundle's manifest or an installer
// should be (an ordinary open waits on it for ever, and four of them held
// every thread the service reads files with), '..' after a symbolic link
// (the kernel goes up from where the link leads; the service went up
// textually and wrote elsewhere), a link to a bundle, a trailing slash after
// a file, and the D-Bus node between our objects that introspection lists.

import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DBusError } from '@jellybrick/dbus-next';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegularFile } from '../../service/access/caller-files.js';
import { GUEST, MANAGER, MANAGER_PATH, SERVICE } from '../support/dbus-client.js';
import { installerIso } from '../support/installer-iso.js';
import { defineTestGuest } from '../support/libvirt.js';
import { jobEnd } from '../support/guest-files.js';
import { ServiceStack } from '../support/stack.js';

const ERR = 'me.phyllo.Switcher1.Error';

let stack: ServiceStack;
let offGuest: string;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'phyllome-odd-paths-'));
  stack = await ServiceStack.start();
  await stack.client.watch();
  await defineTestGuest(stack, 'odd-paths');
  offGuest = await stack.client.waitForGuest('odd-paths');
});

afterAll(async () => {
  await stack?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function refusal(path: string, iface: string, member: string, argument: string): Promise<string> {
  try {
    await stack.client.call(SERVICE, path, iface, member, 's', [argument], 10_000);
  } catch (error) {
    if (error instanceof DBusError) return `${error.type}: ${error.text}`;
    throw error;
  }
  throw new Error(`${member} ${argument} succeeded`);
}

/** A bundle of the test driver's guest, exported into `folder`; its path. */
async function exportInto(folder: string): Promise<string> {
  mkdirSync(folder, { recursive: true });
  const [job] = await stack.client.call(SERVICE, offGuest, GUEST, 'Export', 's', [folder]);
  const end = await jobEnd(stack, job as string, 30_000);
  if (!end.success) throw new Error(end.message);
  return join(folder, 'odd-paths.phyllome');
}

describe('a FIFO where a file should be', () => {
  it('is refused at once as a manifest, however many times, and the service goes on reading files', async () => {
    const bundle = await exportInto(join(work, 'fifo'));
    rmSync(join(bundle, 'manifest.json'));
    execFileSync('mkfifo', [join(bundle, 'manifest.json')]);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => refusal(MANAGER_PATH, MANAGER, 'Import', bundle)),
    );
    expect(new Set(answers)).toEqual(
      new Set([`${ERR}.InvalidArgument: The bundle is damaged: its manifest is not a file`]),
    );
    // Every thread the service reads files with is free: an installer is still read.
    const [description] = await stack.client.call(SERVICE, MANAGER_PATH, MANAGER, 'DescribeInstaller', 's', [
      installerIso('odd-paths'),
    ]);
    expect(description).toHaveProperty('path');
  });

  it('is no regular file to open, found without waiting', async () => {
    const fifo = join(work, 'a.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(await openRegularFile(fifo)).toBeUndefined();
    expect(await refusal(MANAGER_PATH, MANAGER, 'DescribeInstaller', fifo)).toBe(
      `${ERR}.NoSuchFile: The installer ${fifo} is not a regular file`,
    );
  });
});

describe('links and .. as the kernel resolves them', () => {
  it("exports into the folder '..' leads to from where a link points", async () => {
    // s/link -> d1/d2: s/link/../target is d1/target, not s/target.
    mkdirSync(join(work, 'd1', 'd2'), { recursive: true });
    mkdirSync(join(work, 'd1', 'target'));
    mkdirSync(join(work, 's', 'target'), { recursive: true });
    symlinkSync(join(work, 'd1', 'd2'), join(work, 's', 'link'));
    const [job] = await stack.client.call(SERVICE, offGuest, GUEST, 'Export', 's', [
      `${work}/s/link/../target` /* not join(): it would take '..' textually */,
    ]);
    const end = await jobEnd(stack, job as string, 30_000);
    expect(end.success).toBe(true);
    expect(readdirSync(join(work, 'd1', 'target'))).toEqual(['odd-paths.phyllome']);
    expect(readdirSync(join(work, 's', 'target'))).toEqual([]);
    // An installer the same way.
    writeFileSync(join(work, 'd1', 'here.iso'), 'not an ISO');
    expect(await refusal(MANAGER_PATH, MANAGER, 'DescribeInstaller', `${work}/s/link/../here.iso`)).toMatch(
      /is not an ISO 9660 image$/,
    );
  });

  it('imports through a link to a bundle, as through the bundle', async () => {
    const bundle = await exportInto(join(work, 'linked'));
    symlinkSync(bundle, join(work, 'bundle-link'));
    // The guest is here already: refused for that, so the link was followed and the bundle read.
    expect(await refusal(MANAGER_PATH, MANAGER, 'Import', join(work, 'bundle-link'))).toMatch(
      new RegExp(`^${ERR}.AlreadyExists: `),
    );
  });

  it('takes a trailing slash after a file as naming that file, and says what it is', async () => {
    const iso = join(work, 'plain.iso');
    writeFileSync(iso, 'not an ISO');
    expect(await refusal(MANAGER_PATH, MANAGER, 'DescribeInstaller', `${iso}/`)).toBe(
      `${ERR}.UnreadableFile: The installer ${iso} is not an ISO 9660 image`,
    );
    expect(await refusal(MANAGER_PATH, MANAGER, 'Import', `${iso}/`)).toBe(
      `${ERR}.InvalidArgument: ${iso} is not a bundle (a folder)`,
    );
  });
});

describe('introspection', () => {
  it('answers on the node between our objects that it lists', async () => {
    const [root] = await stack.client.call(
      SERVICE,
      '/me/phyllo/Switcher1',
      'org.freedesktop.DBus.Introspectable',
      'Introspect',
    );
    expect(root).toContain('<node name="guest"/>');
    const [node] = await stack.client.call(
      SERVICE,
      '/me/phyllo/Switcher1/guest',
      'org.freedesktop.DBus.Introspectable',
      'Introspect',
    );
    expect(node).toMatch(/<node name="[0-9a-f_]{36}"\/>/);
    // It holds no object: anything else there is UnknownObject.
    expect(await refusal('/me/phyllo/Switcher1/guest', 'org.freedesktop.DBus.Properties', 'GetAll', GUEST)).toMatch(
      /^org\.freedesktop\.DBus\.Error\.UnknownObject: |NoSuchGuest/,
    );
  });
});
