// A guest shared with another computer (issue 21), tried from that computer
// and by a second local user. The host-wide service runs as a system user
// of its own (libvirt group, no capabilities) on a real libvirtd + QEMU, in a
// network namespace of its own — the host — joined by a veth pair to a
// second one, the other computer, where a real remote-viewer opens the
// connection file its owner was given and shows the guest's screen (a guest
// that paints it magenta), and where a SPICE link of the test's own tries
// passwords and a connect scan looks at every port. ada (seat0) and bob
// (seat1) are real uids of this host.

import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Variant } from '@jellybrick/dbus-next';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GUEST, MANAGER, MANAGER_PATH, propertiesChanged, SERVICE } from '../support/dbus-client.js';
import { libvirtCall, tinyQemuGuestXml } from '../support/libvirt.js';
import { LogindMock } from '../support/logind-mock.js';
import { NetworkPair } from '../support/network-pair.js';
import { isMagenta, paintedGuestXml } from '../support/painted-guest.js';
import { ROOT, ServiceStack } from '../support/stack.js';
import { makeSystemUser, type SystemUser } from '../support/system-accounts.js';
import { twoUsers, UidCaller } from '../support/uid-caller.js';
import { readXwd } from '../support/xwd.js';
import { waitFor } from '../support/wait.js';
import { startXvfb } from '../support/xvfb.js';

const DENIED = 'me.phyllo.Switcher1.Error.AccessDenied';
const QEMU = '/org/libvirt/QEMU';
const PROBE = resolve(ROOT, 'test/support/remote-probe.mjs');
const LINK_OK = 0;
const PERMISSION_DENIED = 7;
const FIRST_PORT = 6000;
const LAST_PORT = 6009;
const [ADA, BOB] = twoUsers();
const run = promisify(execFile);

let user: SystemUser;
let stack: ServiceStack;
let net: NetworkPair;
let ada: UidCaller;
let bob: UidCaller;
let work = '';
let runtime = '';
let stateDir = '';
let display = '';
const guests: Record<string, string> = {};
/** Every password a share gave out: none may reach a log. */
const given: string[] = [];

interface Grant {
  address: string;
  port: number;
  password: string;
  expires: bigint;
  uri: string;
  fingerprint: string;
  certificate: string;
  'host-subject': string;
  'connection-file': string;
}

interface LinkAnswer {
  result?: number;
  ms?: number;
  /** When the verdict came (ms since the epoch). */
  at?: number;
  error?: string;
}

/**
 * For each answer after the first, the time from the moment the one before
 * it was sent (the service judged that one later, and counts its delay from
 * then) to this one's verdict: at least that delay, however late either
 * verdict reached the client on a loaded machine.
 */
const gaps = (answers: LinkAnswer[]): number[] =>
  answers.slice(1).map((answer, i) => {
    const before = answers[i] as LinkAnswer;
    return (answer.at ?? 0) - ((before.at ?? 0) - (before.ms ?? 0));
  });

/** Share as `who`: the grant, or the error's name. */
async function share(who: UidCaller, guest: string, options: Record<string, Variant> = {}): Promise<Grant | string> {
  const reply = await who.call(SERVICE, guest, GUEST, 'Share', 'a{sv}', [options]);
  if (reply.error !== 'ok') return reply.error;
  const grant = reply.body[0] as Grant;
  given.push(grant.password);
  return grant;
}

async function shareOk(who: UidCaller, guest: string, options: Record<string, Variant> = {}): Promise<Grant> {
  const grant = await share(who, guest, options);
  if (typeof grant === 'string') throw new Error(`Share: ${grant}`);
  return grant;
}

/** What the other computer's probe answers (remote-probe.mjs), run in its namespace. */
async function remote<T>(request: Record<string, unknown>): Promise<T> {
  const { stdout } = await run('nsenter', [...net.remote.enter, process.execPath, PROBE, JSON.stringify(request)], {
    timeout: 120_000,
  });
  return JSON.parse(stdout) as T;
}

/** A SPICE client's link from the other computer, trusting the host's certificate as the connection file says. */
const link = (grant: Grant, password: string): Promise<LinkAnswer> =>
  remote({
    op: 'link',
    host: grant.address,
    port: grant.port,
    password,
    ca: grant.certificate,
    subject: grant['host-subject'],
  });

