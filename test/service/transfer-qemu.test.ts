// Export, import and clone of a real UEFI guest with an emulated TPM and a
// 1 GiB sparse raw disk, in a real libvirtd + QEMU (software emulation), the
// service running where libvirtd keeps its files. Every claim is checked on
// the files themselves: disk bytes, UEFI variables, TPM state, holes.

import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GUEST, MANAGER, MANAGER_PATH, propertiesChanged } from '../support/dbus-client.js';
import {
  createVolume,
  defineDefaultPool,
  inSandbox,
  JOB,
  jobEnd,
  type JobEnd,
  jobProgress,
  POOL_DIR,
  QEMU,
  sha256File,
  uefiGuestXml,
  volumeNames,
} from '../support/guest-files.js';
import { libvirtCall, tinyQemuGuestXml } from '../support/libvirt.js';
import { ServiceStack } from '../support/stack.js';
import { checksumOf } from '../../service/copy/block-checksum.js';
import { DBusError } from '@jellybrick/dbus-next';
import { waitFor } from '../support/wait.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const NVRAM_DIR = '/var/lib/libvirt/qemu/nvram';
const SWTPM_DIR = '/var/lib/libvirt/swtpm';
const UNDEFINE_NVRAM = 4;

let stack: ServiceStack;
let pool: string;
let exports: string;
const original: { uuid: string; disk: string; nvram: Buffer; tpm: Buffer; allocated: number } = {
  uuid: '',
  disk: '',
  nvram: Buffer.alloc(0),
  tpm: Buffer.alloc(0),
  allocated: 0,
};

const sandbox = (path: string): string => inSandbox(stack.libvirtdNamespacePid, path);
const call = (path: string, iface: string, member: string, signature = '', body: unknown[] = []): Promise<unknown[]> =>
  stack.client.service(path, iface, member, signature, body, 30_000);
const errorOf = (path: string, iface: string, member: string, signature: string, body: unknown[]): Promise<string> =>
  stack.client.errorOf(path, iface, member, signature, body);

async function startJob(
  path: string,
  iface: string,
  member: string,
  signature: string,
  body: unknown[],
): Promise<string> {
  const [job] = await call(path, iface, member, signature, body);
  return job as string;
}

async function setState(path: string, action: 'Start' | 'ForceOff', state: string): Promise<void> {
  const from = stack.client.signals.length;
  await call(path, GUEST, action);
  await stack.client.waitForSignal(propertiesChanged(path, 'State', state), 30_000, from).catch(async () => {
    expect(await stack.client.property(path, GUEST, 'State')).toBe(state);
  });
}

async function libvirtDomain(name: string): Promise<string | undefined> {
  return libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainLookupByName', 's', [name]).then(
    ([path]) => path as string,
    () => undefined,
  );
}

/** A guest's definition as libvirt has it now, and the file its disk is. */
async function definitionOf(name: string): Promise<{ xml: string; disk: string }> {
  const [xml] = await libvirtCall(
    stack,
    (await libvirtDomain(name)) as string,
    'org.libvirt.Domain',
    'GetXMLDesc',
    'u',
    [0],
  );
  return { xml: xml as string, disk: /<source file='([^']+)'/.exec(xml as string)?.[1] as string };
}

/** What a failed import must leave exactly as it was: guests, volumes, UEFI variables, TPM states. */
async function hostState(): Promise<unknown> {
  return {
    guests: await stack.client.listGuests(),
    volumes: await volumeNames(stack, pool),
    nvram: readdirSync(sandbox(NVRAM_DIR)).sort(),
    tpm: existsSync(sandbox(SWTPM_DIR)) ? readdirSync(sandbox(SWTPM_DIR)).sort() : [],
  };
}

/** A copy of a bundle to spoil. */
function copyBundle(bundle: string, name: string): string {
  const copy = join(exports, 'spoilt', name, 'uefi.phyllome');
  execFileSync('mkdir', ['-p', join(exports, 'spoilt', name)]);
  execFileSync('cp', ['-a', '--sparse=always', bundle, copy]);
  return copy;
}

