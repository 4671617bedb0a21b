// The built executable's exit status, which systemd's Restart=on-failure
// reads: 2 for a command line it cannot take, 1 for every other failure
// (no bus, the name already owned, the bus gone), 0 only for a stop asked for.
// Each message is one clean line, with no "Error:" of JavaScript's in it.

import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestClient } from '../support/dbus-client.js';
import { SERVICE_EXECUTABLE, ServiceStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

/** Runs the executable as installed (its #! line) to its end. */
function run(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(SERVICE_EXECUTABLE, args, {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const DBUS = ['org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus'] as const;

let stack: ServiceStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

describe('a command line the service cannot take exits 2 and says why', () => {
  it.each([
    [['--bogus'], "error: Unknown option '--bogus'"],
    [['--seats', 'maybe'], "error: --seats takes logind or none, not 'maybe'"],
    [['--host-wide', '--seats', 'none'], 'error: --host-wide serves several people'],
    [['--connect'], "error: Option '-c, --connect <value>' argument missing"],
  ])('%j', (args, message) => {
    const { status, output } = run(...args);
    expect(output.startsWith(message)).toBe(true);
    expect(output).not.toMatch(/Error:|\n {4}at /);
    expect(status).toBe(2);
  });

  it('--help lists every option and exits 0', () => {
    const { status, output } = run('--help');
    expect(status).toBe(0);
    for (const option of ['--connect', '--libvirt-socket', '--host-wide', '--display-relay', '--virt-type', '--help'])
      expect(output).toContain(option);
  });
});

describe('a failure exits 1 with one clean line', () => {
  it('a bus address it cannot use', () => {
    const { status, output } = run('--bus', 'garbage:::', '--seats', 'none');
    expect(output).toBe('error: cannot start: cannot reach the bus at garbage:::: unknown address type:garbage\n');
    expect(status).toBe(1);
  });

  it('a bus that is not there', () => {
    const { status, output } = run('--bus', 'unix:path=/nonexistent/bus', '--seats', 'none');
    expect(output).toMatch(/^error: cannot start: cannot reach the bus at unix:path=\/nonexistent\/bus: \S.*\n$/);
    expect(output).not.toMatch(/Error:/);
    expect(status).toBe(1);
  });

  it('its name already owned on the bus', async () => {
    stack = await ServiceStack.start();
    const second = stack.group.start(
      'second service',
      SERVICE_EXECUTABLE,
      ['--bus', stack.bus.address, '--seats', 'none'],
      {
        env: stack.env,
      },
    );
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(
      /^error: cannot start: me\.phyllo\.Switcher1 is already owned on this bus; is another instance running\?\n$/m,
    );
    expect(stack.service?.running).toBe(true);
  });

  it('0 for a stop asked for while it was still starting', async () => {
    stack = await ServiceStack.start({ withService: false });
    // libvirt-dbus held still: the service's start waits on its first answer.
    const libvirtDbus = stack.libvirtDbus?.pid as number;
    process.kill(libvirtDbus, 'SIGSTOP');
    try {
      const service = stack.group.start(
        'service',
        SERVICE_EXECUTABLE,
        ['--bus', stack.bus.address, '--seats', 'none'],
        {
          env: stack.env,
        },
      );
      // Once it is connected to the bus (so running our code), and still starting: the bus announces
      // each new connection with NameOwnerChanged.
      const client = stack.client;
      await client.addMatch("type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged'");
      await waitFor(() => onTheBus(client, service.pid), {
        what: 'the service on the bus',
        on: [[client.events, 'signal']],
      });
      // Heard while starting (its handler is in place from the first moment), acted on once started.
      process.kill(service.pid, 'SIGTERM');
      // Still starting when stopped, as the bus sees it: the service takes its name last.
      expect(await client.call(...DBUS, 'NameHasOwner', 's', ['me.phyllo.Switcher1'])).toEqual([false]);
      process.kill(libvirtDbus, 'SIGCONT');
      expect(await service.exited).toBe(0);
    } finally {
      process.kill(libvirtDbus, 'SIGCONT');
    }
  });

  it('the bus connection lost, and 0 for a stop asked for', async () => {
    stack = await ServiceStack.start();
    const first = stack.service;
    expect(await first?.stop('SIGTERM')).toBe(0);
    const service = await stack.startService();
    await stack.bus.daemon?.stop('SIGKILL');
    expect(await service.exited).toBe(1);
    expect(service.output()).toContain('error: lost the bus connection; exiting\n');
  });

  // A fresh user's trial: a bus stopped cleanly (SIGTERM) left the service running, its writes failing.
  it('the bus stopped cleanly, as much as the bus killed', async () => {
    stack = await ServiceStack.start();
    const service = stack.service;
    await stack.bus.daemon?.stop('SIGTERM');
    expect(await service?.exited).toBe(1);
    expect(service?.output()).toContain('error: lost the bus connection; exiting\n');
  });
});

/** Whether a process has a connection to the stack's bus. */
async function onTheBus(client: TestClient, pid: number): Promise<boolean> {
  const [names] = (await client.call(...DBUS, 'ListNames')) as [string[]];
  for (const name of names.filter((n) => n.startsWith(':'))) {
    const [owner] = await client.call(...DBUS, 'GetConnectionUnixProcessID', 's', [name]).catch(() => [0]);
    if (owner === pid) return true;
  }
  return false;
}
