// The host-wide service: one instance on a private "system" bus that loads
// the host's system bus policy, ours (data/me.phyllo.Switcher1.conf) and
// libvirt-dbus's, the only client of a real libvirtd (qemu:///system through
// libvirt-dbus --system, in the sandbox), run as a system user of its own
// with no capabilities, its guest-files helper as root under its unit's
// (test/support/host-wide.ts); fake logind and a polkit deciding by who asks. Two people, ada on seat0 and bob on seat1, call as two uids of
// this host through setpriv, in no libvirt group: each has their
// own, neither gets the other's without polkit's yes, and neither reaches
// libvirt but through us.

import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ALLOW_INTERACTIVE_AUTHORIZATION, GUEST, MANAGER, MANAGER_PATH, SERVICE } from '../support/dbus-client.js';
import { jobEnd } from '../support/guest-files.js';
import { libvirtCall, libvirtDomainPath, libvirtState, tinyQemuGuestXml } from '../support/libvirt.js';
import { LogindMock } from '../support/logind-mock.js';
import { capabilityMask, HostWide, unitCapabilities } from '../support/host-wide.js';
import type { ServiceStack } from '../support/stack.js';
import { twoUsers, UidCaller } from '../support/uid-caller.js';
import { waitFor } from '../support/wait.js';

const ERR = 'me.phyllo.Switcher1.Error';
const DENIED = `${ERR}.AccessDenied`;
const OTHER_SEAT = 'me.phyllo.switcher.manage-other-seat';
const QEMU = '/org/libvirt/QEMU';
const RUNNING = 1;
const PAUSED = 3;
const SHUTOFF = 5;
// Two accounts of this host, neither root nor in the libvirt group (e.g. 1000 and nobody).
const [ADA, BOB] = twoUsers();

let host: HostWide;
let stack: ServiceStack;
let logind: LogindMock;
let ada: UidCaller;
let bob: UidCaller;
const guests: Record<string, string> = {};

const call = (who: UidCaller, path: string, iface: string, member: string, signature = '', body: unknown[] = []) =>
  who.call(SERVICE, path, iface, member, signature, body);
const errorOf = async (who: UidCaller, path: string, member: string, signature = '', body: unknown[] = []) =>
  (await call(who, path, GUEST, member, signature, body)).error;
const state = (name: string): Promise<number> => libvirtState(stack, name, QEMU);

