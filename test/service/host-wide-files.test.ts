// Files across the host-wide service's boundary, attacked as another real
// uid (bob, on seat1) on the real libvirtd, the service running as a system
// user of its own with no capabilities and its guest-files helper as root
// under its unit's (test/support/host-wide.ts). Each attack is one of a
// kind from issue 18 — a bundle's guest name leading root's writes
// elsewhere, an export folder swapped for a link to another user's folder,
// an installer swapped after it was checked, a disk image that reads the
// host — and each used to get through. Then the helper killed in the middle
// of an import and of an export: the job fails saying so, and what it made
// is gone once the helper is back (a caller's temporary bundle removed by a
// worker run as that caller, never by root).

import { randomBytes, randomUUID } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  existsSync,
  lchownSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  watch,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Variant } from '@jellybrick/dbus-next';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUEST, MANAGER, MANAGER_PATH, SERVICE } from '../support/dbus-client.js';
import { handMadeBundle, giveTo } from '../support/bundles.js';
import {
  createVolume,
  defineDefaultPool,
  inSandbox,
  isJobEnd,
  jobEnd,
  POOL_DIR,
  QEMU,
  sha256File,
  volumeNames,
} from '../support/guest-files.js';
import { HostWide } from '../support/host-wide.js';
import { installerIso } from '../support/installer-iso.js';
import { libvirtCall, tinyQemuGuestXml } from '../support/libvirt.js';
import { levelsOfLinesNaming } from '../support/log-lines.js';
import { LogindMock } from '../support/logind-mock.js';
import type { ServiceStack } from '../support/stack.js';
import { twoUsers, UidCaller } from '../support/uid-caller.js';
import { waitFor } from '../support/wait.js';

const NVRAM_DIR = '/var/lib/libvirt/qemu/nvram';
const SWTPM_DIR = '/var/lib/libvirt/swtpm';
const MiB = 1024 ** 2;
// Two accounts of this host, neither root nor in the libvirt group (e.g. 1000 and nobody).
const [ADA, BOB] = twoUsers();

let host: HostWide;
let stack: ServiceStack;
let bob: UidCaller;
let pool: string;
/** Root's, open to all: each user's folder below it. */
let work: string;
let bobHome: string;
/** ada's own folder, closed to everybody else. */
let adaPrivate: string;
let dataGuest: string;
let dataDisk: string;
let dataSum: string;

const sandbox = (path: string): string => inSandbox(stack.libvirtdNamespacePid, path);
const listing = (path: string): string[] => (existsSync(sandbox(path)) ? readdirSync(sandbox(path)).sort() : []);

/** What our own places hold: guests, volumes, UEFI variables, TPM states. */
async function ourPlaces(): Promise<unknown> {
  return {
    guests: await stack.client.listGuests(),
    volumes: await volumeNames(stack, pool),
    nvram: listing(NVRAM_DIR),
    tpm: listing(SWTPM_DIR),
  };
}

/** Every file under a folder, by path (links not followed). */
function everything(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? [path, ...everything(path)] : [path];
  });
}

/** A folder of bob's (made by root, given to him with every folder on the way below his home). */
function bobsFolder(...parts: string[]): string {
  const dir = join(bobHome, ...parts);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  giveTo(join(bobHome, parts[0] as string), BOB);
  return dir;
}

/** A symbolic link of bob's at `path` to `target`, in place of whatever was there. */
function bobsLink(path: string, target: string): void {
  rmSync(path, { recursive: true, force: true });
  symlinkSync(target, path);
  lchownSync(path, BOB, BOB);
}

/** renameat2(RENAME_EXCHANGE) of two of bob's names, as bob, as the attacker did (Node has no renameat2). */
function exchangeAsBob(one: string, other: string): void {
  const run = spawnSync(
    'setpriv',
    [
      `--reuid=${BOB}`,
      `--regid=${BOB}`,
      '--clear-groups',
      '/usr/bin/python3',
      '-c',
      'import ctypes,sys; libc=ctypes.CDLL(None, use_errno=True); ' +
        'sys.exit(0 if libc.renameat2(-100, sys.argv[1].encode(), -100, sys.argv[2].encode(), 2) == 0 else ctypes.get_errno())',
      one,
      other,
    ],
    { encoding: 'utf8' },
  );
  expect(run.status).toBe(0);
}