/** Every port of the host, as the other computer's connect scan sees it: the ones that answered. */
async function scanHost(): Promise<number[]> {
  const found = await remote<{ open: number[]; outcomes: Record<string, number> }>({
    op: 'scan',
    host: net.host.address,
    first: 1,
    last: 65535,
  });
  // Every port answered, open or refused: the host was reachable throughout.
  expect(Object.keys(found.outcomes).filter((outcome) => outcome !== 'open' && outcome !== 'ECONNREFUSED')).toEqual([]);
  return found.open;
}

/** Magenta pixels on the other computer's screen (Xvfb's framebuffer). */
function magentaOnScreen(): number {
  const image = readXwd(readFileSync(join(work, 'Xvfb_screen0')));
  let count = 0;
  for (let y = 0; y < image.height; y += 2)
    for (let x = 0; x < image.width; x += 2) if (isMagenta(...image.pixel(x, y))) count++;
  return count;
}

/** Runs remote-viewer on the other computer with a connection file; stop it with the returned function. */
function remoteViewer(connectionFile: string, name: string): { stop: () => Promise<void>; output: () => string } {
  const home = mkdtempSync(join(work, 'home-'));
  const file = join(home, 'share.vv');
  writeFileSync(file, connectionFile, { mode: 0o600 });
  const viewer = stack.group.start(
    `remote-viewer (${name})`,
    'nsenter',
    [...net.remote.enter, 'remote-viewer', '--debug', file],
    {
      env: {
        PATH: process.env.PATH,
        DISPLAY: display,
        HOME: home,
        // No session bus over there: none is started for it either.
        DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus',
        G_MESSAGES_DEBUG: 'virt-viewer',
      },
    },
  );
  return {
    stop: async () => {
      await viewer.stop();
      rmSync(home, { recursive: true, force: true });
    },
    output: () => viewer.output(),
  };
}

/** Waits for a guest's Shared to become `shared`, from the PropertiesChanged the service sends. */
async function sharedBecomes(guest: string, shared: boolean, from: number, timeoutMs = 30_000): Promise<void> {
  await stack.client.waitForSignal(propertiesChanged(guest, 'Shared', shared), timeoutMs, from);
  expect(await stack.client.property(guest, GUEST, 'Shared')).toBe(shared);
}

beforeAll(async () => {
  user = makeSystemUser('user', ['libvirt']);
  stack = await ServiceStack.start({
    systemBus: true,
    realLibvirtd: true,
    withService: false,
    serviceInSandbox: true,
    systemPolicies: [user.ownerPolicy(SERVICE)],
  });
  net = await NetworkPair.start(stack.group);
  const logind = await LogindMock.start(stack.group, { bus: stack.bus });
  await logind.addSeat('seat0');
  await logind.addSeat('seat1');
  await logind.addSession('c0', 'seat0', ADA, 'ada');
  await logind.addSession('c1', 'seat1', BOB, 'bob');
  ada = await UidCaller.start(stack.group, ADA, stack.bus.address);
  bob = await UidCaller.start(stack.group, BOB, stack.bus.address);
  await logind.bindPid(ada.pid, 'c0');
  await logind.bindPid(bob.pid, 'c1');
  for (const xml of [
    paintedGuestXml(stack.libvirtdNamespacePid, 'ada-vm', 'seat0'),
    paintedGuestXml(stack.libvirtdNamespacePid, 'bob-vm', 'seat1'),
    tinyQemuGuestXml('ada-off', { display: 'spice', seat: 'seat0' }),
    tinyQemuGuestXml('ada-vnc', { display: true, seat: 'seat0' }),
  ])
    await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [xml]);
  work = mkdtempSync(join(tmpdir(), 'phyllome-sharing-'));
  chmodSync(work, 0o755);
  // The service's runtime and state folders, as systemd's RuntimeDirectory= and StateDirectory= make them
  // (short names: a socket's path is at most 107 bytes).
  runtime = realpathSync(mkdtempSync(join(tmpdir(), 'phyllome-run-')));
  stateDir = join(realpathSync(mkdtempSync(join(tmpdir(), 'phyllome-state-'))), 'state');
  writeFileSync(join(runtime, '.keep'), '');
  for (const [dir, mode] of [
    [runtime, 0o755],
    [join(stateDir, '..'), 0o755],
  ] as const) {
    chownSync(dir, user.uid, user.gid);
    chmodSync(dir, mode);
  }
  display = await startXvfb(stack.group, { fbdir: work });
  const address = stack.bus.address;
  await stack.startService(
    'qemu:///system',
    [
      '--host-wide',
      '--system-bus',
      address,
      '--libvirt-bus',
      address,
      '--display-dir',
      join(runtime, 'display'),
      '--state-dir',
      stateDir,
      '--share-listen',
      net.host.address,
      '--share-ports',
      `${FIRST_PORT}-${LAST_PORT}`,
    ],
    [],
    { HOME: '/nonexistent' },
    // On the host's side of the cable, as its own user with no capabilities.
    ['nsenter', ...net.host.enter, ...user.wrapper],
  );
  for (const name of ['ada-vm', 'bob-vm', 'ada-off', 'ada-vnc']) guests[name] = await stack.client.waitForGuest(name);
  await stack.client.watch();
  for (const [who, name] of [
    [ada, 'ada-vm'],
    [bob, 'bob-vm'],
    [ada, 'ada-vnc'],
  ] as const)
    expect((await who.call(SERVICE, guests[name] as string, GUEST, 'Start')).error).toBe('ok');
}, 180_000);

