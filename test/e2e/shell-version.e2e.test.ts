// The Shell the suite runs in is the one it was asked for (run-e2e.sh
// --shell N): a run that could pass in another Shell than it names would
// prove nothing. run-shell.sh refuses to start another; this says it again
// where the results are read, with the version in the test's name. And the
// Shell is logged in as GNOME 45+ logs in, finding its session through
// logind as it does on a real login.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Variant } from '@jellybrick/dbus-next';
import { expect, it } from 'vitest';
import { ROOT } from '../support/root.js';
import { TestClient } from '../support/dbus-client.js';
import { ShellDriver } from './shell.js';

const asked = process.env.PHYLLOME_SHELL ?? '48';
const running = process.env.SHELL_TEST_VERSION ?? 'unknown';

it(`runs in GNOME Shell ${asked}, as asked (it is ${running})`, async () => {
  const address = process.env.DBUS_SESSION_BUS_ADDRESS;
  if (!address || !process.env.SHELL_TEST_STATE) throw new Error('run through test/shell/run-e2e.sh');
  const client = await TestClient.connect(address);
  try {
    const [reply] = await client.call(
      'org.gnome.Shell',
      '/org/gnome/Shell',
      'org.freedesktop.DBus.Properties',
      'Get',
      'ss',
      ['org.gnome.Shell', 'ShellVersion'],
    );
    const version = String((reply as Variant).value);
    expect(version.split('.')[0]).toBe(asked);
    expect(version).toBe(running);
  } finally {
    client.disconnect();
  }
});

it('is a version extension/metadata.json claims', () => {
  const metadata = JSON.parse(readFileSync(join(ROOT, 'extension/metadata.json'), 'utf8')) as {
    'shell-version': string[];
  };
  expect(metadata['shell-version']).toContain(asked);
});

it("finds its login session through logind's session/auto, as without XDG_SESSION_ID on a real login", async () => {
  const address = process.env.DBUS_SESSION_BUS_ADDRESS;
  if (!address || !process.env.SHELL_TEST_STATE) throw new Error('run through test/shell/run-e2e.sh');
  const client = await TestClient.connect(address);
  try {
    const shell = new ShellDriver(client);
    expect(await shell.eval('imports.gi.GLib.getenv("XDG_SESSION_ID")')).toBe(null);
    await shell.eval(`(() => {
      delete globalThis.__phySessionId;
      import('resource:///org/gnome/shell/misc/loginManager.js')
        .then((m) => m.getLoginManager().getCurrentSessionProxy())
        .then((proxy) => { globalThis.__phySessionId = proxy?.Id ?? null; });
      return true;
    })()`);
    // The harness's login: root's session c1 on its seat, the Display of its user.
    expect(await shell.waitFor<string | null>('globalThis.__phySessionId ?? "pending"', (id) => id !== 'pending')).toBe(
      'c1',
    );
  } finally {
    client.disconnect();
  }
});

it("cannot start a libvirt-dbus of the root's: org.libvirt is the tests' own", async () => {
  const address = process.env.DBUS_SESSION_BUS_ADDRESS;
  if (!address || !process.env.SHELL_TEST_STATE) throw new Error('run through test/shell/run-e2e.sh');
  const client = await TestClient.connect(address);
  try {
    const [names] = await client.call(
      'org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus',
      'ListActivatableNames',
    );
    expect(names as string[]).not.toContain('org.libvirt');
  } finally {
    client.disconnect();
  }
});
