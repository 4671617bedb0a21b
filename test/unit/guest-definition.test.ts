import { beforeAll, describe, expect, it } from 'vitest';
import { profileOf } from '../../service/create/guest-model.js';
import { OsinfoDb } from '../../service/create/osinfo.js';
import { readTemplate } from '../../service/create/template.js';
import {
  cloneDefinition,
  importDefinition,
  macFromBytes,
  planImportedGuest,
  readDefinition,
  type ImportModel,
} from '../../service/bundle/guest-definition.js';
import { parseDomainXml } from '../../service/libvirt/domain-xml.js';
import {
  FIRMWARE_SHAPES,
  FULL_HOST,
  shapedGuestXml,
  WIN11_IMAGES,
  WIN11_UUID,
  WIN11_VIRT_MANAGER,
} from '../support/bundle-definitions.js';
import { domainXmlProblems } from '../support/validate-xml.js';

const UUID = '6f8bef35-03be-4c19-a000-5286631e70c5';

// The shape libvirt gives back (GetXMLDesc, inactive, secure), trimmed.
const XML = `<domain type='kvm'>
  <name>win11</name>
  <uuid>${UUID}</uuid>
  <genid>e7c5a4b0-1111-2222-3333-444455556666</genid>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="http://microsoft.com/win/11"/>
    </libosinfo:libosinfo>
    <phyllome:switcher xmlns:phyllome="https://phyllo.me/xmlns/switcher/1">
      <phyllome:monitor connector="DP-1"/>
      <phyllome:seat id="seat1"/>
    </phyllome:switcher>
  </metadata>
  <memory unit='KiB'>4194304</memory>
  <vcpu placement='static'>4</vcpu>
  <sysinfo type='smbios'><system><entry name='uuid'>${UUID}</entry><entry name='serial'>A &amp; B</entry></system></sysinfo>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.ms.fd</loader>
    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.ms.fd'>/var/lib/libvirt/qemu/nvram/win11_VARS.fd</nvram>
  </os>
  <features><acpi/><smm state='on'/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='/var/lib/libvirt/images/win11.img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source pool='default' volume='data.qcow2'/>
      <backingStore/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/srv/iso/Win11.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:AA:BB:CC'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <interface type='user'><model type='virtio'/></interface>
    <channel type='unix'>
      <source mode='bind' path='/var/lib/libvirt/qemu/channel/target/win11.agent'/>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <graphics type='spice' port='5901' autoport='no' passwd='s3cret'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>
    <tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>
  </devices>
</domain>`;

describe('a guest definition', () => {
  it('names the files that travel with the guest', () => {
    expect(readDefinition(XML)).toEqual({
      name: 'win11',
      uuid: UUID,
      disks: [
        { target: 'vda', format: 'raw', source: { file: '/var/lib/libvirt/images/win11.img' } },
        { target: 'vdb', format: 'qcow2', source: { pool: 'default', volume: 'data.qcow2' } },
      ],
      uefi: true,
      nvramPath: '/var/lib/libvirt/qemu/nvram/win11_VARS.fd',
      tpm: true,
      macs: ['52:54:00:aa:bb:cc'],
    });
  });

  it('sees UEFI chosen by libvirt (firmware=efi) with no variable store named yet', () => {
    const auto = `<domain type='qemu'><name>u</name><uuid>${UUID}</uuid><os firmware='efi'><type>hvm</type></os></domain>`;
    expect(readDefinition(auto)).toMatchObject({ uefi: true, nvramPath: undefined, tpm: false, disks: [] });
  });

  it('refuses disks that cannot travel, saying which', () => {
    const withDisk = (disk: string): string => XML.replace('<devices>', `<devices>${disk}`);
    expect(() =>
      readDefinition(withDisk(`<disk type='block' device='disk'><source dev='/dev/sdb'/><target dev='vdc'/></disk>`)),
    ).toThrow(/vdc is a block disk/);
    // A backing chain is said, for Export to flatten and Clone to refuse.
    expect(
      readDefinition(
        withDisk(
          `<disk type='file' device='disk'><driver type='qcow2'/><source file='/a.qcow2'/><backingStore type='file'><source file='/base.qcow2'/></backingStore><target dev='vdc'/></disk>`,
        ),
      ).disks[0],
    ).toEqual({ target: 'vdc', format: 'qcow2', source: { file: '/a.qcow2' }, backingChain: true });
    expect(() =>
      readDefinition(withDisk(`<disk type='block' device='lun'><source dev='/dev/sdb'/><target dev='sdc'/></disk>`)),
    ).toThrow(/passed-through lun/);
    expect(() =>
      readDefinition(
        XML.replace(
          "<backend type='emulator' version='2.0'/>",
          "<backend type='emulator' version='2.0'><encryption secret='6dd3e4a5-1d76-44ce-961f-f119f5aad935'/></backend>",
        ),
      ),
    ).toThrow(/encrypted/);
    expect(() => readDefinition('<network/>')).toThrow(/not a libvirt domain/);
  });
});

