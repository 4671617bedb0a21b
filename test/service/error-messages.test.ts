// Errors as a caller gets them, through the bus from the real service on
// libvirt-dbus's test driver: each under the name the contract gives for
// the case, and its message one a person can read whatever the caller sent
// (control characters escaped visibly, a long message shortened).

import { DBusError, Variant } from '@jellybrick/dbus-next';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUEST, MANAGER, MANAGER_PATH, SERVICE } from '../support/dbus-client.js';
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

  it('shortens a message that echoes a huge argument, with an ellipsis', async () => {
    const path = await refusal(MANAGER_PATH, MANAGER, 'DescribeInstaller', 's', ['x'.repeat(10_000_000)]);
    expect(path.name).toBe(`${ERR}.InvalidArgument`);
    expect(path.message.length).toBeLessThanOrEqual(1000);
    expect(path.message).toMatch(/^The installer path must be absolute, not 'x+ … x+'$/);

    const name = await refusal(MANAGER_PATH, MANAGER, 'CreateGuest', 'sssa{sv}', [
      '\x1b'.repeat(1_000_000),
      '',
      '',
      {},
    ]);
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

describe('counts in the log', () => {
  it('say one guest, not 1 guests', () => {
    // The test driver holds one guest, "test", when the service starts.
    expect(stack.service?.output()).toMatch(/: 1 guest in sync \(/);
    expect(stack.service?.output()).toMatch(/\(1 guest, libvirt connected\)/);
  });
});
