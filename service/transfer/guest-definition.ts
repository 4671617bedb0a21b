// What a guest's definition says about its files, and the definition
// rewritten for an import (same guest, another host's paths) or a clone (a
// new guest beside it). Pure: paths and checks come in as arguments.

import { invalidArgument, invalidState } from '../errors.js';
import { SWITCHER_NS } from '../libvirt/switcher-metadata.js';
import { checkImportable, isFirmwarePath } from './import-check.js';
import {
  appendChild,
  attribute,
  buildOrdered,
  child,
  childrenNamed,
  childrenOf,
  descend,
  element,
  parseOrdered,
  removeAttribute,
  removeChildren,
  replaceChild,
  setAttribute,
  setText,
  tagOf,
  textOf,
  type XmlNode,
} from '../libvirt/ordered-xml.js';

/** A disk whose image travels with the guest. */
export interface GuestDisk {
  /** Device name in the guest: vda, sda… */
  target: string;
  /** Image format from <driver type>: raw, qcow2… */
  format: string;
  /** A file path, or a libvirt volume to resolve to one. */
  source: { file: string } | { pool: string; volume: string };
  /** libvirt's definition names a backing chain under it (an Export flattens it; a Clone refuses it). */
  backingChain?: boolean;
}

export interface GuestDefinition {
  name: string;
  uuid: string;
  disks: GuestDisk[];
  /** Whether the guest boots UEFI (so it has, or will have, a variable store). */
  uefi: boolean;
  /** The variable store the definition names, if it names one. */
  nvramPath: string | undefined;
  /** Whether the guest has an emulated TPM (swtpm), whose state is kept by UUID. */
  tpm: boolean;
  macs: string[];
}

const COPIED_DEVICES = new Set(['disk']);
const MEDIA_DEVICES = new Set(['cdrom', 'floppy']);

function domainOf(nodes: XmlNode[]): XmlNode {
  const domain = nodes.find((n) => tagOf(n) === 'domain');
  if (!domain) throw invalidArgument('not a libvirt domain definition');
  return domain;
}

function parseDomain(xml: string): [XmlNode[], XmlNode] {
  let nodes: XmlNode[];
  try {
    nodes = parseOrdered(xml);
  } catch (error) {
    throw invalidArgument(`the domain definition is not well-formed XML: ${(error as Error).message}`);
  }
  return [nodes, domainOf(nodes)];
}

function diskTarget(disk: XmlNode): string {
  return attribute(child(disk, 'target'), 'dev') ?? '';
}

/**
 * Reads a definition. A disk this cannot carry (a block device, a network
 * disk, a passed-through LUN) is an InvalidState saying which; a backing
 * chain is said (backingChain) for whoever copies the disk to decide.
 */
export function readDefinition(xml: string): GuestDefinition {
  const [, domain] = parseDomain(xml);
  const name = textOf(child(domain, 'name'));
  const uuid = textOf(child(domain, 'uuid')).toLowerCase();
  if (!name || !uuid) throw invalidArgument('the domain definition has no name or UUID');
  const devices = child(domain, 'devices');
  const disks: GuestDisk[] = [];
  for (const disk of devices ? childrenNamed(devices, 'disk') : []) {
    const device = attribute(disk, 'device') ?? 'disk';
    const type = attribute(disk, 'type') ?? 'file';
    const target = diskTarget(disk);
    const source = child(disk, 'source');
    if (MEDIA_DEVICES.has(device)) continue;
    if (!COPIED_DEVICES.has(device)) {
      throw invalidState(`Disk ${target} is a passed-through ${device}; only disk images can be carried`);
    }
    if (!source) continue; // an empty drive
    const backing = child(disk, 'backingStore');
    const chain = backing && child(backing, 'source') ? { backingChain: true } : {};
    const format = attribute(child(disk, 'driver'), 'type') ?? 'raw';
    if (type === 'file' && attribute(source, 'file')) {
      disks.push({ target, format, source: { file: attribute(source, 'file') as string }, ...chain });
    } else if (type === 'volume' && attribute(source, 'pool') && attribute(source, 'volume')) {
      disks.push({
        target,
        format,
        source: { pool: attribute(source, 'pool') as string, volume: attribute(source, 'volume') as string },
        ...chain,
      });
    } else {
      throw invalidState(`Disk ${target} is a ${type} disk; only file and volume disks can be carried`);
    }
  }
  const os = child(domain, 'os');
  const loader = os ? child(os, 'loader') : undefined;
  const nvram = os ? child(os, 'nvram') : undefined;
  const uefi = attribute(os, 'firmware') === 'efi' || attribute(loader, 'type') === 'pflash' || nvram !== undefined;
  const tpms = devices ? childrenNamed(devices, 'tpm') : [];
  const emulated = tpms.filter((t) => attribute(child(t, 'backend'), 'type') === 'emulator');
  if (emulated.some((t) => child(child(t, 'backend') as XmlNode, 'encryption'))) {
    throw invalidState('Its TPM state is encrypted with a libvirt secret, which does not travel with it');
  }
  const macs = (devices ? childrenNamed(devices, 'interface') : [])
    .map((i) => attribute(child(i, 'mac'), 'address'))
    .filter((m): m is string => m !== undefined)
    .map((m) => m.toLowerCase());
  return {
    name,
    uuid,
    disks,
    uefi,
    nvramPath: textOf(nvram) || undefined,
    tpm: emulated.length > 0,
    macs,
  };
}

