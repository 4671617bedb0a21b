// Bundles as other hosts leave them, imported into a real libvirtd + QEMU
// (software emulation, OVMF, swtpm) that starts with no storage pool: a
// fresh host. Every loader shape libvirt writes, on a host whose firmware
// files differ; issue 18's example; every setting travelling; a clone of a
// guest virt-install defined and never started. Each claim is checked in
// libvirt's own definition and on the files.

import { Message, Variant } from '@jellybrick/dbus-next';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callWithDeadline } from '../../service/dbus/bus.js';
import { FIRMWARE_SHAPES, shapedGuestXml } from '../support/bundle-definitions.js';
import { readManifest, writeBundle } from '../support/bundle-files.js';
import { GUEST, MANAGER, MANAGER_PATH, propertiesChanged, SERVICE } from '../support/dbus-client.js';
import {
  createVolume,
  ensureDefaultPool,
  inSandbox,
  jobEnd,
  lookupDefaultPool,
  POOL_DIR,
  QEMU,
  removeDefaultPool,
  sha256File,
  volumeNames,
} from '../support/guest-files.js';
import { libvirtAutostart, libvirtCall, nvramElement } from '../support/libvirt.js';
import { ServiceStack } from '../support/stack.js';

const NVRAM_DIR = '/var/lib/libvirt/qemu/nvram';
const MiB = 1024 ** 2;
const QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0';

let stack: ServiceStack;
let work: string;

const sandbox = (path: string): string => inSandbox(stack.libvirtdNamespacePid, path);
const call = (path: string, iface: string, member: string, signature = '', body: unknown[] = []): Promise<unknown[]> =>
  stack.client.service(path, iface, member, signature, body, 30_000);

async function importBundle(bundle: string): Promise<{ success: boolean; message: string }> {
  const [job] = await call(MANAGER_PATH, MANAGER, 'Import', 's', [bundle]);
  return jobEnd(stack, job as string);
}

async function refusal(bundle: string): Promise<string> {
  return stack.client.call(SERVICE, MANAGER_PATH, MANAGER, 'Import', 's', [bundle]).then(
    () => 'ok',
    (error: { type?: string; text?: string }) => `${error.type}: ${error.text}`,
  );
}

async function libvirtDomain(name: string): Promise<string | undefined> {
  return libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainLookupByName', 's', [name]).then(
    ([path]) => path as string,
    () => undefined,
  );
}

/** libvirt's definition of a guest (inactive when it is off, live when it runs). */
async function xmlOf(name: string): Promise<string> {
  const [xml] = await libvirtCall(
    stack,
    (await libvirtDomain(name)) as string,
    'org.libvirt.Domain',
    'GetXMLDesc',
    'u',
    [0],
  );
  return xml as string;
}

async function setState(path: string, action: 'Start' | 'ForceOff', state: string): Promise<void> {
  const from = stack.client.signals.length;
  await call(path, GUEST, action);
  await stack.client.waitForSignal(propertiesChanged(path, 'State', state), 60_000, from).catch(async () => {
    expect(await stack.client.property(path, GUEST, 'State')).toBe(state);
  });
}

const defaultPool = (): Promise<string | undefined> => lookupDefaultPool(stack);

async function poolProperty(pool: string, name: string): Promise<unknown> {
  const [value] = await libvirtCall(stack, pool, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [
    'org.libvirt.StoragePool',
    name,
  ]);
  return (value as Variant).value;
}

/** A disk image of known content: 1 MiB of random bytes. */
const image = (): Buffer => randomBytes(MiB);

