// tools/install.sh into a throwaway home: the installed service starts by
// D-Bus activation from the installed files alone, and --uninstall leaves
// nothing behind. Then --system into a throwaway root (--destdir): the
// host-wide unit (its own user, no capabilities), its guest-files helper's
// unit and socket, their accounts, bus policy and activation, the polkit
// policy and the extension for every user, and --uninstall removing them.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ServiceStack } from '../support/stack.js';

let home: string;
let root: string;
let stack: ServiceStack | undefined;

const install = (...args: string[]): string =>
  execFileSync('bash', [join(ROOT, 'tools/install.sh'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, USER: 'tester' },
  });

/**
 * What `systemd-analyze verify` says of a unit file (nothing when it is
 * sound): every key known, every value parsed, its dependencies found and its
 * ExecStart executable. `user`: as a unit of a user's manager.
 */
function verifyUnit(file: string, user = false): string {
  const runtime = join(home, 'verify-runtime');
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  const run = spawnSync('systemd-analyze', [...(user ? ['--user'] : []), 'verify', file], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, XDG_RUNTIME_DIR: runtime, SYSTEMD_LOG_COLOR: '0' },
  });
  return `${run.status === 0 ? '' : `exit ${String(run.status)}: `}${run.stdout}${run.stderr}`.trim();
}

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'phyllome-home-'));
  root = mkdtempSync(join(tmpdir(), 'phyllome-root-'));
});