/** Job signals recorded since `from`: its progress announcements and its end. */
const progressed = (job: string, from: number): number =>
  stack.client.signals.slice(from).filter((s) => s.path === job && s.member === 'PropertiesChanged').length;

async function bobStarts(
  path: string,
  iface: string,
  member: string,
  signature: string,
  body: unknown[],
): Promise<string> {
  const reply = await bob.call(SERVICE, path, iface, member, signature, body);
  if (reply.error !== 'ok') throw new Error(`${member}: ${reply.error}: ${reply.message}`);
  return reply.body[0] as string;
}

/** Resolves at the job's first progress announcement (or its end), whichever comes first. */
function firstProgress(job: string, from: number, timeoutMs = 60_000): Promise<unknown> {
  return stack.client.waitForSignal(
    (s) =>
      (s.path === job && isJobEnd(job)(s)) ||
      (s.member === 'PropertiesChanged' && Number((s.body[1] as Record<string, Variant>).Progress?.value ?? 0) > 0),
    timeoutMs,
    from,
  );
}

/** A UEFI guest with a TPM, as a bundle's definition (its name whatever the bundle's author chose). */
function uefiDefinition(name: string, uuid: string, disk = ''): string {
  const escaped = name.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<domain type='qemu'><name>${escaped}</name><uuid>${uuid}</uuid><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type></os><features><acpi/></features>
<devices>${disk}<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm></devices></domain>`;
}

beforeAll(async () => {
  host = await HostWide.start(
    () => ['--virt-type', 'qemu'],
    async (started, { polkitPolicy }) => {
      stack = started;
      const logind = await LogindMock.start(stack.group, { bus: stack.bus, policies: [polkitPolicy] });
      await logind.addSeat('seat0');
      await logind.addSeat('seat1');
      await logind.addSession('c0', 'seat0', ADA, 'ada');
      await logind.addSession('c1', 'seat1', BOB, 'bob');
      bob = await UidCaller.start(stack.group, BOB, stack.bus.address);
      await logind.bindPid(bob.pid, 'c1');
      pool = await defineDefaultPool(stack);
      // bob's guest with 256 MiB of data on its disk: a copy long enough (seconds) to act during it.
      const { path } = await createVolume(stack, pool, 'bob-data.img', 512 * MiB);
      dataDisk = path;
      const fd = openSync(sandbox(path), 'r+');
      for (let i = 0; i < 64; i++) writeSync(fd, randomBytes(4 * MiB), 0, 4 * MiB, i * 8 * MiB);
      closeSync(fd);
      dataSum = await sha256File(sandbox(path));
      await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [
        tinyQemuGuestXml('bob-data', { seat: 'seat1' }).replace(
          '<devices>',
          `<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${path}'/><target dev='vda' bus='virtio'/></disk>`,
        ),
      ]);
      work = stack.folder('attacks');
      chmodSync(work, 0o755);
      bobHome = join(work, 'bob');
      mkdirSync(bobHome, { mode: 0o755 });
      chownSync(bobHome, BOB, BOB);
      adaPrivate = join(work, 'ada');
      mkdirSync(adaPrivate, { mode: 0o700 });
      chownSync(adaPrivate, ADA, ADA);
    },
  );
  stack = host.stack;
  await stack.client.watch();
  dataGuest = await stack.client.waitForGuest('bob-data');
}, 180_000);

afterAll(async () => {
  await host?.stop();
});