describe('an imported definition', () => {
  let model: ImportModel;
  let db: OsinfoDb;
  const NVRAM = `/var/lib/libvirt/qemu/nvram/${WIN11_UUID}_VARS.fd`;
  const modelFor = (osId: string, images: ImportModel['images'], host = FULL_HOST): ImportModel => {
    const { profile } = profileOf(db, osId);
    return {
      os: profile,
      host,
      placement: { userNetworking: false, network: 'default' },
      template: readTemplate(profile.template),
      images,
    };
  };

  beforeAll(async () => {
    db = await OsinfoDb.load();
    model = modelFor('http://microsoft.com/win/11', WIN11_IMAGES);
  });

  const imported = (): string =>
    importDefinition(WIN11_VIRT_MANAGER, {
      diskPaths: new Map([['sda', '/pool/6f8bef35-sda.qcow2']]),
      nvramPath: NVRAM,
      model,
    });

  it('is made from the model, valid for libvirt, keeping what the guest is', () => {
    const xml = imported();
    expect(domainXmlProblems(xml)).toBe('');
    const again = readDefinition(xml);
    expect(again).toMatchObject({
      name: 'win11',
      uuid: WIN11_UUID,
      uefi: true,
      nvramPath: NVRAM,
      tpm: true,
      macs: ['52:54:00:aa:bb:cc'],
      disks: [{ target: 'sda', format: 'qcow2', source: { file: '/pool/6f8bef35-sda.qcow2' } }],
    });
    expect(parseDomainXml(xml)).toMatchObject({
      osId: 'http://microsoft.com/win/11',
      memoryMiB: 4096n,
      vcpus: 4,
      display: 'spice',
      settings: {
        monitor: 'DP-1',
        headMonitors: [],
        seat: 'seat1',
        usbRules: [
          { mode: 'always', match: { kind: 'device', vendor: '046d', product: 'c52b', serial: 'A 1:é' } },
          { mode: 'ask', match: { kind: 'port', port: '1-1.2' } },
        ],
      },
    });
    expect(xml).toContain('<title>Work PC</title>');
    expect(xml).toContain('<description>Windows 11 for work &amp; games\nsecond line</description>');
    expect(xml).toMatch(/<clock offset='localtime'>/);
    expect(xml).toContain("<sound model='ich9'/>");
  });

  it('names nothing of the old host: no firmware, store, media, emulator or socket path', () => {
    const xml = imported();
    for (const path of [
      'OVMF_CODE_4M.ms.fd',
      'OVMF_VARS_4M.ms.fd',
      'win11_VARS.fd',
      'Win11_23H2.iso',
      '/usr/bin/qemu',
    ]) {
      expect([path, xml.includes(path)]).toEqual([path, false]);
    }
    expect(xml).not.toContain('s3cret');
    expect(xml).not.toContain('qxl');
    // The firmware is libvirt's to choose, by the features the guest had.
    expect(xml).toMatch(/<os firmware='efi'>/);
    expect(xml).toContain("<feature enabled='yes' name='secure-boot'/>");
    expect(xml).not.toMatch(/<loader[^/]*>[^<]/);
    // The CD drive stays, empty.
    expect(xml).toMatch(/<disk type='file' device='cdrom'>\s*<driver name='qemu' type='raw'\/>\s*<target dev='sdb'/);
  });

  it('is the same whoever reads it twice: nothing but checked values in it', () => {
    expect(imported()).toBe(imported());
  });

  it.each(FIRMWARE_SHAPES)('leaves the firmware to libvirt: $shape', ({ os, efi, secureBoot }) => {
    const images = new Map([['vda', { format: 'raw', flattened: false }]]);
    const uuid = '0c4a3c7e-9a7e-4c59-8d0c-7f7c8f2a1b01';
    const xml = importDefinition(shapedGuestXml('shaped', uuid, os('shaped')), {
      diskPaths: new Map([['vda', '/pool/vda.raw']]),
      nvramPath: efi ? `/nvram/${uuid}_VARS.fd` : undefined,
      model: modelFor('', images),
    });
    expect(domainXmlProblems(xml)).toBe('');
    expect(xml).not.toMatch(/edk2|OVMF|shaped_VARS|\/home\/ann/);
    expect(/<os firmware='efi'>/.test(xml)).toBe(efi);
    expect(xml.includes(`<nvram>/nvram/${uuid}_VARS.fd</nvram>`)).toBe(efi);
    expect(xml.includes("<feature enabled='yes' name='secure-boot'/>")).toBe(secureBoot);
    expect(xml.includes("<smm state='on'/>")).toBe(secureBoot);
  });

  it('refuses a host that cannot give the guest what it has: UEFI, Secure Boot, its TPM', () => {
    const plan = (host: typeof FULL_HOST) => () =>
      importDefinition(WIN11_VIRT_MANAGER, {
        diskPaths: new Map([['sda', '/a']]),
        nvramPath: NVRAM,
        model: modelFor('http://microsoft.com/win/11', WIN11_IMAGES, host),
      });
    expect(plan({ ...FULL_HOST, secureBoot: false })).toThrow(/Secure Boot.*install ovmf/);
    expect(plan({ ...FULL_HOST, tpm2: false })).toThrow(/TPM whose state travels.*install swtpm/);
    expect(plan({ ...FULL_HOST, efi: false, secureBoot: false })).toThrow(
      expect.objectContaining({ kind: 'MissingHostFeature' }),
    );
  });

  describe('keeps the display its owner set', () => {
    const uuid = '3d1b6c0e-5a2f-4e47-9d7b-2f0c8a6e4b11';
    const images = new Map([['vda', { format: 'raw', flattened: false }]]);
    const twoHeads = (video: string, graphics = "<graphics type='spice' autoport='yes'/>") =>
      shapedGuestXml(
        'wide',
        uuid,
        (FIRMWARE_SHAPES[0] as (typeof FIRMWARE_SHAPES)[number]).os('wide'),
        graphics,
      ).replace("<video><model type='virtio'/></video>", video);
    const WIDE_3D =
      "<video><model type='virtio' heads='2' primary='yes'><acceleration accel3d='yes'/><resolution x='5120' y='2880'/></model></video>";
    const made = (xml: string, host = FULL_HOST) =>
      importDefinition(xml, {
        diskPaths: new Map([['vda', '/pool/vda.raw']]),
        nvramPath: `/nvram/${uuid}_VARS.fd`,
        model: modelFor('http://fedoraproject.org/fedora/32', images, host),
      });

    it('two heads of 5120 × 2880 with 3D, on a host that has 3D', () => {
      const xml = made(twoHeads(WIDE_3D));
      expect(domainXmlProblems(xml)).toBe('');
      expect(xml).toMatch(
        /<model type="virtio" heads="2" primary="yes">\s*<acceleration accel3d="yes"\/>\s*<resolution x="5120" y="2880"\/>/,
      );
      expect(xml).toMatch(/<gl enable="yes"/);
    });

    it('the heads and resolution without 3D on a host with no render node, said', () => {
      const host = { ...FULL_HOST, renderNode: false };
      const xml = made(twoHeads(WIDE_3D), host);
      expect(domainXmlProblems(xml)).toBe('');
      expect(xml).toMatch(/heads="2"/);
      expect(xml).toMatch(/<resolution x="5120" y="2880"\/>/);
      expect(xml).not.toMatch(/accel3d|<gl /);
      const plan = planImportedGuest(
        twoHeads(WIDE_3D),
        `/nvram/${uuid}_VARS.fd`,
        modelFor('http://fedoraproject.org/fedora/32', images, host),
      );
      expect(plan.warnings.join('\n')).toMatch(/display is not as it was: .*render node/);
    });

    it('one head that follows the window when its display cannot show two (VNC), said', () => {
      const xml = made(twoHeads(WIDE_3D, "<graphics type='vnc' autoport='yes'/>"), { ...FULL_HOST, renderNode: false });
      expect(domainXmlProblems(xml)).toBe('');
      expect(xml).toMatch(/heads='1'|heads="1"/);
      expect(xml).not.toMatch(/heads="2"|<resolution/);
    });

    it('3D off where its owner turned it off, though this host could give it', () => {
      const xml = made(twoHeads("<video><model type='virtio' heads='1' primary='yes'/></video>"));
      expect(xml).not.toMatch(/accel3d|<gl /);
    });
  });

  it('refuses a bundle whose images miss a disk', () => {
    expect(() => importDefinition(WIN11_VIRT_MANAGER, { diskPaths: new Map(), nvramPath: NVRAM, model })).toThrow(
      /no image for disk sda/,
    );
  });
});

