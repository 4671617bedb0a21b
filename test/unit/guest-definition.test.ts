import { describe, expect, it } from 'vitest';
import {
  checkImportDefinition,
  cloneDefinition,
  importDefinition,
  macFromBytes,
  readDefinition,
} from '../../service/transfer/guest-definition.js';
import { parseDomainXml } from '../../service/libvirt/domain-xml.js';

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
  const imported = importDefinition(XML, {
    diskPaths: new Map([
      ['vda', '/pool/win11-vda.img'],
      ['vdb', '/pool/win11-vdb.qcow2'],
    ]),
    nvramPath: '/home/ann/.config/libvirt/qemu/nvram/win11_VARS.fd',
    exists: (path) => path === '/usr/bin/qemu-system-x86_64',
  });

  it('points disks and the variable store at this host’s files, keeping name, UUID, MACs and metadata', () => {
    const again = readDefinition(imported);
    expect(again.disks).toEqual([
      { target: 'vda', format: 'raw', source: { file: '/pool/win11-vda.img' } },
      { target: 'vdb', format: 'qcow2', source: { file: '/pool/win11-vdb.qcow2' } },
    ]);
    expect(again.nvramPath).toBe('/home/ann/.config/libvirt/qemu/nvram/win11_VARS.fd');
    expect([again.name, again.uuid, again.macs]).toEqual(['win11', UUID, ['52:54:00:aa:bb:cc']]);
    expect(parseDomainXml(imported)).toMatchObject({
      osId: 'http://microsoft.com/win/11',
      settings: { monitor: 'DP-1', seat: 'seat1' },
    });
    expect(imported).toContain('passwd="s3cret"');
    expect(imported).toContain('A &amp; B');
  });

  it('leaves the emulator, firmware this host lacks and agent sockets to libvirt, and ejects install media', () => {
    expect(imported).not.toContain('OVMF_CODE_4M.ms.fd');
    expect(imported).not.toContain('OVMF_VARS_4M.ms.fd');
    expect(imported).toMatch(/<os firmware="efi">/);
    expect(imported).toContain('secure="yes"');
    expect(imported).not.toContain('Win11.iso');
    expect(imported).not.toContain('<emulator>');
    expect(imported).not.toContain('win11.agent');
    const elsewhere = importDefinition(XML, {
      diskPaths: new Map([
        ['vda', '/a'],
        ['vdb', '/b'],
      ]),
      nvramPath: undefined,
      exists: () => true,
    });
    expect(elsewhere).toContain('/usr/share/OVMF/OVMF_CODE_4M.ms.fd');
    // The bundle does not carry install media: a path that happens to exist here is not the guest's.
    expect(elsewhere).not.toContain('Win11.iso');
    // No variable store travelled: libvirt makes one from the template at the first start.
    expect(readDefinition(elsewhere).nvramPath).toBeUndefined();
    expect(elsewhere).toContain('template="/usr/share/OVMF/OVMF_VARS_4M.ms.fd"');
  });

  it('takes firmware only from this host’s firmware folders', () => {
    const odd = XML.replace('/usr/share/OVMF/OVMF_CODE_4M.ms.fd', '/etc/shadow').replace(
      '/usr/share/OVMF/OVMF_VARS_4M.ms.fd',
      '/root/vars.fd',
    );
    const out = importDefinition(odd, {
      diskPaths: new Map([
        ['vda', '/a'],
        ['vdb', '/b'],
      ]),
      nvramPath: undefined,
      exists: () => true,
    });
    expect(out).not.toContain('/etc/shadow');
    expect(out).not.toContain('/root/vars.fd');
    expect(out).toMatch(/<os firmware="efi">/);
  });

  it('refuses a bundle whose images miss a disk', () => {
    expect(() => importDefinition(XML, { diskPaths: new Map(), nvramPath: undefined, exists: () => true })).toThrow(
      /no image for disk vda/,
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
    nvramPath: '/var/lib/libvirt/qemu/nvram/win11 copy_VARS.fd',
  });

  it('is a new guest with its own name, UUID, MACs, disks and variable store', () => {
    const facts = readDefinition(clone);
    expect(facts).toMatchObject({
      name: 'win11 copy',
      uuid: NEW,
      macs: ['52:54:00:01:02:03', '52:54:00:04:05:06'],
      nvramPath: '/var/lib/libvirt/qemu/nvram/win11 copy_VARS.fd',
      tpm: true,
    });
    expect(facts.disks.map((d) => d.source)).toEqual([
      { file: '/var/lib/libvirt/images/win11_copy-vda.img' },
      { file: '/var/lib/libvirt/images/win11_copy-vdb.qcow2' },
    ]);
    expect(clone).toContain(`<entry name="uuid">${NEW}</entry>`);
    expect(clone).not.toContain('<genid>');
    expect(clone).not.toContain(UUID);
  });

  it('can run beside the original: display ports and agent sockets left to libvirt, install media shared', () => {
    expect(clone).toMatch(/<graphics type="spice" autoport="yes" passwd="s3cret">/);
    expect(clone).not.toContain('5901');
    expect(clone).not.toContain('channel/target/win11.agent');
    expect(clone).toContain('/srv/iso/Win11.iso');
  });

  it('keeps our settings but not the seat (a seat has one guest)', () => {
    expect(parseDomainXml(clone).settings).toEqual({ monitor: 'DP-1', usbRules: [], seat: '' });
  });

  it('makes MAC addresses in QEMU’s range', () => {
    expect(macFromBytes(Uint8Array.from([0, 0xab, 255]))).toBe('52:54:00:00:ab:ff');
  });
});