/** Each guest's owner, and the state every test starts it in. */
const START: [name: string, owner: () => UidCaller, state: 'running' | 'shutoff'][] = [
  ['ada-vm', () => ada, 'running'],
  ['bob-vm', () => bob, 'running'],
  ['ada-vnc', () => ada, 'running'],
  ['ada-off', () => ada, 'shutoff'],
];

// Nothing shared, and each guest as the file starts it: ended and started again by its owner, as a person would.
beforeEach(async () => {
  for (const [name, owner, wanted] of START) {
    const guest = guests[name] as string;
    if ((await stack.client.property(guest, GUEST, 'Shared')) === true) {
      const from = stack.client.signals.length;
      expect((await owner().call(SERVICE, guest, GUEST, 'Unshare')).error).toBe('ok');
      await sharedBecomes(guest, false, from);
    }
    if ((await stack.client.property(guest, GUEST, 'State')) !== wanted) {
      expect((await owner().call(SERVICE, guest, GUEST, wanted === 'running' ? 'Start' : 'ForceOff')).error).toBe('ok');
      await stack.client.waitForProperty(guest, 'State', wanted, 30_000);
    }
  }
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  for (const dir of [work, runtime, stateDir && join(stateDir, '..')])
    if (dir) rmSync(dir, { recursive: true, force: true });
  user?.remove();
});

it('runs on the host’s side of the cable as a user of its own, with no capabilities, and allows sharing', async () => {
  const pid = stack.service?.pid ?? 0;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(user.uid));
  expect(/^CapEff:\s*(\w+)$/m.exec(status)?.[1]).toBe('0000000000000000');
  expect(/^CapBnd:\s*(\w+)$/m.exec(status)?.[1]).toBe('0000000000000000');
  expect(readlinkSync(`/proc/${pid}/ns/net`)).toBe(readlinkSync(`/proc/${net.host.holder.pid}/ns/net`));
  expect(readlinkSync(`/proc/${pid}/ns/net`)).not.toBe(readlinkSync('/proc/self/ns/net'));
  expect(await stack.client.property(MANAGER_PATH, MANAGER, 'SharingAllowed')).toBe(true);
});

it('has nothing listening for the other computer before anything is shared', async () => {
  expect(await scanHost()).toEqual([]);
}, 120_000);

