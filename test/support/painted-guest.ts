// A guest whose screen is one colour, so a frame of it is known when seen
// anywhere: a boot sector of a few instructions, booted by SeaBIOS from a
// tiny disk, fills VGA text mode with spaces on a magenta background (VGA's
// 0xAA00AA) and halts. Its display is SPICE with no listener, as Phyllome's
// model has it.

import { writeFileSync } from 'node:fs';
import { inSandbox } from './guest-files.js';

// 16-bit real mode, loaded at 0:7C00.
const PAINT = [
  0xb8,
  0x00,
  0xb8, //   mov ax, 0xb800        text mode's memory
  0x8e,
  0xc0, //         mov es, ax
  0x31,
  0xff, //         xor di, di
  0xb8,
  0x20,
  0x50, //   mov ax, 0x5020        ' ', black on magenta
  0xb9,
  0xd0,
  0x07, //   mov cx, 2000          80 × 25 cells
  0xfc, //               cld
  0xf3,
  0xab, //         rep stosw
  0xf4, //               hlt
  0xeb,
  0xfd, //         jmp hlt
];

/** Whether a pixel is the guest's magenta, as a client or screenshot renders it. */
export const isMagenta = (red: number, green: number, blue: number): boolean => red > 150 && blue > 150 && green < 60;

/**
 * Writes the boot image into the libvirtd sandbox (its /run is a tmpfs that
 * goes with it) and returns a domain definition that boots it, of `seat`.
 */
export function paintedGuestXml(sandboxPid: number | undefined, name: string, seat: string): string {
  const disk = `/run/libvirt/${name}-boot.img`;
  const image = Buffer.alloc(1024 * 1024);
  Buffer.from(PAINT).copy(image, 0);
  image[510] = 0x55;
  image[511] = 0xaa;
  writeFileSync(inSandbox(sandboxPid, disk), image);
  return `<domain type='qemu'>
  <name>${name}</name>
  <metadata><phyllome:switcher xmlns:phyllome="https://phyllo.me/xmlns/switcher/1"><phyllome:seat id="${seat}"/></phyllome:switcher></metadata>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type><boot dev='hd'/></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='${disk}'/>
      <target dev='sda' bus='sata'/>
    </disk>
    <graphics type='spice'><listen type='none'/></graphics>
    <video><model type='virtio'/></video>
  </devices>
</domain>`;
}