describe("a bundle's guest name (issue 18 item 3)", () => {
  it('is refused as a name, and nothing is made where it points nor in our places', async () => {
    const theirs = bobsFolder('theirs', 'a');
    const link = join(bobHome, 'theirs', 'link');
    bobsLink(link, theirs);
    const uuid = randomUUID();
    // From libvirt's nvram folder, this name leads to bob's link.
    const name = `${'../'.repeat(8)}${link.slice(1)}/pwn`;
    const bundle = handMadeBundle(
      join(bobsFolder('bundles'), 'pwn.phyllome'),
      { name, uuid },
      uefiDefinition(name, uuid),
      [
        { path: 'nvram/VARS.fd', role: 'nvram', data: randomBytes(32 * MiB) },
        { path: 'tpm/tpm2/tpm2-00.permall', role: 'tpm', data: randomBytes(4096) },
      ],
      BOB,
    );
    const before = await ourPlaces();
    // Whatever appears where the name leads is seen as it appears (inotify), and bob re-points his link
    // at ada's closed folder then, as the attacker did once the copy started: root's clean-up
    // after the failed job then went there, and the file stayed.
    const appeared: string[] = [];
    let repointed = false;
    const repoint = (): void => {
      if (repointed) return;
      repointed = true;
      bobsLink(link, adaPrivate);
    };
    const watchers = [theirs, adaPrivate].map((dir) =>
      watch(dir, (_event, file) => {
        appeared.push(join(dir, String(file)));
        repoint();
      }),
    );
    try {
      // Refused at once by CreateGuest's rule for a name; and were a name ever to pass, every file the
      // import makes is named from the UUID (the transfer tests show where they go).
      const reply = await bob.call(SERVICE, MANAGER_PATH, MANAGER, 'Import', 's', [bundle]);
      expect(reply.error).toBe('me.phyllo.Switcher1.Error.InvalidArgument');
      expect(reply.message).toMatch(/^A guest name is 1 to 63 letters/);
      expect(appeared).toEqual([]);
      // Nothing of it anywhere the name leads: bob's folders, ada's, the nvram folder's neighbours, our places.
      expect(everything(join(bobHome, 'theirs')).filter((p) => p.includes('pwn'))).toEqual([]);
      expect(readdirSync(adaPrivate)).toEqual([]);
      expect(listing('/var/lib/libvirt/qemu').filter((n) => n.includes('pwn'))).toEqual([]);
      expect(listing(NVRAM_DIR).filter((n) => n.includes('pwn'))).toEqual([]);
      expect(await ourPlaces()).toEqual(before);
      expect(repointed).toBe(false);
    } finally {
      for (const watcher of watchers) watcher.close();
    }
  }, 120_000);
});

describe('the export folder (issue 18 item 4)', () => {
  // From the job's first announcement (the worker then finds the link when it opens the folder), and
  // from its first progress (the worker holds the folder open and is copying into it).
  it.each([
    ['from the start', false],
    ['mid-copy', true],
  ] as const)(
    "swapped (RENAME_EXCHANGE) for a link to another user's folder on every progress %s, never leads a write there",
    async (when, midCopy) => {
      const out = bobsFolder(`export-${midCopy ? 'mid' : 'start'}`, 'out');
      const swap = join(bobHome, `export-${midCopy ? 'mid' : 'start'}`, 'swap');
      bobsLink(swap, adaPrivate);
      const exchange = (): void => exchangeAsBob(out, swap);
      const from = stack.client.signals.length;
      const job = await bobStarts(dataGuest, GUEST, 'Export', 's', [out]);
      if (midCopy) await firstProgress(job, from);
      let swaps = 0;
      let seen = progressed(job, from);
      // Deterministic: one swap per progress announcement, at most 40, until the job ends.
      for (;;) {
        const ended = stack.client.signals.slice(from).some(isJobEnd(job));
        if (ended || swaps >= 40) break;
        exchange();
        swaps++;
        expect(readdirSync(adaPrivate)).toEqual([]);
        await stack.client.waitForSignal(
          (s) =>
            (s.path === job && isJobEnd(job)(s)) || (s.member === 'PropertiesChanged' && progressed(job, from) > seen),
          60_000,
          from,
        );
        seen = progressed(job, from);
      }
      const end = await jobEnd(bob, job);
      expect(swaps).toBeGreaterThan(0);
      expect(readdirSync(adaPrivate)).toEqual([]);
      // The bundle is wherever bob's own folder went, or nowhere: never in ada's.
      const bundles = everything(join(bobHome, `export-${midCopy ? 'mid' : 'start'}`)).filter((p) =>
        p.endsWith('bob-data.phyllome'),
      );
      if (end.success) {
        expect([when, bundles]).toHaveLength(2);
        expect(bundles).toHaveLength(1);
        expect(statSync(bundles[0] as string).uid).toBe(BOB);
      } else {
        expect(bundles).toEqual([]);
        expect(end.message).toMatch(/You cannot write into|closed to you|moved during the export/);
      }
      if (midCopy) expect(end.success).toBe(true);
    },
    180_000,
  );
});

