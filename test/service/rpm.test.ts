// The Fedora packages (packaging/rpm/phyllome-switcher.spec, npm run rpm)
// built from this build on this machine, found clean by rpmlint with
// Fedora's settings, and installed by rpm itself into a scratch root: every
// file in Fedora's paths, and where the units, the D-Bus activation, the bus
// policy and the accounts say — the programs they run, the unit the bus
// starts, the helper's socket, the users and groups they run as, the name
// the service owns, the documentation — the scriptlets presetting, stopping
// and restarting the units with systemd's helper, and the installed service
// and helper running from the installed files alone.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ServiceStack } from '../support/stack.js';

const SERVICE = 'phyllome-switcher';
const EXTENSION = 'gnome-shell-extension-phyllome-switcher';
const UNIT = '/usr/lib/systemd/system/phyllome-switcher-system.service';
const FILES_UNIT = '/usr/lib/systemd/system/phyllome-switcher-files.service';
const FILES_SOCKET = '/usr/lib/systemd/system/phyllome-switcher-files.socket';
const SYSUSERS = '/usr/lib/sysusers.d/phyllome-switcher.conf';
const LIBEXEC = '/usr/libexec/phyllome-switcher';
const ACTIVATION = '/usr/share/dbus-1/system-services/me.phyllo.Switcher1.service';
const BUS_POLICY = '/usr/share/dbus-1/system.d/me.phyllo.Switcher1.conf';
const POLKIT = '/usr/share/polkit-1/actions/me.phyllo.switcher.policy';
const EXTENSION_DIR = '/usr/share/gnome-shell/extensions/switcher@phyllo.me';
// Where Fedora keeps what this package holds.
const FEDORA_PATHS = [
  '/usr/libexec/phyllome-switcher',
  '/usr/lib/systemd/system/',
  '/usr/lib/sysusers.d/',
  '/usr/share/dbus-1/system-services/',
  '/usr/share/dbus-1/system.d/',
  '/usr/share/dbus-1/interfaces/',
  '/usr/share/polkit-1/actions/',
  '/usr/share/doc/phyllome-switcher',
  EXTENSION_DIR,
];

let out: string;
let root: string;
let built: string;
let stack: ServiceStack | undefined;