beforeAll(async () => {
  stack = await ServiceStack.start({
    realLibvirtd: true,
    uri: 'qemu:///session',
    serviceInSandbox: true,
    // Imported guests are made from the model for this host: software emulation, as CreateGuest's tests.
    serviceArgs: ['--virt-type', 'qemu'],
  });
  await stack.client.watch();
  work = mkdtempSync(join(tmpdir(), 'phyllome-bundles-'));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a fresh host, where libvirt has no storage pool yet', () => {
  // Whatever ran before it made the pool: this test's host has none.
  beforeEach(async () => {
    await removeDefaultPool(stack);
  }, 60_000);

  it("imports, making the 'default' pool as CreateGuest makes it", async () => {
    expect(await defaultPool()).toBeUndefined();
    const uuid = randomUUID();
    const data = image();
    const bundle = writeBundle(work, {
      name: 'fresh',
      uuid,
      definition: shapedGuestXml('fresh', uuid, FIRMWARE_SHAPES[4]?.os('fresh') ?? ''),
      disks: [{ target: 'vda', format: 'raw', data }],
    });
    // The reply is the job, as the contract says (its signature read off the wire).
    const reply = await callWithDeadline(
      stack.client.bus,
      new Message({
        destination: SERVICE,
        path: MANAGER_PATH,
        interface: MANAGER,
        member: 'Import',
        signature: 's',
        body: [bundle],
      }),
      30_000,
    );
    expect(reply.signature).toBe('o');
    const end = await jobEnd(stack, reply.body[0] as string);
    expect(end).toMatchObject({ success: true });
    const pool = (await defaultPool()) as string;
    expect(pool).toBeDefined();
    expect([await poolProperty(pool, 'Active'), await poolProperty(pool, 'Autostart')]).toEqual([true, true]);
    // Named from the UUID, never from the name the bundle gave.
    expect(await volumeNames(stack, pool)).toEqual([`${uuid}-vda.raw`]);
    const xml = await xmlOf('fresh');
    expect(xml).toContain(`<source file='${POOL_DIR}/${uuid}-vda.raw'/>`);
    expect(
      readFileSync(sandbox(`${POOL_DIR}/${uuid}-vda.raw`))
        .subarray(0, MiB)
        .equals(data),
    ).toBe(true);
  }, 90_000);
});

describe('firmware of another host', () => {
  // This host is Debian's (OVMF under /usr/share/OVMF); the bundles name Fedora's edk2 paths and a user's home.
  it.each(FIRMWARE_SHAPES.map((shape, index) => ({ ...shape, index })))(
    '$shape: left for libvirt to choose, the variables travelling, and it starts',
    async ({ os, efi, secureBoot, index }) => {
      const name = `firmware-${index}`;
      const uuid = randomUUID();
      const vars = efi ? readFileSync(`/usr/share/OVMF/OVMF_VARS_4M${secureBoot ? '.ms' : ''}.fd`) : undefined;
      const bundle = writeBundle(work, {
        name,
        uuid,
        definition: shapedGuestXml(name, uuid, os(name)),
        disks: [{ target: 'vda', format: 'raw', data: image() }],
        ...(vars ? { nvram: vars } : {}),
      });
      expect(await importBundle(bundle)).toMatchObject({ success: true });
      const defined = await xmlOf(name);
      expect(defined).not.toMatch(/edk2|\/home\/ann|_VARS\.secboot/);
      expect(nvramElement(`${NVRAM_DIR}/${uuid}_VARS.fd`).test(defined)).toBe(efi);
      expect(/<os firmware=.efi.>/.test(defined)).toBe(efi);
      expect(defined.includes("<feature enabled='yes' name='secure-boot'/>")).toBe(secureBoot);
      if (vars) expect(readFileSync(sandbox(`${NVRAM_DIR}/${uuid}_VARS.fd`)).equals(vars)).toBe(true);
      const path = await stack.client.waitForGuest(name);
      await setState(path, 'Start', 'running');
      // Running on this host's own firmware, of the kind the guest had.
      const live = await xmlOf(name);
      if (efi) {
        expect(live).toMatch(/<loader[^>]*type='pflash'[^>]*>\/usr\/share\/OVMF\/OVMF_CODE[^<]*<\/loader>/);
        expect(/<loader[^>]*secure='yes'/.test(live)).toBe(secureBoot);
      } else expect(live).not.toMatch(/OVMF/);
      await setState(path, 'ForceOff', 'shutoff');
    },
    120_000,
  );
});

