// New guests from Phyllome's model on a real libvirtd with QEMU software
// emulation, OVMF and swtpm: a Windows-11-shaped guest whose Secure Boot
// firmware boots its installer ISO (a screenshot shows GRUB's menu) with an
// emulated TPM 2.0, a Linux-shaped one with virtio and no Hyper-V, both
// valid for virt-xml-validate; and every bad input refused with a typed
// error, leaving no domain and no volume behind.

import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Variant } from '@jellybrick/dbus-next';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUEST, MANAGER, MANAGER_PATH, propertiesChanged } from '../support/dbus-client.js';
import { installerIso, WINDOWS_11_LABEL } from '../support/installer-iso.js';
import { domainXmlProblems } from '../support/validate-xml.js';
import { domainCpuSeconds, libvirtCall, libvirtDomainPath, tinyQemuGuestXml } from '../support/libvirt.js';
import { waitOnGuest } from '../support/wait.js';
import { ensureDefaultPool, inSandbox, POOL_DIR, sha256File } from '../support/guest-files.js';
import { highlightedRows, readPng } from '../support/png.js';
import { ROOT, ServiceStack } from '../support/stack.js';

const QEMU = '/org/libvirt/QEMU';
const ARTIFACTS = join(ROOT, '.cache/artifacts');
const WIN11 = 'http://microsoft.com/win/11';
const DEBIAN = 'http://debian.org/debian/11';
const NOBODY = 65534;

let stack: ServiceStack;
let windowsIso: string;
let plainIso: string;

beforeAll(async () => {
  windowsIso = installerIso('win11-shaped', WINDOWS_11_LABEL);
  plainIso = installerIso('phyllome-test');
  stack = await ServiceStack.start({
    realLibvirtd: true,
    uri: 'qemu:///session',
    anyUser: true,
    // Another user's installer is read by a worker run as that user.
    workers: true,
    // Software emulation, as the issue asks, and as nested KVM may not run a host-model CPU.
    serviceArgs: ['--virt-type', 'qemu'],
  });
  await stack.client.watch();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** virsh inside the sandboxed libvirtd's mount namespace. */
function virsh(...args: string[]): string {
  return execFileSync(
    'nsenter',
    ['--mount', '--target', String(stack.libvirtdNamespacePid), 'virsh', '-c', 'qemu:///system', ...args],
    { encoding: 'utf8' },
  );
}

const create = (name: string, osId: string, iso: string, options: Record<string, Variant> = {}): Promise<unknown[]> =>
  stack.client.service(MANAGER_PATH, MANAGER, 'CreateGuest', 'sssa{sv}', [name, osId, iso, options], 60_000);

async function domainXml(name: string, flags = 0): Promise<string> {
  const path = await libvirtDomainPath(stack, name, QEMU);
  const [xml] = await libvirtCall(stack, path, 'org.libvirt.Domain', 'GetXMLDesc', 'u', [flags]);
  return xml as string;
}

/** virt-xml-validate's verdict on a domain's XML: '' when valid. */
const validate = domainXmlProblems;

/** Waits until the guest's screen shows a menu with a highlighted entry; keeps the screenshot. */
/** The rows of the installer's menu once the guest's screen shows it (a screenshot a second). */
async function waitForMenu(name: string, artifact: string): Promise<number[]> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = join(ARTIFACTS, artifact);
  const domain = await libvirtDomainPath(stack, name, QEMU);
  return waitOnGuest(
    () => {
      virsh('screenshot', name, shot);
      const rows = highlightedRows(readPng(readFileSync(shot)));
      return rows.length > 0 ? rows : undefined;
    },
    { what: `the installer's menu on ${name}'s screen`, cpuSeconds: () => domainCpuSeconds(stack, domain) },
  );
}

/** Every domain name and every volume of the default pool, to show nothing was left behind. */
async function libvirtContents(): Promise<{ domains: string[]; volumes: string[] }> {
  const [paths] = (await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'ListDomains', 'u', [0])) as [string[]];
  const domains: string[] = [];
  for (const path of paths) {
    const [name] = (await libvirtCall(stack, path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [
      'org.libvirt.Domain',
      'Name',
    ])) as [Variant];
    domains.push(String(name.value));
  }
  let volumes: string[] = [];
  try {
    const [pool] = await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'StoragePoolLookupByName', 's', ['default']);
    await libvirtCall(stack, pool as string, 'org.libvirt.StoragePool', 'Refresh', 'u', [0]);
    const [vols] = (await libvirtCall(
      stack,
      pool as string,
      'org.libvirt.StoragePool',
      'ListStorageVolumes',
      'u',
      [0],
    )) as [string[]];
    volumes = [];
    for (const vol of vols) {
      const [name] = (await libvirtCall(stack, vol, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [
        'org.libvirt.StorageVol',
        'Name',
      ])) as [Variant];
      volumes.push(String(name.value));
    }
  } catch {
    volumes = [];
  }
  return { domains: domains.sort(), volumes: volumes.sort() };
}