describe('a bundle’s definition that reaches into the host', () => {
  // A bundle is a folder anybody can write; libvirt runs its QEMU with rights the importer may not have.
  const withDevice = (device: string, domainLevel = ''): string =>
    XML.replace('</devices>', `${device}</devices>`).replace('</domain>', `${domainLevel}</domain>`);

  it('is taken when it stays inside the guest, as libvirt writes one', () => {
    expect(() => checkImportDefinition(XML)).not.toThrow();
  });

  it.each([
    [
      'QEMU arguments of its own (a user’s report)',
      withDevice(
        '',
        "<qemu:commandline xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><qemu:arg value='-chardev'/><qemu:arg value='file,id=x,path=/tmp/qemu-wrote-this'/></qemu:commandline>",
      ),
      /qemu:commandline/,
    ],
    [
      'the host’s root folder shared in',
      withDevice("<filesystem type='mount'><source dir='/'/><target dir='host'/></filesystem>"),
      /<filesystem type='mount'>/,
    ],
    [
      'a host device',
      withDevice(
        "<hostdev mode='subsystem' type='usb'><source><vendor id='0x046d'/><product id='0xc52b'/></source></hostdev>",
      ),
      /<hostdev/,
    ],
    [
      'a script run for the network',
      withDevice("<interface type='ethernet'><script path='/tmp/x.sh'/></interface>"),
      /<interface type='ethernet'>/,
    ],
    [
      'a bridge interface with a script',
      withDevice("<interface type='bridge'><source bridge='br0'/><script path='/tmp/x.sh'/></interface>"),
      /<script> in <interface>/,
    ],
    [
      'a serial port writing a host file',
      withDevice("<serial type='file'><source path='/etc/cron.d/x'/></serial>"),
      /<serial type='file'>/,
    ],
    [
      'a console logging to a host file',
      withDevice("<console type='pty'><log file='/etc/x'/></console>"),
      /<log> in <console>/,
    ],
    [
      'a host input device',
      withDevice("<input type='evdev'><source dev='/dev/input/event0'/></input>"),
      /<input type='evdev'>/,
    ],
    [
      'the host’s TPM',
      withDevice("<tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>"),
      /passthrough backend/,
    ],
    ['a display on a host socket', withDevice("<graphics type='vnc' socket='/run/x.sock'/>"), /socket='\/run\/x.sock'/],
    [
      'a host folder for its audio',
      withDevice("<audio id='1' type='file' path='/etc/passwd'/>"),
      /path='\/etc\/passwd'/,
    ],
    [
      'a random-number device of the host',
      withDevice("<rng model='virtio'><backend model='random'>/dev/sda</backend></rng>"),
      /<rng> with the random backend/,
    ],
    ['no confinement', withDevice('', "<seclabel type='none'/>"), /<seclabel type='none'>/],
    ['a kernel from the host', XML.replace('</os>', '<kernel>/boot/vmlinuz</kernel></os>'), /<os><kernel>/],
    [
      'a backing chain of host files under a disk (QEMU would open it beside the image)',
      withDevice(
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/x.qcow2'/><backingStore type='file'><format type='raw'/><source file='/etc/shadow'/></backingStore><target dev='vdz'/></disk>",
      ),
      /<backingStore> in <disk>/,
    ],
  ])('is refused, naming it: %s', (_what, xml, named) => {
    expect(() => checkImportDefinition(xml)).toThrow(named);
    expect(() => checkImportDefinition(xml)).toThrow(/reaches into the host/);
  });

  it('names everything it refuses at once', () => {
    const xml = withDevice(
      "<hostdev mode='subsystem' type='pci'/><serial type='dev'><source path='/dev/ttyS0'/></serial>",
    );
    expect(() => checkImportDefinition(xml)).toThrow(/<hostdev type='pci'>.*; <serial type='dev'>/);
  });
});