describe("issue 18's example: QEMU's namespace as the default namespace", () => {
  it('is refused at once, naming it; nothing is defined and QEMU never runs its arguments', async () => {
    const uuid = randomUUID();
    const marker = '/tmp/phyllome-qemu-wrote-this';
    const definition = shapedGuestXml('example', uuid, FIRMWARE_SHAPES[4]?.os('example') ?? '').replace(
      '</domain>',
      `<commandline xmlns="${QEMU_NS}"><arg value="-chardev"/><arg value="file,id=spy,path=${marker}"/><arg value="-device"/><arg value="isa-serial,chardev=spy"/></commandline></domain>`,
    );
    const bundle = writeBundle(work, {
      name: 'example',
      uuid,
      definition,
      disks: [{ target: 'vda', format: 'raw', data: image() }],
    });
    const guests = await stack.client.listGuests();
    const pool = await ensureDefaultPool(stack);
    const volumes = await volumeNames(stack, pool);
    expect(await refusal(bundle)).toMatch(
      /^me\.phyllo\.Switcher1\.Error\.InvalidArgument: .*<commandline> \(settings for QEMU or another program, outside libvirt's own: http:\/\/libvirt\.org\/schemas\/domain\/qemu\/1\.0\)/,
    );
    expect(await libvirtDomain('example')).toBeUndefined();
    expect(await stack.client.listGuests()).toEqual(guests);
    expect(await volumeNames(stack, pool)).toEqual(volumes);
    expect(existsSync(sandbox(marker))).toBe(false);
  });
});

describe('every setting travels', () => {
  it('autostart, title, description, OS id, display, monitors, USB rules and seat come back after Export and Import', async () => {
    const pool = await ensureDefaultPool(stack);
    const { path: disk } = await createVolume(stack, pool, 'travels.raw', MiB);
    const definition = `<domain type='qemu'>
  <name>travels</name>
  <title>My work machine</title>
  <description>Two lines,
and a &lt;tag&gt; in them</description>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0"><libosinfo:os id="http://debian.org/debian/12"/></libosinfo:libosinfo>
    <ph:switcher xmlns:ph="https://phyllo.me/xmlns/switcher/1"><ph:monitor connector="HDMI-A-2"/><ph:usb-rule mode="always" vendor="046d" product="c52b" serial="X 1"/><ph:usb-rule mode="follow-focus" port="3-1.4"/><ph:seat id="seat1"/></ph:switcher>
  </metadata>
  <memory unit='MiB'>96</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <clock offset='localtime'/>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>
    <interface type='user'><mac address='52:54:00:77:66:55'/><model type='e1000e'/></interface>
    <sound model='ich6'/>
    <graphics type='spice' autoport='yes'><listen type='none'/></graphics>
    <video><model type='virtio' primary='yes'/></video>
  </devices>
</domain>`;
    await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [definition]);
    const path = await stack.client.waitForGuest('travels');
    // The display as its owner sets it, through the service: two heads of 2560 × 1440, a monitor each.
    await stack.client.service(path, GUEST, 'SetDisplay', 'a{sv}', [
      { heads: new Variant('u', 2), resolution: new Variant('(uu)', [2560, 1440]) },
    ]);
    await stack.client.service(path, GUEST, 'SetMonitors', 'as', [['HDMI-A-2', 'DP-1']]);
    expect(
      await stack.client.errorOf(path, 'org.freedesktop.DBus.Properties', 'Set', 'ssv', [
        GUEST,
        'Autostart',
        new Variant('b', true),
      ]),
    ).toBe('ok');
    const before = await stack.client.properties(path, GUEST);
    expect(before).toMatchObject({
      Autostart: true,
      Monitor: 'HDMI-A-2',
      Monitors: ['HDMI-A-2', 'DP-1'],
      Heads: 2,
      Resolution: [2560, 1440],
      Seat: 'seat1',
    });
    const folder = mkdtempSync(join(work, 'travels-'));
    const [job] = await call(path, GUEST, 'Export', 's', [folder]);
    expect(await jobEnd(stack, job as string)).toMatchObject({ success: true });
    const bundle = join(folder, 'travels.phyllome');
    expect(readManifest(bundle).guest).toMatchObject({ name: 'travels', autostart: true });
    // Gone from this host, definition and disk, as when the bundle is carried to a new PC.
    await libvirtCall(stack, (await libvirtDomain('travels')) as string, 'org.libvirt.Domain', 'Undefine', 'u', [0]);
    await stack.client.waitForSignal((s) => s.member === 'GuestRemoved' && s.body[0] === path, 10_000);
    const [volume] = await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'StorageVolLookupByPath', 's', [disk]);
    await libvirtCall(stack, volume as string, 'org.libvirt.StorageVol', 'Delete', 'u', [0]);

    expect(await importBundle(bundle)).toMatchObject({ success: true });
    const again = await stack.client.waitForGuest('travels');
    const after = await stack.client.properties(again, GUEST);
    for (const key of [
      'Uuid',
      'Autostart',
      'OsId',
      'Monitor',
      'Monitors',
      'Heads',
      'Resolution',
      'Accel3D',
      'UsbRules',
      'Seat',
      'Vcpus',
      'MemoryMiB',
    ])
      expect([key, after[key]]).toEqual([key, before[key]]);
    expect(await libvirtAutostart(stack, 'travels', QEMU)).toBe(true);
    const xml = await xmlOf('travels');
    expect(xml).toContain('<title>My work machine</title>');
    expect(xml).toContain('<description>Two lines,\nand a &lt;tag&gt; in them</description>');
    expect(xml).toContain("<clock offset='localtime'");
    expect(xml).toContain("<sound model='ich6'>");
    expect(xml).toMatch(/<interface type='user'>\s*<mac address='52:54:00:77:66:55'\/>/);
    expect(xml).toMatch(/<model type='e1000e'\/>/);
    expect(await sha256File(sandbox(`${POOL_DIR}/${after.Uuid as string}-vda.raw`))).toMatch(/^[0-9a-f]{64}$/);
  }, 120_000);
});