describe('a clone’s definition', () => {
  const NEW = '0c4a3c7e-9a7e-4c59-8d0c-7f7c8f2a1b01';
  const clone = cloneDefinition(XML, {
    name: 'win11 copy',
    uuid: NEW,
    macs: ['52:54:00:01:02:03', '52:54:00:04:05:06'],
    diskPaths: new Map([
      ['vda', '/var/lib/libvirt/images/win11_copy-vda.img'],
      ['vdb', '/var/lib/libvirt/images/win11_copy-vdb.qcow2'],
    ]),
    nvramPath: `/var/lib/libvirt/qemu/nvram/${NEW}_VARS.fd`,
  });

  it('is a new guest with its own name, UUID, MACs, disks and variable store', () => {
    const facts = readDefinition(clone);
    expect(facts).toMatchObject({
      name: 'win11 copy',
      uuid: NEW,
      macs: ['52:54:00:01:02:03', '52:54:00:04:05:06'],
      nvramPath: `/var/lib/libvirt/qemu/nvram/${NEW}_VARS.fd`,
      tpm: true,
    });
    expect(facts.disks.map((d) => d.source)).toEqual([
      { file: '/var/lib/libvirt/images/win11_copy-vda.img' },
      { file: '/var/lib/libvirt/images/win11_copy-vdb.qcow2' },
    ]);
    expect(clone).toContain(`<entry name="uuid">${NEW}</entry>`);
    // A new VM generation (libvirt makes its id), and none of the source's machine serial numbers.
    expect(clone).toContain('<genid/>');
    expect(clone).not.toContain('e7c5a4b0');
    expect(clone).not.toContain('A &amp; B');
    expect(clone).not.toContain(UUID);
  });

  // A guest as virt-install defines it, never started: its <nvram> names a file that is not there yet.
  const neverStarted = shapedGuestXml('fresh', UUID, FIRMWARE_SHAPES[1]?.os('fresh') ?? '');

  it('never shares its source’s UEFI variables, even before the source has any', () => {
    const copy = cloneDefinition(neverStarted, {
      name: 'fresh copy',
      uuid: NEW,
      macs: ['52:54:00:01:02:03'],
      diskPaths: new Map([['vda', '/images/fresh_copy-vda.raw']]),
      nvramPath: `/nvram/${NEW}_VARS.fd`,
    });
    expect(readDefinition(copy).nvramPath).toBe(`/nvram/${NEW}_VARS.fd`);
    expect(copy).not.toContain('fresh_VARS.fd');
    // Made from this host's template at its first start: the template stays.
    expect(copy).toContain('template="/usr/share/edk2/ovmf/OVMF_VARS.secboot.fd"');
    expect(() =>
      cloneDefinition(neverStarted, {
        name: 'fresh copy',
        uuid: NEW,
        macs: ['52:54:00:01:02:03'],
        diskPaths: new Map([['vda', '/x']]),
        nvramPath: undefined,
      }),
    ).toThrow(/variable store of its own/);
  });

  it('can run beside the original: display ports and agent sockets left to libvirt, install media shared', () => {
    expect(clone).toMatch(/<graphics type="spice" autoport="yes" passwd="s3cret">/);
    expect(clone).not.toContain('5901');
    expect(clone).not.toContain('channel/target/win11.agent');
    expect(clone).toContain('/srv/iso/Win11.iso');
  });

  it('leaves a hand-named tap and a vsock id to libvirt', () => {
    const xml = XML.replace(
      "<source network='default'/>",
      "<source network='default'/><target dev='win11-tap'/>",
    ).replace('</devices>', "<vsock model='virtio'><cid auto='no' address='7'/></vsock></devices>");
    const copy = cloneDefinition(xml, {
      name: 'c',
      uuid: NEW,
      macs: ['52:54:00:01:02:03', '52:54:00:04:05:06'],
      diskPaths: new Map([
        ['vda', '/a'],
        ['vdb', '/b'],
      ]),
      nvramPath: '/n',
    });
    expect(copy).not.toContain('win11-tap');
    expect(copy).toContain('<vsock model="virtio"><cid auto="yes"/></vsock>');
  });

  it('keeps our settings but not the seat (a seat has one guest)', () => {
    expect(parseDomainXml(clone).settings).toEqual({ monitor: 'DP-1', headMonitors: [], usbRules: [], seat: '' });
  });

  it('makes MAC addresses in QEMU’s range', () => {
    expect(macFromBytes(Uint8Array.from([0, 0xab, 255]))).toBe('52:54:00:00:ab:ff');
  });
});