describe('DescribeInstaller and ListOperatingSystems', () => {
  it('recognises the OS on an installer ISO through libosinfo, with its sizes on this host', async () => {
    // The first description reads libosinfo's database, asks libvirt for the host's capabilities (which
    // probes QEMU once, up to the service's own 30 s) and runs osinfo-detect in a worker: more than the
    // usual call's 10 s on a loaded machine, never more than the service's own deadlines.
    const [description] = (await stack.client.service(
      MANAGER_PATH,
      MANAGER,
      'DescribeInstaller',
      's',
      [windowsIso],
      60_000,
    )) as [Record<string, Variant>];
    const plain = Object.fromEntries(Object.entries(description).map(([k, v]) => [k, v.value]));
    expect(plain).toMatchObject({
      id: WIN11,
      name: 'Microsoft Windows 11',
      family: 'windows',
      'min-memory-mib': 4096n,
      'min-vcpus': 2,
      'min-disk-gib': 64n,
    });
    // Software emulation here: said, with what Windows loses by it.
    expect(plain.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/No KVM/)]));
  }, 90_000);

  it('says an ISO libosinfo does not know holds an unknown OS (empty id)', async () => {
    const [description] = (await stack.client.service(MANAGER_PATH, MANAGER, 'DescribeInstaller', 's', [plainIso])) as [
      Record<string, Variant>,
    ];
    expect(description.id?.value).toBe('');
    expect(description.family?.value).toBe('other');
  });

  it('lists the operating systems libosinfo knows, by search', async () => {
    const [systems] = (await stack.client.service(MANAGER_PATH, MANAGER, 'ListOperatingSystems', 's', [
      'windows 11',
    ])) as [[string, string][]];
    expect(systems).toContainEqual([WIN11, 'Microsoft Windows 11']);
  });
});

