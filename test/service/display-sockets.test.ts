// A guest's display for the host-wide service's callers (issue 18, item 1),
// tried as two real uids: ada on seat0 and bob on seat1. The service runs as
// a system user of its own, in the libvirt group, with no capabilities at
// all (as it will on a host), on a real libvirtd. Its display sockets and
// their folders are its own, nobody else may write in them, and each user
// is given the use of their own by ACLs: the other user cannot connect, no
// caller can create, rename or remove anything there, and a caller racing
// to swap a socket for a link while it is made gains nothing.

import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUEST, SERVICE } from '../support/dbus-client.js';
import { libvirtCall, libvirtState, tinyQemuGuestXml } from '../support/libvirt.js';
import { LogindMock } from '../support/logind-mock.js';
import { ServiceStack } from '../support/stack.js';
import { makeSystemUser, type SystemUser } from '../support/system-accounts.js';
import { twoUsers, UidCaller, type FsAttempt, type Outcomes } from '../support/uid-caller.js';
import { waitFor } from '../support/wait.js';
import { startXvfb } from '../support/xvfb.js';

const DENIED = 'me.phyllo.Switcher1.Error.AccessDenied';
const QEMU = '/org/libvirt/QEMU';
const SHUTOFF = 5;
const [ADA, BOB] = twoUsers();

/** A SPICE client's first words: link to the main channel (SpiceLinkHeader "REDQ" 2.2, SpiceLinkMess). */
function spiceLink(): Buffer {
  const message = Buffer.alloc(18);
  message.writeUInt8(1, 4); // channel_type: main
  message.writeUInt32LE(18, 14); // caps_offset
  const header = Buffer.alloc(16);
  header.write('REDQ', 0, 'ascii');
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(2, 8);
  header.writeUInt32LE(message.length, 12);
  return Buffer.concat([header, message]);
}

/** bob's connections in the churn test; in the attack, 30,000 left 1,400 of the relay's descriptors open. */
const CHURN = 3_000;

/** The parent of each process now running. */
function parents(): Map<number, number> {
  const found = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      found.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

const commandLine = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
};

/** The display relay below the service process `service` (its child, or its wrapper's). */
function relayOf(service: number): number {
  const family = parents();
  const below = (pid: number): boolean => pid > 1 && (pid === service || below(family.get(pid) ?? 0));
  const relay = [...family.keys()].find((pid) => below(pid) && commandLine(pid).includes('display-relay'));
  if (relay === undefined) throw new Error(`no display relay below ${service}`);
  return relay;
}

/** The QEMU of the guest whose uuid is `uuid`. */
function qemuOf(uuid: string): number {
  const qemu = [...parents().keys()].find((pid) => {
    const line = commandLine(pid);
    return line.includes('qemu-system') && line.includes(uuid);
  });
  if (qemu === undefined) throw new Error(`no QEMU for ${uuid}`);
  return qemu;
}

const descriptors = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

let user: SystemUser;
let stack: ServiceStack;
let logind: LogindMock;
let ada: UidCaller;
let bob: UidCaller;
let displayDir = '';
let work = '';
const guests: Record<string, string> = {};

const openDisplay = (who: UidCaller, guest: string) => who.call(SERVICE, guest, GUEST, 'OpenDisplay');
const act = async (who: UidCaller, guest: string, member: string): Promise<string> =>
  (await who.call(SERVICE, guest, GUEST, member)).error;

/** The socket the service makes for `uid`'s viewers of a guest. */
async function socketOf(uid: number, guest: string): Promise<string> {
  const uuid = (await stack.client.property(guest, GUEST, 'Uuid')) as string;
  return join(displayDir, String(uid), `${uuid}.sock`);
}

/** Every outcome of every attempt, added up. */
function total(outcomes: Outcomes[]): Outcomes {
  const sum: Outcomes = {};
  for (const each of outcomes) for (const [outcome, n] of Object.entries(each)) sum[outcome] = (sum[outcome] ?? 0) + n;
  return sum;
}

/** The POSIX ACL of a file, as the kernel keeps it ('' when it has none). */
function aclOf(path: string): string {
  return execFileSync(
    '/usr/bin/python3',
    [
      '-c',
      `import os, sys
try: print(os.getxattr(sys.argv[1], 'system.posix_acl_access', follow_symlinks=False).hex())
except OSError: print('')`,
      path,
    ],
    { encoding: 'utf8' },
  ).trim();
}

