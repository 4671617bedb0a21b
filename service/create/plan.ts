// Phyllome's model adapted to one OS and one host: which template, which
// flags and values fill it, what size the guest gets, and what the host
// lacks — said as a warning, or as a MissingHostFeature error when the OS
// cannot do without it. Pure: everything it knows comes in as arguments.

import { invalidArgument, missingHostFeature } from '../errors.js';
import { count } from '../readable.js';
import type { HostCapabilities } from './host.js';
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

export interface GuestPlan {
  family: TemplateFamily;
  sizes: Sizes;
  values: TemplateValues;
  flags: TemplateFlags;
  warnings: string[];
}

interface Adapted {
  flags: TemplateFlags;
  warnings: string[];
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
  const hyperv: TemplateFlags = {};
  for (const feature of HYPERV_FEATURES) hyperv[`hv_${feature}`] = kvm && host.hypervFeatures.includes(feature);
  hyperv.hyperv = Object.values(hyperv).some(Boolean);
  hyperv.hv_clock = Boolean(hyperv.hv_vpindex && hyperv.hv_runtime);
  const lacking = HYPERV_FEATURES.filter((f) => !hyperv[`hv_${f}`]);
  if (family === 'windows' && kvm && lacking.length > 0) {
    warnings.push(`This host's KVM lacks the Hyper-V enlightenments ${lacking.join(', ')}: Windows runs slower`);
  }
  if (!host.spice) warnings.push("This host's QEMU has no SPICE: the guest is shown over VNC on the loopback");
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
    flags: { ...hyperv, kvm, tpm: host.tpm2, secure_boot: secureBoot, efi, spice: host.spice, gl, virtio, drivers },
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
  // disk_path comes once the volume exists (the creator adds it).
  const values: TemplateValues = {
    name: request.name,
    uuid: request.uuid,
    os_id: os.id,
    description: description(os, described.warnings),
    domain_type: host.domainType,
    memory_mib: chosen.memoryMiB,
    vcpus: chosen.vcpus,
    secure_boot: flags.secure_boot ? 'yes' : 'no',
    disk_bus: blockVirtio ? 'virtio' : 'sata',
    disk_dev: blockVirtio ? 'vda' : 'sda',
    installer: request.installer,
    drivers: request.drivers ?? '',
    net_model: netVirtio ? 'virtio' : 'e1000e',
    network: placement.network,
    video_model: gpuVirtio ? 'virtio' : flags.efi ? 'bochs' : 'vga',
  };
  return {
    family,
    sizes: chosen,
    values,
    flags: { ...flags, net_user: placement.userNetworking },
    warnings: described.warnings,
  };
}

function description(os: OsProfile, warnings: string[]): string {
  const made = `Made by Phyllome Switcher from Phyllome's ${os.template} model for ${os.name}.`;
  return warnings.length > 0 ? `${made} ${warnings.join('. ')}.` : made;
}