beforeAll(async () => {
  stack = await ServiceStack.start({
    realLibvirtd: true,
    uri: 'qemu:///session',
    serviceInSandbox: true,
    // An imported guest is made from the model for this host: software emulation, as CreateGuest's tests.
    serviceArgs: ['--virt-type', 'qemu'],
  });
  await stack.client.watch();
  pool = await defineDefaultPool(stack);
  exports = mkdtempSync(join(tmpdir(), 'phyllome-exports-'));

  // The 1 GiB sparse disk: 48 random MiB scattered (across block boundaries), and its last bytes.
  const { path: disk } = await createVolume(stack, pool, 'uefi.img', GiB);
  const fd = openSync(sandbox(disk), 'r+');
  for (let i = 0; i < 48; i++) writeSync(fd, randomBytes(MiB), 0, MiB, i * 21 * MiB + 12_345);
  writeSync(fd, Buffer.from('last sector'), 0, 11, GiB - 11);
  closeSync(fd);
  original.disk = await sha256File(sandbox(disk));
  original.allocated = statSync(sandbox(disk)).blocks * 512;

  await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [
    uefiGuestXml('uefi', disk, '52:54:00:12:34:56'),
  ]);
  const path = await stack.client.waitForGuest('uefi');
  original.uuid = (await stack.client.property(path, GUEST, 'Uuid')) as string;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (exports) rmSync(exports, { recursive: true, force: true });
});