/**
 * The definition as a bundle carries it once the disks named were flattened
 * (each image holds its whole chain): no <backingStore> under them.
 */
export function flattenedDefinition(xml: string, targets: readonly string[]): string {
  const [nodes, domain] = parseDomain(xml);
  const devices = child(domain, 'devices');
  for (const disk of devices ? childrenNamed(devices, 'disk') : []) {
    if (targets.includes(diskTarget(disk))) removeChildren(disk, (c) => tagOf(c) === 'backingStore');
  }
  return buildOrdered(nodes);
}

/** Points a disk element at a file. */
function pointDiskAt(disk: XmlNode, path: string): void {
  setAttribute(disk, 'type', 'file');
  const old = child(disk, 'source');
  const source = element('source', { file: path });
  if (old) replaceChild(disk, old, source);
  else appendChild(disk, source);
}

function copiedDisks(domain: XmlNode): XmlNode[] {
  const devices = child(domain, 'devices');
  return (devices ? childrenNamed(devices, 'disk') : []).filter(
    (d) => COPIED_DEVICES.has(attribute(d, 'device') ?? 'disk') && child(d, 'source'),
  );
}

function setNvram(domain: XmlNode, path: string | undefined, templateExists: (path: string) => boolean): void {
  const os = child(domain, 'os');
  if (!os) return;
  let nvram = child(os, 'nvram');
  if (nvram) {
    const template = attribute(nvram, 'template');
    if (template && !templateExists(template)) removeAttribute(nvram, 'template');
  }
  if (path === undefined) {
    // No store travelled: libvirt makes one from its template at the first start, at its own path.
    if (nvram) setText(nvram, '');
    if (nvram && childrenOf(nvram).length === 0 && !attribute(nvram, 'template'))
      removeChildren(os, (c) => c === nvram);
    return;
  }
  if (!nvram) {
    nvram = element('nvram');
    appendChild(os, nvram);
  }
  setText(nvram, path);
}

/** Refuses (InvalidArgument, naming each) a bundle's definition that reaches into the host (import-check.ts). */
export function checkImportDefinition(xml: string): void {
  checkImportable(parseDomain(xml)[1]);
}

export interface ImportPlan {
  /** Where each copied disk (by target) now is. */
  diskPaths: Map<string, string>;
  /** Where the variable store now is, if one travelled. */
  nvramPath: string | undefined;
  /** Whether a file exists on this host (emulator, firmware, install media). */
  exists: (path: string) => boolean;
}

/**
 * The definition for this host: disks at their new paths, the variable
 * store at this host's path, the emulator left for libvirt to choose, and a
 * firmware this host lacks (or one outside its firmware folders) too,
 * install media ejected (the bundle does not carry them). Name, UUID (so
 * the TPM state stays the guest's), MAC addresses and our metadata stay.
 * The definition was checked first (checkImportDefinition).
 */
