// The few facts we show about a guest, read from its libvirt domain XML,
// each exactly as libvirt keeps it.

import { usbHostdevsIn, type HostdevAddress } from './hostdev-xml.js';
import {
  parseSwitcherSettings,
  SWITCHER_NS,
  type SwitcherElement,
  type SwitcherSettings,
} from './switcher-metadata.js';
import { videoFacts, type VideoFacts } from './video-xml.js';
import { asNode, asNodes, attribute, readXml, text, type Node } from '../xml/plain.js';

export const LIBOSINFO_NS = 'http://libosinfo.org/xmlns/libvirt/domain/1.0';

export interface DomainFacts {
  /** Byte for byte libvirt's name, spaces included. */
  name: string;
  uuid: string;
  vcpus: number;
  memoryMiB: bigint;
  /** libosinfo id such as http://microsoft.com/win/11, or ''. */
  osId: string;
  /** Our own settings, kept in the domain's metadata. */
  settings: SwitcherSettings;
  /** Host USB devices given to the guest, by ids and address. */
  usbHostdevs: HostdevAddress[];
  /** The display a viewer can show (spice, vnc…; the first <graphics> a viewer opens), '' when the guest has none. */
  display: string;
  /** Its primary video device: model, heads, resolution, 3D. */
  video: VideoFacts;
}

const UNIT_TO_KIB: Record<string, number> = {
  b: 1 / 1024,
  bytes: 1 / 1024,
  k: 1,
  kib: 1,
  kb: 1000 / 1024,
  m: 1024,
  mib: 1024,
  mb: 1e6 / 1024,
  g: 1024 ** 2,
  gib: 1024 ** 2,
  gb: 1e9 / 1024,
  t: 1024 ** 3,
  tib: 1024 ** 3,
  tb: 1e12 / 1024,
};

function memoryMiB(value: unknown): bigint {
  const amount = Number(text(value).trim());
  const unit = (attribute(asNode(value), 'unit') || 'KiB').toLowerCase();
  const factor = UNIT_TO_KIB[unit];
  if (!Number.isFinite(amount) || factor === undefined) return 0n;
  return BigInt(Math.floor((amount * factor) / 1024));
}

/** The element in <metadata> that belongs to namespace `ns`, whatever prefix the writer chose. */
export function metadataElement(metadata: Node | undefined, ns: string): SwitcherElement | undefined {
  if (!metadata) return undefined;
  for (const [key, value] of Object.entries(metadata)) {
    const element = asNode(value);
    if (!element) continue;
    const prefix = key.includes(':') ? key.slice(0, key.indexOf(':')) : '';
    if (attribute(element, prefix ? `xmlns:${prefix}` : 'xmlns') !== ns) continue;
    const all = (name: string): Node[] => asNodes(element[prefix ? `${prefix}:${name}` : name]);
    return { child: (name) => all(name)[0], children: all };
  }
  return undefined;
}

/** <libosinfo:os id=…>, the OS the guest was installed as. */
function libosinfoId(metadata: Node | undefined): string {
  return attribute(metadataElement(metadata, LIBOSINFO_NS)?.child('os'), 'id');
}

export function parseDomainXml(xml: string): DomainFacts {
  const domain = asNode(readXml(xml).domain);
  if (!domain) throw new Error('not a libvirt domain XML document');
  const vcpu = domain.vcpu;
  const current = attribute(asNode(vcpu), 'current');
  const vcpus = Number((current || text(vcpu)).trim());
  const metadata = asNode(domain.metadata);
  const devices = asNode(domain.devices);
  return {
    name: text(domain.name),
    uuid: text(domain.uuid).trim().toLowerCase(),
    vcpus: Number.isInteger(vcpus) && vcpus > 0 ? vcpus : 0,
    memoryMiB: memoryMiB(domain.memory ?? domain.currentMemory),
    osId: libosinfoId(metadata),
    settings: parseSwitcherSettings(metadataElement(metadata, SWITCHER_NS)),
    usbHostdevs: usbHostdevsIn(devices),
    // egl-headless renders 3D off screen for another display: no viewer opens it.
    display: attribute(
      asNodes(devices?.graphics).find((g) => attribute(g, 'type') !== 'egl-headless'),
      'type',
    ),
    video: videoFacts(devices),
  };
}
