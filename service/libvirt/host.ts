// What the host offers a new guest, from libvirt: its domain capabilities
// (Connect.GetDomainCapabilities: firmware with and without Secure Boot, a
// TPM emulator, SPICE, OpenGL, KVM), its memory and CPUs. The parsing is
// pure; HostProbe asks libvirt-dbus.

import { readdir } from 'node:fs/promises';
import type { LibvirtClient } from './client.js';
import { SwitcherError } from '../errors.js';
import { asList, asNodes, attribute, child, readXml, text, type Node } from '../xml/plain.js';

export interface HostCapabilities {
  /** kvm, or qemu (software emulation) when the host has no KVM. */
  domainType: 'kvm' | 'qemu';
  efi: boolean;
  secureBoot: boolean;
  /** An emulated TPM 2.0 (swtpm). */
  tpm2: boolean;
  spice: boolean;
  /** QEMU built with OpenGL (egl-headless), the first half of 3D. */
  opengl: boolean;
  /** The host has a DRM render node, the second half. */
  renderNode: boolean;
  virtioGpu: boolean;
  hostModelCpu: boolean;
  maxVcpus: number;
  memfd: boolean;
  /** Hyper-V enlightenments the host's KVM has (relaxed, vapic…). */
  hypervFeatures: string[];
  /** The host's memory and CPUs. */
  memoryMiB: number;
  cpus: number;
}

/** The values of <enum name=…> in a capabilities element. */
function enumValues(node: Node, name: string): string[] {
  const found = asNodes(node.enum).find((e) => attribute(e, 'name') === name);
  return asList(found?.value).map((value) => text(value).trim());
}

const supported = (node: Node): boolean => attribute(node, 'supported') === 'yes';

export type DomainCapabilities = Omit<HostCapabilities, 'memoryMiB' | 'cpus' | 'renderNode'>;

export function parseDomainCapabilities(xml: string): DomainCapabilities {
  const caps = child(readXml(xml), 'domainCapabilities');
  const os = child(caps, 'os');
  const loader = child(os, 'loader');
  const devices = child(caps, 'devices');
  const tpm = child(devices, 'tpm');
  const hyperv = child(child(caps, 'features'), 'hyperv');
  const graphics = enumValues(child(devices, 'graphics'), 'type');
  const modes = asNodes(child(caps, 'cpu').mode);
  const loaders = asList(loader.value).map((value) => text(value).trim());
  const efi = supported(os) && enumValues(os, 'firmware').includes('efi');
  return {
    domainType: text(caps.domain).trim() === 'kvm' ? 'kvm' : 'qemu',
    efi,
    // Secure Boot firmware: the loader can be secure, and one of the loaders is a Secure Boot build.
    secureBoot:
      efi && enumValues(loader, 'secure').includes('yes') && loaders.some((l) => /secboot|\.ms\.|secure/i.test(l)),
    tpm2:
      supported(tpm) &&
      enumValues(tpm, 'backendModel').includes('emulator') &&
      // libvirt before 8.6 did not list versions; an emulator then is swtpm, which does 2.0.
      (enumValues(tpm, 'backendVersion').length === 0 || enumValues(tpm, 'backendVersion').includes('2.0')),
    spice: graphics.includes('spice'),
    opengl: graphics.includes('egl-headless'),
    virtioGpu: enumValues(child(devices, 'video'), 'modelType').includes('virtio'),
    hostModelCpu: modes.some((m) => attribute(m, 'name') === 'host-model' && supported(m)),
    maxVcpus: Number(attribute(child(caps, 'vcpu'), 'max')) || 1,
    memfd: enumValues(child(caps, 'memoryBacking'), 'sourceType').includes('memfd'),
    hypervFeatures: supported(hyperv) ? enumValues(hyperv, 'features') : [],
  };
}

/** Whether /dev/dri has a render node, for virtio-gpu with 3D. */
export async function hasRenderNode(dri = '/dev/dri'): Promise<boolean> {
  const entries = await readdir(dri).catch(() => [] as string[]);
  return entries.some((e) => e.startsWith('renderD'));
}

const CONNECT = 'org.libvirt.Connect';
/** How long libvirtd may take to probe QEMU's capabilities (it starts QEMU to ask). */
const PROBE_MS = 30_000;

export class HostProbe {
  constructor(
    private readonly client: LibvirtClient,
    private readonly virtType?: 'kvm' | 'qemu',
  ) {}

  async capabilities(): Promise<HostCapabilities> {
    const connect = this.client.endpoint.connectPath;
    const domainCaps = async (virtType: string): Promise<string> => {
      const [xml] = await this.client
        // The first ask after libvirtd starts has it probe QEMU itself (its capabilities cache): seconds, not ms.
        .call(connect, CONNECT, 'GetDomainCapabilities', 'ssssu', ['', 'x86_64', 'q35', virtType, 0], PROBE_MS)
        .catch((error: unknown) => {
          // libvirt's test driver, for one: it lists guests but cannot say what a new one may have.
          if (error instanceof SwitcherError && /not supported by the connection driver/.test(error.message)) {
            throw new SwitcherError(
              'MissingHostFeature',
              `${this.client.endpoint.uri} makes no new guests: its libvirt driver cannot say what a guest may have (domain capabilities); a QEMU connection such as qemu:///system can`,
            );
          }
          throw error;
        });
      return String(xml);
    };
    // KVM when the host has it; libvirt refuses kvm capabilities on a host without.
    const xml =
      this.virtType === 'qemu' ? await domainCaps('qemu') : await domainCaps('kvm').catch(() => domainCaps('qemu'));
    const [[stats], [cpuMap], renderNode] = await Promise.all([
      this.client.call(connect, CONNECT, 'NodeGetMemoryStats', 'iu', [-1, 0]),
      this.client.call(connect, CONNECT, 'NodeGetCPUMap', 'u', [0]),
      hasRenderNode(),
    ]);
    const totalKiB = Number((stats as Record<string, bigint | number>)?.total ?? 0);
    return {
      ...parseDomainCapabilities(xml),
      renderNode,
      memoryMiB: Math.floor(totalKiB / 1024),
      cpus: Array.isArray(cpuMap) ? cpuMap.length : 1,
    };
  }
}