export function importDefinition(xml: string, plan: ImportPlan): string {
  const [nodes, domain] = parseDomain(xml);
  for (const disk of copiedDisks(domain)) {
    const path = plan.diskPaths.get(diskTarget(disk));
    if (!path) throw invalidArgument(`the bundle has no image for disk ${diskTarget(disk)}`);
    pointDiskAt(disk, path);
  }
  const devices = child(domain, 'devices');
  if (devices) {
    removeChildren(devices, (c) => tagOf(c) === 'emulator');
    leaveSocketsToLibvirt(devices);
    for (const disk of childrenNamed(devices, 'disk')) {
      if (MEDIA_DEVICES.has(attribute(disk, 'device') ?? '')) removeChildren(disk, (c) => tagOf(c) === 'source');
    }
  }
  const os = child(domain, 'os');
  const loader = os ? child(os, 'loader') : undefined;
  const loaderPath = textOf(loader);
  if (os && loader && loaderPath && (!isFirmwarePath(loaderPath) || !plan.exists(loaderPath))) {
    // This host's firmware of the same kind, chosen by libvirt (secure boot and the like stay as hints).
    setText(loader, '');
    setAttribute(os, 'firmware', 'efi');
  }
  // A template outside this host's firmware folders is no template: libvirt picks its own.
  setNvram(domain, plan.nvramPath, (path) => isFirmwarePath(path) && plan.exists(path));
  return buildOrdered(nodes);
}

export interface ClonePlan {
  name: string;
  uuid: string;
  /** New MAC addresses, in the order of the definition's interfaces. */
  macs: string[];
  diskPaths: Map<string, string>;
  /** The clone's variable store, when the guest has one. */
  nvramPath: string | undefined;
}

/**
 * The definition of a clone: new name, UUID and MAC addresses, its own disks
 * and variable store, display ports left to libvirt (so both can run at
 * once), no seat (a seat has one guest).
 */
export function cloneDefinition(xml: string, plan: ClonePlan): string {
  const [nodes, domain] = parseDomain(xml);
  const set = (tag: string, value: string): void => {
    const node = child(domain, tag);
    if (node) setText(node, value);
  };
  set('name', plan.name);
  set('uuid', plan.uuid);
  removeChildren(domain, (c) => tagOf(c) === 'genid'); // a new VM generation
  const system = descend(domain, 'sysinfo', 'system');
  for (const entry of system ? childrenNamed(system, 'entry') : []) {
    if (attribute(entry, 'name') === 'uuid') setText(entry, plan.uuid);
  }
  for (const disk of copiedDisks(domain)) {
    const path = plan.diskPaths.get(diskTarget(disk));
    if (!path) throw new Error(`no copy planned for disk ${diskTarget(disk)}`);
    pointDiskAt(disk, path);
  }
  const devices = child(domain, 'devices');
  const interfaces = devices ? childrenNamed(devices, 'interface') : [];
  interfaces.forEach((iface, index) => {
    const mac = plan.macs[index];
    if (!mac) throw new Error(`no MAC address planned for interface ${index}`);
    const old = child(iface, 'mac');
    if (old) setAttribute(old, 'address', mac);
    else appendChild(iface, element('mac', { address: mac }));
  });
  for (const graphics of devices ? childrenNamed(devices, 'graphics') : []) {
    if (attribute(graphics, 'autoport') === 'no' || (attribute(graphics, 'port') ?? '-1') !== '-1') {
      setAttribute(graphics, 'autoport', 'yes');
      for (const name of ['port', 'tlsPort', 'websocket']) removeAttribute(graphics, name);
    }
  }
  if (devices) leaveSocketsToLibvirt(devices);
  if (plan.nvramPath !== undefined) setNvram(domain, plan.nvramPath, () => true);
  const metadata = child(domain, 'metadata');
  for (const ours of metadata ? childrenOf(metadata) : []) {
    const tag = tagOf(ours) ?? '';
    const prefix = tag.includes(':') ? tag.slice(0, tag.indexOf(':')) : '';
    if (attribute(ours, prefix ? `xmlns:${prefix}` : 'xmlns') !== SWITCHER_NS) continue;
    removeChildren(ours, (c) => tagOf(c) === (prefix ? `${prefix}:seat` : 'seat'));
  }
  return buildOrdered(nodes);
}

/** Unix sockets of character devices (the guest agent's channel…) made by libvirt, at a path of its own. */
function leaveSocketsToLibvirt(devices: XmlNode): void {
  for (const chardev of childrenOf(devices)) {
    if (!['channel', 'serial', 'console', 'parallel'].includes(tagOf(chardev) ?? '')) continue;
    const source = child(chardev, 'source');
    if (attribute(chardev, 'type') === 'unix' && source) removeAttribute(source, 'path');
  }
}

/** A locally administered MAC address in QEMU's range (52:54:00), from three random bytes. */
export function macFromBytes(bytes: Uint8Array): string {
  const hex = [...bytes.subarray(0, 3)].map((b) => b.toString(16).padStart(2, '0'));
  return `52:54:00:${hex.join(':')}`;
}