describe('CreateGuest', () => {
  it('creates a Windows-11-shaped guest: TPM 2.0, Secure Boot, SATA and e1000e; its firmware boots the ISO', async () => {
    const before = await libvirtContents();
    const [path] = (await create('win11', '', windowsIso)) as [string];
    const props = await stack.client.properties(path);
    expect(props).toMatchObject({ Name: 'win11', State: 'shutoff', OsId: WIN11, MemoryMiB: 4096n, Vcpus: 2 });

    const xml = await domainXml('win11');
    expect(validate(xml)).toBe('');
    expect(xml).toMatch(/<tpm model='tpm-crb'>\s*<backend type='emulator' version='2.0'/);
    // Secure Boot firmware, as libvirt keeps it: 9.0 keeps what was defined until the guest starts;
    // 9.2 and later (trixie's 11) pick the firmware at define time and write its path in.
    expect(xml).toMatch(
      /<loader secure='yes'\/>|<loader readonly='yes' secure='yes' type='pflash'( format='raw')?>[^<]*OVMF_CODE[^<]*\.(ms|secboot)\.fd<\/loader>/,
    );
    expect(xml).toMatch(/<feature enabled='yes' name='enrolled-keys'\/>/);
    expect(xml).toMatch(/<smm state='on'\/>/);
    expect(xml).toMatch(/<target dev='sda' bus='sata'\/>/);
    expect(xml).toMatch(/<model type='e1000e'\/>/);
    expect(xml).toMatch(/<interface type='user'>/);
    // The installer, copied as its caller read it into a volume of the guest's own: what QEMU boots is
    // what was checked, whoever QEMU runs as.
    const uuid = (await stack.client.property(path, GUEST, 'Uuid')) as string;
    expect(xml).toContain(`<source file='${POOL_DIR}/${uuid}-installer.iso'/>`);
    expect(await sha256File(inSandbox(stack.libvirtdNamespacePid, `${POOL_DIR}/${uuid}-installer.iso`))).toBe(
      await sha256File(windowsIso),
    );
    expect(xml).toMatch(/<clock offset='localtime'>/);
    expect(xml).toMatch(/<memoryBacking>\s*<source type='memfd'\/>\s*<access mode='shared'\/>/);
    expect(xml).toMatch(/<cpu mode='host-model'/);
    expect(xml).toMatch(/<graphics type='spice'>\s*<listen type='none'\/>/);
    // Software emulation: no Hyper-V enlightenments, and the description says so.
    expect(xml).not.toMatch(/<hyperv/);
    expect(xml).toMatch(/<description>[^<]*No KVM[^<]*Hyper-V/);

    // A raw, sparse 64 GiB volume in the default pool, named as every volume we make: <uuid>-<device>.raw.
    const after = await libvirtContents();
    expect(after.volumes).toEqual([...before.volumes, `${uuid}-installer.iso`, `${uuid}-sda.raw`].sort());
    const info = virsh('vol-info', '--pool', 'default', `${uuid}-sda.raw`, '--bytes');
    expect(Number(/Capacity:\s+(\d+)/.exec(info)?.[1])).toBe(64 * 2 ** 30);
    expect(Number(/Allocation:\s+(\d+)/.exec(info)?.[1])).toBeLessThan(2 ** 20);
    expect(virsh('vol-dumpxml', '--pool', 'default', `${uuid}-sda.raw`)).toMatch(/<format type='raw'\/>/);

    // Start boots the installer: the Secure Boot firmware runs its (signed) boot loader.
    const from = stack.client.signals.length;
    await stack.client.service(path, GUEST, 'Start', '', [], 60_000);
    await stack.client.waitForSignal(propertiesChanged(path, 'State', 'running'), 30_000, from);
    const live = await domainXml('win11');
    expect(live).toMatch(
      /<loader readonly='yes' secure='yes' type='pflash'( format='raw')?>[^<]*OVMF_CODE[^<]*\.(ms|secboot)\.fd<\/loader>/,
    );
    expect(live).toMatch(/<tpm model='tpm-crb'>\s*<backend type='emulator' version='2.0'/);
    expect(await waitForMenu('win11', 'create-win11-boots-installer.png')).not.toEqual([]);
    await stack.client.service(path, GUEST, 'ForceOff', '', [], 30_000);
  }, 360_000);

  it('creates a Linux-shaped guest: virtio disk, network and display, a TPM, no Hyper-V', async () => {
    const [path] = (await create('debian', DEBIAN, plainIso, {
      'memory-mib': new Variant('t', 1024n),
      vcpus: new Variant('u', 1),
      'disk-gib': new Variant('t', 20n),
    })) as [string];
    expect(await stack.client.properties(path)).toMatchObject({
      Name: 'debian',
      OsId: DEBIAN,
      MemoryMiB: 1024n,
      Vcpus: 1,
    });
    const xml = await domainXml('debian');
    expect(validate(xml)).toBe('');
    expect(xml).toMatch(/<target dev='vda' bus='virtio'\/>/);
    expect(xml).toMatch(/<interface type='user'>[\s\S]*?<model type='virtio'\/>/);
    expect(xml).toMatch(/<video>\s*<model type='virtio'/);
    expect(xml).toMatch(/<input type='tablet' bus='virtio'>/);
    expect(xml).toMatch(/<rng model='virtio'>/);
    expect(xml).toMatch(/<feature enabled='no' name='secure-boot'\/>/);
    expect(xml).toMatch(/<tpm model='tpm-crb'>/);
    expect(xml).not.toMatch(/<hyperv|<smm|hypervclock/);
    expect(xml).toMatch(/<clock offset='utc'>/);
    // No GPU render node here: virtio-gpu without 3D, and said so.
    expect(xml).not.toMatch(/accel3d='yes'|<gl enable='yes'/);
    expect(xml).toMatch(/<description>[^<]*render node[^<]*<\/description>/);

    const from = stack.client.signals.length;
    await stack.client.service(path, GUEST, 'Start', '', [], 60_000);
    await stack.client.waitForSignal(propertiesChanged(path, 'State', 'running'), 30_000, from);
    expect(await waitForMenu('debian', 'create-linux-boots-installer.png')).not.toEqual([]);
    await stack.client.service(path, GUEST, 'ForceOff', '', [], 30_000);
  }, 360_000);

  it('gives Windows virtio disk and network when a driver ISO is given, the drivers as a second CD', async () => {
    const drivers = installerIso('virtio-win');
    const [path] = (await create('win11-virtio', WIN11, windowsIso, {
      'drivers-iso': new Variant('s', drivers),
    })) as [string];
    const uuid = (await stack.client.property(path, GUEST, 'Uuid')) as string;
    const xml = await domainXml('win11-virtio', 2 /* inactive */);
    expect(validate(xml)).toBe('');
    expect(xml).toMatch(/<target dev='vda' bus='virtio'\/>/);
    expect(xml).toMatch(/<model type='virtio'\/>/);
    expect(xml).toMatch(
      new RegExp(`<source file='${POOL_DIR}/${uuid}-drivers\\.iso'/>\\s*<target dev='sdc' bus='sata'/>`),
    );
    expect(await sha256File(inSandbox(stack.libvirtdNamespacePid, `${POOL_DIR}/${uuid}-drivers.iso`))).toBe(
      await sha256File(drivers),
    );
  });
});