// Each test asks the helpers below for the state it needs: uefi's first start, its export, its wipe
// from libvirt and its import are each made once, by whichever test needs them first, and return what
// they saw while they ran (a job lingers only a minute). The spoilt bundles need uefi gone from
// libvirt and the clone needs it imported: each helper brings it there, whatever ran before.
describe('a UEFI guest with a TPM and a 1 GiB sparse disk', () => {
  /** The story's own export folder: the other suites' exports go elsewhere. */
  let story = '';
  beforeAll(() => {
    story = mkdtempSync(join(exports, 'uefi-'));
  });

  /** Takes uefi (whichever it is now) from libvirt, its variables, TPM state and disk with it. */
  async function wipe(): Promise<void> {
    const path = await stack.client.guestByName('uefi');
    const from = stack.client.signals.length;
    const { disk } = await definitionOf('uefi');
    await libvirtCall(stack, (await libvirtDomain('uefi')) as string, 'org.libvirt.Domain', 'Undefine', 'u', [
      UNDEFINE_NVRAM,
    ]);
    const [volume] = await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'StorageVolLookupByPath', 's', [disk]);
    await libvirtCall(stack, volume as string, 'org.libvirt.StorageVol', 'Delete', 'u', [0]);
    await stack.client.waitForSignal((s) => s.member === 'GuestRemoved' && s.body[0] === path, 10_000, from);
  }

  /**
   * uefi's first start, which makes its variables and TPM state (kept in `original`), and what was
   * refused while it ran: before any export, so the story's folder is still empty.
   */
  let firstStarted: Promise<{ exported: string; cloned: string; folder: string[]; copy: string | undefined }>;
  const firstStart = () =>
    (firstStarted ??= (async () => {
      const path = await stack.client.guestByName('uefi');
      await setState(path, 'Start', 'running');
      const refused = {
        exported: await errorOf(path, GUEST, 'Export', 's', [story]),
        cloned: await errorOf(path, GUEST, 'Clone', 's', ['uefi-copy']),
        folder: readdirSync(story),
        copy: await libvirtDomain('uefi-copy'),
      };
      // Its first start makes its variables and its TPM's state: pull the plug once both are there.
      await waitFor(
        () =>
          existsSync(sandbox(`${NVRAM_DIR}/uefi_VARS.fd`)) &&
          existsSync(sandbox(`${SWTPM_DIR}/${original.uuid}/tpm2/tpm2-00.permall`)),
        { what: "uefi's variables and TPM state", timeoutMs: 30_000, pollMs: 100 },
      );
      await setState(path, 'ForceOff', 'shutoff');
      original.nvram = readFileSync(sandbox(`${NVRAM_DIR}/uefi_VARS.fd`));
      original.tpm = readFileSync(sandbox(`${SWTPM_DIR}/${original.uuid}/tpm2/tpm2-00.permall`));
      return refused;
    })());

  /** uefi exported into the story's folder once it has started once, and a second export refused. */
  let exportedOnce: Promise<{
    path: string;
    job: string;
    operation: unknown;
    guest: unknown;
    end: JobEnd;
    properties: Record<string, unknown>;
    folder: string[];
    again: string;
  }>;
  const exported = () =>
    (exportedOnce ??= (async () => {
      await firstStart();
      const path = await stack.client.guestByName('uefi');
      const job = await startJob(path, GUEST, 'Export', 's', [story]);
      const operation = await stack.client.property(job, JOB, 'Operation');
      const guest = await stack.client.property(job, JOB, 'Guest');
      const end = await jobEnd(stack, job);
      const properties = await stack.client.properties(job, JOB);
      const folder = readdirSync(story);
      // A second export into the same directory would overwrite.
      const again = await errorOf(path, GUEST, 'Export', 's', [story]);
      return { path, job, operation, guest, end, properties, folder, again };
    })());

  /** uefi as exported, wiped from libvirt (definition and its own files): what of its files was left. */
  let wipedOnce: Promise<{ nvram: boolean; tpm: boolean }>;
  const wiped = () =>
    (wipedOnce ??= (async () => {
      await exported();
      await wipe();
      return {
        nvram: existsSync(sandbox(`${NVRAM_DIR}/uefi_VARS.fd`)),
        tpm: existsSync(sandbox(`${SWTPM_DIR}/${original.uuid}`)),
      };
    })());

  /** No uefi in libvirt, its bundle made: wiped, and its import wiped too if one was made. */
  async function withoutUefi(): Promise<void> {
    await wiped();
    if (await libvirtDomain('uefi')) await wipe();
  }

  /** uefi imported from its bundle; imported again if a test wiped the import since. */
  let importedOnce: Promise<{ job: string; end: JobEnd; path: string; result: unknown; guest: unknown }> | undefined;
  async function imported(): Promise<{ job: string; end: JobEnd; path: string; result: unknown; guest: unknown }> {
    if (importedOnce && !(await libvirtDomain('uefi'))) importedOnce = undefined;
    return (importedOnce ??= (async () => {
      await withoutUefi();
      const job = await startJob(MANAGER_PATH, MANAGER, 'Import', 's', [join(story, 'uefi.phyllome')]);
      const end = await jobEnd(stack, job);
      const path = await stack.client.waitForGuest('uefi');
      const result = await stack.client.property(job, JOB, 'Result');
      const guest = await stack.client.property(job, JOB, 'Guest');
      return { job, end, path, result, guest };
    })());
  }

  it('cannot be exported or cloned while it runs (and its first start makes its variables and TPM state)', async () => {
    const refused = await firstStart();
    expect(refused.exported).toBe('me.phyllo.Switcher1.Error.InvalidState');
    expect(refused.cloned).toBe('me.phyllo.Switcher1.Error.InvalidState');
    expect(refused.folder).toEqual([]);
    expect(refused.copy).toBeUndefined();
    expect(original.nvram.length).toBeGreaterThan(0);
    expect(original.tpm.length).toBeGreaterThan(0);
  }, 90_000);

  it('exports to a bundle: definition, sparse disk, variables, TPM state and a checksum per file', async () => {
    const { path, job, operation, guest, end, properties, folder, again } = await exported();
    expect(job).toMatch(/^\/me\/phyllo\/Switcher1\/job\/\d+$/);
    expect(operation).toBe('export');
    expect(guest).toBe(path);
    expect(end).toEqual({ success: true, message: `Exported uefi to ${story}/uefi.phyllome` });
    expect(properties).toMatchObject({
      State: 'succeeded',
      Progress: 1,
      // The bundle's name alone: anybody may read Result, and the folder is the caller's.
      Result: 'uefi.phyllome',
    });
    // Progress came in steps, and the total was the data, not the 1 GiB.
    const total = properties.BytesTotal as bigint;
    expect(Number(total)).toBeGreaterThanOrEqual(48 * MiB);
    expect(Number(total)).toBeLessThan(64 * MiB);
    const steps = stack.client.signals
      .filter((s) => s.path === job && s.member === 'PropertiesChanged')
      .map((s) => (s.body[1] as Record<string, { value: unknown }>).Progress?.value as number);
    expect(steps.length).toBeGreaterThanOrEqual(2);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(steps.at(-1)).toBe(1);

    // Nothing but the bundle in the directory: the temporary name is gone.
    expect(folder).toEqual(['uefi.phyllome']);
    const bundle = join(story, 'uefi.phyllome');
    const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as {
      guest: { name: string; uuid: string };
      files: { path: string; role: string; size: number; checksum: string }[];
    };
    expect(manifest.guest).toEqual({ name: 'uefi', uuid: original.uuid, autostart: false });
    expect(manifest.files.map((f) => [f.path, f.role])).toEqual([
      ['domain.xml', 'definition'],
      ['nvram/VARS.fd', 'nvram'],
      ['tpm/tpm2/tpm2-00.permall', 'tpm'],
      ['disks/vda.raw', 'disk'],
    ]);
    for (const file of manifest.files) expect(file.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(await sha256File(join(bundle, 'disks/vda.raw'))).toBe(original.disk);
    expect(statSync(join(bundle, 'disks/vda.raw')).size).toBe(GiB);
    expect(statSync(join(bundle, 'disks/vda.raw')).blocks * 512).toBeLessThanOrEqual(original.allocated + MiB);
    expect(readFileSync(join(bundle, 'nvram/VARS.fd')).equals(original.nvram)).toBe(true);
    expect(readFileSync(join(bundle, 'tpm/tpm2/tpm2-00.permall')).equals(original.tpm)).toBe(true);
    expect(readFileSync(join(bundle, 'domain.xml'), 'utf8')).toContain(`<uuid>${original.uuid}</uuid>`);
    // A second export into the same directory would overwrite: refused.
    expect(again).toBe('me.phyllo.Switcher1.Error.AlreadyExists');
  }, 120_000);

  it('is wiped from libvirt (definition and its own files), then spoilt bundles are refused and change nothing', async () => {
    expect(await wiped()).toEqual({ nvram: false, tpm: false });
    await withoutUefi();
    const before = await hostState();
    const bundle = join(story, 'uefi.phyllome');

    // One byte flipped in the disk, inside its data: the job checks, fails, and undoes.
    const corrupt = copyBundle(bundle, 'corrupt');
    const fd = openSync(join(corrupt, 'disks/vda.raw'), 'r+');
    const byte = Buffer.alloc(1);
    const at = 30 * 21 * MiB + 12_345 + 777;
    readSync(fd, byte, 0, 1, at);
    byte[0] = (byte[0] as number) ^ 0xff;
    writeSync(fd, byte, 0, 1, at);
    closeSync(fd);
    const job = await startJob(MANAGER_PATH, MANAGER, 'Import', 's', [corrupt]);
    const end = await jobEnd(stack, job);
    expect(end.success).toBe(false);
    expect(end.message).toMatch(/disks\/vda\.raw does not match its checksum/);
    expect(await stack.client.property(job, JOB, 'State')).toBe('failed');
    expect(await hostState()).toEqual(before);
    expect(await libvirtDomain('uefi')).toBeUndefined();

    // Truncated: a disk image cut short, the manifest cut short. Refused at once.
    const short = copyBundle(bundle, 'short');
    truncateSync(join(short, 'disks/vda.raw'), 512 * MiB);
    expect(await errorOf(MANAGER_PATH, MANAGER, 'Import', 's', [short])).toBe(
      'me.phyllo.Switcher1.Error.InvalidArgument',
    );
    const cut = copyBundle(bundle, 'cut');
    truncateSync(join(cut, 'manifest.json'), 100);
    expect(await errorOf(MANAGER_PATH, MANAGER, 'Import', 's', [cut])).toBe(
      'me.phyllo.Switcher1.Error.InvalidArgument',
    );
    expect(await errorOf(MANAGER_PATH, MANAGER, 'Import', 's', ['relative/path'])).toBe(
      'me.phyllo.Switcher1.Error.InvalidArgument',
    );

    // A definition that reaches into the host (a user's report: QEMU arguments writing a host file, a
    // host file as its CD), made to match its manifest: refused at once, naming it; nothing runs.
    const reaching = copyBundle(bundle, 'reaching');
    const marker = sandbox('/tmp/qemu-wrote-this');
    const definition = readFileSync(join(reaching, 'domain.xml'), 'utf8')
      .replace('<domain ', "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0' ")
      .replace(
        '</domain>',
        "<qemu:commandline><qemu:arg value='-chardev'/><qemu:arg value='file,id=spy,path=/tmp/qemu-wrote-this'/></qemu:commandline></domain>",
      )
      .replace(
        '</devices>',
        "<disk type='file' device='cdrom'><source file='/etc/shadow'/><target dev='sdz' bus='sata'/><readonly/></disk></devices>",
      );
    writeFileSync(join(reaching, 'domain.xml'), definition);
    const manifestPath = join(reaching, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      files: { path: string; size: number; checksum: string }[];
    };
    const entry = manifest.files.find((f) => f.path === 'domain.xml') as { size: number; checksum: string };
    entry.size = Buffer.byteLength(definition);
    entry.checksum = checksumOf(Buffer.from(definition));
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const refused = await stack.client
      .call('me.phyllo.Switcher1', MANAGER_PATH, MANAGER, 'Import', 's', [reaching])
      .then(
        () => 'ok',
        (error: DBusError) => `${error.type}: ${error.text}`,
      );
    expect(refused).toMatch(
      /^me\.phyllo\.Switcher1\.Error\.InvalidArgument: .*does not take: <qemu:commandline> \(settings for QEMU/,
    );
    expect(await hostState()).toEqual(before);
    expect(existsSync(marker)).toBe(false);
  }, 180_000);

  it('imports: the same UUID, disk bytes, variables and TPM state, and it starts', async () => {
    const { end, path, result, guest } = await imported();
    expect(end.success).toBe(true);
    // What this host set instead of the bundle is said: the emulator, for one.
    expect(end.message).toMatch(/^Imported uefi\. .*Set by this host instead of the bundle: .*the emulator/);
    expect(result).toBe(path);
    expect(guest).toBe(path);
    expect(await stack.client.property(path, GUEST, 'Uuid')).toBe(original.uuid);
    const { xml, disk } = await definitionOf('uefi');
    // Named from the UUID, never from the name: the volume and the UEFI variables alike.
    expect(disk).toBe(`${POOL_DIR}/${original.uuid}-vda.raw`);
    expect(await volumeNames(stack, pool)).toContain(`${original.uuid}-vda.raw`);
    expect(await sha256File(sandbox(disk))).toBe(original.disk);
    expect(statSync(sandbox(disk)).blocks * 512).toBeLessThanOrEqual(original.allocated + MiB);
    expect(xml).toContain(`${NVRAM_DIR}/${original.uuid}_VARS.fd</nvram>`);
    expect(readFileSync(sandbox(`${NVRAM_DIR}/${original.uuid}_VARS.fd`)).equals(original.nvram)).toBe(true);
    expect(readFileSync(sandbox(`${SWTPM_DIR}/${original.uuid}/tpm2/tpm2-00.permall`)).equals(original.tpm)).toBe(true);
    expect(xml).toContain("<mac address='52:54:00:12:34:56'/>");
    await setState(path, 'Start', 'running');
    await setState(path, 'ForceOff', 'shutoff');
  }, 180_000);

  it('refuses a bundle whose guest is already here, at once', async () => {
    await imported();
    const before = await hostState();
    expect(await errorOf(MANAGER_PATH, MANAGER, 'Import', 's', [join(story, 'uefi.phyllome')])).toBe(
      'me.phyllo.Switcher1.Error.AlreadyExists',
    );
    expect(await hostState()).toEqual(before);
  }, 180_000);

  it('clones under a new name: new UUID and MAC, its own disk, variables and TPM state; both run at once', async () => {
    const { path } = await imported();
    expect(await errorOf(path, GUEST, 'Clone', 's', ['uefi'])).toBe('me.phyllo.Switcher1.Error.AlreadyExists');
    // CreateGuest's rule for a new guest's name.
    for (const bad of ['a/b', '-x', 'x ', 'x'.repeat(64)])
      expect([bad, await errorOf(path, GUEST, 'Clone', 's', [bad])]).toEqual([
        bad,
        'me.phyllo.Switcher1.Error.InvalidArgument',
      ]);
    const job = await startJob(path, GUEST, 'Clone', 's', ['uefi copy']);
    expect(await jobEnd(stack, job)).toEqual({ success: true, message: 'Cloned uefi as uefi copy' });
    const clone = await stack.client.waitForGuest('uefi copy');
    expect(await stack.client.property(job, JOB, 'Result')).toBe(clone);
    const uuid = (await stack.client.property(clone, GUEST, 'Uuid')) as string;
    expect(uuid).not.toBe(original.uuid);
    const { xml, disk } = await definitionOf('uefi copy');
    const mac = /<mac address='([^']+)'/.exec(xml)?.[1];
    expect(mac).toMatch(/^52:54:00:/);
    expect(mac).not.toBe('52:54:00:12:34:56');
    expect(disk).toBe(`${POOL_DIR}/${uuid}-vda.raw`);
    expect(await sha256File(sandbox(disk))).toBe(original.disk);
    expect(statSync(sandbox(disk)).blocks * 512).toBeLessThanOrEqual(original.allocated + MiB);
    expect(xml).toContain(`${NVRAM_DIR}/${uuid}_VARS.fd</nvram>`);
    expect(readFileSync(sandbox(`${NVRAM_DIR}/${uuid}_VARS.fd`)).equals(original.nvram)).toBe(true);
    expect(readFileSync(sandbox(`${SWTPM_DIR}/${uuid}/tpm2/tpm2-00.permall`)).equals(original.tpm)).toBe(true);
    // The source is as it was.
    expect(await sha256File(sandbox(`${POOL_DIR}/${original.uuid}-vda.raw`))).toBe(original.disk);

    await Promise.all([setState(path, 'Start', 'running'), setState(clone, 'Start', 'running')]);
    expect([
      await stack.client.property(path, GUEST, 'State'),
      await stack.client.property(clone, GUEST, 'State'),
    ]).toEqual(['running', 'running']);
    await Promise.all([setState(path, 'ForceOff', 'shutoff'), setState(clone, 'ForceOff', 'shutoff')]);
  }, 240_000);
});

