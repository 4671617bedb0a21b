// A bundle's definition read against the allowlist: what a guest is, each
// value checked; what the old host set, dropped and said; everything else
// refused, named, whatever its namespace or prefix.

import { describe, expect, it } from 'vitest';
import { readBundleDefinition, type BundleImage } from '../../service/bundle/import-check.js';
import {
  FIRMWARE_SHAPES,
  shapedGuestXml,
  WIN11_IMAGES,
  WIN11_UUID,
  WIN11_VIRT_MANAGER,
} from '../support/bundle-definitions.js';

const UUID = '0c4a3c7e-9a7e-4c59-8d0c-7f7c8f2a1b01';
const VDA = new Map<string, BundleImage>([['vda', { format: 'raw', flattened: false }]]);
const SMALL = shapedGuestXml('small', UUID, FIRMWARE_SHAPES[0]?.os('small') ?? '');

/** The small guest with `fragment` put where `at` says: its devices, its domain, or in place of a text. */
const withDevice = (fragment: string): string => SMALL.replace('</devices>', `${fragment}</devices>`);
const withTop = (fragment: string): string => SMALL.replace('</domain>', `${fragment}</domain>`);

describe('a guest as virt-manager leaves it', () => {
  const { guest, dropped } = readBundleDefinition(WIN11_VIRT_MANAGER, WIN11_IMAGES);

  it('is read as what it is: name, UUID, size, firmware, OS, disks, cards, display, sound, TPM, our settings', () => {
    expect(guest).toEqual({
      name: 'win11',
      uuid: WIN11_UUID,
      title: 'Work PC',
      description: 'Windows 11 for work & games\nsecond line',
      osId: 'http://microsoft.com/win/11',
      memoryMiB: 4096,
      vcpus: 4,
      firmware: 'efi',
      secureBoot: true,
      clockOffset: 'localtime',
      disks: [{ dev: 'sda', bus: 'sata', format: 'qcow2' }],
      media: [{ dev: 'sdb', bus: 'sata' }],
      interfaces: [{ model: 'e1000e', mac: '52:54:00:aa:bb:cc' }],
      display: 'spice',
      video: undefined,
      sound: 'ich9',
      tpm: 'tpm-crb',
      settings: {
        monitor: 'DP-1',
        headMonitors: [],
        usbRules: [
          { mode: 'always', match: { kind: 'device', vendor: '046d', product: 'c52b', serial: 'A 1:é' } },
          { mode: 'ask', match: { kind: 'port', port: '1-1.2' } },
        ],
        seat: 'seat1',
      },
    });
  });

  it('says what this host sets itself instead', () => {
    expect(dropped).toEqual(
      expect.arrayContaining([
        'the emulator',
        'firmware and UEFI variable paths',
        'install media (ejected)',
        'its qxl display adapter',
        'display listener and password',
        'the memory balloon',
      ]),
    );
    // Each said once, however many devices it came from.
    expect(new Set(dropped).size).toBe(dropped.length);
  });
});

