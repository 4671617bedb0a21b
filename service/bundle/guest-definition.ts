// What a guest's definition says about its files; the definition an
// imported guest gets (made again from Phyllome's model out of what the
// bundle's definition states, import-check.ts) and the one a clone gets (a
// new guest beside it, its source's definition edited). Pure: paths, the
// host and the model come in as arguments.

import type { HostCapabilities } from '../libvirt/host.js';
import { modelDefinition } from '../create/model-definition.js';
import type { OsProfile } from '../create/osinfo.js';
import { planRebuild, type GuestPlan, type Placement, type StatedGuest } from '../create/plan.js';
import { invalidArgument, invalidState, SwitcherError } from '../errors.js';
import { planVideo, type DisplayRequest } from '../guests/display-settings.js';
import { withVideo, type VideoChange, type VideoFacts } from '../libvirt/video-xml.js';
import { SWITCHER_NS } from '../libvirt/switcher-metadata.js';
import { readBundleDefinition, type BundleImage, type BundleReading } from './import-check.js';
import {
  appendChild,
  attribute,
  buildOrdered,
  child,
  childrenNamed,
  childrenOf,
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
} from '../xml/ordered.js';

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

/** Points the definition's variable store at `path`, keeping this host's template for it. */
function setNvram(domain: XmlNode, path: string): void {
  const os = child(domain, 'os');
  if (!os) return;
  let nvram = child(os, 'nvram');
  if (!nvram) {
    nvram = element('nvram');
    appendChild(os, nvram);
  }
  setText(nvram, path);
}

/**
 * Reads a bundle's definition against the allowlist (import-check.ts): what
 * the guest is, and what this host sets instead; InvalidArgument naming
 * everything refused. `images` are the disk images the bundle carries, by
 * device, as its manifest describes them.
 */
export function checkImportDefinition(
  xml: string,
  images: ReadonlyMap<string, BundleImage> = new Map(),
): BundleReading {
  return readBundleDefinition(xml, images);
}

/** Phyllome's model on this host, as an import uses it: the guest's OS, the host, where its cards go. */
export interface ImportModel {
  os: OsProfile;
  host: HostCapabilities;
  placement: Placement;
  /** The template of the OS's family (create/template.ts's readTemplate). */
  template: string;
  /** The disk images the bundle carries, by device. */
  images: ReadonlyMap<string, BundleImage>;
}

export interface ImportPlan {
  /** Where each disk's image (by device) now is. */
  diskPaths: Map<string, string>;
  /** The guest's UEFI variable store on this host (from its UUID), whether or not one travelled. */
  nvramPath: string | undefined;
  model: ImportModel;
}

/** The model's plan for an imported guest, with the display its owner had set, as this host takes it. */
export interface ImportedGuestPlan extends GuestPlan {
  /** The video device's settings to write over the model's; undefined leaves the model's. */
  video: VideoChange | undefined;
}

/**
 * The model's plan for the bundle's guest on this host; throws what the
 * import would. Given the guest already read (checkImportDefinition), the
 * caller's text is not parsed again: reading it is the costly part.
 */
export function planImportedGuest(
  definition: string | StatedGuest,
  nvramPath: string | undefined,
  model: ImportModel,
): ImportedGuestPlan {
  const guest = typeof definition === 'string' ? readBundleDefinition(definition, model.images).guest : definition;
  const plan = planRebuild(model.os, model.host, { ...model.placement, nvramPath }, guest);
  return { ...plan, ...keptDisplay(guest, plan, model.host) };
}

/**
 * The guest's heads, resolution and 3D as its owner set them, checked as
 * SetDisplay checks them against the video device and display the model
 * gives it here. What this host or that device cannot take is given up,
 * 3D first, then the fixed resolution, then the heads, and said.
 */
function keptDisplay(
  guest: StatedGuest,
  plan: GuestPlan,
  host: HostCapabilities,
): { video: VideoChange | undefined; warnings: string[] } {
  const stated = guest.videoSettings;
  if (!stated) return { video: undefined, warnings: plan.warnings };
  const facts: VideoFacts = {
    model: String(plan.values.video_model),
    heads: 1,
    resolution: [0, 0],
    accel3d: plan.flags.gl === true,
    framebufferKiB: 0,
  };
  const display = plan.flags.spice ? 'spice' : plan.flags.display ? 'vnc' : '';
  const fixed = stated.resolution[0] > 0 ? stated.resolution : ('window' as const);
  const attempts: DisplayRequest[] = [
    { heads: stated.heads, resolution: fixed, accel3d: stated.accel3d },
    { heads: stated.heads, resolution: fixed, accel3d: false },
    { heads: stated.heads, resolution: 'window', accel3d: false },
    { heads: 1, resolution: 'window', accel3d: false },
  ];
  let why: string | undefined;
  for (const request of attempts) {
    try {
      const video = planVideo(guest.name, facts, display, request, host);
      const warnings = why ? [...plan.warnings, `Its display is not as it was: ${why}`] : plan.warnings;
      const asModel = video.heads === facts.heads && video.resolution[0] === 0 && video.accel3d === facts.accel3d;
      return { video: asModel ? undefined : video, warnings };
    } catch (error) {
      if (!(error instanceof SwitcherError)) throw error;
      why ??= error.message;
    }
  }
  return { video: undefined, warnings: [...plan.warnings, `Its display is the model's: ${why ?? ''}`] };
}

