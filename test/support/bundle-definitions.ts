// Definitions as bundles carry them: guests as virt-manager, virt-install
// and our own CreateGuest leave them in libvirt (GetXMLDesc, inactive and
// secure), with every firmware shape libvirt writes, and the hosts they are
// imported on. Shared by the unit, property and real-libvirtd tests.

import type { HostCapabilities } from '../../service/libvirt/host.js';
import { HYPERV_FEATURES } from '../../service/create/plan.js';

export const WIN11_UUID = '6f8bef35-03be-4c19-a000-5286631e70c5';

/** A host with everything: KVM, UEFI with Secure Boot, swtpm, SPICE, 3D. */
export const FULL_HOST: HostCapabilities = {
  domainType: 'kvm',
  efi: true,
  secureBoot: true,
  tpm2: true,
  spice: true,
  opengl: true,
  renderNode: true,
  virtioGpu: true,
  hostModelCpu: true,
  maxVcpus: 288,
  memfd: true,
  hypervFeatures: [...HYPERV_FEATURES],
  memoryMiB: 32768,
  cpus: 8,
};

/**
 * A Windows 11 guest as virt-manager 4.1 makes it on libvirt 9 (Secure Boot,
 * TPM, qxl, ich9, USB redirection, libvirt's implicit devices), with our
 * settings, a title and a two-line description.
 */
export const WIN11_VIRT_MANAGER = `<domain type='kvm'>
  <name>win11</name>
  <uuid>${WIN11_UUID}</uuid>
  <title>Work PC</title>
  <description>Windows 11 for work &amp; games
second line</description>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="http://microsoft.com/win/11"/>
    </libosinfo:libosinfo>
    <phyllome:switcher xmlns:phyllome="https://phyllo.me/xmlns/switcher/1">
      <phyllome:monitor connector="DP-1"/>
      <phyllome:usb-rule mode="always" vendor="046d" product="c52b" serial="A 1:&#233;"/>
      <phyllome:usb-rule mode="ask" port="1-1.2"/>
      <phyllome:seat id="seat1"/>
    </phyllome:switcher>
  </metadata>
  <memory unit='KiB'>4194304</memory>
  <currentMemory unit='KiB'>4194304</currentMemory>
  <vcpu placement='static'>4</vcpu>
  <os firmware='efi'>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <firmware>
      <feature enabled='yes' name='enrolled-keys'/>
      <feature enabled='yes' name='secure-boot'/>
    </firmware>
    <loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.ms.fd</loader>
    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.ms.fd'>/var/lib/libvirt/qemu/nvram/win11_VARS.fd</nvram>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
    <hyperv mode='custom'>
      <relaxed state='on'/>
      <vapic state='on'/>
      <spinlocks state='on' retries='8191'/>
    </hyperv>
    <vmport state='off'/>
    <smm state='on'/>
  </features>
  <cpu mode='host-passthrough' check='none' migratable='on'>
    <topology sockets='1' dies='1' cores='4' threads='1'/>
  </cpu>
  <clock offset='localtime'>
    <timer name='rtc' tickpolicy='catchup'/>
    <timer name='pit' tickpolicy='delay'/>
    <timer name='hpet' present='no'/>
    <timer name='hypervclock' present='yes'/>
  </clock>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <pm>
    <suspend-to-mem enabled='no'/>
    <suspend-to-disk enabled='no'/>
  </pm>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='/var/lib/libvirt/images/win11.qcow2'/>
      <target dev='sda' bus='sata'/>
      <address type='drive' controller='0' bus='0' target='0' unit='0'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/srv/iso/Win11_23H2.iso'/>
      <target dev='sdb' bus='sata'/>
      <readonly/>
      <address type='drive' controller='0' bus='0' target='0' unit='1'/>
    </disk>
    <controller type='usb' index='0' model='qemu-xhci' ports='15'>
      <address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>
    </controller>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-root-port'>
      <model name='pcie-root-port'/>
      <target chassis='1' port='0x10'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0' multifunction='on'/>
    </controller>
    <controller type='sata' index='0'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x1f' function='0x2'/>
    </controller>
    <controller type='virtio-serial' index='0'>
      <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>
    </controller>
    <interface type='network'>
      <mac address='52:54:00:AA:BB:CC'/>
      <source network='default'/>
      <model type='e1000e'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </interface>
    <serial type='pty'>
      <target type='isa-serial' port='0'>
        <model name='isa-serial'/>
      </target>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <channel type='spicevmc'>
      <target type='virtio' name='com.redhat.spice.0'/>
      <address type='virtio-serial' controller='0' bus='0' port='1'/>
    </channel>
    <input type='tablet' bus='usb'>
      <address type='usb' bus='0' port='1'/>
    </input>
    <input type='mouse' bus='ps2'/>
    <input type='keyboard' bus='ps2'/>
    <tpm model='tpm-crb'>
      <backend type='emulator' version='2.0'/>
    </tpm>
    <graphics type='spice' autoport='yes' passwd='s3cret'>
      <listen type='address'/>
      <image compression='off'/>
    </graphics>
    <sound model='ich9'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x1b' function='0x0'/>
    </sound>
    <audio id='1' type='spice'/>
    <video>
      <model type='qxl' ram='65536' vram='65536' vgamem='16384' heads='1' primary='yes'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>
    </video>
    <redirdev bus='usb' type='spicevmc'>
      <address type='usb' bus='0' port='2'/>
    </redirdev>
    <redirdev bus='usb' type='spicevmc'>
      <address type='usb' bus='0' port='3'/>
    </redirdev>
    <watchdog model='itco' action='reset'/>
    <memballoon model='virtio'>
      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>
    </memballoon>
  </devices>
</domain>
`;