beforeAll(async () => {
  user = makeSystemUser('user', ['libvirt']);
  stack = await ServiceStack.start({
    systemBus: true,
    realLibvirtd: true,
    withService: false,
    // Where libvirtd's socket is, so the service watches it through the libvirt group as on a host.
    serviceInSandbox: true,
    systemPolicies: [user.ownerPolicy(SERVICE)],
  });
  logind = await LogindMock.start(stack.group, { bus: stack.bus });
  await logind.addSeat('seat0');
  await logind.addSeat('seat1');
  await logind.addSession('c0', 'seat0', ADA, 'ada');
  await logind.addSession('c1', 'seat1', BOB, 'bob');
  ada = await UidCaller.start(stack.group, ADA, stack.bus.address);
  bob = await UidCaller.start(stack.group, BOB, stack.bus.address);
  await logind.bindPid(ada.pid, 'c0');
  await logind.bindPid(bob.pid, 'c1');
  for (const [name, seat] of [
    ['ada-vm', 'seat0'],
    ['bob-vm', 'seat1'],
  ] as const) {
    await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [
      tinyQemuGuestXml(name, { display: 'spice', seat }),
    ]);
  }
  work = mkdtempSync(join(tmpdir(), 'phyllome-display-work-'));
  chmodSync(work, 0o755);
  // The service's runtime folder, as systemd's RuntimeDirectory= makes it for the unit's user.
  const runtime = mkdtempSync(join(tmpdir(), 'phyllome-display-'));
  chownSync(runtime, user.uid, user.gid);
  chmodSync(runtime, 0o755);
  displayDir = join(realpathSync(runtime), 'display');
  const address = stack.bus.address;
  await stack.startService(
    'qemu:///system',
    ['--host-wide', '--system-bus', address, '--libvirt-bus', address, '--display-dir', displayDir],
    [],
    { HOME: '/nonexistent' },
    user.wrapper,
  );
  for (const name of ['ada-vm', 'bob-vm']) guests[name] = await stack.client.waitForGuest(name);
  await stack.client.watch();
  expect(await act(ada, guests['ada-vm'] as string, 'Start')).toBe('ok');
  expect(await act(bob, guests['bob-vm'] as string, 'Start')).toBe('ok');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (displayDir) rmSync(join(displayDir, '..'), { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
  user?.remove();
});

it('runs as a user of its own, in the libvirt group, with no capabilities', () => {
  const status = readFileSync(`/proc/${stack.service?.pid ?? 0}/status`, 'utf8');
  expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(user.uid));
  expect(/^CapEff:\s*(\w+)$/m.exec(status)?.[1]).toBe('0000000000000000');
  expect(/^CapBnd:\s*(\w+)$/m.exec(status)?.[1]).toBe('0000000000000000');
  const libvirt = execFileSync('getent', ['group', 'libvirt'], { encoding: 'utf8' }).split(':')[2];
  expect(/^Groups:\s*(.*)$/m.exec(status)?.[1]?.split(/\s+/)).toContain(libvirt);
});

