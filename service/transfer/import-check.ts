// What a bundle's guest may ask of this host. A bundle is a folder anybody
// can write, and importing it defines its domain in a libvirt that runs QEMU
// with its own rights (root's, or a system user's, on qemu:///system): a
// definition could name any file, device or program of this host — QEMU
// arguments of its own, a host folder shared in, a host block device or
// input device, a script run when the network comes up, a file a serial port
// writes to. An import takes guests whose definition stays inside the guest:
// its disks (the bundle's, put in this host's pool), emulated devices, and
// the connections libvirt makes itself (networks, SPICE/VNC, ptys). Anything
// that reaches into the host is refused, named, before anything is made; it
// is host-bound anyway and means nothing on another host. Pure.

import { invalidArgument } from '../errors.js';
import { attribute, attributesOf, childrenOf, tagOf, textOf, type XmlNode } from '../libvirt/ordered-xml.js';

/** Where a distribution keeps guest firmware (OVMF, SeaBIOS, AAVMF…): loaders and variable templates. */
export const FIRMWARE_DIRS = [
  '/usr/share/OVMF/',
  '/usr/share/ovmf/',
  '/usr/share/edk2/',
  '/usr/share/edk2-ovmf/',
  '/usr/share/AAVMF/',
  '/usr/share/qemu/',
  '/usr/share/seabios/',
];

export const isFirmwarePath = (path: string): boolean =>
  FIRMWARE_DIRS.some((dir) => path.startsWith(dir)) && !path.split('/').includes('..');

/** The devices an imported guest may have; anything else (hostdev, filesystem, shmem…) reaches into the host. */
const DEVICES = new Set([
  'emulator',
  'disk',
  'controller',
  'interface',
  'input',
  'graphics',
  'video',
  'sound',
  'audio',
  'channel',
  'console',
  'serial',
  'tpm',
  'rng',
  'memballoon',
  'watchdog',
  'panic',
  'iommu',
  'vsock',
  'hub',
  'redirdev',
  'smartcard',
]);

/** Network connections libvirt makes itself; the others name host devices, scripts or sockets. */
const INTERFACE_TYPES = new Set(['network', 'user', 'bridge']);
/** Character devices libvirt or the display make; the others name host files, devices or ports. */
const CHARDEV_TYPES = new Set(['pty', 'vc', 'null', 'spicevmc', 'spiceport', 'qemu-vdagent', 'dbus', 'unix']);
const CHARDEVS = new Set(['serial', 'console', 'channel', 'parallel']);
/** Attributes that name something of the host, wherever they stand (checked after the rules above). */
const HOST_ATTRIBUTES = new Set(['path', 'file', 'socket', 'script', 'rendernode', 'evdev', 'dev']);

/**
 * Checks an imported definition; returns nothing, or throws InvalidArgument
 * naming everything in it that reaches into this host. The disks' sources,
 * install media, the emulator, firmware loader and variable store are not
 * checked here: the import rewrites or removes them (guest-definition.ts).
 */
export function checkImportable(domain: XmlNode): void {
  const found: string[] = [];
  for (const node of childrenOf(domain)) {
    const tag = tagOf(node);
    if (!tag || tag === 'metadata') continue;
    if (tag.includes(':')) found.push(`<${tag}> (settings for QEMU or another driver, outside libvirt's own)`);
    else if (tag === 'os') checkOs(node, found);
    else if (tag === 'seclabel') checkSeclabel(node, found);
    else if (tag === 'devices') for (const device of childrenOf(node)) checkDevice(device, found);
  }
  if (found.length > 0) {
    throw invalidArgument(
      `The bundle's guest reaches into the host it would run on, which an import does not take: ${found.join('; ')}. ` +
        'Remove that from the guest where it came from, and export it again',
    );
  }
}

function checkOs(os: XmlNode, found: string[]): void {
  for (const node of childrenOf(os)) {
    const tag = tagOf(node);
    if (tag === 'kernel' || tag === 'initrd' || tag === 'dtb') found.push(`<os><${tag}> (a file of the host to boot)`);
  }
}