describe('a clone of a guest virt-install defined and never started', () => {
  it('gets a variable store of its own, made fresh from the template at its first start', async () => {
    const pool = await ensureDefaultPool(stack);
    const { path: disk } = await createVolume(stack, pool, 'vi.raw', MiB);
    const sourceVars = `${NVRAM_DIR}/vi_VARS.fd`;
    await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [
      `<domain type='qemu'><name>vi</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
        <os><type arch='x86_64' machine='q35'>hvm</type>
          <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>
          <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>${sourceVars}</nvram></os>
        <features><acpi/></features>
        <devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk></devices>
      </domain>`,
    ]);
    const source = await stack.client.waitForGuest('vi');
    expect(existsSync(sandbox(sourceVars))).toBe(false);
    const [job] = await call(source, GUEST, 'Clone', 's', ['vi copy']);
    expect(await jobEnd(stack, job as string)).toMatchObject({ success: true });
    const clone = await stack.client.waitForGuest('vi copy');
    const uuid = (await stack.client.property(clone, GUEST, 'Uuid')) as string;
    const cloneVars = `${NVRAM_DIR}/${uuid}_VARS.fd`;
    const xml = await xmlOf('vi copy');
    expect(xml).toMatch(nvramElement(cloneVars, '/usr/share/OVMF/OVMF_VARS_4M.fd'));
    expect(xml).not.toContain(sourceVars);
    expect(existsSync(sandbox(cloneVars))).toBe(false);
    await setState(clone, 'Start', 'running');
    // libvirt made the clone's store from the template; the source still has none.
    expect(readFileSync(sandbox(cloneVars)).equals(readFileSync('/usr/share/OVMF/OVMF_VARS_4M.fd'))).toBe(true);
    expect(existsSync(sandbox(sourceVars))).toBe(false);
    await setState(clone, 'ForceOff', 'shutoff');
  }, 120_000);
});
