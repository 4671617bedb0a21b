// Phyllome's model adapted to a host and an OS (service/create/plan.ts): what
// the host lacks is a warning, or an error when the OS cannot do without it.
// The templates themselves: templates.test.ts.

import { beforeAll, describe, expect, it } from 'vitest';
import { parseDomainCapabilities, type HostCapabilities } from '../../service/libvirt/host.js';
import { OsinfoDb, type OsProfile } from '../../service/create/osinfo.js';
import { HYPERV_FEATURES, offer, planGuest, UNKNOWN_OS_ID, type Placement } from '../../service/create/plan.js';

const FULL_HOST: HostCapabilities = {
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
const SESSION: Placement = { userNetworking: true, network: '' };
const REQUEST = { name: 'guest', uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f', installer: '/isos/installer.iso' };

let db: OsinfoDb;
const os = (id: string): OsProfile => db.profile(id) as OsProfile;

beforeAll(async () => {
  db = await OsinfoDb.load();
});

describe('host capabilities', () => {
  it("reads firmware, Secure Boot, the TPM emulator, SPICE, OpenGL and Hyper-V from libvirt's domain capabilities", () => {
    const caps = parseDomainCapabilities(`<domainCapabilities><domain>kvm</domain><vcpu max='255'/>
      <os supported='yes'><enum name='firmware'><value>efi</value></enum>
        <loader supported='yes'><value>/usr/share/OVMF/OVMF_CODE_4M.ms.fd</value><value>/usr/share/OVMF/OVMF_CODE_4M.fd</value>
          <enum name='secure'><value>yes</value><value>no</value></enum></loader></os>
      <cpu><mode name='host-model' supported='yes'/></cpu>
      <memoryBacking supported='yes'><enum name='sourceType'><value>memfd</value></enum></memoryBacking>
      <devices><graphics supported='yes'><enum name='type'><value>vnc</value><value>spice</value><value>egl-headless</value></enum></graphics>
        <video supported='yes'><enum name='modelType'><value>virtio</value></enum></video>
        <tpm supported='yes'><enum name='model'><value>tpm-crb</value></enum><enum name='backendModel'><value>emulator</value></enum>
          <enum name='backendVersion'><value>2.0</value></enum></tpm></devices>
      <features><hyperv supported='yes'><enum name='features'><value>relaxed</value><value>spinlocks</value></enum></hyperv></features>
    </domainCapabilities>`);
    expect(caps).toEqual({
      domainType: 'kvm',
      efi: true,
      secureBoot: true,
      tpm2: true,
      spice: true,
      opengl: true,
      virtioGpu: true,
      hostModelCpu: true,
      maxVcpus: 255,
      memfd: true,
      hypervFeatures: ['relaxed', 'spinlocks'],
    });
  });

  it('finds no TPM, no Secure Boot and no SPICE where libvirt lists none', () => {
    const caps = parseDomainCapabilities(`<domainCapabilities><domain>qemu</domain>
      <os supported='yes'><enum name='firmware'><value>efi</value></enum>
        <loader supported='yes'><value>/usr/share/OVMF/OVMF_CODE_4M.fd</value><enum name='secure'><value>no</value></enum></loader></os>
      <devices><tpm supported='no'/><graphics supported='yes'><enum name='type'><value>vnc</value></enum></graphics></devices>
    </domainCapabilities>`);
    expect(caps).toMatchObject({
      domainType: 'qemu',
      efi: true,
      secureBoot: false,
      tpm2: false,
      spice: false,
      opengl: false,
    });
  });
});

describe('the plan', () => {
  it('gives Windows 11 everything Phyllome promises on a full host', () => {
    const plan = planGuest(os('http://microsoft.com/win/11'), FULL_HOST, SESSION, REQUEST);
    expect(plan.flags).toMatchObject({
      tpm: true,
      secure_boot: true,
      hyperv: true,
      hv_clock: true,
      virtio: false,
      net_user: true,
    });
    expect(plan.values).toMatchObject({ secure_boot: 'yes', domain_type: 'kvm', clock_offset: 'localtime' });
    expect([plan.disks, plan.interfaces, plan.media]).toEqual([
      [{ dev: 'sda', bus: 'sata', format: 'raw' }],
      [{ model: 'e1000e' }],
      [{ dev: 'sdb', bus: 'sata', path: '/isos/installer.iso' }],
    ]);
    expect(plan.sizes).toEqual({ memoryMiB: 4096, vcpus: 4, diskGiB: 64 });
    expect(plan.warnings).toEqual([]);
  });

  it('refuses Windows 11 where the host has no TPM emulator or no Secure Boot firmware, saying what to install', () => {
    const win11 = os('http://microsoft.com/win/11');
    expect(() => planGuest(win11, { ...FULL_HOST, tpm2: false }, SESSION, REQUEST)).toThrow(
      /no TPM emulator: install swtpm/,
    );
    expect(() => planGuest(win11, { ...FULL_HOST, secureBoot: false }, SESSION, REQUEST)).toThrow(
      /Secure Boot.*install ovmf/,
    );
    expect(() => planGuest(win11, { ...FULL_HOST, tpm2: false }, SESSION, REQUEST)).toThrow(
      expect.objectContaining({ kind: 'MissingHostFeature' }),
    );
  });

  it('makes Windows 10 and Linux without a TPM where there is none, and says so', () => {
    const noTpm = { ...FULL_HOST, tpm2: false };
    for (const id of ['http://microsoft.com/win/10', 'http://debian.org/debian/11']) {
      const plan = planGuest(os(id), noTpm, SESSION, REQUEST);
      expect(plan.flags.tpm).toBe(false);
      expect(plan.warnings).toContain('This host has no TPM emulator: install swtpm; the guest gets no TPM');
      expect(plan.values.description).toMatch(/install swtpm/);
    }
  });

  it("keeps only the Hyper-V enlightenments the host's KVM has, and none without KVM", () => {
    const win11 = os('http://microsoft.com/win/11');
    const partial = planGuest(win11, { ...FULL_HOST, hypervFeatures: ['spinlocks'] }, SESSION, REQUEST);
    expect(partial.flags).toMatchObject({ hyperv: true, hv_spinlocks: true, hv_relaxed: false, hv_clock: false });
    expect(partial.warnings.join()).toMatch(/lacks the Hyper-V enlightenments relaxed, vapic/);
    const tcg = planGuest(win11, { ...FULL_HOST, domainType: 'qemu' }, SESSION, REQUEST);
    expect(tcg.flags).toMatchObject({ hyperv: false, kvm: false });
    expect(tcg.warnings.join()).toMatch(/No KVM.*Hyper-V/);
  });

  it('gives Windows virtio with a driver ISO, and refuses one for another OS', () => {
    const plan = planGuest(os('http://microsoft.com/win/11'), FULL_HOST, SESSION, {
      ...REQUEST,
      drivers: '/isos/virtio-win.iso',
    });
    expect(plan.values).toMatchObject({ video_model: 'virtio' });
    expect([plan.disks[0]?.bus, plan.interfaces[0]?.model]).toEqual(['virtio', 'virtio']);
    expect(plan.media).toEqual([
      { dev: 'sdb', bus: 'sata', path: '/isos/installer.iso' },
      { dev: 'sdc', bus: 'sata', path: '/isos/virtio-win.iso' },
    ]);
    expect(plan.flags).toMatchObject({ virtio: true, drivers: true });
    expect(() =>
      planGuest(os('http://debian.org/debian/11'), FULL_HOST, SESSION, { ...REQUEST, drivers: '/x.iso' }),
    ).toThrow(/drivers-iso is for Windows/);
  });

  it('gives Linux virtio and 3D where the host can, and says why not where it cannot', () => {
    const debian = os('http://debian.org/debian/11');
    expect(planGuest(debian, FULL_HOST, SESSION, REQUEST).flags).toMatchObject({ gl: true, virtio: true });
    const noGpu = planGuest(debian, { ...FULL_HOST, renderNode: false }, SESSION, REQUEST);
    expect(noGpu.flags.gl).toBe(false);
    expect(noGpu.warnings).toContain('This host has no GPU render node (/dev/dri/renderD*): virtio-gpu without 3D');
  });

  it('uses the network of the system connection, or says why user-mode networking', () => {
    const debian = os('http://debian.org/debian/11');
    const system = planGuest(debian, FULL_HOST, { userNetworking: false, network: 'default' }, REQUEST);
    expect([system.flags.net_user, system.values.network]).toEqual([false, 'default']);
    const described = offer(debian, FULL_HOST, {
      userNetworking: true,
      network: '',
      networkWarning: 'no default network',
    });
    expect(described.warnings).toContain('no default network');
  });

  it('checks sizes against the OS and the host', () => {
    const win11 = os('http://microsoft.com/win/11');
    const at =
      (sizes: object, placement: Placement = SESSION) =>
      () =>
        planGuest(win11, FULL_HOST, placement, { ...REQUEST, ...sizes });
    expect(at({ memoryMiB: 2048 })).toThrow(/memory-mib must be at least 4096/);
    expect(at({ memoryMiB: 65536 })).toThrow(/more than the host's 32768 MiB/);
    expect(at({ vcpus: 1 })).toThrow(/vcpus must be at least 2/);
    expect(at({ vcpus: 9 })).toThrow(/more than the host's 8 CPUs/);
    expect(at({ diskGiB: 32 })).toThrow(/disk-gib must be at least 64/);
    expect(at({ diskGiB: 200 }, { ...SESSION, poolCapacityGiB: 100 })).toThrow(/more than the storage pool/);
    expect(at({ memoryMiB: 4096.5 })).toThrow(/memory-mib/);
  });

  it('makes an unknown OS from the other model, UEFI without Secure Boot, plain devices', () => {
    const plan = planGuest(os(UNKNOWN_OS_ID), FULL_HOST, SESSION, REQUEST);
    expect(plan.family).toBe('other');
    expect(plan.flags).toMatchObject({ efi: true, secure_boot: false, virtio: false });
    expect(plan.values).toMatchObject({ video_model: 'bochs', clock_offset: 'utc' });
    expect([plan.disks[0]?.bus, plan.interfaces[0]?.model]).toEqual(['sata', 'e1000e']);
  });
});

describe('the plan, on hosts and OSes made for the case', () => {
  function profile(template: OsProfile['template'], more: Partial<OsProfile> = {}): OsProfile {
    const virtio = template === 'linux';
    return {
      id: `http://example.org/${template}`,
      name: `Example ${template}`,
      family: template,
      template,
      minimum: {},
      recommended: {},
      virtio: { block: virtio, net: virtio, gpu: virtio, input: virtio },
      efi: true,
      efiOnly: false,
      derivesFrom: () => false,
      ...more,
    };
  }
  const LINUX = profile('linux');
  const OTHER = profile('other');
  const NO_EFI: HostCapabilities = { ...FULL_HOST, efi: false, secureBoot: false };

  it('fills every value and sets every flag of a Linux guest on a full host', () => {
    const plan = planGuest(LINUX, FULL_HOST, { userNetworking: false, network: 'default' }, REQUEST);
    expect(plan.values).toStrictEqual({
      name: 'guest',
      uuid: REQUEST.uuid,
      os_id: 'http://example.org/linux',
      description: "Made by Phyllome Switcher from Phyllome's linux model for Example linux.",
      domain_type: 'kvm',
      memory_mib: 2048,
      vcpus: 4,
      secure_boot: 'no',
      clock_offset: 'utc',
      network: 'default',
      video_model: 'virtio',
      tpm_model: 'tpm-crb',
    });
    expect(plan.flags).toMatchObject({
      kvm: true,
      tpm: true,
      secure_boot: false,
      efi: true,
      spice: true,
      gl: true,
      virtio: true,
      drivers: false,
      display: true,
      osinfo: true,
      description: true,
      title: false,
      genid: false,
      nvram: false,
      sound: false,
      scsi: false,
      net_user: false,
    });
    expect(plan.disks).toEqual([{ dev: 'vda', bus: 'virtio', format: 'raw' }]);
    expect(plan.warnings).toEqual([]);
  });

  it('says in the description what the host lacks', () => {
    const plan = planGuest(LINUX, { ...FULL_HOST, opengl: false }, SESSION, REQUEST);
    expect(plan.warnings).toEqual(["This host's QEMU has no OpenGL: virtio-gpu without 3D"]);
    expect(plan.values.description).toBe(
      "Made by Phyllome Switcher from Phyllome's linux model for Example linux. This host's QEMU has no OpenGL: virtio-gpu without 3D.",
    );
  });

  it('boots an OS of the other model from BIOS where the host has no UEFI, unless it needs UEFI', () => {
    const plan = planGuest(OTHER, { ...NO_EFI, tpm2: false }, SESSION, REQUEST);
    expect(plan.flags).toMatchObject({ efi: false, secure_boot: false, tpm: false });
    expect(plan.values.video_model).toBe('vga');
    // The other model says nothing of a TPM it does not give.
    expect(plan.warnings).toEqual([
      'This host has no UEFI firmware for QEMU (install ovmf): the guest starts from BIOS',
    ]);
    expect(planGuest({ ...OTHER, efi: false }, FULL_HOST, SESSION, REQUEST).flags.efi).toBe(false);
    expect(planGuest({ ...OTHER, efi: false }, NO_EFI, SESSION, REQUEST).warnings).toEqual([]);
    expect(() => planGuest({ ...OTHER, efiOnly: true }, NO_EFI, SESSION, REQUEST)).toThrow(
      'This host has no UEFI firmware for QEMU, which Example other needs here: install ovmf',
    );
    // Linux and Windows are made from UEFI templates: no UEFI, no guest.
    expect(() => planGuest(LINUX, NO_EFI, SESSION, REQUEST)).toThrow(
      'This host has no UEFI firmware for QEMU, which Example linux needs here: install ovmf',
    );
    expect(planGuest(LINUX, FULL_HOST, SESSION, REQUEST).flags.efi).toBe(true);
  });

  it('gives Windows other than 11 no Secure Boot where there is none, and says so', () => {
    const windows = profile('windows');
    const plan = planGuest(windows, { ...FULL_HOST, secureBoot: false }, SESSION, REQUEST);
    expect(plan.flags.secure_boot).toBe(false);
    expect(plan.values.secure_boot).toBe('no');
    expect(plan.warnings).toEqual([
      'This host has no Secure Boot firmware for QEMU: install ovmf; the guest starts without Secure Boot',
    ]);
    // Without KVM: one warning, the Hyper-V one, not a list of each enlightenment lacking.
    expect(planGuest(windows, { ...FULL_HOST, domainType: 'qemu' }, SESSION, REQUEST).warnings).toEqual([
      'No KVM for this guest: it runs under software emulation, slowly, and without Hyper-V enlightenments',
    ]);
    expect(planGuest(LINUX, { ...FULL_HOST, domainType: 'qemu' }, SESSION, REQUEST).warnings).toEqual([
      'No KVM for this guest: it runs under software emulation, slowly',
    ]);
    // A Linux guest on a KVM lacking Hyper-V is not told about it.
    expect(planGuest(LINUX, { ...FULL_HOST, hypervFeatures: [] }, SESSION, REQUEST).warnings).toEqual([]);
  });

  it('says when there is no SPICE, and gives 3D only to an OS that drives virtio-gpu', () => {
    const plan = planGuest(LINUX, { ...FULL_HOST, spice: false }, SESSION, REQUEST);
    expect(plan.flags).toMatchObject({ spice: false, gl: false });
    expect(plan.warnings).toEqual([
      "This host's QEMU has no SPICE: the guest is shown over VNC on the loopback",
      "This host's QEMU has no OpenGL: virtio-gpu without 3D",
    ]);
    const noGpu = profile('linux', { virtio: { block: true, net: true, gpu: false, input: true } });
    const plain = planGuest(noGpu, FULL_HOST, SESSION, REQUEST);
    expect(plain.flags.gl).toBe(false);
    expect(plain.values.video_model).toBe('bochs');
    expect(plain.warnings).toEqual([]);
    // virtio disks but no virtio network card: not virtio.
    const halfway = profile('linux', { virtio: { block: true, net: false, gpu: true, input: true } });
    expect(planGuest(halfway, FULL_HOST, SESSION, REQUEST).flags.virtio).toBe(false);
    expect(planGuest(halfway, FULL_HOST, SESSION, REQUEST).disks[0]).toEqual({
      dev: 'vda',
      bus: 'virtio',
      format: 'raw',
    });
  });

  it('joins what the host lacks into the description as sentences', () => {
    const plan = planGuest(LINUX, { ...FULL_HOST, spice: false }, SESSION, REQUEST);
    expect(plan.values.description).toBe(
      "Made by Phyllome Switcher from Phyllome's linux model for Example linux. This host's QEMU has no SPICE: the guest is shown over VNC on the loopback. This host's QEMU has no OpenGL: virtio-gpu without 3D.",
    );
  });

  it('makes Linux and Windows guests from UEFI templates even for an OS libosinfo gives BIOS', () => {
    expect(planGuest({ ...LINUX, efi: false }, FULL_HOST, SESSION, REQUEST).flags.efi).toBe(true);
  });

  it('weighs 3D for Linux alone: a Windows that drives virtio-gpu is told nothing of OpenGL', () => {
    const windows = profile('windows', { virtio: { block: true, net: true, gpu: true, input: true } });
    const plan = planGuest(windows, { ...FULL_HOST, opengl: false }, SESSION, REQUEST);
    expect([plan.flags.gl, plan.warnings]).toEqual([false, []]);
  });

  it('takes an empty drivers-iso as none', () => {
    const plan = planGuest(LINUX, FULL_HOST, SESSION, { ...REQUEST, drivers: '' });
    expect(plan.flags.drivers).toBe(false);
    expect(plan.media).toEqual([{ dev: 'sdb', bus: 'sata', path: '/isos/installer.iso' }]);
  });

  it('sizes from what libosinfo says, ignoring sizes that are none, and half the host’s memory at most', () => {
    const sized = profile('linux', {
      minimum: { ramMiB: -1, nCpus: 1, storageGiB: 0 },
      recommended: { ramMiB: 8192, storageGiB: -5 },
    });
    const small = { ...FULL_HOST, memoryMiB: 4096, cpus: 2 };
    expect(offer(sized, small, SESSION)).toStrictEqual({
      family: 'linux',
      minimum: { memoryMiB: 128, vcpus: 1, diskGiB: 1 },
      defaults: { memoryMiB: 2048, vcpus: 2, diskGiB: 32 },
      maximum: { memoryMiB: 4096, vcpus: 2 },
      warnings: [],
    });
    expect(offer(sized, small, { ...SESSION, poolCapacityGiB: 10 }).maximum).toEqual({
      memoryMiB: 4096,
      vcpus: 2,
      diskGiB: 10,
    });
    expect(() => planGuest(sized, small, SESSION, { ...REQUEST, vcpus: 0 })).toThrow(
      'vcpus must be at least 1 CPU for Example linux, not 0',
    );
    expect(() => planGuest(sized, small, SESSION, { ...REQUEST, vcpus: 3 })).toThrow(
      "vcpus of 3 CPUs is more than the host's 2 CPUs",
    );
    expect(() => planGuest(sized, small, SESSION, { ...REQUEST, diskGiB: 0 })).toThrow(
      'disk-gib must be at least 1 GiB for Example linux, not 0',
    );
    // As much as the host has is not more than it has.
    expect(planGuest(sized, small, SESSION, { ...REQUEST, memoryMiB: 4096, vcpus: 2 }).sizes.memoryMiB).toBe(4096);
  });
});