function checkSeclabel(label: XmlNode, found: string[]): void {
  const type = attribute(label, 'type');
  if ((type && type !== 'dynamic') || attribute(label, 'relabel') === 'no') {
    found.push(`<seclabel type='${type ?? ''}'> (the guest would not be confined as libvirt confines guests)`);
  }
}

function checkDevice(device: XmlNode, found: string[]): void {
  const tag = tagOf(device);
  if (!tag) return;
  const type = attribute(device, 'type') ?? '';
  const named = `<${tag}${type ? ` type='${type}'` : ''}>`;
  if (!DEVICES.has(tag) && !CHARDEVS.has(tag)) {
    found.push(`${named} (a device or folder of the host)`);
    return;
  }
  // The import puts the disks where it wants them, ejects install media and drops the emulator; but a
  // backing chain named under a disk would be opened by QEMU beside the image: the host's files.
  if (tag === 'disk' && childrenOf(device).some((c) => tagOf(c) === 'backingStore' && childrenOf(c).length > 0)) {
    found.push(`<backingStore> in <disk> (files of the host under the disk image)`);
    return;
  }
  if (tag === 'disk' || tag === 'emulator') return;
  if (tag === 'interface' && !INTERFACE_TYPES.has(type)) {
    found.push(`${named} (a network device, socket or script of the host)`);
    return;
  }
  if (CHARDEVS.has(tag) && !CHARDEV_TYPES.has(type)) {
    found.push(`${named} (a file, device or port of the host)`);
    return;
  }
  // A unix socket's path is libvirt's to choose: the import leaves it to libvirt (leaveSocketsToLibvirt).
  if (CHARDEVS.has(tag) && type === 'unix') {
    if (childrenOf(device).some((c) => tagOf(c) === 'log')) found.push(`<log> in <${tag}> (a file of the host)`);
    return;
  }
  if (tag === 'input' && (type === 'evdev' || type === 'passthrough')) {
    found.push(`${named} (an input device of the host)`);
    return;
  }
  if (
    tag === 'tpm' &&
    attribute(
      childrenOf(device).find((c) => tagOf(c) === 'backend'),
      'type',
    ) === 'passthrough'
  ) {
    found.push(`<tpm> with a passthrough backend (the host's own TPM)`);
    return;
  }
  if ((tag === 'redirdev' || tag === 'smartcard') && type !== 'spicevmc') {
    found.push(`${named} (a device of the host, not the viewer's)`);
    return;
  }
  if (tag === 'rng') {
    const backend = childrenOf(device).find((c) => tagOf(c) === 'backend');
    const model = attribute(backend, 'model');
    const source = textOf(backend).trim();
    if (model === 'egd' || (model === 'random' && source && source !== '/dev/urandom' && source !== '/dev/random')) {
      found.push(`<rng> with the ${model} backend (a device or socket of the host)`);
      return;
    }
  }
  const what = hostAttribute(device, tag);
  if (what) found.push(`${named} (${what})`);
}

/**
 * The first thing in a device (its own attributes included) that names
 * something of the host: a path-like attribute, a <script> or a <log> file.
 * A chardev of type unix with no path is fine: libvirt makes its socket.
 */
function hostAttribute(node: XmlNode, deviceTag: string): string | undefined {
  for (const [name, value] of Object.entries(attributesOf(node))) {
    // dev= names the guest's side (<target dev='vda'>, a tap's name) unless it is a host path.
    if (name === 'dev' && !value.startsWith('/')) continue;
    if (HOST_ATTRIBUTES.has(name)) return `${name}='${value.slice(0, 80)}'`;
  }
  for (const child of childrenOf(node)) {
    const childTag = tagOf(child);
    if (!childTag) continue;
    if (childTag === 'script' || childTag === 'log') return `<${childTag}> in <${deviceTag}>`;
    const inner = hostAttribute(child, deviceTag);
    if (inner) return inner;
  }
  return undefined;
}