/** Runs a command as `uid` inside the libvirtd sandbox's mount namespace (where its sockets are). */
function inSandboxAs(uid: number, command: string[]): { status: number | null; output: string } {
  const result = spawnSync(
    'nsenter',
    [
      '--mount',
      '--target',
      String(stack.libvirtdNamespacePid),
      '--',
      'setpriv',
      '--reuid',
      String(uid),
      '--regid',
      String(uid),
      '--clear-groups',
      ...command,
    ],
    { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent' }, timeout: 20_000 },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** ada on seat0 and bob on seat1, each in their session; the logind a test stopped is started again. */
async function twoSessions(): Promise<void> {
  await logind.addSeat('seat0');
  await logind.addSeat('seat1');
  await logind.addSession('c0', 'seat0', ADA, 'ada');
  await logind.addSession('c1', 'seat1', BOB, 'bob');
  await logind.bindPid(ada.pid, 'c0');
  await logind.bindPid(bob.pid, 'c1');
}

/**
 * Puts guests in the state a test starts from, through libvirt itself (no
 * caller's rights involved), and waits until the service has seen it.
 */
async function guestsIn(wanted: 'running' | 'shutoff', names: string[]): Promise<void> {
  for (const name of names) {
    const now = await state(name);
    const domain = await libvirtDomainPath(stack, name, QEMU);
    if (wanted === 'shutoff' && now !== SHUTOFF)
      await libvirtCall(stack, domain, 'org.libvirt.Domain', 'Destroy', 'u', [0]);
    if (wanted === 'running' && now === PAUSED) await libvirtCall(stack, domain, 'org.libvirt.Domain', 'Resume');
    if (wanted === 'running' && now === SHUTOFF)
      await libvirtCall(stack, domain, 'org.libvirt.Domain', 'Create', 'u', [0]);
    await stack.client.waitForProperty(guests[name] as string, 'State', wanted, 20_000);
  }
}

beforeAll(async () => {
  host = await HostWide.start(
    () => [],
    async (started, { polkitPolicy }) => {
      stack = started;
      logind = await LogindMock.start(stack.group, { bus: stack.bus, policies: [polkitPolicy] });
      ada = await UidCaller.start(stack.group, ADA, stack.bus.address);
      bob = await UidCaller.start(stack.group, BOB, stack.bus.address);
      await twoSessions();
      for (const [name, seat] of [
        ['ada-vm', 'seat0'],
        ['bob-vm', 'seat1'],
        ['shared', ''],
      ] as const) {
        await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [
          tinyQemuGuestXml(name, { display: 'spice', ...(seat ? { seat } : {}) }),
        ]);
      }
    },
  );
  stack = host.stack;
  for (const name of ['ada-vm', 'bob-vm', 'shared']) guests[name] = await stack.client.waitForGuest(name);
  await stack.client.watch();
}, 120_000);

// What no test may leave to the next: logind stopped, polkit's rules, agent and record.
beforeEach(async () => {
  if (!logind.logind.running) {
    await logind.startLogind();
    await twoSessions();
    await waitFor(
      async () => ((await stack.client.service(MANAGER_PATH, MANAGER, 'ListSeats'))[0] as string[]).length === 2,
      { what: "the service to see logind's seats again", on: [[stack.client.events, 'signal']] },
    );
  }
  await logind.polkitAgent('none');
  await logind.clearPolkitRules();
  await logind.clearCheckedActions();
}, 30_000);

afterAll(async () => {
  await host?.stop();
});

describe('the service and its guest-files helper', () => {
  it('runs as a system user of its own, in the libvirt group, with no capabilities at all', () => {
    const status = readFileSync(`/proc/${stack.service?.pid ?? 0}/status`, 'utf8');
    expect(/^Uid:\s*(\d+)/m.exec(status)?.[1]).toBe(String(host.serviceUser.uid));
    expect(/^Groups:\s*(.*)$/m.exec(status)?.[1]?.split(/\s+/)).toContain(
      readFileSync('/etc/group', 'utf8').match(/^libvirt:x:(\d+):/m)?.[1],
    );
    expect(/^CapEff:\s*(\w+)$/m.exec(status)?.[1]).toBe('0000000000000000');
    expect(/^CapPrm:\s*(\w+)$/m.exec(status)?.[1]).toBe('0000000000000000');
    expect(/^CapBnd:\s*(\w+)$/m.exec(status)?.[1]).toBe('0000000000000000');
  });

  it("has a helper running as root with exactly its unit's capabilities, on a socket only the service's group may use", () => {
    const status = readFileSync(`/proc/${host.helper?.pid ?? 0}/status`, 'utf8');
    const caps = capabilityMask(unitCapabilities('phyllome-switcher-files.service.in'));
    expect(caps).toBe('00000000000000c6');
    expect(/^Uid:\s*(\d+)/m.exec(status)?.[1]).toBe('0');
    expect(/^CapEff:\s*(\w+)$/m.exec(status)?.[1]).toBe(caps);
    expect(/^CapBnd:\s*(\w+)$/m.exec(status)?.[1]).toBe(caps);
    const socket = statSync(host.helperSocket);
    expect([socket.uid, socket.gid, socket.mode & 0o777]).toEqual([0, host.serviceUser.gid, 0o660]);
  });
});

describe('the system bus', () => {
  it("lets every user call the service, and only the service's user own its name (not root)", async () => {
    const [listed] = (await call(bob, MANAGER_PATH, MANAGER, 'ListGuests')).body as [string[]];
    expect(listed.sort()).toEqual(Object.values(guests).sort());
    expect(
      (await call(bob, MANAGER_PATH, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [MANAGER, 'Scope'])).body,
    ).toEqual(['host']);
    const own = await bob.call(
      'org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus',
      'RequestName',
      'su',
      [SERVICE, 4],
    );
    expect(own.error).toBe('org.freedesktop.DBus.Error.AccessDenied');
    await expect(
      stack.client.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'RequestName', 'su', [
        SERVICE,
        4,
      ]),
    ).rejects.toThrow(/not allowed to own/);
  });

  it("keeps users out of libvirt-dbus: only root and the libvirt group may call it (libvirt's own policy)", async () => {
    const listed = await bob.call(SERVICE, MANAGER_PATH, MANAGER, 'ListGuests');
    expect(listed.error).toBe('ok');
    const direct = await bob.call('org.libvirt', QEMU, 'org.libvirt.Connect', 'ListDomains', 'u', [0]);
    expect(direct.error).toBe('org.freedesktop.DBus.Error.AccessDenied');
  });
});

describe('two people on two seats', () => {
  it('each start, pause and stop their own seat’s guest', async () => {
    await guestsIn('shutoff', ['ada-vm', 'bob-vm', 'shared']);
    expect(await errorOf(ada, guests['ada-vm'] as string, 'Start')).toBe('ok');
    expect(await errorOf(bob, guests['bob-vm'] as string, 'Start')).toBe('ok');
    expect(await errorOf(bob, guests.shared as string, 'Start')).toBe('ok');
    expect([await state('ada-vm'), await state('bob-vm'), await state('shared')]).toEqual([RUNNING, RUNNING, RUNNING]);
    expect(await errorOf(bob, guests['bob-vm'] as string, 'Pause')).toBe('ok');
    expect(await state('bob-vm')).toBe(PAUSED);
    expect(await errorOf(bob, guests['bob-vm'] as string, 'Resume')).toBe('ok');
  });

  it("neither pauses, stops, shows or takes the other's guest without polkit's yes", async () => {
    await guestsIn('running', ['ada-vm', 'bob-vm', 'shared']);
    const adaVm = guests['ada-vm'] as string;
    for (const member of ['Pause', 'ForceOff', 'Reboot', 'OpenDisplay'])
      expect(await errorOf(bob, adaVm, member)).toBe(DENIED);
    expect(await errorOf(bob, adaVm, 'Shutdown', 'u', [10])).toBe(DENIED);
    expect(
      (await call(bob, '/me/phyllo/Switcher1/seat/seat1', 'me.phyllo.Switcher1.Seat', 'AssignGuest', 'o', [adaVm]))
        .error,
    ).toBe(DENIED);
    expect(await errorOf(ada, guests['bob-vm'] as string, 'ForceOff')).toBe(DENIED);
    expect([await state('ada-vm'), await state('bob-vm')]).toEqual([RUNNING, RUNNING]);
    expect(await stack.client.property(adaVm, GUEST, 'Seat')).toBe('seat0');
    // polkit was asked about the caller by its bus name: it asks the bus who that is.
    const checks = await logind.checkedActions();
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.every((c) => c.actionId === OTHER_SEAT && c.subject.kind === 'system-bus-name')).toBe(true);
    // PauseAll pauses only what bob may act on.
    const paused = await call(bob, MANAGER_PATH, MANAGER, 'PauseAll');
    expect((paused.body[0] as string[]).sort()).toEqual([guests['bob-vm'], guests.shared].sort());
    expect(await state('ada-vm')).toBe(RUNNING);
    expect((await call(bob, MANAGER_PATH, MANAGER, 'ResumeAll')).error).toBe('ok');
  });

  it("gets the other's with polkit's yes: a rule for that user, or an administrator's password when the call allows asking", async () => {
    await guestsIn('running', ['ada-vm', 'bob-vm']);
    const adaVm = guests['ada-vm'] as string;
    await logind.polkitRule(OTHER_SEAT, BOB, 'yes');
    expect(await errorOf(bob, adaVm, 'Pause')).toBe('ok');
    expect(await state('ada-vm')).toBe(PAUSED);
    expect(await errorOf(ada, adaVm, 'Resume')).toBe('ok');
    await logind.clearPolkitRules();
    // A rule for bob is nothing to ada.
    await logind.polkitRule(OTHER_SEAT, BOB, 'yes');
    expect(await errorOf(ada, guests['bob-vm'] as string, 'Pause')).toBe(DENIED);
    await logind.clearPolkitRules();
    await logind.polkitAgent('yes');
    expect(await errorOf(bob, adaVm, 'Pause')).toBe(DENIED);
    const asked = await bob.call(SERVICE, adaVm, GUEST, 'Pause', '', [], ALLOW_INTERACTIVE_AUTHORIZATION);
    expect(asked.error).toBe('ok');
    await logind.polkitAgent('none');
    await logind.clearPolkitRules();
    expect(await errorOf(ada, adaVm, 'Resume')).toBe('ok');
  });

  it("neither sets the display nor the monitors of the other's guest; their own, yes; bad values alike for both", async () => {
    const adaVm = guests['ada-vm'] as string;
    const variant = (signature: string, value: unknown) => ({ $variant: [signature, value] });
    const definition = async (): Promise<string> => {
      const [xml] = await libvirtCall(
        stack,
        await libvirtDomainPath(stack, 'ada-vm', QEMU),
        'org.libvirt.Domain',
        'GetXMLDesc',
        'u',
        [2],
      );
      return xml as string;
    };
    expect(await errorOf(ada, adaVm, 'SetDisplay', 'a{sv}', [{ heads: variant('u', 2) }])).toBe('ok');
    const before = await definition();
    expect(before).toMatch(/heads='2'/);
    expect(
      await errorOf(bob, adaVm, 'SetDisplay', 'a{sv}', [
        { resolution: variant('(uu)', [1920, 1080]), heads: variant('u', 1) },
      ]),
    ).toBe(DENIED);
    expect(await errorOf(bob, adaVm, 'SetMonitors', 'as', [['Virtual-1']])).toBe(DENIED);
    expect(await definition()).toBe(before);
    // A bad value is the same refusal for anybody, before who calls is asked.
    expect(await errorOf(bob, adaVm, 'SetDisplay', 'a{sv}', [{ heads: variant('u', 9) }])).toBe(
      `${ERR}.InvalidArgument`,
    );
    expect(await errorOf(bob, adaVm, 'SetMonitors', 'as', [['DP-1', 'DP-1']])).toBe(`${ERR}.InvalidArgument`);
    // Reading what it may be set to is free.
    expect(await errorOf(bob, adaVm, 'DescribeDisplay')).toBe('ok');
    expect(await errorOf(ada, adaVm, 'SetDisplay', 'a{sv}', [{ heads: variant('u', 1) }])).toBe('ok');
  });

  it('cannot reach qemu:///system itself: libvirtd refuses its read-write socket, and a read-only one changes nothing', () => {
    const rw = inSandboxAs(BOB, ['virsh', '-c', 'qemu:///system', 'list', '--all']);
    expect(rw.status).not.toBe(0);
    expect(rw.output).toMatch(/Permission denied|Failed to connect/);
    const ro = inSandboxAs(BOB, ['virsh', '-r', '-c', 'qemu:///system', 'destroy', 'ada-vm']);
    expect(ro.status).not.toBe(0);
    expect(ro.output).toMatch(/read only|read-only/i);
  });

  it("never runs a program or reads a file a caller names in a move's URI (libvirtd would, as root)", async () => {
    await guestsIn('running', ['bob-vm']);
    const work = mkdtempSync(join(tmpdir(), 'phyllome-uri-'));
    try {
      const marker = join(work, 'ran');
      const script = join(work, 'evil.sh');
      writeFileSync(script, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
      const bobVm = guests['bob-vm'] as string;
      // Jobs of earlier tests (an export's) stay listed: no new one may appear.
      const [before] = await stack.client.call(SERVICE, MANAGER_PATH, MANAGER, 'ListJobs');
      for (const uri of [
        `qemu+ssh://example.invalid/system?command=${script}`,
        `qemu+ssh://example.invalid/system?keyfile=/etc/shadow`,
        `qemu+unix:///system?socket=${join(work, 'sock')}`,
      ]) {
        const reply = await call(bob, bobVm, GUEST, 'MigrateTo', 'sa{sv}', [uri, {}]);
        expect(reply.error, uri).toBe(`${ERR}.InvalidArgument`);
        expect(reply.message).toMatch(/program or file on this host/);
      }
      const [jobs] = await stack.client.call(SERVICE, MANAGER_PATH, MANAGER, 'ListJobs');
      expect(jobs).toEqual(before);
      expect(existsSync(marker)).toBe(false);
      expect(await state('bob-vm')).toBe(RUNNING);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('places a process of no session (a Shell run as a systemd user unit) at its user’s display session', async () => {
    await guestsIn('running', ['ada-vm']);
    const shell = await UidCaller.start(stack.group, ADA, stack.bus.address);
    const [where] = (await call(shell, MANAGER_PATH, MANAGER, 'DescribeCaller')).body as [Record<string, unknown>];
    expect(where).toEqual({ uid: ADA, session: 'c0', seat: 'seat0', active: true, local: true });
    expect(await errorOf(shell, guests['ada-vm'] as string, 'Pause')).toBe('ok');
    expect(await errorOf(shell, guests['ada-vm'] as string, 'Resume')).toBe('ok');
    expect(await errorOf(shell, guests['bob-vm'] as string, 'Pause')).toBe(DENIED);
    await shell.stop();
  });
});

describe('files a caller names', () => {
  // The service is root; it must not write or read for a user where that user may not.
  let work = '';
  /** bob's export of bob-vm into his own folder: made by whichever test needs it first. */
  let bobExport: Promise<{ error: string; job: string; end: unknown; folder: string }> | undefined;
  const exportAsBob = () =>
    (bobExport ??= (async () => {
      const folder = join(work, 'bob');
      mkdirSync(folder, { mode: 0o700 });
      chownSync(folder, BOB, BOB);
      const reply = await call(bob, guests['bob-vm'] as string, GUEST, 'Export', 's', [folder]);
      const job = reply.body[0] as string;
      return { error: reply.error, job, end: reply.error === 'ok' ? await jobEnd(bob, job) : undefined, folder };
    })());

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'phyllome-files-'));
    chmodSync(work, 0o755);
  });

  // Exported shut off, as a person would.
  beforeEach(async () => {
    await guestsIn('shutoff', ['bob-vm']);
  }, 30_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('refuses to export into a folder the caller may not write, writing nothing', async () => {
    const closed = join(work, 'roots');
    mkdirSync(closed, { mode: 0o755 });
    const reply = await call(bob, guests['bob-vm'] as string, GUEST, 'Export', 's', [closed]);
    expect(reply.error).toBe(DENIED);
    expect(reply.message).toContain(closed);
    expect(readdirSync(closed)).toEqual([]);
  });

  it("exports into the caller's own folder, the bundle theirs", async () => {
    const { error, end, folder } = await exportAsBob();
    expect(error).toBe('ok');
    expect(end).toMatchObject({ success: true });
    const bundle = join(folder, 'bob-vm.phyllome');
    for (const path of [bundle, join(bundle, 'manifest.json'), join(bundle, 'domain.xml')])
      expect(statSync(path).uid).toBe(BOB);
  });

  it("refuses another seat's guest and another user's bundle", async () => {
    const adaOwn = join(work, 'ada');
    mkdirSync(adaOwn, { mode: 0o700 });
    chownSync(adaOwn, ADA, ADA);
    expect((await call(ada, guests['bob-vm'] as string, GUEST, 'Export', 's', [adaOwn])).error).toBe(DENIED);
    expect((await call(ada, guests['bob-vm'] as string, GUEST, 'Clone', 's', ['bobs-copy'])).error).toBe(DENIED);
    expect(readdirSync(adaOwn)).toEqual([]);
    // bob's bundle is in bob's closed folder: the service could read it, ada may not.
    expect((await exportAsBob()).end).toMatchObject({ success: true });
    const imported = await call(ada, MANAGER_PATH, MANAGER, 'Import', 's', [join(work, 'bob', 'bob-vm.phyllome')]);
    expect(imported.error).toBe(DENIED);
    expect(imported.message).toMatch(/closed to you/);
  });

  it("lets only whoever started a job cancel it, asked before the job's own answer", async () => {
    // The job has ended: its starter hears that; anybody else hears no (test/service/job-owners.test.ts for more).
    const { job } = await exportAsBob();
    const cancel = (who: UidCaller) => call(who, job, 'me.phyllo.Switcher1.Job', 'Cancel');
    expect((await cancel(ada)).error).toBe(DENIED);
    expect((await cancel(bob)).error).toBe(`${ERR}.InvalidState`);
  });
});

// A guest's display, its sockets and their folders: test/service/display-sockets.test.ts, with the
// service as a user of its own.

describe('with logind gone', () => {
  it('refuses even its own seat’s guest, changing nothing', async () => {
    await guestsIn('running', ['bob-vm']);
    await logind.stopLogind();
    expect(await errorOf(bob, guests['bob-vm'] as string, 'Pause')).toBe(DENIED);
    expect(await state('bob-vm')).toBe(RUNNING);
  });
});

// A second user's attack: the bus lets anybody send any signal to the service's unique name.
describe('signals another user sends the service', () => {
  it("cannot pose as the bus daemon: a forged NameOwnerChanged moves neither libvirt's owner nor Connected", async () => {
    const DBUS = 'org.freedesktop.DBus';
    const service = (await bob.call(DBUS, '/org/freedesktop/DBus', DBUS, 'GetNameOwner', 's', [SERVICE]))
      .body[0] as string;
    const adaVm = guests['ada-vm'] as string;
    const [domain] = await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainLookupByName', 's', ['ada-vm']);
    const before = await stack.client.property(adaVm, GUEST, 'State');
    const owner = (newOwner: string) =>
      bob.emit(service, '/org/freedesktop/DBus', DBUS, 'NameOwnerChanged', 'sss', ['org.libvirt', '', newOwner]);
    // bob says libvirt-dbus is now him, speaks for libvirt (ada's guest suspended), then says it left the bus.
    await owner(bob.busName);
    await bob.emit(service, QEMU, 'org.libvirt.Connect', 'DomainEvent', 'oii', [domain, PAUSED, 0]);
    await owner('');
    // One connection's messages reach the service in order: once his call is answered, it has read them all.
    expect((await bob.call(service, '/', 'org.freedesktop.DBus.Peer', 'Ping')).error).toBe('ok');
    expect(await stack.client.property(adaVm, GUEST, 'State')).toBe(before);
    expect(await stack.client.property(MANAGER_PATH, MANAGER, 'Connected')).toBe(true);
    // And it is what libvirt says.
    const libvirtSays = await state('ada-vm');
    expect(before).toBe({ [RUNNING]: 'running', [PAUSED]: 'paused', [SHUTOFF]: 'shutoff' }[libvirtSays]);
  });
});
