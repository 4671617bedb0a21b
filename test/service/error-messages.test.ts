// Errors as a caller gets them, through the bus from the real service on
// libvirt-dbus's test driver: each under the name the contract gives for
// the case, and its message one a person can read whatever the caller sent
// (control characters escaped visibly, a long message shortened).

import { DBusError, Variant } from '@jellybrick/dbus-next';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUEST, MANAGER, MANAGER_PATH, SERVICE } from '../support/dbus-client.js';
import { installerIso } from '../support/installer-iso.js';
import { defineTestGuest } from '../support/libvirt.js';
import { ServiceStack } from '../support/stack.js';

const ERR = 'me.phyllo.Switcher1.Error';
const STD = 'org.freedesktop.DBus.Error';

let stack: ServiceStack;
let offGuest: string;

beforeAll(async () => {
  stack = await ServiceStack.start();
  await defineTestGuest(stack, 'error-messages');
  offGuest = await stack.client.waitForGuest('error-messages');
});

afterAll(async () => {
  await stack?.stop();
});

/** The error a call gets: its name and message. */
async function refusal(
  path: string,
  iface: string | undefined,
  member: string,
  signature = '',
  body: unknown[] = [],
): Promise<{ name: string; message: string }> {
  try {
    await stack.client.call(SERVICE, path, iface, member, signature, body, 30_000);
  } catch (error) {
    if (error instanceof DBusError) return { name: error.type, message: error.text };
    throw error;
  }
  throw new Error(`${member} on ${path} succeeded`);
}

describe('messages a person can read', () => {
  it('shows control characters of an argument as escapes, never raw', async () => {
    const error = await refusal(MANAGER_PATH, MANAGER, 'FindGuest', 's', ['a\x01b\nc\x1b[31mred']);
    expect(error).toEqual({
      name: `${ERR}.NoSuchGuest`,
      message: "No guest named or with UUID 'a\\x01b\\nc\\x1b[31mred'",
    });
  });

  // Huge within what the service reads: a message over 64 KiB is LimitsExceeded, unread (flood.test.ts).
  it('shortens a message that echoes a huge argument, with an ellipsis', async () => {
    const path = await refusal(MANAGER_PATH, MANAGER, 'DescribeInstaller', 's', ['x'.repeat(60_000)]);
    expect(path.name).toBe(`${ERR}.InvalidArgument`);
    expect(path.message.length).toBeLessThanOrEqual(1000);
    expect(path.message).toMatch(/^The installer path must be absolute \(start with \/\), not 'x+ … x+'$/);

    const name = await refusal(MANAGER_PATH, MANAGER, 'CreateGuest', 'sssa{sv}', ['\x1b'.repeat(60_000), '', '', {}]);
    expect(name.name).toBe(`${ERR}.InvalidArgument`);
    expect(name.message.length).toBeLessThanOrEqual(1000);
    expect(name.message).toMatch(/^A guest name is .*'(\\x1b)+ … (\\x1b)+'$/);
  });

  it('shows a path it refuses the same way', async () => {
    const error = await refusal(offGuest, GUEST, 'Export', 's', ['/nonexistent/\x1b[2J']);
    expect(error.message).toContain('/nonexistent/\\x1b[2J');
  });
});

