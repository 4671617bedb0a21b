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