describe("a guest's display", () => {
  let uri = '';
  let socket = '';

  it('is handed to its user through a socket only that user can open, the service’s own', async () => {
    const adaVm = guests['ada-vm'] as string;
    const opened = await openDisplay(ada, adaVm);
    expect(opened.error, opened.message).toBe('ok');
    uri = opened.body[0] as string;
    socket = await socketOf(ADA, adaVm);
    expect(uri).toBe(`spice+unix://${socket}`);
    // Socket and folder stay the service's: ada is given connecting and passing, by ACL, and nothing else.
    const folder = join(displayDir, String(ADA));
    for (const [path, mode] of [
      [displayDir, 0o711],
      [folder, 0o710],
      [socket, 0o660],
    ] as const) {
      const stats = statSync(path);
      expect([path, stats.uid, stats.mode & 0o7777]).toEqual([path, user.uid, mode]);
    }
    expect(aclOf(folder)).toMatch(new RegExp(`02000100${Buffer.from(new Uint32Array([ADA]).buffer).toString('hex')}`));
    // The guest's SPICE server answers ada's link through it: libvirt's OpenGraphicsFD, relayed.
    const linked = await ada.socket(socket, spiceLink());
    expect(linked.error).toBe('ok');
    expect(linked.received.subarray(0, 4).toString('ascii')).toBe('REDQ');
    expect(linked.received.readUInt32LE(16)).toBe(0);
    // bob gets neither the socket nor one of his own for ada's guest.
    expect((await bob.socket(socket, spiceLink())).error).toBe('EACCES');
    expect((await openDisplay(bob, adaVm)).error).toBe(DENIED);
  });

  it('sends away a peer of any other uid that gets past the permissions (root)', async () => {
    const received = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const connection = createConnection(socket);
      connection.on('connect', () => connection.write(spiceLink()));
      connection.on('data', (data) => chunks.push(data));
      connection.on('close', () => resolve(Buffer.concat(chunks)));
      // Hung up on before (or while) it spoke: what came back is still what counts.
      connection.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
      });
    });
    expect(received.length).toBe(0);
    await stack.service?.waitForOutput(/uid 0 \(pid \d+\) is not its user; sent away/, 5_000);
  });

  it("is shown by a real viewer of the user's, without libvirt rights", async () => {
    const display = await startXvfb(stack.group, { anyUser: true });
    const home = mkdtempSync(join(tmpdir(), 'phyllome-ada-'));
    chmodSync(home, 0o777);
    try {
      const viewer = stack.group.start(
        'remote-viewer (ada)',
        'setpriv',
        ['--reuid', String(ADA), '--regid', String(ADA), '--clear-groups', 'remote-viewer', '--debug', uri],
        { env: { PATH: process.env.PATH, DISPLAY: display, HOME: home, G_MESSAGES_DEBUG: 'virt-viewer' } },
      );
      await viewer.waitForOutput(/Insert display|notebook show display/, 30_000);
      await viewer.stop();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);

  it('lets no caller create, rename or remove anything in the display folders', async () => {
    const bobVm = guests['bob-vm'] as string;
    expect((await openDisplay(bob, bobVm)).error).toBe('ok');
    const own = await socketOf(BOB, bobVm);
    const folder = join(displayDir, String(BOB));
    const victim = join(work, 'victim');
    writeFileSync(victim, 'root only\n', { mode: 0o600 });
    const attempts: FsAttempt[] = [
      // In the display folder: nothing made, and no user's folder renamed or removed.
      { op: 'mkdir', path: join(displayDir, String(BOB + 1)) },
      { op: 'symlink', target: victim, path: join(displayDir, 'x') },
      { op: 'rename', from: folder, to: join(displayDir, 'moved') },
      { op: 'rmdir', path: join(displayDir, String(ADA)) },
      // In his own folder, which he may pass: nothing made, his socket neither removed, renamed nor replaced.
      { op: 'create', path: join(folder, 'x') },
      { op: 'symlink', target: victim, path: join(folder, 'x.sock') },
      { op: 'unlink', path: own },
      { op: 'rename', from: own, to: join(folder, 'moved.sock') },
      { op: 'rename', from: own, to: join(work, 'moved.sock') },
      // Into ada's, he may not even pass.
      { op: 'unlink', path: socket },
    ];
    const outcomes = await bob.tamper(attempts);
    expect(outcomes.map((outcome, i) => [attempts[i], outcome])).toEqual(
      attempts.map((attempt) => [attempt, { EACCES: 1 }]),
    );
    expect(statSync(own).isSocket()).toBe(true);
  });

  it('gives nothing to a caller swapping its socket for a link while OpenDisplay makes it', async () => {
    const bobVm = guests['bob-vm'] as string;
    const own = await socketOf(BOB, bobVm);
    const folder = join(displayDir, String(BOB));
    // What a link could point at: a root file, and a file of the service's own user, which it could re-mode.
    const rootFile = join(work, 'root-file');
    writeFileSync(rootFile, 'root\n', { mode: 0o600 });
    const serviceFile = join(work, 'service-file');
    writeFileSync(serviceFile, 'service\n', { mode: 0o600 });
    chownSync(serviceFile, user.uid, user.gid);
    const before = [rootFile, serviceFile].map((path) => [statSync(path).uid, statSync(path).mode, aclOf(path)]);
    const stop = bob.keepTampering([
      { op: 'unlink', path: own },
      { op: 'symlink', target: rootFile, path: own },
      { op: 'symlink', target: serviceFile, path: own },
      { op: 'rename', from: join(folder, 'x'), to: own },
    ]);
    // Three times the socket goes with its guest and is made anew, the swapping going on throughout.
    for (let round = 0; round < 3; round++) {
      const from = stack.client.signals.length;
      expect(await act(bob, bobVm, 'ForceOff')).toBe('ok');
      await stack.client.waitForSignal((s) => s.member === 'GuestStopped' && s.body[0] === bobVm, 30_000, from);
      const reopened = await openDisplay(bob, bobVm);
      expect(reopened.error, reopened.message).toBe('ok');
      expect(statSync(own).isSocket()).toBe(true);
    }
    // Never once: refused for want of rights, or for what was (or was not) there when he tried.
    const tries = total(await stop());
    expect(tries.ok).toBeUndefined();
    expect(Object.keys(tries).filter((outcome) => !['EACCES', 'ENOENT', 'EEXIST'].includes(outcome))).toEqual([]);
    expect(tries.EACCES).toBeGreaterThan(100);
    expect([rootFile, serviceFile].map((path) => [statSync(path).uid, statSync(path).mode, aclOf(path)])).toEqual(
      before,
    );
    expect(
      total(
        await bob.tamper([
          { op: 'read', path: rootFile },
          { op: 'read', path: serviceFile },
        ]),
      ),
    ).toEqual({
      EACCES: 2,
    });
  }, 120_000);

  it("keeps a user's connect-and-hang-up churn from reaching another user's display", async () => {
    // Attack finding 3: bob connects to his own socket and hangs up 5 ms later, over and over, ten at a time.
    const [adaVm, bobVm] = [guests['ada-vm'] as string, guests['bob-vm'] as string];
    expect((await openDisplay(ada, adaVm)).error).toBe('ok');
    expect((await openDisplay(bob, bobVm)).error).toBe('ok');
    const [adaSocket, bobSocket] = [await socketOf(ADA, adaVm), await socketOf(BOB, bobVm)];
    const relay = relayOf(stack.service?.pid ?? 0);
    const qemu = qemuOf((await stack.client.property(bobVm, GUEST, 'Uuid')) as string);
    const before = { relay: descriptors(relay), qemu: descriptors(qemu) };
    const churning = bob.churn(bobSocket, CHURN, 10, 5);
    // ada's viewer links to her guest all the while: every time, her guest's SPICE server answers.
    const links: string[] = [];
    for (let i = 0; i < 15; i++) {
      const linked = await ada.socket(adaSocket, spiceLink());
      links.push(linked.received.subarray(0, 4).toString('ascii') === 'REDQ' ? 'linked' : linked.error);
    }
    const churned = await churning;
    expect(links).toEqual(Array.from({ length: 15 }, () => 'linked'));
    expect(Object.values(churned).reduce((sum, n) => sum + n, 0)).toBe(CHURN);
    expect(churned.closed).toBeGreaterThan(0);
    // Every connection bob opened is gone on both sides: the relay's and his QEMU's descriptors come back.
    // Nothing announces a descriptor closed in another process: waitFor looks in /proc now and again.
    await waitFor(() => descriptors(relay) <= before.relay && descriptors(qemu) <= before.qemu, {
      timeoutMs: 30_000,
      what: () =>
        `the descriptors back: ${JSON.stringify({ before, relay: descriptors(relay), qemu: descriptors(qemu), churned })}`,
    });
  }, 180_000);

  it('goes when the guest stops', async () => {
    expect(await act(ada, guests['ada-vm'] as string, 'ForceOff')).toBe('ok');
    expect(await libvirtState(stack, 'ada-vm', QEMU)).toBe(SHUTOFF);
    await stack.service?.waitForOutput(
      new RegExp(`display socket of uid ${ADA} for ${guests['ada-vm']} closed`),
      10_000,
    );
    expect(statSync(socket, { throwIfNoEntry: false })).toBeUndefined();
  });
});