const at = (path: string): string => join(root, path);
const rpmFile = (name: string): string => {
  const file = readdirSync(out).find((f) => f.startsWith(`${name}-`) && /^\d/.test(f.slice(name.length + 1)));
  if (!file) throw new Error(`no ${name} package in ${out}`);
  return join(out, file);
};
const rpm = (...args: string[]): string => execFileSync('rpm', args, { encoding: 'utf8' });
/** The value of each line KEY=… of a unit or .service file. */
const values = (text: string, key: string): string[] =>
  text
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
const value = (text: string, key: string): string => {
  const found = values(text, key);
  expect(found, key).toHaveLength(1);
  return found[0] as string;
};

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'phyllome-rpm-out-'));
  root = mkdtempSync(join(tmpdir(), 'phyllome-rpm-root-'));
  // The build as it is (the test run builds first), packaged as npm run rpm does.
  const build = spawnSync('bash', [join(ROOT, 'tools/build-rpm.sh'), '--prebuilt', '--out', out], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  built = `${build.stdout}${build.stderr}`;
  if (build.status !== 0) throw new Error(`tools/build-rpm.sh failed (${String(build.status)}):\n${built}`);
  // rpm itself installs them: its database in the scratch root, the files where the packages put them.
  // No scriptlets (the scratch root has no shell; they are read below) and no dependencies (nothing
  // else is installed there).
  rpm('--root', root, '--initdb');
  rpm('--root', root, '-i', '--nodeps', '--noscripts', '--nosignature', rpmFile(SERVICE), rpmFile(EXTENSION));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(out, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

describe('the Fedora packages', () => {
  it('build on this machine, and rpmlint with Fedora’s settings finds no error in them or the spec', () => {
    expect(built).toMatch(/2 packages and 1 specfiles checked; 0 errors/);
  });

  it('install every file in Fedora’s paths, each there', () => {
    expect(rpm('--root', root, '-qa').trim().split('\n').sort()).toEqual([
      `${EXTENSION}-0.1.0-1.noarch`,
      `${SERVICE}-0.1.0-1.noarch`,
    ]);
    for (const name of [SERVICE, EXTENSION]) {
      const files = rpm('--root', root, '-ql', name).trim().split('\n');
      expect(files.length).toBeGreaterThan(3);
      for (const file of files) {
        expect(
          FEDORA_PATHS.some((prefix) => file.startsWith(prefix)),
          file,
        ).toBe(true);
        expect(existsSync(at(file)), file).toBe(true);
      }
    }
  });

  it('have a unit that runs the installed program with its files beside it, and names its documentation', () => {
    const unit = readFileSync(at(UNIT), 'utf8');
    expect(unit).not.toMatch(/@[A-Z]+@/);
    expect(value(unit, 'Type')).toBe('dbus');
    expect(value(unit, 'BusName')).toBe('me.phyllo.Switcher1');
    const [node, ...args] = value(unit, 'ExecStart').split(' ');
    // Node.js is the nodejs package's (a dependency); the program, its relay, contract and model are ours.
    expect(node).toBe('/usr/bin/node');
    expect(rpm('-qpR', rpmFile(SERVICE))).toMatch(/^nodejs >= 20$/m);
    const program = args.find((arg) => !arg.startsWith('-')) as string;
    expect(program).toBe('/usr/libexec/phyllome-switcher/phyllome-switcher-service.mjs');
    expect(statSync(at(program)).isFile()).toBe(true);
    expect(args.slice(args.indexOf(program) + 1)).toEqual(['--host-wide', '--connect', 'qemu:///system']);
    for (const beside of ['phyllome-display-relay.js', 'me.phyllo.Switcher1.xml', 'domain-templates/windows.xml'])
      expect(existsSync(at(`/usr/libexec/phyllome-switcher/${beside}`)), beside).toBe(true);
    const documentation = value(unit, 'Documentation').replace(/^file:\/\//, '');
    expect(existsSync(at(documentation)), documentation).toBe(true);
  });

  it('have a helper unit that runs the installed helper, with the workers’ program beside it, started by its socket', () => {
    const unit = readFileSync(at(FILES_UNIT), 'utf8');
    expect(unit).not.toMatch(/@[A-Z]+@/);
    const [program, ...args] = value(unit, 'ExecStart').split(' ');
    expect(program).toBe(`${LIBEXEC}/phyllome-switcher-files`);
    expect(args).toEqual(['--connect', 'qemu:///system']);
    // Programs that run by their own #! line run node itself: Fedora takes no env there.
    for (const name of ['phyllome-switcher-files', 'phyllome-switcher-worker']) {
      const file = at(`${LIBEXEC}/${name}`);
      expect(statSync(file).mode & 0o111, name).toBe(0o111);
      expect(readFileSync(file, 'utf8').split('\n', 1)[0], name).toBe('#!/usr/bin/node');
    }
    expect(existsSync(at(value(unit, 'Documentation').replace(/^file:\/\//, '')))).toBe(true);
    // Its socket: the one the service connects to by default, the helper's unit requires it, the
    // service's unit wants it (so it needs no enabling).
    const socket = readFileSync(at(FILES_SOCKET), 'utf8');
    expect(value(socket, 'ListenStream')).toBe('/run/phyllome-switcher-files/files.sock');
    const service = readFileSync(at(`${LIBEXEC}/phyllome-switcher-service.mjs`), 'utf8');
    expect(service).toMatch(/["']\/run\/phyllome-switcher-files\/files\.sock["']/);
    expect(value(unit, 'Requires')).toBe('phyllome-switcher-files.socket');
    expect(value(readFileSync(at(UNIT), 'utf8'), 'Wants')).toBe('phyllome-switcher-files.socket');
  });

  it('declare every account the units, the socket and the bus policy name (sysusers.d)', () => {
    const sysusers = readFileSync(at(SYSUSERS), 'utf8')
      .split('\n')
      .filter((line) => /^[ugm] /.test(line))
      .map((line) => line.split(/\s+/));
    const users = sysusers.filter(([kind]) => kind === 'u').map(([, name]) => name);
    // A sysusers 'u' line makes the user's own group too.
    const groups = [...users, ...sysusers.filter(([kind]) => kind === 'g').map(([, name]) => name)];
    const memberships = sysusers.filter(([kind]) => kind === 'm').map(([, user, group]) => `${user} ${group}`);
    const unit = readFileSync(at(UNIT), 'utf8');
    const user = value(unit, 'User');
    expect(users).toContain(user);
    expect(groups).toContain(value(unit, 'Group'));
    for (const group of value(unit, 'SupplementaryGroups').split(' '))
      expect(memberships).toContain(`${user} ${group}`);
    expect(value(readFileSync(at(ACTIVATION), 'utf8'), 'User')).toBe(user);
    expect(groups).toContain(value(readFileSync(at(FILES_SOCKET), 'utf8'), 'SocketGroup'));
    // The workers' real group, the helper's default.
    expect(groups).toContain('phyllome-switcher-worker');
    expect(readFileSync(at(`${LIBEXEC}/phyllome-switcher-files`), 'utf8')).toMatch(/["']phyllome-switcher-worker["']/);
    // libvirt's group, which the service's user joins, is libvirt's package's.
    expect(rpm('-qpR', rpmFile(SERVICE))).toMatch(/^group\(libvirt\)$/m);
  });

  it('have the bus start that unit, for a name its user may own', () => {
    const unit = readFileSync(at(UNIT), 'utf8');
    const activation = readFileSync(at(ACTIVATION), 'utf8');
    expect(value(activation, 'Name')).toBe(value(unit, 'BusName'));
    expect(value(activation, 'Exec')).toBe(value(unit, 'ExecStart'));
    const started = value(activation, 'SystemdService');
    expect(existsSync(at(`/usr/lib/systemd/system/${started}`))).toBe(true);
    expect(`/usr/lib/systemd/system/${started}`).toBe(UNIT);
    // The unit's user (root when it names none) owns the name under the bus policy.
    const user = values(unit, 'User')[0] ?? 'root';
    expect(value(activation, 'User')).toBe(user);
    const policy = readFileSync(at(BUS_POLICY), 'utf8');
    const owners = [...policy.matchAll(/<policy user="([^"]+)">([\s\S]*?)<\/policy>/g)]
      .filter(([, , body]) => (body as string).includes('<allow own="me.phyllo.Switcher1"/>'))
      .map(([, who]) => who);
    expect(owners).toEqual([user]);
    // The contract for D-Bus tools, as the one beside the program.
    expect(readFileSync(at('/usr/share/dbus-1/interfaces/me.phyllo.Switcher1.xml'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'data/me.phyllo.Switcher1.xml'), 'utf8'),
    );
  });

  it('give polkit the actions the service asks about', () => {
    const ids = [...readFileSync(at(POLKIT), 'utf8').matchAll(/<action id="([^"]+)">/g)].map(([, id]) => id);
    expect(ids).toContain('me.phyllo.switcher.manage-other-seat');
    const program = readFileSync(at(`${LIBEXEC}/phyllome-switcher-service.mjs`), 'utf8');
    const asked = [...program.matchAll(/["'](me\.phyllo\.switcher\.[a-z-]+)["']/g)].map(([, id]) => id);
    expect(new Set(asked)).toEqual(new Set(ids));
  });

  it('preset the units on installation, stop them on removal and restart them after an upgrade, with systemd’s helper', () => {
    const scripts = rpm('-qp', '--scripts', rpmFile(SERVICE));
    const helper = '/usr/lib/systemd/systemd-update-helper';
    const units = 'phyllome-switcher-system.service phyllome-switcher-files.service';
    expect(scripts).toContain(`${helper} install-system-units ${units} phyllome-switcher-files.socket`);
    expect(scripts).toContain(`${helper} remove-system-units ${units} phyllome-switcher-files.socket`);
    expect(scripts).toContain(`${helper} mark-restart-system-units ${units}`);
    // Each only when it applies: $1 is the count of this package's versions after the transaction.
    expect(scripts).toMatch(/postinstall scriptlet[^\n]*\n\s*if \[ \$1 -eq 1 \]/);
    expect(scripts).toMatch(/preuninstall scriptlet[^\n]*\n\s*if \[ \$1 -eq 0 \]/);
    expect(scripts).toMatch(/postuninstall scriptlet[^\n]*\n\s*if \[ \$1 -ge 1 \]/);
  });

  it('install the extension whole, for the Shells its metadata claims', () => {
    const files = (dir: string): string[] =>
      execFileSync('find', ['.', '-type', 'f'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').sort();
    expect(files(at(EXTENSION_DIR))).toEqual(files(join(ROOT, 'build/extension/switcher@phyllo.me')));
    const metadata = JSON.parse(readFileSync(at(`${EXTENSION_DIR}/metadata.json`), 'utf8')) as {
      uuid: string;
      'shell-version': string[];
    };
    expect(metadata.uuid).toBe('switcher@phyllo.me');
    // The package asks for exactly those Shells: each claimed major, and no other.
    const requires = rpm('-qpR', rpmFile(EXTENSION));
    const shell = /^\((.*gnome-shell.*)\)$/m.exec(requires)?.[1] ?? '';
    const majors = [...shell.matchAll(/gnome-shell >= (\d+) with gnome-shell < (\d+)/g)].flatMap(([, from, to]) =>
      Array.from({ length: Number(to) - Number(from) }, (_, i) => String(Number(from) + i)),
    );
    expect(majors).toEqual(metadata['shell-version']);
    expect(requires).toMatch(/^virt-viewer$/m);
    expect(requires).toMatch(/^phyllome-switcher = 0\.1\.0-1$/m);
  });

  it('serve from the installed files alone', async () => {
    stack = await ServiceStack.start({ withService: false });
    const unit = readFileSync(at(UNIT), 'utf8');
    const [node, ...args] = value(unit, 'ExecStart').split(' ');
    // As the unit runs it, but on a private bus and libvirt's test driver, from the scratch root's files.
    const flags = args.filter((arg) => arg.startsWith('--optimize') || arg === '--no-opt');
    const program = at(args.find((arg) => !arg.startsWith('-')) as string);
    const service = stack.group.start(
      'installed service',
      node as string,
      [...flags, program, '--connect', 'test:///default', '--bus', stack.bus.address, '--seats', 'none'],
      { env: { ...stack.env } },
    );
    await stack.client.waitForName('me.phyllo.Switcher1', service);
    expect(await stack.client.listGuests()).toEqual([
      '/me/phyllo/Switcher1/guest/6695eb01_f6a4_8304_79aa_97f2502e193f',
    ]);
    // Its introspection is the contract it found beside it.
    const [xml] = await stack.client.service(
      '/me/phyllo/Switcher1',
      'org.freedesktop.DBus.Introspectable',
      'Introspect',
    );
    expect(String(xml)).toContain('me.phyllo.Switcher1.Manager');
    // The helper runs by its own #! line, as its unit starts it.
    const help = spawnSync(at(`${LIBEXEC}/phyllome-switcher-files`), ['--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: phyllome-switcher-files/);
  });
});
