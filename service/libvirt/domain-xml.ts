// The few facts we show about a guest, read from its libvirt domain XML.

import { XMLParser } from 'fast-xml-parser';
import { usbHostdevsIn, type HostdevAddress } from '../usb/hostdev-xml.js';
import { parseSwitcherSettings, SWITCHER_NS, type SwitcherSettings } from './switcher-metadata.js';

export const LIBOSINFO_NS = 'http://libosinfo.org/xmlns/libvirt/domain/1.0';

export interface DomainFacts {
  name: string;
  uuid: string;
  vcpus: number;
  memoryMiB: bigint;
  /** libosinfo id such as http://microsoft.com/win/11, or ''. */
  osId: string;
  /** Our own settings, kept in the domain's metadata. */
  settings: SwitcherSettings;
  /** Host USB devices given to the guest, by bus and device number. */
  usbHostdevs: HostdevAddress[];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
});

export type Node = Record<string, unknown>;

const asNode = (value: unknown): Node | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Node) : undefined;

function text(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  const node = asNode(value);
  const inner = node?.['#text'];
  return typeof inner === 'string' || typeof inner === 'number' ? String(inner) : '';
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
  const amount = Number(text(value));
  const unit = String(asNode(value)?.['@_unit'] ?? 'KiB').toLowerCase();
  const factor = UNIT_TO_KIB[unit];
  if (!Number.isFinite(amount) || factor === undefined) return 0n;
  return BigInt(Math.floor((amount * factor) / 1024));
}

/**
 * The element in <metadata> that belongs to namespace `ns`, whatever prefix
 * the writer chose, with a helper to name its children under that prefix.
 */
export interface MetadataElement {
  element: Node;
  child: (name: string) => Node | undefined;
  children: (name: string) => Node[];
}

export function metadataElement(metadata: Node | undefined, ns: string): MetadataElement | undefined {
  if (!metadata) return undefined;
  for (const [key, value] of Object.entries(metadata)) {
    const element = asNode(value);
    if (!element) continue;
    const prefix = key.includes(':') ? key.slice(0, key.indexOf(':')) : '';
    const nsAttribute = prefix ? `@_xmlns:${prefix}` : '@_xmlns';
    if (element[nsAttribute] !== ns) continue;
    const raw = (name: string): unknown => element[prefix ? `${prefix}:${name}` : name];
    const all = (name: string): Node[] => {
      const value = raw(name);
      return (Array.isArray(value) ? value : [value]).map(asNode).filter((n): n is Node => n !== undefined);
    };
    return { element, child: (name) => all(name)[0], children: all };
  }
  return undefined;
}

/** <libosinfo:os id=…>, the OS the guest was installed as. */
function libosinfoId(metadata: Node | undefined): string {
  const id = metadataElement(metadata, LIBOSINFO_NS)?.child('os')?.['@_id'];
  return typeof id === 'string' ? id : '';
}

export function parseDomainXml(xml: string): DomainFacts {
  const domain = asNode((parser.parse(xml) as Node).domain);
  if (!domain) throw new Error('not a libvirt domain XML document');
  const vcpu = domain.vcpu;
  const current = asNode(vcpu)?.['@_current'];
  const vcpus = Number(typeof current === 'string' ? current : text(vcpu));
  return {
    name: text(domain.name),
    uuid: text(domain.uuid).toLowerCase(),
    vcpus: Number.isInteger(vcpus) && vcpus > 0 ? vcpus : 0,
    memoryMiB: memoryMiB(domain.memory ?? domain.currentMemory),
    osId: libosinfoId(asNode(domain.metadata)),
    settings: parseSwitcherSettings(metadataElement(asNode(domain.metadata), SWITCHER_NS)),
    usbHostdevs: usbHostdevsIn(asNode(domain.devices)),
  };
}