describe('the export folder swapped between the check and the writing (issue 18 item 4, the race held open)', () => {
  it("an ancestor exchanged for a link to another user's folder while the service waits on libvirt, never leads a write there", async () => {
    // bob exports into E/out; ada has a folder out of her own in her closed folder.
    const base = bobsFolder('export-held');
    bobsFolder('export-held', 'E', 'out');
    const decoy = join(base, 'decoy');
    bobsLink(decoy, adaPrivate);
    const hers = join(adaPrivate, 'out');
    mkdirSync(hers, { mode: 0o700 });
    chownSync(hers, ADA, ADA);
    // The race the attacker won by looping, held open: libvirt-dbus stopped, so the request
    // waits on its first call to libvirt (after what checked the caller's path, where there was such a
    // check), and bob exchanges E for his link to ada's folder meanwhile.
    const monitor = stack.group.start('dbus-monitor', 'dbus-monitor', [
      '--address',
      stack.bus.address,
      '--monitor',
      "type='method_call',destination='org.libvirt'",
    ]);
    await monitor.waitForOutput(/member=NameLost/, 10_000);
    const calls = (): number => monitor.output().split('\nmethod call ').length - 1;
    const libvirtDbus = (await stack.client.pidOf('org.libvirt')) as number;
    const seen = calls();
    process.kill(libvirtDbus, 'SIGSTOP');
    let reply: Promise<{ error: string; body: unknown[]; message: string }>;
    try {
      reply = bob.call(SERVICE, dataGuest, GUEST, 'Export', 's', [join(base, 'E', 'out')]);
      // dbus-monitor prints each call as it sees it.
      await monitor.waitForOutput(/\nmethod call /, 20_000, monitor.output().length - 1);
      expect(calls()).toBeGreaterThan(seen);
      exchangeAsBob(join(base, 'E'), decoy);
    } finally {
      process.kill(libvirtDbus, 'SIGCONT');
      await monitor.stop();
    }
    const answer = await reply;
    if (answer.error === 'ok') {
      const end = await jobEnd(bob, answer.body[0] as string);
      if (!end.success) expect(end.message).toMatch(/You cannot write into|closed to you/);
    } else {
      expect(answer.error).toBe('me.phyllo.Switcher1.Error.AccessDenied');
    }
    expect(readdirSync(hers)).toEqual([]);
    expect(readdirSync(adaPrivate)).toEqual(['out']);
  }, 120_000);
});

describe('an installer swapped after CreateGuest', () => {
  it("leaves the guest's CD the ISO that was checked: a copy in a volume of the guest's own", async () => {
    const iso = join(bobsFolder('isos'), 'installer.iso');
    copyFileSync(installerIso('phyllome-test'), iso);
    giveTo(iso, BOB);
    const checked = await sha256File(iso);
    const secret = join(work, 'root-only.iso');
    writeFileSync(secret, 'root only: never a guest CD\n', { mode: 0o600 });
    const path = await bobStarts(MANAGER_PATH, MANAGER, 'CreateGuest', 'sssa{sv}', ['bob-new', '', iso, {}]);
    const uuid = (await stack.client.property(path, GUEST, 'Uuid')) as string;
    // bob swaps his ISO for a link to a root-only file, as soon as the guest exists.
    bobsLink(iso, secret);
    const [domain] = await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainLookupByUUID', 's', [uuid]);
    const [xml] = (await libvirtCall(stack, domain as string, 'org.libvirt.Domain', 'GetXMLDesc', 'u', [0])) as [
      string,
    ];
    const cd = `${POOL_DIR}/${uuid}-installer.iso`;
    expect(xml).toContain(`<source file='${cd}'/>`);
    expect(xml).not.toContain(bobHome);
    expect(await sha256File(sandbox(cd))).toBe(checked);
    // Started, QEMU opens the copy: still the checked ISO, whatever bob's path now points at.
    expect((await bob.call(SERVICE, path, GUEST, 'Start')).error).toBe('ok');
    const [live] = (await libvirtCall(stack, domain as string, 'org.libvirt.Domain', 'GetXMLDesc', 'u', [0])) as [
      string,
    ];
    expect(live).toContain(`<source file='${cd}'`);
    expect(await sha256File(sandbox(cd))).toBe(checked);
    expect((await bob.call(SERVICE, path, GUEST, 'ForceOff')).error).toBe('ok');
  }, 180_000);
});