describe('CreateGuest refuses bad input and leaves nothing behind', () => {
  let unreadable: string;
  let notIso: string;
  let dir = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'phyllome-iso-'));
    chmodSync(dir, 0o755);
    unreadable = join(dir, 'private.iso');
    copyFileSync(plainIso, unreadable);
    chmodSync(unreadable, 0o600); // root's only: closed to the other user below
    notIso = join(dir, 'notes.iso');
    writeFileSync(notIso, 'not an ISO at all');
    chmodSync(notIso, 0o644);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The D-Bus error a CreateGuest gets, checking libvirt has no more domains or volumes than before. */
  async function refusal(
    name: string,
    osId: string,
    iso: string,
    options: Record<string, Variant> = {},
  ): Promise<string> {
    const before = await libvirtContents();
    const error = await create(name, osId, iso, options).then(
      () => 'ok',
      (e: { type?: string; text?: string }) => `${e.type ?? ''}: ${e.text ?? ''}`,
    );
    expect(await libvirtContents()).toEqual(before);
    return error;
  }

  /** CreateGuest called by another user (nobody), through gdbus; returns its error output. */
  function asNobody(name: string, iso: string): string {
    const run = spawnSync(
      'setpriv',
      [
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        '--clear-groups',
        'gdbus',
        'call',
        '--address',
        stack.bus.address,
        '--dest',
        'me.phyllo.Switcher1',
        '--object-path',
        MANAGER_PATH,
        '--method',
        `${MANAGER}.CreateGuest`,
        name,
        '',
        iso,
        '{}',
      ],
      { encoding: 'utf8' },
    );
    return `${run.stdout}${run.stderr}`;
  }

  it('an existing name', async () => {
    // A guest of that name of its own, whatever CreateGuest made before.
    await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [tinyQemuGuestXml('taken')]);
    await stack.client.waitForGuest('taken');
    expect(await refusal('taken', WIN11, windowsIso)).toMatch(/^me.phyllo.Switcher1.Error.AlreadyExists: .*taken/);
  });

  it('takes a name whose old-style disk volume is in the pool, and leaves that volume alone (every new volume is named from a new UUID)', async () => {
    // The pool CreateGuest makes on its first call, made here when this test runs first.
    const pool = await ensureDefaultPool(stack);
    await libvirtCall(stack, pool, 'org.libvirt.StoragePool', 'StorageVolCreateXML', 'su', [
      "<volume><name>orphan-vda.raw</name><capacity unit='MiB'>1</capacity><target><format type='raw'/></target></volume>",
      0,
    ]);
    const [path] = (await create('orphan', DEBIAN, plainIso)) as [string];
    const uuid = (await stack.client.property(path, GUEST, 'Uuid')) as string;
    expect((await libvirtContents()).volumes).toEqual(
      expect.arrayContaining(['orphan-vda.raw', `${uuid}-vda.raw`, `${uuid}-installer.iso`]),
    );
    const info = virsh('vol-info', '--pool', 'default', 'orphan-vda.raw', '--bytes');
    expect(Number(/Capacity:\s+(\d+)/.exec(info)?.[1])).toBe(2 ** 20);
  });

  it('a missing ISO', async () => {
    expect(await refusal('nowhere', WIN11, '/nonexistent/win11.iso')).toMatch(
      /^me.phyllo.Switcher1.Error.NoSuchFile: /,
    );
  });

  it('an ISO the caller cannot read, though the service could', async () => {
    const before = await libvirtContents();
    expect(asNobody('private', unreadable)).toMatch(/me.phyllo.Switcher1.Error.UnreadableFile: .*cannot read/);
    expect(await libvirtContents()).toEqual(before);
  });

  it('a file that is no ISO image', async () => {
    expect(await refusal('notes', WIN11, notIso)).toMatch(/^me.phyllo.Switcher1.Error.UnreadableFile: .*ISO 9660/);
  });

  it('an unknown OS id', async () => {
    expect(await refusal('mystery', 'http://example.com/os/1', plainIso)).toMatch(
      /^me.phyllo.Switcher1.Error.UnknownOs: /,
    );
  });

  it("memory below the OS's minimum", async () => {
    expect(await refusal('small', WIN11, windowsIso, { 'memory-mib': new Variant('t', 2048n) })).toMatch(
      /^me.phyllo.Switcher1.Error.InvalidArgument: memory-mib must be at least 4096/,
    );
  });

  it("memory above the host's", async () => {
    expect(await refusal('huge', DEBIAN, plainIso, { 'memory-mib': new Variant('t', 16n * 1024n * 1024n) })).toMatch(
      /^me.phyllo.Switcher1.Error.InvalidArgument: memory-mib of .* is more than the host's/,
    );
  });

  it("CPUs above the host's", async () => {
    expect(await refusal('many', DEBIAN, plainIso, { vcpus: new Variant('u', 4096) })).toMatch(
      /^me.phyllo.Switcher1.Error.InvalidArgument: vcpus of 4096 .* more than the host's/,
    );
  });

  it("a disk below the OS's minimum", async () => {
    expect(await refusal('tiny', WIN11, windowsIso, { 'disk-gib': new Variant('t', 16n) })).toMatch(
      /^me.phyllo.Switcher1.Error.InvalidArgument: disk-gib must be at least 64/,
    );
  });

  it("a disk above the storage pool's size", async () => {
    expect(await refusal('vast', DEBIAN, plainIso, { 'disk-gib': new Variant('t', 60_000n) })).toMatch(
      /^me.phyllo.Switcher1.Error.InvalidArgument: disk-gib of 60000 GiB is more than the storage pool/,
    );
  });

  it('a name outside the rule every new guest follows (Clone too)', async () => {
    for (const bad of ['../evil', '-x', 'x ', 'x'.repeat(64)])
      expect([bad, await refusal(bad, DEBIAN, plainIso)]).toEqual([
        bad,
        expect.stringMatching(/^me.phyllo.Switcher1.Error.InvalidArgument: A guest name is 1 to 63 /),
      ]);
  });

  it('options it does not know, or of the wrong type', async () => {
    expect(await refusal('odd', DEBIAN, plainIso, { colour: new Variant('s', 'blue') })).toMatch(
      /InvalidArgument: Unknown option/,
    );
    expect(await refusal('odd', DEBIAN, plainIso, { vcpus: new Variant('s', 'two') })).toMatch(
      /InvalidArgument: Option vcpus/,
    );
  });

  it('a driver ISO for an OS that is not Windows', async () => {
    expect(await refusal('drv', DEBIAN, plainIso, { 'drivers-iso': new Variant('s', plainIso) })).toMatch(
      /InvalidArgument: drivers-iso is for Windows/,
    );
  });
});
