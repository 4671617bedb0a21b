// Phyllome's model adapted to one OS and one host: which template, which
// flags, values and devices fill it, what size the guest gets, and what the
// host lacks — said as a warning, or as a MissingHostFeature error when the
// guest cannot do without it. Two entry points, one model: planGuest for a
// new guest (CreateGuest), planRebuild for a guest that exists elsewhere and
// is made again here from what it is (Import). Pure: everything it knows
// comes in as arguments.

import { invalidArgument, missingHostFeature } from '../errors.js';
import type { SwitcherSettings } from '../libvirt/switcher-metadata.js';
import { count } from '../readable.js';
import type { HostCapabilities } from '../libvirt/host.js';
import type { OsProfile, Resources } from './osinfo.js';
import type { TemplateFamily, TemplateFlags, TemplateValues } from './template.js';

export const UNKNOWN_OS_ID = 'http://libosinfo.org/unknown';
const WINDOWS_11 = 'http://microsoft.com/win/11';
/** The Hyper-V enlightenments of Phyllome's Windows model. */
export const HYPERV_FEATURES = [
  'relaxed',
  'vapic',
  'spinlocks',
  'vpindex',
  'runtime',
  'synic',
  'stimer',
  'frequencies',
  'tlbflush',
  'ipi',
];

/** Sizes when libosinfo gives none. */
const FALLBACK = { memoryMiB: 2048, vcpus: 2, diskGiB: 32 };
/** Phyllome's model gives four vCPUs where the host has them. */
const MODEL_VCPUS = 4;
const MIN_MEMORY_MIB = 128;
/** The most any guest of ours gets, whatever the host: QEMU's 4096 vCPUs, 64 TiB of memory and of disk. */
export const SIZE_LIMITS = { memoryMiB: 64 * 1024 * 1024, vcpus: 4096, diskGiB: 64 * 1024 } as const;
const MAX_DISK_GIB = SIZE_LIMITS.diskGiB;

export interface Sizes {
  memoryMiB: number;
  vcpus: number;
  diskGiB: number;
}

/** What DescribeInstaller tells: the OS's needs, our defaults, the host's limits, the host's lacks. */
export interface OsOffer {
  family: TemplateFamily;
  minimum: Sizes;
  defaults: Sizes;
  maximum: Pick<Sizes, 'memoryMiB' | 'vcpus'> & { diskGiB?: number };
  warnings: string[];
}

export interface Placement {
  /** user-mode networking (qemu:///session, or no 'default' network on the system). */
  userNetworking: boolean;
  /** The libvirt network to use when not user-mode. */
  network: string;
  /** Why user-mode networking is used on a system connection, if it is. */
  networkWarning?: string;
  /** The default pool's capacity, when known. */
  poolCapacityGiB?: number;
}

export interface GuestRequest {
  name: string;
  uuid: string;
  installer: string;
  drivers?: string;
  memoryMiB?: number;
  vcpus?: number;
  diskGiB?: number;
}

/** The buses and models the model offers, each a value libvirt takes as it is. */
export const DISK_BUSES = ['virtio', 'sata', 'scsi'] as const;
export const MEDIA_BUSES = ['sata', 'scsi'] as const;
export const DISK_FORMATS = ['raw', 'qcow2'] as const;
export const NET_MODELS = ['virtio', 'e1000e', 'e1000', 'rtl8139'] as const;
export const VIDEO_MODELS = ['virtio', 'vga', 'bochs'] as const;
export const SOUND_MODELS = ['ich9', 'ich7', 'ich6', 'ac97'] as const;
export const TPM_MODELS = ['tpm-crb', 'tpm-tis'] as const;
export type DiskBus = (typeof DISK_BUSES)[number];
export type MediaBus = (typeof MEDIA_BUSES)[number];
export type DiskFormat = (typeof DISK_FORMATS)[number];
export type NetModel = (typeof NET_MODELS)[number];
export type VideoModel = (typeof VIDEO_MODELS)[number];
export type SoundModel = (typeof SOUND_MODELS)[number];
export type TpmModel = (typeof TPM_MODELS)[number];

/** A disk image of the guest; its file comes when the volume exists. */
export interface PlannedDisk {
  dev: string;
  bus: DiskBus;
  format: DiskFormat;
}

/** A CD drive, with a medium in it or empty. */
export interface PlannedMedia {
  dev: string;
  bus: MediaBus;
  path?: string;
}

