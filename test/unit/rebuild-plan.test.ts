// A guest from elsewhere made again from Phyllome's model on this host
// (planRebuild, service/create/plan.ts, as Import uses it): what the guest
// is comes from the bundle, the rest from the model and the host; what the
// host cannot give is refused, what only makes it slower or plainer is said.

import { describe, expect, it } from 'vitest';
import type { HostCapabilities } from '../../service/libvirt/host.js';
import { FULL_HOST } from '../support/bundle-definitions.js';
import { DEFAULT_SETTINGS } from '../../service/libvirt/switcher-metadata.js';
import type { OsProfile } from '../../service/create/osinfo.js';
import { HYPERV_FEATURES, planRebuild, type RebuildPlacement, type StatedGuest } from '../../service/create/plan.js';

// A host with everything a guest may ask for (KVM, UEFI, Secure Boot, a TPM, SPICE, 3D).
const HOST = FULL_HOST;

function profile(id: string, template: OsProfile['template'], virtio: boolean): OsProfile {
  return {
    id,
    name: id,
    family: template === 'windows' ? 'winnt' : 'linux',
    template,
    minimum: {},
    recommended: {},
    virtio: { block: virtio, net: virtio, gpu: virtio, input: virtio },
    efi: true,
    efiOnly: false,
    derivesFrom: (other) => other === id,
  };
}
const WINDOWS = profile('http://microsoft.com/win/11', 'windows', false);
const DEBIAN = profile('http://debian.org/debian/12', 'linux', true);

const SYSTEM: RebuildPlacement = {
  userNetworking: false,
  network: 'default',
  nvramPath: '/var/lib/libvirt/qemu/nvram/g_VARS.fd',
};

/** A Windows 11 guest as its bundle states it: UEFI, Secure Boot, its TPM, SPICE, SATA and e1000e. */
const WIN11: StatedGuest = {
  name: 'win11',
  uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f',
  title: '',
  description: '',
  osId: 'http://microsoft.com/win/11',
  memoryMiB: 4096,
  vcpus: 4,
  firmware: 'efi',
  secureBoot: true,
  clockOffset: 'localtime',
  disks: [{ dev: 'sda', bus: 'sata', format: 'qcow2' }],
  media: [{ dev: 'sdb', bus: 'sata', path: '/isos/old-host.iso' }],
  interfaces: [{ model: 'e1000e', mac: '52:54:00:12:34:56' }],
  display: 'spice',
  video: undefined,
  sound: undefined,
  tpm: 'tpm-crb',
  settings: { ...DEFAULT_SETTINGS, monitor: 'DP-1' },
};

/** A Debian guest with nothing optional: BIOS, no TPM, no display, virtio. */
const PLAIN: StatedGuest = {
  ...WIN11,
  name: 'plain',
  osId: '',
  firmware: 'bios',
  secureBoot: false,
  clockOffset: 'utc',
  disks: [{ dev: 'vda', bus: 'virtio', format: 'raw' }],
  media: [],
  interfaces: [],
  display: '',
  tpm: undefined,
  settings: DEFAULT_SETTINGS,
};

const hypervAll = Object.fromEntries(HYPERV_FEATURES.map((f) => [`hv_${f}`, true]));

