// A guest whose "OS" panics for real: a boot sector of a few instructions,
// booted by SeaBIOS from a tiny disk, writes to QEMU's pvpanic device (ISA
// port 0x505) as a kernel does when it panics — 1, panicked; or 2, crash
// loaded (a crash kernel will write the dump and the guest runs on). The
// crash-loaded one then waits for a key press (the test's "dump written")
// and powers the machine off through ACPI, as kdump's final action may.

import { writeFileSync } from 'node:fs';
import { inSandbox } from './guest-files.js';

/** What the guest writes to pvpanic: QEMU's PVPANIC_PANICKED or PVPANIC_CRASH_LOADED event. */
export type PanicEvent = 'panicked' | 'crash-loaded';

// 16-bit real mode, loaded at 0:7C00.
const WRITE_PVPANIC = (event: number): number[] => [
  0xba,
  0x05,
  0x05, //   mov dx, 0x505
  0xb0,
  event, //        mov al, event
  0xee, //               out dx, al
];
const HALT = [
  0xf4, //               hlt
  0xeb,
  0xfd, //         jmp hlt
];
const KEY_THEN_POWER_OFF = [
  0x30,
  0xe4, //         xor ah, ah
  0xcd,
  0x16, //         int 0x16              the BIOS waits for a key
  // The ICH9 LPC bridge's ACPI PM base (00:1f.0, register 0x40), which SeaBIOS set up.
  0x66,
  0xb8,
  0x40,
  0xf8,
  0x00,
  0x80, //  mov eax, 0x8000f840
  0xba,
  0xf8,
  0x0c, //   mov dx, 0xcf8
  0x66,
  0xef, //         out dx, eax
  0xba,
  0xfc,
  0x0c, //   mov dx, 0xcfc
  0x66,
  0xed, //         in eax, dx
  0x25,
  0x80,
  0xff, //   and ax, 0xff80
  0x05,
  0x04,
  0x00, //   add ax, 4             PM1a control
  0x89,
  0xc2, //         mov dx, ax
  0xb8,
  0x00,
  0x20, //   mov ax, 0x2000        SLP_EN, sleep type 0: soft off
  0xef, //               out dx, ax
];

/** A 1 MiB disk image whose boot sector raises the event. */
export function panicBootImage(event: PanicEvent): Buffer {
  const code =
    event === 'panicked' ? [...WRITE_PVPANIC(1), ...HALT] : [...WRITE_PVPANIC(2), ...KEY_THEN_POWER_OFF, ...HALT];
  const image = Buffer.alloc(1024 * 1024);
  Buffer.from(code).copy(image, 0);
  image[510] = 0x55;
  image[511] = 0xaa;
  return image;
}

/**
 * Writes the boot image into the libvirtd sandbox (its /run is a tmpfs that
 * goes with it) and returns a domain definition that boots it, with a
 * pvpanic device and libvirt's default on_crash (destroy).
 */
export function panicGuestXml(sandboxPid: number | undefined, name: string, event: PanicEvent): string {
  const disk = `/run/libvirt/${name}-boot.img`;
  writeFileSync(inSandbox(sandboxPid, disk), panicBootImage(event));
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type><boot dev='hd'/></os>
  <features><acpi/></features>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='${disk}'/>
      <target dev='sda' bus='sata'/>
    </disk>
    <panic model='isa'><address type='isa' iobase='0x505'/></panic>
  </devices>
</domain>`;
}