/** A network card, on this host's network (or user-mode networking); libvirt picks a MAC when none is given. */
export interface PlannedInterface {
  model: NetModel;
  mac?: string;
}

export interface GuestPlan {
  family: TemplateFamily;
  sizes: Sizes;
  values: TemplateValues;
  flags: TemplateFlags;
  disks: PlannedDisk[];
  media: PlannedMedia[];
  interfaces: PlannedInterface[];
  /** Our settings to write into the definition's metadata (a rebuilt guest's own). */
  settings?: SwitcherSettings;
  warnings: string[];
}

/**
 * What a guest is, independently of any host: as a bundle states it once
 * every value has been checked (bundle/import-check.ts), for planRebuild.
 */
export interface StatedGuest {
  name: string;
  uuid: string;
  /** libvirt's VM generation id, if the guest has one. */
  genid?: string;
  title: string;
  description: string;
  /** libosinfo id, '' for none. */
  osId: string;
  memoryMiB: number;
  vcpus: number;
  firmware: 'efi' | 'bios';
  secureBoot: boolean;
  clockOffset: 'utc' | 'localtime';
  /** In boot order: the first boots. */
  disks: PlannedDisk[];
  /** CD drives, empty: the media stay where they were. */
  media: PlannedMedia[];
  interfaces: { model: NetModel | undefined; mac: string }[];
  /** The display's kind; '' for a guest shown on no display. */
  display: 'spice' | 'vnc' | '';
  /** Its video model when the model offers it; undefined leaves it to the model. */
  video: VideoModel | undefined;
  /**
   * Its display as its owner set it (SetDisplay): heads, a fixed resolution
   * ([0, 0]: it follows its viewer's window) and 3D; undefined when the
   * definition said nothing of them, which leaves them to the model.
   */
  videoSettings?: { heads: number; resolution: [width: number, height: number]; accel3d: boolean };
  sound: SoundModel | undefined;
  tpm: TpmModel | undefined;
  settings: SwitcherSettings;
}

/** Where a rebuilt guest's files go on this host: its UEFI variables, when it boots UEFI. */
export interface RebuildPlacement extends Placement {
  nvramPath: string | undefined;
}

interface Adapted {
  flags: TemplateFlags;
  warnings: string[];
}

const NO_SPICE = "This host's QEMU has no SPICE: the guest is shown over VNC on the loopback";

/** The Hyper-V enlightenments this host's KVM has (none without KVM), and what Windows lacks said. */
function hypervFlags(host: HostCapabilities, family: TemplateFamily, warnings: string[]): TemplateFlags {
  const kvm = host.domainType === 'kvm';
  const hyperv: TemplateFlags = {};
  for (const feature of HYPERV_FEATURES) hyperv[`hv_${feature}`] = kvm && host.hypervFeatures.includes(feature);
  hyperv.hyperv = Object.values(hyperv).some(Boolean);
  hyperv.hv_clock = Boolean(hyperv.hv_vpindex && hyperv.hv_runtime);
  const lacking = HYPERV_FEATURES.filter((f) => !hyperv[`hv_${f}`]);
  if (family === 'windows' && kvm && lacking.length > 0) {
    warnings.push(`This host's KVM lacks the Hyper-V enlightenments ${lacking.join(', ')}: Windows runs slower`);
  }
  return hyperv;
}