describe('a guest made again here', () => {
  it('keeps what it is and takes the rest from the model and this host', () => {
    const plan = planRebuild(WINDOWS, HOST, SYSTEM, WIN11);
    expect(plan).toStrictEqual({
      family: 'windows',
      sizes: { memoryMiB: 4096, vcpus: 4, diskGiB: 0 },
      values: {
        name: 'win11',
        uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f',
        genid: '',
        title: '',
        os_id: 'http://microsoft.com/win/11',
        description: '',
        domain_type: 'kvm',
        memory_mib: 4096,
        vcpus: 4,
        secure_boot: 'yes',
        nvram_path: '/var/lib/libvirt/qemu/nvram/g_VARS.fd',
        clock_offset: 'localtime',
        network: 'default',
        video_model: 'bochs',
        sound_model: '',
        tpm_model: 'tpm-crb',
      },
      flags: {
        ...hypervAll,
        hyperv: true,
        hv_clock: true,
        kvm: true,
        tpm: true,
        secure_boot: true,
        efi: true,
        nvram: true,
        display: true,
        spice: true,
        gl: false,
        virtio: false,
        drivers: false,
        osinfo: true,
        title: false,
        description: false,
        genid: false,
        sound: false,
        scsi: false,
        net_user: false,
      },
      disks: [{ dev: 'sda', bus: 'sata', format: 'qcow2' }],
      // Its CD drives come empty: the old host's media stay there.
      media: [{ dev: 'sdb', bus: 'sata' }],
      interfaces: [{ model: 'e1000e', mac: '52:54:00:12:34:56' }],
      settings: { ...DEFAULT_SETTINGS, monitor: 'DP-1' },
      warnings: [],
    });
  });

  it('sets a flag for each optional thing the guest has, and leaves it off for what it has not', () => {
    const full = planRebuild(DEBIAN, HOST, SYSTEM, {
      ...PLAIN,
      genid: '11111111-2222-3333-4444-555555555555',
      title: 'A title',
      description: 'Its description',
      osId: 'http://debian.org/debian/12',
      sound: 'ich9',
      tpm: 'tpm-tis',
      video: 'vga',
      media: [{ dev: 'sdb', bus: 'scsi' }],
    });
    expect(full.flags).toMatchObject({ genid: true, title: true, description: true, osinfo: true, sound: true });
    expect(full.flags).toMatchObject({ tpm: true, scsi: true, efi: false, nvram: false, display: false });
    expect(full.values).toMatchObject({
      genid: '11111111-2222-3333-4444-555555555555',
      title: 'A title',
      description: 'Its description',
      sound_model: 'ich9',
      tpm_model: 'tpm-tis',
      video_model: 'vga',
      nvram_path: '/var/lib/libvirt/qemu/nvram/g_VARS.fd',
      secure_boot: 'no',
      clock_offset: 'utc',
    });
    const none = planRebuild(DEBIAN, HOST, SYSTEM, PLAIN);
    expect(none.flags).toMatchObject({ genid: false, title: false, description: false, osinfo: false, sound: false });
    expect(none.flags).toMatchObject({ tpm: false, scsi: false, display: false, spice: false, gl: false });
    // No TPM: the flag leaves it out; the value stays one libvirt takes.
    expect(none.values.tpm_model).toBe('tpm-crb');
    expect(
      planRebuild(DEBIAN, HOST, SYSTEM, { ...PLAIN, disks: [{ dev: 'sda', bus: 'scsi', format: 'raw' }] }).flags.scsi,
    ).toBe(true);
  });

  it('keeps UEFI variables only where it boots UEFI and this host has a place for them', () => {
    expect(planRebuild(WINDOWS, HOST, { ...SYSTEM, nvramPath: undefined }, WIN11)).toMatchObject({
      flags: { efi: true, nvram: false },
      values: { nvram_path: '' },
    });
    expect(planRebuild(DEBIAN, HOST, SYSTEM, PLAIN).flags).toMatchObject({ efi: false, nvram: false });
  });
});

describe('what this host cannot give a guest', () => {
  it('is refused, naming what to install', () => {
    const refusal = (host: Partial<HostCapabilities>, guest: Partial<StatedGuest> = {}): unknown => {
      try {
        planRebuild(WINDOWS, { ...HOST, ...host }, SYSTEM, { ...WIN11, ...guest });
        return 'planned';
      } catch (error) {
        return { kind: (error as { kind: string }).kind, message: (error as Error).message };
      }
    };
    expect(refusal({ efi: false })).toEqual({
      kind: 'MissingHostFeature',
      message: 'win11 boots from UEFI, and this host has no UEFI firmware for QEMU: install ovmf',
    });
    expect(refusal({ secureBoot: false })).toEqual({
      kind: 'MissingHostFeature',
      message: 'win11 boots with Secure Boot, and this host has no Secure Boot firmware for QEMU: install ovmf',
    });
    expect(refusal({ tpm2: false })).toEqual({
      kind: 'MissingHostFeature',
      message: 'win11 has a TPM whose state travels with it, and this host has no TPM emulator: install swtpm',
    });
    expect(refusal({ maxVcpus: 3 })).toEqual({
      kind: 'InvalidArgument',
      message: "win11 has 4 vCPUs; this host's QEMU takes at most 3",
    });
    // What the guest does not have, the host need not either.
    expect(
      refusal({ efi: false, secureBoot: false, tpm2: false }, { firmware: 'bios', secureBoot: false, tpm: undefined }),
    ).toBe('planned');
    expect(refusal({ secureBoot: false, tpm2: false }, { secureBoot: false, tpm: undefined })).toBe('planned');
    expect(refusal({ maxVcpus: 4 })).toBe('planned');
  });
});