afterAll(async () => {
  await stack?.stop();
  rmSync(home, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

it('installs the service, its activation files and the extension under $HOME only', () => {
  expect(install('--connect', 'test:///default')).toMatch(/installed for tester/);
  const exec = join(home, '.local/lib/phyllome-switcher/phyllome-switcher-service');
  const dbusService = readFileSync(join(home, '.local/share/dbus-1/services/me.phyllo.Switcher1.service'), 'utf8');
  expect(dbusService).toContain(`Exec=${exec} --connect test:///default`);
  expect(dbusService).toContain('SystemdService=phyllome-switcher.service');
  const unit = readFileSync(join(home, '.config/systemd/user/phyllome-switcher.service'), 'utf8');
  expect(unit).toMatch(/^Type=dbus$/m);
  expect(unit).toContain(`ExecStart=${exec} --connect test:///default`);
  // Phyllome's guest model, beside the executable that fills it in.
  for (const family of ['linux', 'windows', 'other'])
    expect(existsSync(join(home, `.local/lib/phyllome-switcher/domain-templates/${family}.xml`))).toBe(true);
  const extension = join(home, '.local/share/gnome-shell/extensions/switcher@phyllo.me');
  // Exactly what the build made, nothing missing, nothing else.
  const files = (dir: string): string[] =>
    execFileSync('find', ['.', '-type', 'f'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').sort();
  expect(files(extension)).toEqual(files(join(ROOT, 'build/extension/switcher@phyllo.me')));
  expect(files(extension)).toEqual(
    expect.arrayContaining([
      './metadata.json',
      './extension.js',
      './prefs.js',
      './new-guest/window.js',
      './folder-chooser/chooser.js',
    ]),
  );
  expect(existsSync(join(extension, 'schemas/gschemas.compiled'))).toBe(true);
});

it("installs a user unit systemd's own verifier finds sound", () => {
  expect(verifyUnit(join(home, '.config/systemd/user/phyllome-switcher.service'), true)).toBe('');
});

it('is started by the bus from the installed files alone', async () => {
  stack = await ServiceStack.start({ servicesDir: join(home, '.local/share/dbus-1/services'), withService: false });
  // Nothing of ours runs yet: the call below makes the bus start the installed executable.
  const guests = await stack.client.listGuests();
  expect(guests).toEqual(['/me/phyllo/Switcher1/guest/6695eb01_f6a4_8304_79aa_97f2502e193f']);
  const pid = await stack.client.pidOf('me.phyllo.Switcher1');
  const cmdline = readFileSync(`/proc/${pid as number}/cmdline`, 'utf8');
  expect(cmdline).toContain(join(home, '.local/lib/phyllome-switcher/phyllome-switcher-service'));
  process.kill(pid as number, 'SIGTERM');
});

it('uninstalls everything it installed', () => {
  expect(install('--uninstall')).toMatch(/removed/);
  const left = execFileSync('find', [home, '-type', 'f'], { encoding: 'utf8' }).trim();
  expect(left).toBe('');
});

describe('for every user of the host (--system)', () => {
  const LIB = '/usr/local/lib/phyllome-switcher';
  const at = (path: string): string => join(root, path);

  it('installs the host-wide unit, its helper, their accounts, bus policy and activation, the polkit policy and the extension', () => {
    expect(install('--system', '--destdir', root)).toMatch(/installed for every user of this host/);
    const exec = `${LIB}/phyllome-switcher-service --host-wide --connect qemu:///system`;
    const unit = readFileSync(at('/usr/local/lib/systemd/system/phyllome-switcher-system.service'), 'utf8');
    expect(unit).toMatch(/^Type=dbus$/m);
    expect(unit).toMatch(/^BusName=me\.phyllo\.Switcher1$/m);
    expect(unit).toContain(`ExecStart=${exec}\n`);
    expect(unit).toMatch(/^RuntimeDirectory=phyllome-switcher$/m);
    expect(unit).not.toMatch(/@[A-Z]+@/);
    // The service parses what callers send: its own user in libvirt's group, no capabilities, touching no
    // file but its runtime and state directories.
    expect(unit).toMatch(/^User=phyllome-switcher$/m);
    expect(unit).toMatch(/^SupplementaryGroups=libvirt$/m);
    expect(unit).toMatch(/^CapabilityBoundingSet=$/m);
    expect(unit).toMatch(/^AmbientCapabilities=$/m);
    expect(unit).toMatch(/^NoNewPrivileges=yes$/m);
    expect(unit).toMatch(/^ProtectSystem=strict$/m);
    expect(unit).toMatch(/^ProtectHome=yes$/m);
    expect(unit).toMatch(/^PrivateTmp=yes$/m);
    expect(unit).toMatch(/^StateDirectory=phyllome-switcher$/m);
    expect(unit).not.toMatch(/^ReadWritePaths=/m);
    // The helper: root with the capabilities to reach guests' files and start workers as callers, writing
    // only libvirt's folders and where callers may write (its workers run in its sandbox).
    const helper = readFileSync(at('/usr/local/lib/systemd/system/phyllome-switcher-files.service'), 'utf8');
    expect(helper).toContain(`ExecStart=${LIB}/phyllome-switcher-files --connect qemu:///system\n`);
    expect(helper).toMatch(/^CapabilityBoundingSet=CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_SETUID CAP_SETGID$/m);
    expect(helper).toMatch(/^ProtectSystem=strict$/m);
    expect(helper).toMatch(/^ReadWritePaths=\/var\/lib\/libvirt$/m);
    expect(helper).toMatch(/^Requires=phyllome-switcher-files\.socket$/m);
    expect(helper).not.toMatch(/@[A-Z]+@/);
    const socket = readFileSync(at('/usr/local/lib/systemd/system/phyllome-switcher-files.socket'), 'utf8');
    expect(socket).toMatch(/^SocketGroup=phyllome-switcher$/m);
    expect(socket).toMatch(/^SocketMode=0660$/m);
    expect(readFileSync(at('/usr/local/lib/sysusers.d/phyllome-switcher.conf'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'data/phyllome-switcher.sysusers'), 'utf8'),
    );
    const activation = readFileSync(at('/usr/local/share/dbus-1/system-services/me.phyllo.Switcher1.service'), 'utf8');
    expect(activation).toContain(`Exec=${exec}\n`);
    expect(activation).toMatch(/^User=phyllome-switcher$/m);
    expect(activation).toMatch(/^SystemdService=phyllome-switcher-system\.service$/m);
    // The policies are ours, as they are in data/.
    expect(readFileSync(at('/etc/dbus-1/system.d/me.phyllo.Switcher1.conf'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'data/me.phyllo.Switcher1.conf'), 'utf8'),
    );
    expect(readFileSync(at('/usr/share/polkit-1/actions/me.phyllo.switcher.policy'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'data/me.phyllo.switcher.policy'), 'utf8'),
    );
    // The executable with its display relay, contract and guest model beside it.
    for (const file of [
      'phyllome-switcher-service',
      'phyllome-switcher-files',
      'phyllome-switcher-worker',
      'phyllome-display-relay.js',
      'me.phyllo.Switcher1.xml',
    ]) {
      expect(existsSync(at(`${LIB}/${file}`))).toBe(true);
    }
    expect(existsSync(at(`${LIB}/domain-templates/windows.xml`))).toBe(true);
    const files = (dir: string): string[] =>
      execFileSync('find', ['.', '-type', 'f'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').sort();
    expect(files(at('/usr/local/share/gnome-shell/extensions/switcher@phyllo.me'))).toEqual(
      files(join(ROOT, 'build/extension/switcher@phyllo.me')),
    );
  });

  it("installs system units systemd's own verifier finds sound", () => {
    // The units as installed, their executables found in the throwaway root (systemd checks they are there).
    const check = join(home, 'verify-system');
    mkdirSync(check, { recursive: true });
    for (const name of [
      'phyllome-switcher-system.service',
      'phyllome-switcher-files.service',
      'phyllome-switcher-files.socket',
    ]) {
      const text = readFileSync(at(`/usr/local/lib/systemd/system/${name}`), 'utf8');
      writeFileSync(join(check, name), text.replaceAll(`${LIB}/`, at(`${LIB}/`)));
    }
    for (const name of [
      'phyllome-switcher-system.service',
      'phyllome-switcher-files.service',
      'phyllome-switcher-files.socket',
    ])
      expect([name, verifyUnit(join(check, name))]).toEqual([name, '']);
    const unit = readFileSync(at('/usr/local/lib/systemd/system/phyllome-switcher-system.service'), 'utf8');
    // The verifier does find what is wrong: an unknown key, a value it cannot parse.
    writeFileSync(
      join(check, 'phyllome-switcher-system.service'),
      `${unit.replaceAll(`${LIB}/`, at(`${LIB}/`))}Bogus=1\n`,
    );
    expect(verifyUnit(join(check, 'phyllome-switcher-system.service'))).toMatch(/Unknown key 'Bogus'/);
    rmSync(check, { recursive: true, force: true });
  });

  it('uninstalls everything it installed', () => {
    expect(install('--system', '--uninstall', '--destdir', root)).toMatch(/removed from this host/);
    expect(execFileSync('find', [root, '-type', 'f'], { encoding: 'utf8' }).trim()).toBe('');
  });

  it('refuses options it does not know, and --destdir without --system', () => {
    expect(() => install('--frobnicate')).toThrow(/unknown option --frobnicate/);
    expect(() => install('--destdir', root)).toThrow(/--destdir goes with --system/);
  });
});