describe('a disk image in a bundle that points outside itself', () => {
  it('is refused, a backing file or an external data file, and no guest is left to read the host file', async () => {
    const hostFile = join(work, 'host-secret.raw');
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', hostFile, '1M']);
    chmodSync(hostFile, 0o600);
    for (const [kind, options] of [
      ['backing', ['-b', hostFile, '-F', 'raw']],
      ['data-file', ['-o', `data_file=${hostFile}`]],
    ] as const) {
      const dir = join(bobsFolder('bundles'), `${kind}.phyllome`);
      mkdirSync(join(dir, 'disks'), { recursive: true });
      const image = join(dir, 'disks', 'vda.qcow2');
      // The data file must not be made anew by qemu-img: the header only names it.
      execFileSync('qemu-img', [
        'create',
        '-q',
        '-f',
        'qcow2',
        ...options,
        image,
        ...(kind === 'backing' ? [] : ['1M']),
      ]);
      const uuid = randomUUID();
      const name = `evil-${kind}`;
      handMadeBundle(
        dir,
        { name, uuid },
        uefiDefinition(
          name,
          uuid,
          "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/anywhere.qcow2'/><target dev='vda' bus='virtio'/></disk>",
        ),
        [{ path: 'disks/vda.qcow2', role: 'disk', target: 'vda', format: 'qcow2' }],
        BOB,
      );
      const before = await ourPlaces();
      const job = await bobStarts(MANAGER_PATH, MANAGER, 'Import', 's', [dir]);
      const end = await jobEnd(bob, job);
      expect([kind, end.success]).toEqual([kind, false]);
      expect(end.message).toMatch(
        kind === 'backing'
          ? /disk vda cannot be imported: .*a backing file/
          : /disk vda cannot be imported: .*an external data file/,
      );
      expect(await ourPlaces()).toEqual(before);
      await expect(
        libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainLookupByUUID', 's', [uuid]),
      ).rejects.toThrow();
    }
    expect(readFileSync(hostFile).length).toBe(MiB);
  }, 120_000);
});