/**
 * The definition for this host, made from the model: nothing in it comes
 * from the bundle's text but the values import-check.ts read and checked.
 * Disks at their new files, the UEFI variables at this host's path for the
 * guest's UUID, the firmware left for libvirt to choose by the features the
 * guest had (Secure Boot), MAC addresses, UUID (so the TPM state stays the
 * guest's) and our settings kept.
 */
export function importDefinition(definition: string | StatedGuest, plan: ImportPlan): string {
  const guestPlan = planImportedGuest(definition, plan.nvramPath, plan.model);
  for (const disk of guestPlan.disks) {
    if (!plan.diskPaths.has(disk.dev)) throw invalidArgument(`the bundle has no image for disk ${disk.dev}`);
  }
  const made = modelDefinition(plan.model.template, guestPlan, plan.diskPaths);
  return guestPlan.video ? withVideo(made, guestPlan.video) : made;
}

export interface ClonePlan {
  name: string;
  uuid: string;
  /** New MAC addresses, in the order of the definition's interfaces. */
  macs: string[];
  diskPaths: Map<string, string>;
  /**
   * The clone's own variable store (from its UUID), for a guest that boots
   * UEFI, whether or not the source has one yet: never the source's.
   */
  nvramPath: string | undefined;
}

/** SMBIOS sections whose serial numbers name one machine. */
const SERIAL_SECTIONS = ['system', 'baseBoard', 'chassis'];

/**
 * The definition of a clone: new name, UUID, VM generation and MAC
 * addresses, its own disks and variable store (a fresh one from the
 * firmware's template at its first start when the source has none yet),
 * no SMBIOS serial numbers of the source's, display ports, sockets, tap
 * names and vsock ids left to libvirt (so both can run at once), no seat (a
 * seat has one guest). CD and floppy media stay shared (read-only, and not
 * the guest's own).
 */
export function cloneDefinition(xml: string, plan: ClonePlan): string {
  const [nodes, domain] = parseDomain(xml);
  const set = (tag: string, value: string): void => {
    const node = child(domain, tag);
    if (node) setText(node, value);
  };
  set('name', plan.name);
  set('uuid', plan.uuid);
  // An empty <genid/> has libvirt make a new VM generation id.
  set('genid', '');
  const sysinfo = child(domain, 'sysinfo');
  for (const section of sysinfo ? childrenOf(sysinfo) : []) {
    if (!SERIAL_SECTIONS.includes(tagOf(section) ?? '')) continue;
    removeChildren(section, (entry) => tagOf(entry) === 'entry' && attribute(entry, 'name') === 'serial');
    for (const entry of childrenNamed(section, 'entry')) {
      if (attribute(entry, 'name') === 'uuid') setText(entry, plan.uuid);
    }
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
    // A host-side device name given by hand (a tap's) is one device: libvirt names the clone's.
    removeChildren(iface, (c) => tagOf(c) === 'target');
  });
  // A vsock's context id is one guest's on the host: the clone gets one libvirt picks.
  for (const vsock of devices ? childrenNamed(devices, 'vsock') : []) {
    removeChildren(vsock, (c) => tagOf(c) === 'cid');
    appendChild(vsock, element('cid', { auto: 'yes' }));
  }
  for (const graphics of devices ? childrenNamed(devices, 'graphics') : []) {
    if (attribute(graphics, 'autoport') === 'no' || (attribute(graphics, 'port') ?? '-1') !== '-1') {
      setAttribute(graphics, 'autoport', 'yes');
      for (const name of ['port', 'tlsPort', 'websocket']) removeAttribute(graphics, name);
    }
  }
  if (devices) leaveSocketsToLibvirt(devices);
  if (plan.nvramPath !== undefined) setNvram(domain, plan.nvramPath);
  else if (readDefinition(xml).uefi) throw new Error('a clone of a UEFI guest needs a variable store of its own');
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