/** The host's lacks for this OS: flags, warnings, and the errors for what the OS cannot do without. */
function adapt(os: OsProfile, host: HostCapabilities, drivers: boolean): Adapted {
  const warnings: string[] = [];
  const family = os.template;
  const needsTpmAndSecureBoot = os.derivesFrom(WINDOWS_11);
  if (!host.efi && (family !== 'other' || os.efiOnly)) {
    throw missingHostFeature(`This host has no UEFI firmware for QEMU, which ${os.name} needs here: install ovmf`);
  }
  const efi = host.efi && os.efi;
  if (family === 'other' && os.efi && !host.efi) {
    warnings.push('This host has no UEFI firmware for QEMU (install ovmf): the guest starts from BIOS');
  }
  if (!host.tpm2) {
    const message = 'This host has no TPM emulator: install swtpm';
    if (needsTpmAndSecureBoot) throw missingHostFeature(`${message} (${os.name} needs TPM 2.0)`);
    if (family !== 'other') warnings.push(`${message}; the guest gets no TPM`);
  }
  let secureBoot = false;
  if (family === 'windows') {
    secureBoot = host.secureBoot;
    if (!host.secureBoot) {
      const message = 'This host has no Secure Boot firmware for QEMU: install ovmf';
      if (needsTpmAndSecureBoot) throw missingHostFeature(`${message} (${os.name} needs Secure Boot)`);
      warnings.push(`${message}; the guest starts without Secure Boot`);
    }
  }
  const kvm = host.domainType === 'kvm';
  if (!kvm) {
    warnings.push(
      `No KVM for this guest: it runs under software emulation, slowly${family === 'windows' ? ', and without Hyper-V enlightenments' : ''}`,
    );
  }
  const hyperv = hypervFlags(host, family, warnings);
  if (!host.spice) warnings.push(NO_SPICE);
  let gl = false;
  if (family === 'linux' && os.virtio.gpu && host.virtioGpu) {
    gl = host.spice && host.opengl && host.renderNode;
    if (!gl) {
      warnings.push(
        !host.renderNode
          ? 'This host has no GPU render node (/dev/dri/renderD*): virtio-gpu without 3D'
          : "This host's QEMU has no OpenGL: virtio-gpu without 3D",
      );
    }
  }
  const virtio = family === 'windows' ? drivers : os.virtio.block && os.virtio.net;
  return {
    flags: {
      ...hyperv,
      kvm,
      tpm: host.tpm2,
      secure_boot: secureBoot,
      // Linux and Windows templates are UEFI; the other model boots BIOS where the OS or host wants.
      efi: family === 'other' ? efi : true,
      spice: host.spice,
      gl,
      virtio,
      drivers,
      display: true,
      osinfo: true,
      description: true,
      title: false,
      genid: false,
      nvram: false,
      sound: false,
      scsi: false,
    },
    warnings,
  };
}

const at = (value: number | undefined, fallback: number): number => (value && value > 0 ? value : fallback);

/** Sizes: what the OS needs at least, what we give by default, what the host has at most. */
function sizes(os: OsProfile, host: HostCapabilities, poolCapacityGiB?: number): Omit<OsOffer, 'family' | 'warnings'> {
  const min: Resources = os.minimum;
  const rec: Resources = os.recommended;
  const minimum: Sizes = {
    memoryMiB: Math.max(MIN_MEMORY_MIB, at(min.ramMiB, MIN_MEMORY_MIB)),
    vcpus: at(min.nCpus, 1),
    diskGiB: at(min.storageGiB, 1),
  };
  const maximum = {
    memoryMiB: host.memoryMiB,
    vcpus: Math.min(host.cpus, host.maxVcpus),
    ...(poolCapacityGiB !== undefined ? { diskGiB: Math.min(poolCapacityGiB, MAX_DISK_GIB) } : {}),
  };
  // The recommended size, but no more than half the host's memory, and never under the minimum.
  const memory = Math.max(
    minimum.memoryMiB,
    Math.min(at(rec.ramMiB, Math.max(FALLBACK.memoryMiB, minimum.memoryMiB)), Math.floor(host.memoryMiB / 2)),
  );
  const defaults: Sizes = {
    memoryMiB: memory,
    vcpus: Math.max(minimum.vcpus, Math.min(MODEL_VCPUS, maximum.vcpus)),
    diskGiB: Math.max(minimum.diskGiB, at(rec.storageGiB, FALLBACK.diskGiB)),
  };
  return { minimum, defaults, maximum };
}

/** What DescribeInstaller says about an OS on this host. Throws what CreateGuest would. */
export function offer(os: OsProfile, host: HostCapabilities, placement: Placement, drivers = false): OsOffer {
  const adapted = adapt(os, host, drivers);
  const warnings = [...adapted.warnings];
  if (placement.networkWarning) warnings.push(placement.networkWarning);
  return { family: os.template, ...sizes(os, host, placement.poolCapacityGiB), warnings };
}

function checkSize(
  what: string,
  unit: string,
  value: number,
  minimum: number,
  maximum: number | undefined,
  os: string,
  whose: string,
): void {
  // MiB and GiB are units; a CPU is counted.
  const of = (n: number): string => (unit === 'CPUs' ? count(n, 'CPU') : `${n} ${unit}`);
  if (!Number.isInteger(value) || value < minimum) {
    throw invalidArgument(`${what} must be at least ${of(minimum)} for ${os}, not ${value}`);
  }
  if (maximum !== undefined && value > maximum) {
    throw invalidArgument(`${what} of ${of(value)} is more than ${whose} ${of(maximum)}`);
  }
}