describe('what only makes a guest slower or plainer here', () => {
  it('is said as a warning', () => {
    const tcg = planRebuild(WINDOWS, { ...HOST, domainType: 'qemu' }, SYSTEM, WIN11);
    expect(tcg.warnings).toEqual([
      'No KVM for this guest: it runs under software emulation, slowly, and without Hyper-V enlightenments',
    ]);
    expect(tcg.flags).toMatchObject({ kvm: false, hyperv: false, hv_clock: false, hv_relaxed: false });
    expect(tcg.values.domain_type).toBe('qemu');
    expect(planRebuild(DEBIAN, { ...HOST, domainType: 'qemu' }, SYSTEM, PLAIN).warnings).toEqual([
      'No KVM for this guest: it runs under software emulation, slowly',
    ]);

    const lacking = planRebuild(WINDOWS, { ...HOST, hypervFeatures: ['relaxed', 'vpindex'] }, SYSTEM, WIN11);
    expect(lacking.flags).toMatchObject({ hyperv: true, hv_relaxed: true, hv_vpindex: true, hv_runtime: false });
    expect(lacking.flags.hv_clock).toBe(false);
    expect(lacking.warnings).toEqual([
      "This host's KVM lacks the Hyper-V enlightenments vapic, spinlocks, runtime, synic, stimer, frequencies, tlbflush, ipi: Windows runs slower",
    ]);

    const small = planRebuild(WINDOWS, { ...HOST, memoryMiB: 2048, cpus: 2 }, SYSTEM, WIN11);
    expect(small.warnings).toEqual([
      "win11 has 4096 MiB of memory, more than this host's 2048 MiB: give it less before starting it",
      "win11 has 4 vCPUs, more than this host's 2 CPUs: it runs slower",
    ]);
    expect(small.sizes).toEqual({ memoryMiB: 4096, vcpus: 4, diskGiB: 0 });
    // Exactly as much as the host has is no warning.
    expect(planRebuild(WINDOWS, { ...HOST, memoryMiB: 4096, cpus: 4 }, SYSTEM, WIN11).warnings).toEqual([]);

    const vnc = planRebuild(WINDOWS, { ...HOST, spice: false }, SYSTEM, WIN11);
    expect(vnc.warnings).toEqual(["This host's QEMU has no SPICE: the guest is shown over VNC on the loopback"]);
    expect(vnc.flags).toMatchObject({ spice: false, display: true });
    // A guest shown over VNC already loses nothing.
    expect(planRebuild(WINDOWS, { ...HOST, spice: false }, SYSTEM, { ...WIN11, display: 'vnc' }).warnings).toEqual([]);
  });

  it('says why user-mode networking only for a guest that has a network card', () => {
    const user: RebuildPlacement = {
      ...SYSTEM,
      userNetworking: true,
      network: '',
      networkWarning: 'no default network',
    };
    const plan = planRebuild(WINDOWS, HOST, user, WIN11);
    expect(plan.warnings).toEqual(['no default network']);
    expect([plan.flags.net_user, plan.values.network]).toEqual([true, '']);
    expect(planRebuild(WINDOWS, HOST, user, { ...WIN11, interfaces: [] }).warnings).toEqual([]);
  });
});