describe('names as the contract gives them', () => {
  it('NoSuchFile for a bundle or an export folder with nothing at its path', async () => {
    expect((await refusal(MANAGER_PATH, MANAGER, 'Import', 's', ['/nonexistent'])).name).toBe(`${ERR}.NoSuchFile`);
    expect((await refusal(offGuest, GUEST, 'Export', 's', ['/nonexistent'])).name).toBe(`${ERR}.NoSuchFile`);
    expect((await refusal(MANAGER_PATH, MANAGER, 'DescribeInstaller', 's', ['/nonexistent'])).name).toBe(
      `${ERR}.NoSuchFile`,
    );
  });

  it('the standard UnknownObject on a path where nothing is, a seat or a job that is not there too', async () => {
    for (const [path, iface, member, signature, body] of [
      ['/nothing', MANAGER, 'ListGuests', '', []],
      ['/nothing', undefined, 'Frobnicate', '', []],
      ['/', MANAGER, 'ListGuests', '', []],
      ['/me/phyllo/Switcher1/seat/seat9', 'me.phyllo.Switcher1.Seat', 'PassInput', 'b', [true]],
      ['/me/phyllo/Switcher1/job/999', 'me.phyllo.Switcher1.Job', 'Cancel', '', []],
      ['/me/phyllo/Switcher1/job/999', 'org.freedesktop.DBus.Properties', 'GetAll', 's', ['me.phyllo.Switcher1.Job']],
    ] as const) {
      expect([path, member, (await refusal(path, iface, member, signature, [...body])).name]).toEqual([
        path,
        member,
        `${STD}.UnknownObject`,
      ]);
    }
    // What every object answers still answers there: the bus's Peer interface.
    expect(await stack.client.errorOf('/nothing', 'org.freedesktop.DBus.Peer', 'Ping')).toBe('ok');
    // A guest or device path that holds none is still ours to name.
    expect((await refusal('/me/phyllo/Switcher1/usb/9_9', 'me.phyllo.Switcher1.UsbDevice', 'Detach')).name).toBe(
      `${ERR}.NoSuchDevice`,
    );
  });

  it('InvalidArgument for an option of the wrong type or too large, saying which', async () => {
    const option = async (name: string, value: Variant): Promise<string> =>
      (await refusal(MANAGER_PATH, MANAGER, 'CreateGuest', 'sssa{sv}', ['typed', '', '/x.iso', { [name]: value }]))
        .message;
    expect(await option('memory-mib', new Variant('s', '4096'))).toBe(
      "Option memory-mib takes an unsigned integer (D-Bus type t or u), not a string (s): '4096'",
    );
    expect(await option('disk-gib', new Variant('t', 18446744073709551615n))).toBe(
      'Option disk-gib is at most 65536 (GiB), not 18446744073709551615',
    );
    expect(await option('vcpus', new Variant('i', 0))).toBe('Option vcpus takes a positive integer, not 0');
  });

  it('InvalidArgument for an export folder on a file system that holds no files, naming it', async () => {
    expect(await refusal(offGuest, GUEST, 'Export', 's', ['/proc'])).toEqual({
      name: `${ERR}.InvalidArgument`,
      message: "/proc is on the kernel's proc file system, which holds no files",
    });
    expect((await refusal(offGuest, GUEST, 'Export', 's', ['/sys/kernel'])).message).toMatch(/sysfs file system/);
  });
});

// A fresh user's trial: Export and Import of /etc/passwd answered AccessDenied ("closed to you", even
// to root); a long absolute path was "not an absolute path"; /proc/self/mem, the service's own
// memory, was read as an installer (EIO). Each path a caller names says what is wrong with it.
describe('paths a caller names', () => {
  it('says a file is no folder, or no bundle, before any question of rights', async () => {
    expect(await refusal(offGuest, GUEST, 'Export', 's', ['/etc/passwd'])).toEqual({
      name: `${ERR}.InvalidArgument`,
      message: '/etc/passwd is not a folder',
    });
    expect(await refusal(MANAGER_PATH, MANAGER, 'Import', 's', ['/etc/passwd'])).toEqual({
      name: `${ERR}.InvalidArgument`,
      message: '/etc/passwd is not a bundle (a folder)',
    });
    expect(await refusal(MANAGER_PATH, MANAGER, 'DescribeInstaller', 's', ['/etc'])).toEqual({
      name: `${ERR}.NoSuchFile`,
      message: 'The installer /etc is not a regular file',
    });
  });

  it('says a path is too long or empty, each as such', async () => {
    const long = `/${'x'.repeat(5000)}`;
    for (const [path, iface, member] of [
      [offGuest, GUEST, 'Export'],
      [MANAGER_PATH, MANAGER, 'Import'],
      [MANAGER_PATH, MANAGER, 'DescribeInstaller'],
    ] as const) {
      const tooLong = await refusal(path, iface, member, 's', [long]);
      expect(tooLong.name, member).toBe(`${ERR}.InvalidArgument`);
      expect(tooLong.message, member).toMatch(/ is 5001 characters long; Linux takes at most 4095$/);
      expect((await refusal(path, iface, member, 's', [''])).message, member).toMatch(/ is empty$/);
    }
  });

  it("reads no installer or bundle from the kernel's own file systems", async () => {
    expect(await refusal(MANAGER_PATH, MANAGER, 'DescribeInstaller', 's', ['/proc/self/mem'])).toEqual({
      name: `${ERR}.InvalidArgument`,
      message: "/proc/self/mem is on the kernel's proc file system, which holds no files",
    });
    expect((await refusal(MANAGER_PATH, MANAGER, 'Import', 's', ['/proc/self'])).message).toMatch(
      /proc file system|not a bundle/,
    );
  });
});

describe('a connection that makes no guests', () => {
  it("says so, not libvirt's 'not supported by the connection driver'", async () => {
    // libvirt's test driver lists guests but cannot say what a new one may have.
    const error = await refusal(MANAGER_PATH, MANAGER, 'CreateGuest', 'sssa{sv}', [
      'small',
      '',
      installerIso('errors-linux'),
      { 'memory-mib': new Variant('t', 1n) },
    ]);
    expect(error).toEqual({
      name: `${ERR}.MissingHostFeature`,
      message:
        'test:///default makes no new guests: its libvirt driver cannot say what a guest may have (domain capabilities); a QEMU connection such as qemu:///system can',
    });
  });
});