/** The template, flags and values for one new guest; sizes checked against the OS and the host. */
export function planGuest(
  os: OsProfile,
  host: HostCapabilities,
  placement: Placement,
  request: GuestRequest,
): GuestPlan {
  const drivers = request.drivers !== undefined && request.drivers !== '';
  if (drivers && os.template !== 'windows') {
    throw invalidArgument(`drivers-iso is for Windows guests; ${os.name} is not one`);
  }
  const described = offer(os, host, placement, drivers);
  const chosen: Sizes = {
    memoryMiB: request.memoryMiB ?? described.defaults.memoryMiB,
    vcpus: request.vcpus ?? described.defaults.vcpus,
    diskGiB: request.diskGiB ?? described.defaults.diskGiB,
  };
  checkSize(
    'memory-mib',
    'MiB',
    chosen.memoryMiB,
    described.minimum.memoryMiB,
    described.maximum.memoryMiB,
    os.name,
    "the host's",
  );
  checkSize('vcpus', 'CPUs', chosen.vcpus, described.minimum.vcpus, described.maximum.vcpus, os.name, "the host's");
  checkSize(
    'disk-gib',
    'GiB',
    chosen.diskGiB,
    described.minimum.diskGiB,
    described.maximum.diskGiB ?? MAX_DISK_GIB,
    os.name,
    'the storage pool\u2019s',
  );
  const { flags } = adapt(os, host, drivers);
  const family = os.template;
  const windows = family === 'windows';
  const blockVirtio = windows ? drivers : os.virtio.block;
  const netVirtio = windows ? drivers : os.virtio.net;
  const gpuVirtio = windows ? drivers : os.virtio.gpu && host.virtioGpu;
  const values: TemplateValues = {
    name: request.name,
    uuid: request.uuid,
    os_id: os.id,
    description: description(os, described.warnings),
    domain_type: host.domainType,
    memory_mib: chosen.memoryMiB,
    vcpus: chosen.vcpus,
    secure_boot: flags.secure_boot ? 'yes' : 'no',
    clock_offset: windows ? 'localtime' : 'utc',
    network: placement.network,
    video_model: gpuVirtio ? 'virtio' : host.efi && os.efi ? 'bochs' : 'vga',
    tpm_model: 'tpm-crb',
  };
  // The disk's file comes once the volume exists (the creator gives it); the installer then the drivers.
  const media: PlannedMedia[] = [{ dev: 'sdb', bus: 'sata', path: request.installer }];
  if (request.drivers) media.push({ dev: 'sdc', bus: 'sata', path: request.drivers });
  return {
    family,
    sizes: chosen,
    values,
    flags: { ...flags, net_user: placement.userNetworking },
    disks: [{ dev: blockVirtio ? 'vda' : 'sda', bus: blockVirtio ? 'virtio' : 'sata', format: 'raw' }],
    media,
    interfaces: [{ model: netVirtio ? 'virtio' : 'e1000e' }],
    warnings: described.warnings,
  };
}

/**
 * A guest that exists elsewhere, made again from the model here: what it is
 * (name, UUID, size, firmware kind, disks, network cards, display, TPM, our
 * settings) from `guest`, everything else from the model and this host, as
 * planGuest does. What the guest has and this host cannot give it — UEFI,
 * Secure Boot, a TPM whose state travels — is a MissingHostFeature; what
 * only makes it slower or plainer is a warning.
 */