describe('a job cancelled at 50 %', () => {
  let big: string;
  let bigDisk: string;
  let bigSum: string;
  let bigXml: string;

  beforeAll(async () => {
    // 1 GiB of data (not holes), so a job takes long enough to be caught halfway.
    const { path: disk } = await createVolume(stack, pool, 'big.img', GiB);
    bigDisk = disk;
    const fd = openSync(sandbox(disk), 'r+');
    const chunk = Buffer.alloc(4 * MiB);
    for (let i = 0; i < 256; i++) {
      chunk.fill((i % 255) + 1);
      writeSync(fd, chunk, 0, chunk.length, i * 4 * MiB);
    }
    closeSync(fd);
    bigSum = await sha256File(sandbox(disk));
    bigXml = tinyQemuGuestXml('big').replace(
      '<devices>',
      `<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>`,
    );
  }, 60_000);

  // The import test takes big's definition away (its disk stays): each test has it defined.
  beforeEach(async () => {
    if (!(await libvirtDomain('big')))
      await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [bigXml]);
    big = await stack.client.waitForGuest('big');
  }, 30_000);

  async function cancelHalfway(job: string): Promise<void> {
    await jobProgress(stack, job, 0.5);
    await call(job, JOB, 'Cancel');
    const end = await jobEnd(stack, job);
    expect(end.success).toBe(false);
    expect(end.message).toMatch(/cancelled; nothing was changed/);
    expect(await stack.client.property(job, JOB, 'State')).toBe('cancelled');
    expect(await errorOf(job, JOB, 'Cancel', '', [])).toBe('me.phyllo.Switcher1.Error.InvalidState');
  }

  async function sourceUntouched(): Promise<void> {
    expect(await stack.client.property(big, GUEST, 'State')).toBe('shutoff');
    expect(await sha256File(sandbox(bigDisk))).toBe(bigSum);
  }

  it('leaves no bundle, not even a partial one', async () => {
    const directory = mkdtempSync(join(exports, 'cancel-'));
    await cancelHalfway(await startJob(big, GUEST, 'Export', 's', [directory]));
    expect(readdirSync(directory)).toEqual([]);
    await sourceUntouched();
  }, 60_000);

  // The export folder is the caller's: what it renames or links there while root writes must not
  // send the writes elsewhere (a symlink to /etc/cron.d in place of the temporary folder, say).
  it('writes nowhere else when its temporary folder is swapped for a symlink halfway', async () => {
    const directory = mkdtempSync(join(exports, 'swap-'));
    const elsewhere = mkdtempSync(join(exports, 'elsewhere-'));
    const job = await startJob(big, GUEST, 'Export', 's', [directory]);
    await jobProgress(stack, job, 0.3);
    const [temporary] = readdirSync(directory) as [string];
    expect(temporary).toMatch(/^\.big\.phyllome\.partial-/);
    renameSync(join(directory, temporary), join(directory, 'moved'));
    symlinkSync(elsewhere, join(directory, temporary));
    const end = await jobEnd(stack, job);
    expect(end.success).toBe(false);
    expect(end.message).toMatch(/moved during the export/);
    expect(readdirSync(elsewhere)).toEqual([]);
    // What it wrote is gone from where it was moved to; the symlink in its place is gone too.
    expect(readdirSync(directory)).toEqual(['moved']);
    expect(readdirSync(join(directory, 'moved'))).toEqual([]);
    await sourceUntouched();
  }, 60_000);

  it('leaves no clone', async () => {
    const before = await hostState();
    await cancelHalfway(await startJob(big, GUEST, 'Clone', 's', ['big copy']));
    expect(await hostState()).toEqual(before);
    expect(await libvirtDomain('big copy')).toBeUndefined();
    await sourceUntouched();
  }, 60_000);

  it('leaves no imported guest', async () => {
    const directory = mkdtempSync(join(exports, 'big-'));
    const exported = await startJob(big, GUEST, 'Export', 's', [directory]);
    expect((await jobEnd(stack, exported)).success).toBe(true);
    const domain = (await libvirtDomain('big')) as string;
    await libvirtCall(stack, domain, 'org.libvirt.Domain', 'Undefine', 'u', [0]);
    await stack.client.waitForSignal((s) => s.member === 'GuestRemoved' && s.body[0] === big, 10_000);
    const before = await hostState();
    await cancelHalfway(await startJob(MANAGER_PATH, MANAGER, 'Import', 's', [join(directory, 'big.phyllome')]));
    expect(await hostState()).toEqual(before);
    expect(await libvirtDomain('big')).toBeUndefined();
    expect(await sha256File(sandbox(bigDisk))).toBe(bigSum);
  }, 90_000);
});