describe('a share', () => {
  /** ada-vm shared by ada for ten minutes, once the service says so. */
  async function sharedAdaVm(): Promise<Grant> {
    const adaVm = guests['ada-vm'] as string;
    const from = stack.client.signals.length;
    const grant = await shareOk(ada, adaVm, { duration: new Variant('u', 600) });
    await sharedBecomes(adaVm, true, from);
    return grant;
  }

  it('is refused, typed, for what the host does not allow, a guest that cannot be shared, and another seat', async () => {
    const adaVm = guests['ada-vm'] as string;
    expect(await share(ada, adaVm, { address: new Variant('s', '127.0.0.1') })).toBe(
      'me.phyllo.Switcher1.Error.InvalidArgument',
    );
    expect(await share(ada, adaVm, { port: new Variant('u', 5900) })).toBe('me.phyllo.Switcher1.Error.InvalidArgument');
    expect(await share(ada, guests['ada-off'] as string)).toBe('me.phyllo.Switcher1.Error.InvalidState');
    expect(await share(ada, guests['ada-vnc'] as string)).toBe('me.phyllo.Switcher1.Error.InvalidState');
    // bob may not share ada's guest, nor end a share of it.
    expect(await share(bob, adaVm)).toBe(DENIED);
    expect((await bob.call(SERVICE, adaVm, GUEST, 'Unshare')).error).toBe(DENIED);
    expect(await stack.client.property(adaVm, GUEST, 'Shared')).toBe(false);
  });

  it('is shown on the other computer by a real remote-viewer with the file its owner was given, encrypted', async () => {
    const adaVm = guests['ada-vm'] as string;
    const grant = await sharedAdaVm();
    expect(grant.address).toBe(net.host.address);
    expect(grant.port).toBeGreaterThanOrEqual(FIRST_PORT);
    expect(grant.port).toBeLessThanOrEqual(LAST_PORT);
    expect(grant.uri).toBe(`spice://${net.host.address}?tls-port=${grant.port}`);
    expect(grant.password).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    const certificate = new X509Certificate(grant.certificate);
    expect(grant.fingerprint).toBe(certificate.fingerprint256);
    expect(certificate.checkIP(net.host.address)).toBe(net.host.address);
    const until = Number(await stack.client.property(adaVm, GUEST, 'SharedUntil'));
    expect(until).toBe(Number(grant.expires));
    expect(Math.abs(until - (Date.now() / 1000 + 600))).toBeLessThan(60);
    // Nothing of the credential is a property, to anybody.
    const everything = JSON.stringify(
      await bob.call(SERVICE, adaVm, 'org.freedesktop.DBus.Properties', 'GetAll', 's', [GUEST]),
    );
    expect(everything).not.toContain(grant.password);
    const viewer = remoteViewer(grant['connection-file'], 'with the password');
    try {
      // The screen is read as an X dump: nothing announces a frame drawn, so waitFor looks now and again.
      await waitFor(() => magentaOnScreen() >= 10_000, {
        timeoutMs: 60_000,
        pollMs: 200,
        what: () => `a frame of the guest: ${viewer.output()}`,
      });
      await stack.service?.waitForOutput(
        new RegExp(`a viewer at ${net.remote.address.replace(/\./g, '\\.')} connected`),
      );
    } finally {
      await viewer.stop();
    }
  }, 120_000);

  it('is the one port the other computer finds open', async () => {
    const grant = await sharedAdaVm();
    expect(await scanHost()).toEqual([grant.port]);
  }, 120_000);

  it('refuses a wrong or empty password alike, later each time, and still takes the right one', async () => {
    const grant = await sharedAdaVm();
    // The real client first, with a file whose password is wrong: refused, and no frame of the guest.
    const viewer = remoteViewer(grant['connection-file'].replace(grant.password, 'abcd-efgh-jkmn-pqrs'), 'wrong');
    try {
      await stack.service?.waitForOutput(/a wrong or expired password from .* \(1 so far\)/, 30_000);
      expect(magentaOnScreen()).toBe(0);
    } finally {
      await viewer.stop();
    }
    const wrong = await link(grant, 'abcd-efgh-jkmn-pqrt');
    const empty = await link(grant, '');
    const right = await link(grant, grant.password);
    expect([wrong.result, empty.result, right.result]).toEqual([PERMISSION_DENIED, PERMISSION_DENIED, LINK_OK]);
    // After two failures the next verdict comes 1 s after the last at the earliest, after three 2 s
    // (less 10 ms for the clocks' millisecond grain).
    const [afterTwo, afterThree] = gaps([wrong, empty, right]);
    expect(afterTwo).toBeGreaterThanOrEqual(990);
    expect(afterThree).toBeGreaterThanOrEqual(1990);
    await stack.service?.waitForOutput(/a wrong or expired password from .* \(3 so far\)/);
    // A client that trusts only the usual authorities gives up before any password: the certificate is the host's own.
    const untrusting = await remote<LinkAnswer>({
      op: 'link',
      host: grant.address,
      port: grant.port,
      password: grant.password,
    });
    expect(untrusting).toMatchObject({ error: expect.stringMatching(/SELF_SIGNED/) as unknown });
  }, 60_000);

  it('is judged by the fingerprint just as well, for a client with no connection file', async () => {
    const grant = await sharedAdaVm();
    const answer = await remote<LinkAnswer>({
      op: 'link',
      host: grant.address,
      port: grant.port,
      password: grant.password,
      fingerprint: grant.fingerprint,
    });
    expect(answer.result).toBe(LINK_OK);
  }, 60_000);

  it('keeps its local side from a second local user and root, and its key from every caller', async () => {
    await sharedAdaVm();
    const uuid = (await stack.client.property(guests['ada-vm'] as string, GUEST, 'Uuid')) as string;
    const own = join(runtime, 'display', 'share', `${uuid}.sock`);
    expect(existsSync(own)).toBe(true);
    expect((await bob.socket(own, Buffer.from('REDQ'))).error).toBe('EACCES');
    expect((await ada.socket(own, Buffer.from('REDQ'))).error).toBe('EACCES');
    // Root gets past every permission, and is sent away by the relay all the same.
    await new Promise<void>((done) => {
      const connection = createConnection(own);
      connection.on('error', () => done());
      connection.on('close', () => done());
    });
    await stack.service?.waitForOutput(/share\/[0-9a-f-]+\.sock: uid 0 \(pid \d+\) is not its user; sent away/);
    const outcomes = await bob.tamper([
      { op: 'read', path: join(stateDir, 'sharing', 'host-key.pem') },
      { op: 'read', path: join(stateDir, 'sharing', 'host-certificate.pem') },
    ]);
    expect(outcomes).toEqual([{ EACCES: 1 }, { EACCES: 1 }]);
  });

  it('cannot be had twice', async () => {
    await sharedAdaVm();
    expect(await share(ada, guests['ada-vm'] as string)).toBe('me.phyllo.Switcher1.Error.InvalidState');
  });

  it('ends when its owner ends it: the other computer finds nothing, and the password opens nothing', async () => {
    const adaVm = guests['ada-vm'] as string;
    const grant = await sharedAdaVm();
    const from = stack.client.signals.length;
    expect((await ada.call(SERVICE, adaVm, GUEST, 'Unshare')).error).toBe('ok');
    await sharedBecomes(adaVm, false, from);
    expect(await stack.client.property(adaVm, GUEST, 'SharedUntil')).toBe(0n);
    expect((await link(grant, grant.password)).error).toBe('ECONNREFUSED');
    expect(await scanHost()).toEqual([]);
    // Its local side went with it.
    const uuid = (await stack.client.property(adaVm, GUEST, 'Uuid')) as string;
    expect(existsSync(join(runtime, 'display', 'share', `${uuid}.sock`))).toBe(false);
  }, 120_000);

  it('ends when its time is up', async () => {
    const adaVm = guests['ada-vm'] as string;
    const from = stack.client.signals.length;
    const short = await shareOk(ada, adaVm, { duration: new Variant('u', 3) });
    await sharedBecomes(adaVm, true, from);
    await sharedBecomes(adaVm, false, from, 30_000);
    await stack.service?.waitForOutput(/closed: its time is up/);
    expect((await link(short, short.password)).error).toBe('ECONNREFUSED');
  }, 60_000);

  it('closes after five wrong passwords, each judged later than the last', async () => {
    const bobVm = guests['bob-vm'] as string;
    const from = stack.client.signals.length;
    const bobs = await shareOk(bob, bobVm);
    await sharedBecomes(bobVm, true, from);
    const answers: LinkAnswer[] = [];
    for (let i = 0; i < 5; i++) answers.push(await link(bobs, `wrong-${i}`));
    expect(answers.map((a) => a.result ?? a)).toEqual(Array(5).fill(PERMISSION_DENIED));
    // Verdicts at least 0.5, 1, 2 and 4 s after the attempt before (less 10 ms for the clocks' grain).
    const least = [490, 990, 1990, 3990];
    expect(gaps(answers).map((gap, i) => gap >= (least[i] as number))).toEqual([true, true, true, true]);
    await sharedBecomes(bobVm, false, from);
    await stack.service?.waitForOutput(/closed: too many wrong passwords/);
    // Not even the right one now.
    expect((await link(bobs, bobs.password)).error).toBe('ECONNREFUSED');
  }, 90_000);

  it('ends when its guest stops, and the other computer finds nothing again', async () => {
    const adaVm = guests['ada-vm'] as string;
    const from = stack.client.signals.length;
    const last = await shareOk(ada, adaVm);
    await sharedBecomes(adaVm, true, from);
    expect((await link(last, last.password)).result).toBe(LINK_OK);
    expect((await ada.call(SERVICE, adaVm, GUEST, 'ForceOff')).error).toBe('ok');
    await sharedBecomes(adaVm, false, from);
    await stack.service?.waitForOutput(/closed: the guest stopped/);
    expect((await link(last, last.password)).error).toBe('ECONNREFUSED');
    expect(await scanHost()).toEqual([]);
  }, 120_000);

  it('never put a password it gave out into its log', async () => {
    // One of its own, used, whatever ran before: the log is checked for every password given out so far.
    const grant = await sharedAdaVm();
    expect((await link(grant, grant.password)).result).toBe(LINK_OK);
    expect(given).toContain(grant.password);
    const output = stack.service?.output() ?? '';
    for (const password of given) expect(output).not.toContain(password);
  });
});