describe('virtio and the display', () => {
  it('goes virtio where the OS drives it, or where the guest already uses it', () => {
    const debian = planRebuild(DEBIAN, HOST, SYSTEM, { ...PLAIN, interfaces: [{ model: undefined, mac: 'm' }] });
    expect(debian.flags.virtio).toBe(true);
    expect(debian.interfaces).toEqual([{ model: 'virtio', mac: 'm' }]);
    // Windows drives virtio only with its drivers, which a guest using a virtio disk or card has.
    const plainWindows = planRebuild(WINDOWS, HOST, SYSTEM, { ...WIN11, interfaces: [{ model: undefined, mac: 'm' }] });
    expect(plainWindows.flags.virtio).toBe(false);
    expect(plainWindows.interfaces).toEqual([{ model: 'e1000e', mac: 'm' }]);
    const withDisk = planRebuild(WINDOWS, HOST, SYSTEM, {
      ...WIN11,
      disks: [{ dev: 'vda', bus: 'virtio', format: 'raw' }],
    });
    expect(withDisk.flags.virtio).toBe(true);
    expect(withDisk.values.video_model).toBe('virtio');
    const withCard = planRebuild(WINDOWS, HOST, SYSTEM, { ...WIN11, interfaces: [{ model: 'virtio', mac: 'm' }] });
    expect(withCard.flags.virtio).toBe(true);
    // An OS that drives virtio gets it though the guest had none; Windows only with its drivers.
    const sata: Partial<StatedGuest> = { disks: [{ dev: 'sda', bus: 'sata', format: 'raw' }], interfaces: [] };
    expect(planRebuild(DEBIAN, HOST, SYSTEM, { ...PLAIN, ...sata }).flags.virtio).toBe(true);
    const windowsVirtio: OsProfile = { ...WINDOWS, virtio: DEBIAN.virtio };
    expect(planRebuild(windowsVirtio, HOST, SYSTEM, { ...WIN11, ...sata }).flags.virtio).toBe(false);
    const netOnly: OsProfile = { ...DEBIAN, virtio: { ...DEBIAN.virtio, block: false } };
    expect(planRebuild(netOnly, HOST, SYSTEM, { ...PLAIN, ...sata }).flags.virtio).toBe(false);
    // An OS that drives virtio disks but not virtio network cards does not get virtio.
    const halfway: OsProfile = { ...DEBIAN, virtio: { ...DEBIAN.virtio, net: false } };
    expect(planRebuild(halfway, HOST, SYSTEM, { ...PLAIN, disks: [] }).flags.virtio).toBe(false);
  });

  it('picks the video the guest had, else virtio where it can, bochs on UEFI, vga on BIOS', () => {
    expect(planRebuild(DEBIAN, HOST, SYSTEM, { ...PLAIN, video: 'bochs' }).values.video_model).toBe('bochs');
    expect(planRebuild(DEBIAN, HOST, SYSTEM, PLAIN).values.video_model).toBe('virtio');
    expect(planRebuild(DEBIAN, { ...HOST, virtioGpu: false }, SYSTEM, PLAIN).values.video_model).toBe('vga');
    expect(
      planRebuild(DEBIAN, { ...HOST, virtioGpu: false }, SYSTEM, { ...PLAIN, firmware: 'efi' }).values.video_model,
    ).toBe('bochs');
    const noGpuOs: OsProfile = { ...DEBIAN, virtio: { ...DEBIAN.virtio, gpu: false } };
    expect(planRebuild(noGpuOs, HOST, SYSTEM, PLAIN).values.video_model).toBe('vga');
  });

  it('gives 3D to a Linux guest on virtio over SPICE where the host has OpenGL and a render node', () => {
    const shown: StatedGuest = { ...PLAIN, display: 'spice' };
    expect(planRebuild(DEBIAN, HOST, SYSTEM, shown).flags.gl).toBe(true);
    for (const lack of [{ opengl: false }, { renderNode: false }, { virtioGpu: false }, { spice: false }])
      expect(planRebuild(DEBIAN, { ...HOST, ...lack }, SYSTEM, shown).flags.gl, JSON.stringify(lack)).toBe(false);
    expect(planRebuild(DEBIAN, HOST, SYSTEM, { ...shown, display: 'vnc' }).flags.gl).toBe(false);
    expect(planRebuild(DEBIAN, HOST, SYSTEM, { ...shown, video: 'vga' }).flags.gl).toBe(false);
    expect(planRebuild({ ...DEBIAN, template: 'other' }, HOST, SYSTEM, shown).flags.gl).toBe(false);
  });
});