describe('the guest-files helper killed with SIGKILL', () => {
  /** The helper's own worker processes (run as bob). */
  function workersOf(pid: number): number[] {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean);
    return children
      .map(Number)
      .filter((child) => readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('phyllome-switcher-worker'));
  }

  /**
   * Starts bob's Export into `out` and freezes its worker (SIGSTOP) the moment its temporary bundle
   * appears there (inotify), before it has copied anything: whatever the machine's load, the job is
   * then caught mid-way, its partial bundle made. Resolves to the job and the frozen workers.
   */
  async function exportFrozen(out: string): Promise<{ job: string; workers: number[] }> {
    const helper = host.helper?.pid as number;
    let workers: number[] = [];
    const appeared = new Promise<void>((resolve) => {
      const watcher = watch(out, (_event, file) => {
        if (!String(file).includes('.partial-')) return;
        workers = workersOf(helper);
        for (const pid of workers) process.kill(pid, 'SIGSTOP');
        watcher.close();
        resolve();
      });
    });
    const job = await bobStarts(dataGuest, GUEST, 'Export', 's', [out]);
    await appeared;
    return { job, workers };
  }

  it('mid-Import: the job fails saying so, and its UEFI variables, TPM state and volume are gone once it is back', async () => {
    const uuid = randomUUID();
    const dir = join(bobsFolder('bundles'), 'crash.phyllome');
    mkdirSync(join(dir, 'disks'), { recursive: true });
    // A disk with data enough to be caught in the middle of it (copied after the variables and TPM state):
    // 512 MiB, no block of it zeros, so all of it is copied.
    const disk = join(dir, 'disks', 'vda.raw');
    const fd = openSync(disk, 'w');
    const block = Buffer.alloc(4 * MiB);
    for (let i = 0; i < 128; i++) writeSync(fd, block.fill((i % 255) + 1), 0, block.length, i * block.length);
    closeSync(fd);
    handMadeBundle(
      dir,
      { name: 'crash', uuid },
      uefiDefinition(
        'crash',
        uuid,
        "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/x.raw'/><target dev='vda' bus='virtio'/></disk>",
      ),
      [
        { path: 'nvram/VARS.fd', role: 'nvram', data: randomBytes(MiB) },
        { path: 'tpm/tpm2/tpm2-00.permall', role: 'tpm', data: randomBytes(4096) },
        { path: 'disks/vda.raw', role: 'disk', target: 'vda', format: 'raw' },
      ],
      BOB,
    );
    const before = await ourPlaces();
    const from = stack.client.signals.length;
    const job = await bobStarts(MANAGER_PATH, MANAGER, 'Import', 's', [dir]);
    await firstProgress(job, from);
    const helper = host.helper?.pid as number;
    // The copying worker frozen at once, so the import cannot finish before the helper goes.
    const workers = workersOf(helper);
    for (const pid of workers) process.kill(pid, 'SIGSTOP');
    let restarted: Awaited<ReturnType<HostWide['startHelper']>> | undefined;
    try {
      process.kill(helper, 'SIGKILL');
      const end = await jobEnd(bob, job);
      expect(end).toEqual({
        success: false,
        message: 'The guest-files helper stopped in the middle; what it made is removed when it starts again',
      });
      // What root made is still there (a crash undoes nothing); the service removed its volume.
      expect(listing(NVRAM_DIR)).toContain(`${uuid}_VARS.fd`);
      expect(listing(SWTPM_DIR)).toContain(uuid);
      expect(await volumeNames(stack, pool)).not.toContain(`${uuid}-vda.raw`);
    } finally {
      for (const pid of workers) process.kill(pid, 'SIGKILL');
      restarted = await host.startHelper();
    }
    expect(await ourPlaces()).toEqual(before);
    // Gone (above), and told once each, as done rather than failed: one line of info naming it.
    expect(levelsOfLinesNaming(restarted.output(), `${NVRAM_DIR}/${uuid}_VARS.fd`)).toEqual(['info']);
    expect(levelsOfLinesNaming(restarted.output(), `${SWTPM_DIR}/${uuid}`)).toEqual(['info']);
  }, 120_000);

  it('mid-Export: its worker, left alone, removes its temporary bundle as the caller', async () => {
    const out = bobsFolder('crash-export-1');
    const { job, workers } = await exportFrozen(out);
    const [worker] = workers;
    expect(workers).toHaveLength(1);
    try {
      process.kill(host.helper?.pid as number, 'SIGKILL');
      expect((await jobEnd(bob, job)).success).toBe(false);
      expect(readdirSync(out)).toHaveLength(1);
      process.kill(worker as number, 'SIGCONT');
      // Its input gone, the worker undoes its work and ends.
      // Not our child: nothing announces its end but /proc.
      await waitFor(() => !existsSync(`/proc/${worker}`), {
        what: `worker ${worker} to end`,
        timeoutMs: 5_000,
        pollMs: 50,
      });
      expect(readdirSync(out)).toEqual([]);
    } finally {
      await host.startHelper();
    }
  }, 120_000);

  it('mid-Export, its worker killed too (a power cut): the next start has a worker run as the caller remove what is left', async () => {
    const out = bobsFolder('crash-export-2');
    // All at one instant, as a power cut: the worker is frozen first, so it cannot see the helper go
    // (and clean up) before its own SIGKILL lands.
    const { job, workers } = await exportFrozen(out);
    expect(workers).toHaveLength(1);
    for (const pid of [host.helper?.pid as number, ...workers]) process.kill(pid, 'SIGKILL');
    expect((await jobEnd(bob, job)).success).toBe(false);
    // The caller's own temporary bundle, in the caller's own folder, is left: root does not touch it.
    const [partial] = readdirSync(out);
    expect(partial).toMatch(/^\.bob-data\.phyllome\.partial-[0-9a-f]{8}$/);
    expect(statSync(join(out, partial as string)).uid).toBe(BOB);
    const restarted = await host.startHelper();
    expect(readdirSync(out)).toEqual([]);
    expect(levelsOfLinesNaming(restarted.output(), String(BOB), partial as string, out)).toEqual(['info']);
    // The guest is as it was.
    expect((await stack.client.property(dataGuest, GUEST, 'State')) as string).toBe('shutoff');
    expect(await sha256File(sandbox(dataDisk))).toBe(dataSum);
  }, 120_000);
});