// The export is made once, by whichever test needs it first, from the overlay guest; the import takes
// that guest's place, so a test that needs the overlay guest defines it again if an import took it.
describe('a guest whose disk is a qcow2 overlay on a base image (issue 19)', () => {
  const BASE = `${POOL_DIR}/layered-base.raw`;
  const OVERLAY = `${POOL_DIR}/layered.qcow2`;
  /** A command inside libvirtd's namespace, where the overlay names its base. */
  const inside = (...command: string[]): string =>
    execFileSync('nsenter', ['--mount', `--target=${stack.libvirtdNamespacePid}`, '--', ...command], {
      encoding: 'utf8',
    });
  let xml: string;
  let directory: string;

  beforeAll(() => {
    // The base holds data; the overlay holds more, over part of it: the guest's disk is both.
    inside('qemu-img', 'create', '-q', '-f', 'raw', BASE, '64M');
    inside('qemu-io', '-f', 'raw', '-c', 'write -P 0x11 0 8M', BASE);
    inside('qemu-img', 'create', '-q', '-f', 'qcow2', '-b', BASE, '-F', 'raw', OVERLAY);
    inside('qemu-io', '-f', 'qcow2', '-c', 'write -P 0x22 4M 8M', OVERLAY);
    xml = tinyQemuGuestXml('layered').replace(
      '<devices>',
      `<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${OVERLAY}'/><target dev='vda' bus='virtio'/></disk>`,
    );
    directory = mkdtempSync(join(exports, 'layered-'));
  }, 60_000);

  /** The guest whose disk is the overlay: defined, in place of an import of its bundle if one is here. */
  async function overlayGuest(): Promise<string> {
    const domain = await libvirtDomain('layered');
    if (domain) {
      const { disk } = await definitionOf('layered');
      if (disk === OVERLAY) return stack.client.waitForGuest('layered');
      // The import: taken away with the disk it made.
      const path = await stack.client.guestByName('layered');
      const from = stack.client.signals.length;
      await libvirtCall(stack, domain, 'org.libvirt.Domain', 'Undefine', 'u', [UNDEFINE_NVRAM]);
      const [volume] = await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'StorageVolLookupByPath', 's', [disk]);
      await libvirtCall(stack, volume as string, 'org.libvirt.StorageVol', 'Delete', 'u', [0]);
      await stack.client.waitForSignal((s) => s.member === 'GuestRemoved' && s.body[0] === path, 10_000, from);
    }
    await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [xml]);
    return stack.client.waitForGuest('layered');
  }

  /** The overlay guest's export into `directory`, and what the folder held once it ended. */
  let exportedOnce: Promise<{ end: JobEnd; folder: string[] }> | undefined;
  const exported = () =>
    (exportedOnce ??= (async () => {
      const layered = await overlayGuest();
      const end = await jobEnd(stack, await startJob(layered, GUEST, 'Export', 's', [directory]));
      return { end, folder: readdirSync(directory) };
    })());

  it('is exported flattened: one image holding the whole chain, and the manifest says so', async () => {
    const { end, folder } = await exported();
    expect(end.success).toBe(true);
    const bundle = join(directory, 'layered.phyllome');
    const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as {
      files: { path: string; role: string; format?: string; flattened?: boolean }[];
    };
    expect(manifest.files.find((f) => f.role === 'disk')).toMatchObject({
      path: 'disks/vda.qcow2',
      format: 'qcow2',
      flattened: true,
    });
    const image = join(bundle, 'disks', 'vda.qcow2');
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', image], { encoding: 'utf8' })) as {
      'backing-filename'?: string;
      format: string;
    };
    expect(info.format).toBe('qcow2');
    expect(info['backing-filename']).toBeUndefined();
    // What the guest saw through the chain, byte for byte.
    expect(inside('qemu-img', 'compare', '-f', 'qcow2', '-F', 'qcow2', image, OVERLAY)).toMatch(/identical/);
    // Nothing of the helper's staging is left behind.
    expect(folder).toEqual(['layered.phyllome']);
  }, 90_000);

  it('cannot be cloned (the clone would share the base), saying how to flatten it', async () => {
    const layered = await overlayGuest();
    expect(await errorOf(layered, GUEST, 'Clone', 's', ['layered copy'])).toBe(
      'me.phyllo.Switcher1.Error.InvalidState',
    );
  });

  it('imports elsewhere as one image that holds its own data', async () => {
    await exported();
    const layered = await overlayGuest();
    const from = stack.client.signals.length;
    const domain = (await libvirtDomain('layered')) as string;
    await libvirtCall(stack, domain, 'org.libvirt.Domain', 'Undefine', 'u', [0]);
    await stack.client.waitForSignal((s) => s.member === 'GuestRemoved' && s.body[0] === layered, 10_000, from);
    const end = await jobEnd(
      stack,
      await startJob(MANAGER_PATH, MANAGER, 'Import', 's', [join(directory, 'layered.phyllome')]),
    );
    expect(end).toMatchObject({ success: true, message: expect.stringMatching(/^Imported layered\b/) });
    const { disk } = await definitionOf('layered');
    expect(inside('qemu-img', 'info', disk)).not.toMatch(/backing file/);
    expect(inside('qemu-img', 'compare', '-f', 'qcow2', '-F', 'qcow2', disk, OVERLAY)).toMatch(/identical/);
  }, 90_000);
});

describe('jobs on the bus', () => {
  it('are listed, and a missing one is no object, as the contract says', async () => {
    // A guest and a job of its own, whatever ran before.
    if (!(await libvirtDomain('idle')))
      await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [tinyQemuGuestXml('idle')]);
    const idle = await stack.client.waitForGuest('idle');
    const job = await startJob(idle, GUEST, 'Export', 's', [mkdtempSync(join(exports, 'idle-'))]);
    expect(await jobEnd(stack, job)).toMatchObject({ success: true });
    const [jobs] = await call(MANAGER_PATH, MANAGER, 'ListJobs');
    expect(jobs).toContain(job);
    expect(await errorOf('/me/phyllo/Switcher1/job/9999', JOB, 'Cancel', '', [])).toBe(
      'org.freedesktop.DBus.Error.UnknownObject',
    );
    expect(await errorOf(idle, GUEST, 'MigrateTo', 'sa{sv}', ['qemu+ssh://elsewhere/system', {}])).toBe(
      'me.phyllo.Switcher1.Error.InvalidState',
    );
  });
});