describe('every loader shape libvirt writes', () => {
  it.each(FIRMWARE_SHAPES)('$shape', ({ os, efi, secureBoot }) => {
    const { guest, dropped } = readBundleDefinition(shapedGuestXml('g', UUID, os('g')), VDA);
    expect([guest.firmware, guest.secureBoot]).toEqual([efi ? 'efi' : 'bios', secureBoot]);
    if (/<loader[^/]*>\//.test(os('g')) || /<nvram/.test(os('g')))
      expect(dropped).toContain('firmware and UEFI variable paths');
  });
});

describe('what is refused, named', () => {
  it.each([
    [
      // Issue 18's example: the QEMU namespace as the default namespace, not a prefix.
      'QEMU arguments in the default namespace',
      withTop(
        `<commandline xmlns="http://libvirt.org/schemas/domain/qemu/1.0"><arg value="-chardev"/><arg value="file,id=x,path=/tmp/qemu-wrote-this"/></commandline>`,
      ),
      /<commandline> \(settings for QEMU or another program, outside libvirt's own: http:\/\/libvirt.org\/schemas\/domain\/qemu\/1.0\)/,
    ],
    [
      'QEMU arguments under a prefix of any name',
      withTop(
        `<zz:commandline xmlns:zz="http://libvirt.org/schemas/domain/qemu/1.0"><zz:arg value="-x"/></zz:commandline>`,
      ),
      /<zz:commandline>/,
    ],
    [
      'QEMU overrides nested in a device',
      withDevice(
        `<disk type='file' device='cdrom'><qemu:override xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'/><target dev='sdc' bus='sata'/></disk>`,
      ),
      /<qemu:override> in <disk>/,
    ],
    [
      'a host device',
      withDevice(`<hostdev mode='subsystem' type='usb'/>`),
      /<hostdev type='usb'> in <devices> \(a device of the host\)/,
    ],
    [
      'a folder of the host',
      withDevice(`<filesystem type='mount'><source dir='/'/></filesystem>`),
      /<filesystem type='mount'>.*a folder of the host/,
    ],
    [
      'a host block device',
      withDevice(`<disk type='block' device='disk'><source dev='/dev/sda'/><target dev='vdb' bus='virtio'/></disk>`),
      /<disk type='block' device='disk'>.*a block device of the host/,
    ],
    [
      'a script for its network',
      withDevice(`<interface type='ethernet'><script path='/tmp/x'/></interface>`),
      /<interface type='ethernet'>/,
    ],
    [
      'a script on a bridge',
      withDevice(
        `<interface type='bridge'><mac address='52:54:00:00:00:02'/><source bridge='br0'/><script path='/tmp/x'/></interface>`,
      ),
      /<script> in <interface> \(a program of the host\)/,
    ],
    [
      'a serial port writing a file',
      withDevice(`<serial type='file'><source path='/etc/cron.d/x'/></serial>`),
      /<serial type='file'>/,
    ],
    [
      'a console logging to a file',
      withDevice(`<console type='pty'><log file='/etc/x'/></console>`),
      /<console type='pty'>/,
    ],
    [
      'an input device of the host',
      withDevice(`<input type='evdev'><source dev='/dev/input/event0'/></input>`),
      /an input device of the host/,
    ],
    [
      'the host’s TPM',
      withDevice(`<tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>`),
      /the host’s own TPM/,
    ],
    [
      'a random-number device of the host',
      withDevice(`<rng model='virtio'><backend model='random'>/dev/sda</backend></rng>`),
      /<rng model='virtio'>.*random backend/,
    ],
    ['no confinement', withTop(`<seclabel type='none'/>`), /<seclabel type='none'>/],
    ['no relabelling', withTop(`<seclabel type='dynamic' relabel='no'/>`), /<seclabel type='dynamic' relabel='no'>/],
    [
      'a kernel of the host',
      SMALL.replace('</os>', '<kernel>/boot/vmlinuz</kernel></os>'),
      /<kernel> in <os> \(a file of the host to boot\)/,
    ],
    [
      'a disk on IDE',
      withDevice(`<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>`),
      /cdrom hdc on bus 'ide'/,
    ],
    [
      'a backing chain not flattened',
      SMALL.replace(
        "<target dev='vda'",
        "<backingStore type='file'><source file='/srv/base.qcow2'/></backingStore><target dev='vda'",
      ),
      /vda's backing chain/,
    ],
    [
      'an attribute pointing at a file on a read element',
      SMALL.replace("<target dev='vda' bus='virtio'/>", "<target dev='vda' bus='virtio' file='/etc/shadow'/>"),
      /the attribute file='\/etc\/shadow' on <target>/,
    ],
    [
      'an element nobody knows',
      withDevice(`<teleporter/>`),
      /<teleporter> in <devices> \(Phyllome's model has no place for it\)/,
    ],
    [
      'a name that is a path',
      SMALL.replace('<name>small</name>', '<name>../../../../tmp/pwn</name>'),
      /its name \(A guest name is 1 to 63/,
    ],
    ['a UUID not in canonical form', SMALL.replace(UUID, UUID.toUpperCase()), /its UUID/],
    ['a MAC address of a group', SMALL.replace('52:54:00:12:34:99', '01:00:5e:00:00:01'), /not a unicast MAC address/],
    [
      'a setting of ours that is not valid',
      withTop(
        `<metadata><p:switcher xmlns:p='https://phyllo.me/xmlns/switcher/1'><p:seat id='../x'/></p:switcher></metadata>`,
      ),
      /our setting <seat>/,
    ],
    [
      'an element of ours we never write',
      withTop(
        `<metadata><p:switcher xmlns:p='https://phyllo.me/xmlns/switcher/1'><p:exec cmd='x'/></p:switcher></metadata>`,
      ),
      /our setting <exec>/,
    ],
    [
      'a guest of another hypervisor',
      SMALL.replace("<domain type='kvm'>", "<domain type='xen'>"),
      /only QEMU and KVM guests/,
    ],
    [
      'a disk whose image the bundle lacks',
      withDevice(`<disk type='file' device='disk'><source file='/x'/><target dev='vdb' bus='virtio'/></disk>`),
      /disk vdb \(the bundle has no image for it/,
    ],
  ])('%s', (_what, xml, named) => {
    expect(() => readBundleDefinition(xml, VDA)).toThrow(named);
    expect(() => readBundleDefinition(xml, VDA)).toThrow(expect.objectContaining({ kind: 'InvalidArgument' }));
  });

  it('names everything it refuses at once', () => {
    const xml = withDevice(
      `<hostdev mode='subsystem' type='pci'/><serial type='dev'><source path='/dev/ttyS0'/></serial>`,
    );
    expect(() => readBundleDefinition(xml, VDA)).toThrow(/<hostdev type='pci'>.*; <serial type='dev'>/);
  });

  it('refuses an image the definition has no disk for', () => {
    const images = new Map([...VDA, ['vdz', { format: 'raw', flattened: false }]]);
    expect(() => readBundleDefinition(SMALL, images)).toThrow(/the image of disk vdz/);
  });

  it('refuses XML that is not plain: entities of its own', () => {
    const xml = `<!DOCTYPE domain [<!ENTITY p "/etc/shadow">]>${SMALL}`;
    expect(() => readBundleDefinition(xml, VDA)).toThrow(/document type declaration/);
  });
});

describe('what is dropped, and said', () => {
  it('takes a flattened chain: its image holds it all', () => {
    const xml = SMALL.replace(
      "<target dev='vda'",
      "<backingStore type='file'><format type='raw'/><source file='/srv/base.raw'/></backingStore><target dev='vda'",
    );
    const { dropped } = readBundleDefinition(xml, new Map([['vda', { format: 'raw', flattened: true }]]));
    expect(dropped).toContain('backing chains (flattened into the images)');
  });

  it('drops other programs’ notes in its metadata, and a display listening on a socket', () => {
    const xml = withTop(
      `<metadata><boxes:gnome-boxes xmlns:boxes="https://wiki.gnome.org/Apps/Boxes"><os-state>installed</os-state></boxes:gnome-boxes></metadata>`,
    ).replace('</devices>', `<graphics type='vnc' socket='/run/x.sock'/></devices>`);
    const { guest, dropped } = readBundleDefinition(xml, VDA);
    expect(guest.display).toBe('vnc');
    expect(dropped).toEqual(expect.arrayContaining(['other programs’ notes', 'display listener and password']));
  });

  it('keeps cards on this host’s network, whatever network they were on', () => {
    const xml = SMALL.replace(
      "<interface type='user'><mac address='52:54:00:12:34:99'/>",
      "<interface type='bridge'><mac address='52:54:00:12:34:99'/><source bridge='br0'/>",
    );
    const { guest, dropped } = readBundleDefinition(xml, VDA);
    expect(guest.interfaces).toEqual([{ model: 'virtio', mac: '52:54:00:12:34:99' }]);
    expect(dropped).toContain('network attachment');
  });
});

// What no guest holds is refused before each one is compared with the others, so
// that checking a definition costs no more than its size (attack finding 1).
describe('more of a device than any guest has', () => {
  const letters = (i: number): string => String.fromCharCode(97 + Math.floor(i / 26), 97 + (i % 26));
  const disk = (i: number): string =>
    `<disk type='file' device='cdrom'><target dev='sd${letters(i)}' bus='sata'/><readonly/></disk>`;
  const card = (i: number): string =>
    `<interface type='user'><mac address='52:54:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}'/></interface>`;
  const rule = (i: number): string => `<p:usb-rule mode='ask' port='1-${(i % 900) + 1}.${Math.floor(i / 900) + 1}'/>`;

  it.each([
    ['drives', withDevice(Array.from({ length: 65 }, (_, i) => disk(i)).join('')), /more than 64 drives/],
    [
      'network cards',
      withDevice(Array.from({ length: 1000 }, (_, i) => card(i)).join('')),
      /more than 32 network cards/,
    ],
    [
      'USB rules',
      withTop(
        `<metadata><p:switcher xmlns:p='https://phyllo.me/xmlns/switcher/1'>${Array.from({ length: 257 }, (_, i) => rule(i)).join('')}</p:switcher></metadata>`,
      ),
      /more than 256 USB rules/,
    ],
  ])('refuses %s, naming the limit once', (_what, xml, named) => {
    expect(() => readBundleDefinition(xml, VDA)).toThrow(named);
    try {
      readBundleDefinition(xml, VDA);
    } catch (error) {
      expect((error as Error).message.match(new RegExp(named.source, 'g'))).toHaveLength(1);
    }
  });
});