/** The disk images WIN11_VIRT_MANAGER's bundle carries. */
export const WIN11_IMAGES = new Map([['sda', { format: 'qcow2', flattened: false }]]);

/** Loader shapes libvirt writes, for a guest named `name`; what each means (UEFI? Secure Boot?). */
export const FIRMWARE_SHAPES: { shape: string; os: (name: string) => string; efi: boolean; secureBoot: boolean }[] = [
  {
    shape: 'virt-install: a pflash loader and an nvram path',
    os: (name) =>
      `<os><type arch='x86_64' machine='q35'>hvm</type><loader readonly='yes' type='pflash'>/usr/share/edk2/ovmf/OVMF_CODE.fd</loader><nvram>/var/lib/libvirt/qemu/nvram/${name}_VARS.fd</nvram><boot dev='hd'/></os>`,
    efi: true,
    secureBoot: false,
  },
  {
    shape: 'virt-install with Secure Boot: a secure loader, a template on nvram',
    os: (name) =>
      `<os><type arch='x86_64' machine='pc-q35-8.1'>hvm</type><loader readonly='yes' secure='yes' type='pflash'>/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd</loader><nvram template='/usr/share/edk2/ovmf/OVMF_VARS.secboot.fd'>/var/lib/libvirt/qemu/nvram/${name}_VARS.fd</nvram><boot dev='hd'/></os>`,
    efi: true,
    secureBoot: true,
  },
  {
    shape: "libvirt's autoselection with a firmware feature list",
    os: () =>
      `<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type><firmware><feature enabled='yes' name='enrolled-keys'/><feature enabled='yes' name='secure-boot'/></firmware><loader secure='yes'/><boot dev='hd'/></os>`,
    efi: true,
    secureBoot: true,
  },
  {
    shape: 'autoselection filled in by libvirt 9 (loader and nvram paths written back)',
    os: (name) =>
      `<os firmware='efi'><type arch='x86_64' machine='pc-q35-9.0'>hvm</type><firmware><feature enabled='no' name='enrolled-keys'/><feature enabled='no' name='secure-boot'/></firmware><loader readonly='yes' type='pflash' format='raw'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader><nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd' format='raw'>/home/ann/.config/libvirt/qemu/nvram/${name}_VARS.fd</nvram><boot dev='hd'/></os>`,
    efi: true,
    secureBoot: false,
  },
  {
    shape: 'BIOS (SeaBIOS, nothing said)',
    os: () => `<os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type><boot dev='hd'/></os>`,
    efi: false,
    secureBoot: false,
  },
  {
    shape: "BIOS said (firmware='bios')",
    os: () => `<os firmware='bios'><type arch='x86_64' machine='q35'>hvm</type><bootmenu enable='yes'/></os>`,
    efi: false,
    secureBoot: false,
  },
];

/** A small guest with one raw disk and the given <os>: how a bundle of each firmware shape looks. */
export function shapedGuestXml(name: string, uuid: string, os: string, extra = ''): string {
  const secure = /secure='yes'|name='secure-boot'\/>|enabled='yes' name='secure-boot'/.test(os);
  return `<domain type='kvm'>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <memory unit='KiB'>131072</memory>
  <vcpu placement='static'>1</vcpu>
  ${os}
  <features><acpi/><apic/>${secure ? "<smm state='on'/>" : ''}</features>
  <devices>
    <emulator>/usr/bin/qemu-kvm</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='/var/lib/libvirt/images/${name}.raw'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='user'><mac address='52:54:00:12:34:99'/><model type='virtio'/></interface>
    <video><model type='virtio'/></video>
    ${extra}
  </devices>
</domain>
`;
}