export function planRebuild(
  os: OsProfile,
  host: HostCapabilities,
  placement: RebuildPlacement,
  guest: StatedGuest,
): GuestPlan {
  const family = os.template;
  const warnings: string[] = [];
  const efi = guest.firmware === 'efi';
  if (efi && !host.efi) {
    throw missingHostFeature(
      `${guest.name} boots from UEFI, and this host has no UEFI firmware for QEMU: install ovmf`,
    );
  }
  if (guest.secureBoot && !host.secureBoot) {
    throw missingHostFeature(
      `${guest.name} boots with Secure Boot, and this host has no Secure Boot firmware for QEMU: install ovmf`,
    );
  }
  if (guest.tpm && !host.tpm2) {
    throw missingHostFeature(
      `${guest.name} has a TPM whose state travels with it, and this host has no TPM emulator: install swtpm`,
    );
  }
  if (guest.vcpus > host.maxVcpus) {
    throw invalidArgument(
      `${guest.name} has ${count(guest.vcpus, 'vCPU')}; this host's QEMU takes at most ${host.maxVcpus}`,
    );
  }
  const kvm = host.domainType === 'kvm';
  if (!kvm) {
    warnings.push(
      `No KVM for this guest: it runs under software emulation, slowly${family === 'windows' ? ', and without Hyper-V enlightenments' : ''}`,
    );
  }
  const hyperv = hypervFlags(host, family, warnings);
  if (guest.memoryMiB > host.memoryMiB) {
    warnings.push(
      `${guest.name} has ${guest.memoryMiB} MiB of memory, more than this host's ${host.memoryMiB} MiB: give it less before starting it`,
    );
  }
  if (guest.vcpus > host.cpus) {
    warnings.push(
      `${guest.name} has ${count(guest.vcpus, 'vCPU')}, more than this host's ${count(host.cpus, 'CPU')}: it runs slower`,
    );
  }
  let spice = guest.display === 'spice';
  if (spice && !host.spice) {
    warnings.push(NO_SPICE);
    spice = false;
  }
  if (placement.networkWarning && guest.interfaces.length > 0) warnings.push(placement.networkWarning);
  // virtio where the OS drives it, or where the guest already uses it (a Windows guest with its drivers).
  const usesVirtio = guest.disks.some((d) => d.bus === 'virtio') || guest.interfaces.some((i) => i.model === 'virtio');
  const virtio = (family !== 'windows' && os.virtio.block && os.virtio.net) || usesVirtio;
  const gpuVirtio = family === 'windows' ? usesVirtio : os.virtio.gpu && host.virtioGpu;
  const video: VideoModel = guest.video ?? (gpuVirtio ? 'virtio' : efi ? 'bochs' : 'vga');
  const gl = family === 'linux' && video === 'virtio' && host.virtioGpu && spice && host.opengl && host.renderNode;
  const nvram = efi && placement.nvramPath !== undefined;
  const values: TemplateValues = {
    name: guest.name,
    uuid: guest.uuid,
    genid: guest.genid ?? '',
    title: guest.title,
    os_id: guest.osId,
    description: guest.description,
    domain_type: host.domainType,
    memory_mib: guest.memoryMiB,
    vcpus: guest.vcpus,
    secure_boot: guest.secureBoot ? 'yes' : 'no',
    nvram_path: placement.nvramPath ?? '',
    clock_offset: guest.clockOffset,
    network: placement.network,
    video_model: video,
    sound_model: guest.sound ?? '',
    tpm_model: guest.tpm ?? 'tpm-crb',
  };
  const flags: TemplateFlags = {
    ...hyperv,
    kvm,
    tpm: guest.tpm !== undefined,
    secure_boot: guest.secureBoot,
    efi,
    nvram,
    display: guest.display !== '',
    spice,
    gl,
    virtio,
    drivers: false,
    osinfo: guest.osId !== '',
    title: guest.title !== '',
    description: guest.description !== '',
    genid: guest.genid !== undefined,
    sound: guest.sound !== undefined,
    scsi: [...guest.disks, ...guest.media].some((d) => d.bus === 'scsi'),
    net_user: placement.userNetworking,
  };
  return {
    family,
    sizes: { memoryMiB: guest.memoryMiB, vcpus: guest.vcpus, diskGiB: 0 },
    values,
    flags,
    disks: guest.disks.map((d) => ({ ...d })),
    media: guest.media.map((m) => ({ dev: m.dev, bus: m.bus })),
    // A card whose model the model does not offer gets the model's own for this OS.
    interfaces: guest.interfaces.map((i) => ({ model: i.model ?? (virtio ? 'virtio' : 'e1000e'), mac: i.mac })),
    settings: guest.settings,
    warnings,
  };
}

function description(os: OsProfile, warnings: string[]): string {
  const made = `Made by Phyllome Switcher from Phyllome's ${os.template} model for ${os.name}.`;
  return warnings.length > 0 ? `${made} ${warnings.join('. ')}.` : made;
}
