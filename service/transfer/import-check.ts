// What a bundle's guest is, read from its definition against an allowlist.
// A bundle is a folder anybody can write, and importing it defines a guest
// in a libvirt that runs QEMU with rights the importer may not have. So the
// definition is data, never a definition: only what a guest is — name, UUID,
// memory, vCPUs, firmware kind, OS, disks, network cards, display, sound and
// video models, TPM, title, description, our settings — is read, each value
// checked, and the guest is made again from Phyllome's model
// (create/plan.ts's planRebuild). Everything else is named, in two kinds:
//
// - refused (InvalidArgument naming each, before anything is made): what
//   would give the guest something of the host or of another program —
//   QEMU's own arguments and anything in a namespace not libvirt's (compared
//   by URI, whatever the prefix), host devices, folders, files, sockets,
//   scripts, kernels, confinement turned off — and devices or values the
//   model has no place for, so the user knows what would not travel;
// - dropped, and said in the job's message: how the old host placed and
//   tuned the guest, which the model sets itself here — device addresses,
//   controllers, the emulator, the CPU model, features, clock timers, power
//   actions, firmware and variable store paths, display listeners, the
//   guest agent's channel, install media (a bundle does not carry them).
//
// An attribute or element not named here is refused: the list is what is
// taken, not what is feared. Pure.

import { validateGuestName } from '../create/guest-name.js';
import {
  DISK_BUSES,
  DISK_FORMATS,
  MEDIA_BUSES,
  NET_MODELS,
  SIZE_LIMITS,
  SOUND_MODELS,
  TPM_MODELS,
  VIDEO_MODELS,
  type DiskBus,
  type DiskFormat,
  type MediaBus,
  type NetModel,
  type PlannedDisk,
  type PlannedMedia,
  type SoundModel,
  type StatedGuest,
  type TpmModel,
  type VideoModel,
} from '../create/plan.js';
import { errorMessage, invalidArgument } from '../errors.js';
import { LIBOSINFO_NS } from '../libvirt/domain-xml.js';
import { describeElement, readNamespaced, type NamespacedElement } from '../libvirt/namespaced-xml.js';
import {
  DEFAULT_SETTINGS,
  parseRule,
  SWITCHER_NS,
  validateConnector,
  validateSeat,
  type SwitcherSettings,
  type UsbRule,
} from '../libvirt/switcher-metadata.js';

type El = NamespacedElement;

/** A disk image the bundle carries, as its manifest describes it. */
export interface BundleImage {
  format: string;
  /** The image was made from a chain of images (privsep's helper flattens overlays at export). */
  flattened: boolean;
}

export interface BundleReading {
  guest: StatedGuest;
  /** What was left for this host to set, in a person's words, each once. */
  dropped: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const OS_ID = /^https?:\/\/[A-Za-z0-9.-]{1,100}(\/[A-Za-z0-9._~+-]{1,64}){0,8}\/?$/;
const DISK_DEV: Record<string, RegExp> = { virtio: /^vd[a-z]{1,2}$/, sata: /^sd[a-z]{1,2}$/, scsi: /^sd[a-z]{1,2}$/ };
const INTEGER = /^\s*[0-9]{1,20}\s*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const MAX_TITLE = 256;
const MAX_DESCRIPTION = 64 * 1024;
const MAX_NAMED = 24;

const BYTES_PER_UNIT: Record<string, bigint> = {
  b: 1n,
  bytes: 1n,
  k: 1024n,
  kib: 1024n,
  kb: 1000n,
  m: 1024n ** 2n,
  mib: 1024n ** 2n,
  mb: 1000n ** 2n,
  g: 1024n ** 3n,
  gib: 1024n ** 3n,
  gb: 1000n ** 3n,
  t: 1024n ** 4n,
  tib: 1024n ** 4n,
  tb: 1000n ** 4n,
};

const includes = <T extends string>(list: readonly T[], value: string): value is T =>
  (list as readonly string[]).includes(value);

/** An attribute is read (its value returned), dropped with a label said once, dropped quietly, or refused. */
type AttributeRule = 'read' | 'quiet' | { drop: string } | { refuse: string };
/** A child is handled by a function, dropped (with what it held) with a label, dropped quietly, or refused. */
type ChildRule = ((child: El, where: string) => void) | 'quiet' | { drop: string } | { refuse: string };

const FOREIGN = "settings for QEMU or another program, outside libvirt's own";
const NOT_IN_MODEL = "Phyllome's model has no place for it";
const HOST_DEVICE = 'a device of the host';
const HOST_FILE = 'a file, socket or device of the host';

/** What this host sets itself, as the job's message names it (the README says what each covers). */
const S = {
  emulator: 'the emulator',
  controllers: 'controllers',
  cpu: 'the CPU model',
  features: 'machine features',
  clockTimers: 'clock timers',
  actions: 'power-off, reboot and crash actions',
  pm: 'power management',
  firmwarePaths: 'firmware and UEFI variable paths',
  tuning: 'tuning for the old host',
  diskTuning: 'disk tuning',
  network: 'network attachment',
  display: 'display listener and password',
  videoSettings: 'display adapter settings',
  input: 'input devices',
  agent: 'agent channels',
  consoles: 'serial consoles',
  balloon: 'the memory balloon',
  rng: 'the random-number device',
  media: 'install media (ejected)',
  seclabel: 'security labels',
  machine: 'the machine type',
  otherMetadata: 'other programs’ notes',
  usbRedirection: 'USB redirection',
  audio: 'sound output',
  watchdog: 'the chipset’s watchdog',
  bootOrder: 'the boot order',
  smbios: 'SMBIOS data',
  diskIds: 'disk serial numbers',
  onlineVcpus: 'offline vCPUs',
  keywrap: 'key wrapping',
  memoryHotplug: 'memory hot-plug slots',
  currentMemory: 'the balloon target',
};

class Reading {
  readonly refused: string[] = [];
  readonly dropped = new Set<string>();

  refuse(element: El, parent: string, why: string, shown: readonly string[] = ['type', 'model']): void {
    const at = parent && parent !== 'domain' ? ` in <${parent}>` : '';
    this.refused.push(`${describeElement(element, shown)}${at} (${why})`);
  }

  refuseText(what: string, why: string): void {
    this.refused.push(`${what} (${why})`);
  }

  drop(label: string): void {
    this.dropped.add(label);
  }

  /** A subtree dropped whole: anything in another namespace inside it is still refused, named. */
  dropTree(element: El, parent: string, label: string | undefined): void {
    if (label) this.drop(label);
    this.foreignIn(element, parent);
  }

  foreignIn(element: El, parent: string): void {
    if (element.ns !== '') {
      this.refuse(element, parent, `${FOREIGN}: ${element.ns}`, []);
      return;
    }
    for (const attribute of element.attributes) {
      if (attribute.ns !== '')
        this.refuseText(
          `the attribute ${attribute.prefix}:${attribute.name} on <${element.name}>`,
          `${FOREIGN}: ${attribute.ns}`,
        );
    }
    for (const child of element.children) this.foreignIn(child, element.name);
  }

  /** The element's attributes by `rules`: read values returned, anything unnamed refused. */
  attributes(element: El, rules: Record<string, AttributeRule>): Record<string, string> {
    const read: Record<string, string> = {};
    for (const attribute of element.attributes) {
      const where = `the attribute ${attribute.prefix ? `${attribute.prefix}:` : ''}${attribute.name}='${shorten(attribute.value)}' on <${element.name}>`;
      if (attribute.ns !== '') {
        this.refuseText(where, `${FOREIGN}: ${attribute.ns}`);
        continue;
      }
      const rule = rules[attribute.name];
      if (rule === undefined) this.refuseText(where, NOT_IN_MODEL);
      else if (rule === 'read') read[attribute.name] = attribute.value;
      else if (rule === 'quiet') continue;
      else if ('drop' in rule) this.drop(rule.drop);
      else this.refuseText(where, rule.refuse);
    }
    return read;
  }

  /** The element's children by `rules`: anything unnamed or in another namespace refused, named. */
  children(element: El, rules: Record<string, ChildRule>): void {
    for (const child of element.children) {
      if (child.ns !== '') {
        this.refuse(child, element.name, `${FOREIGN}: ${child.ns}`, []);
        continue;
      }
      const rule = rules[child.name];
      if (rule === undefined) this.refuse(child, element.name, NOT_IN_MODEL);
      else if (typeof rule === 'function') rule(child, element.name);
      else if (rule === 'quiet') this.dropTree(child, element.name, undefined);
      else if ('drop' in rule) this.dropTree(child, element.name, rule.drop);
      else this.refuse(child, element.name, rule.refuse);
    }
  }

  /** Refuses text where an element holds none. */
  noText(element: El): void {
    if (element.text.trim() !== '') this.refuseText(`text in <${element.name}>`, NOT_IN_MODEL);
  }

  /** An element that holds nothing but the attributes given. */
  leaf(element: El, rules: Record<string, AttributeRule>): Record<string, string> {
    const read = this.textLeaf(element, rules);
    this.noText(element);
    return read;
  }

  /** An element that holds text (read by the caller) and the attributes given, no elements. */
  textLeaf(element: El, rules: Record<string, AttributeRule>): Record<string, string> {
    const read = this.attributes(element, rules);
    this.children(element, {});
    return read;
  }
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}

const attributeOf = (element: El | undefined, name: string): string | undefined =>
  element?.attributes.find((a) => a.ns === '' && a.name === name)?.value;
const childrenNamed = (element: El, name: string): El[] =>
  element.children.filter((c) => c.ns === '' && c.name === name);

/** What a bundle's guest is: read against the allowlist, refused naming each thing outside it. */
export function readBundleDefinition(xml: string, images: ReadonlyMap<string, BundleImage>): BundleReading {
  const root = readNamespaced(xml, "The bundle's definition");
  if (root.ns !== '' || root.name !== 'domain') {
    throw invalidArgument(
      `The bundle's definition is not a libvirt domain: its top element is ${describeElement(root)}`,
    );
  }
  const r = new Reading();
  const guest = readDomain(r, root, images);
  if (r.refused.length > 0) {
    const named = r.refused.slice(0, MAX_NAMED);
    const more = r.refused.length > MAX_NAMED ? `; and ${r.refused.length - MAX_NAMED} more` : '';
    throw invalidArgument(
      `The bundle's guest holds what an import does not take: ${named.join('; ')}${more}. ` +
        'An imported guest is made again from what a guest is; remove these from the guest where it came from, and export it again',
    );
  }
  return { guest, dropped: [...r.dropped] };
}

interface DiskRead {
  disk: PlannedDisk | undefined;
  media: PlannedMedia | undefined;
  bootOrder: number;
}

function readDomain(r: Reading, domain: El, images: ReadonlyMap<string, BundleImage>): StatedGuest {
  const top = r.attributes(domain, { type: 'read', id: 'quiet' });
  if (top.type !== 'kvm' && top.type !== 'qemu') {
    r.refuseText(`<domain type='${shorten(top.type ?? '')}'>`, 'only QEMU and KVM guests are imported');
  }
  r.noText(domain);
  const guest: StatedGuest = {
    name: '',
    uuid: '',
    title: '',
    description: '',
    osId: '',
    memoryMiB: 0,
    vcpus: 0,
    firmware: 'bios',
    secureBoot: false,
    clockOffset: 'utc',
    disks: [],
    media: [],
    interfaces: [],
    display: '',
    video: undefined,
    sound: undefined,
    tpm: undefined,
    settings: { ...DEFAULT_SETTINGS, usbRules: [] },
  };
  const seen = new Set<string>();
  const once = (element: El, parent: string): boolean => {
    if (!seen.has(element.name)) {
      seen.add(element.name);
      return true;
    }
    r.refuse(element, parent, 'given twice', []);
    return false;
  };
  let currentMemory: number | undefined;
  const firmware = { efiAttribute: '', loaderType: '', loader: false, nvram: false, secure: false };
  const disks: DiskRead[] = [];
  r.children(domain, {
    name: (el, p) => {
      if (!once(el, p)) return;
      r.textLeaf(el, {});
      try {
        guest.name = validateGuestName(el.text);
      } catch (error) {
        r.refuseText(`its name`, errorMessage(error));
      }
    },
    uuid: (el, p) => {
      if (!once(el, p)) return;
      r.textLeaf(el, {});
      const uuid = el.text.trim();
      if (!UUID.test(uuid) || /^[0-]+$/.test(uuid)) {
        r.refuseText(
          `its UUID '${shorten(uuid)}'`,
          'a UUID is 32 lowercase hex digits grouped 8-4-4-4-12, not all zero',
        );
      } else guest.uuid = uuid;
    },
    genid: (el, p) => {
      if (!once(el, p)) return;
      r.textLeaf(el, {});
      const genid = el.text.trim();
      // An empty <genid/> asks libvirt for one: the rebuilt guest gets one the same way.
      if (genid === '') return;
      if (!UUID.test(genid)) r.refuseText(`its generation id '${shorten(genid)}'`, 'not a UUID');
      else guest.genid = genid;
    },
    title: (el, p) => {
      if (!once(el, p)) return;
      r.textLeaf(el, {});
      if (el.text.length > MAX_TITLE || /[\r\n]/.test(el.text) || CONTROL.test(el.text)) {
        r.refuseText('its title', `a title is one line of at most ${MAX_TITLE} characters`);
      } else guest.title = el.text;
    },
    description: (el, p) => {
      if (!once(el, p)) return;
      r.textLeaf(el, {});
      if (el.text.length > MAX_DESCRIPTION || CONTROL.test(el.text)) {
        r.refuseText('its description', `a description is text of at most ${MAX_DESCRIPTION} characters`);
      } else guest.description = el.text;
    },
    metadata: (el, p) => {
      if (once(el, p)) readMetadata(r, el, guest);
    },
    memory: (el, p) => {
      if (!once(el, p)) return;
      const { unit } = r.textLeaf(el, { unit: 'read', dumpCore: { drop: S.tuning } });
      const mib = memoryMiB(el.text, unit);
      if (mib === undefined) r.refuseText(`its memory '${shorten(el.text)} ${unit ?? 'KiB'}'`, 'not a size');
      else guest.memoryMiB = mib;
    },
    currentMemory: (el, p) => {
      if (!once(el, p)) return;
      const { unit } = r.textLeaf(el, { unit: 'read' });
      currentMemory = memoryMiB(el.text, unit);
      if (currentMemory === undefined) r.refuseText(`its current memory '${shorten(el.text)}'`, 'not a size');
    },
    maxMemory: { drop: S.memoryHotplug },
    vcpu: (el, p) => {
      if (!once(el, p)) return;
      r.textLeaf(el, { placement: 'quiet', current: { drop: S.onlineVcpus }, cpuset: { drop: S.tuning } });
      const vcpus = INTEGER.test(el.text) ? Number(el.text.trim()) : 0;
      if (vcpus < 1 || vcpus > SIZE_LIMITS.vcpus) {
        r.refuseText(`its vCPUs '${shorten(el.text)}'`, `from 1 to ${SIZE_LIMITS.vcpus}`);
      } else guest.vcpus = vcpus;
    },
    os: (el, p) => {
      if (once(el, p)) readOs(r, el, firmware);
    },
    clock: (el, p) => {
      if (!once(el, p)) return;
      const { offset, basis } = r.attributes(el, {
        offset: 'read',
        basis: 'read',
        adjustment: { drop: S.clockTimers },
        timezone: { refuse: 'a time zone of its own: the model keeps UTC or local time' },
      });
      const kind = offset === 'variable' ? (basis ?? 'utc') : offset;
      if (kind === 'utc' || kind === 'localtime') guest.clockOffset = kind;
      else r.refuseText(`<clock offset='${shorten(offset ?? '')}'>`, 'the model keeps UTC or local time');
      r.noText(el);
      r.children(el, { timer: { drop: S.clockTimers } });
    },
    devices: (el, p) => {
      if (!once(el, p)) return;
      r.attributes(el, {});
      r.noText(el);
      readDevices(r, el, guest, disks, images);
    },
    // How the old host placed and tuned it: the model sets its own.
    memoryBacking: { drop: S.tuning },
    blkiotune: { drop: S.tuning },
    memtune: { drop: S.tuning },
    numatune: { drop: S.tuning },
    cputune: { drop: S.tuning },
    iothreads: { drop: S.tuning },
    iothreadids: { drop: S.tuning },
    defaultiothread: { drop: S.tuning },
    vcpus: { drop: S.onlineVcpus },
    resource: { drop: S.tuning },
    throttlegroups: { drop: S.tuning },
    perf: { drop: S.tuning },
    features: { drop: S.features },
    cpu: { drop: S.cpu },
    pm: { drop: S.pm },
    on_poweroff: { drop: S.actions },
    on_reboot: { drop: S.actions },
    on_crash: { drop: S.actions },
    on_lockfailure: { drop: S.actions },
    keywrap: { drop: S.keywrap },
    seclabel: (el, parent) => readSeclabel(r, el, parent),
    sysinfo: (el, parent) => {
      if (attributeOf(el, 'type') === 'smbios') r.dropTree(el, parent, S.smbios);
      else r.refuse(el, parent, 'files of the host for the firmware');
    },
    launchSecurity: { refuse: 'memory encryption keyed to the old host' },
    idmap: { refuse: 'a container’s user mapping' },
    bootloader: { refuse: 'a boot loader program of the host' },
    bootloader_args: { refuse: 'a boot loader program of the host' },
  });
  if (!seen.has('name')) r.refuseText('no <name>', 'a guest has a name');
  if (!seen.has('uuid')) r.refuseText('no <uuid>', 'a guest travels with its UUID');
  if (!seen.has('memory')) r.refuseText('no <memory>', 'a guest has a size');
  if (!seen.has('vcpu')) guest.vcpus = 1;
  if (guest.memoryMiB > 0 && (guest.memoryMiB < 16 || guest.memoryMiB > SIZE_LIMITS.memoryMiB)) {
    r.refuseText(`its memory of ${guest.memoryMiB} MiB`, `from 16 to ${SIZE_LIMITS.memoryMiB} MiB`);
  }
  if (currentMemory !== undefined && currentMemory < guest.memoryMiB) r.drop(S.currentMemory);
  guest.firmware =
    firmware.efiAttribute === 'efi' ||
    (firmware.efiAttribute === '' && (firmware.loaderType === 'pflash' || firmware.nvram))
      ? 'efi'
      : 'bios';
  guest.secureBoot = firmware.secure;
  if (guest.secureBoot && guest.firmware !== 'efi') {
    r.refuseText('Secure Boot without UEFI', 'Secure Boot is a feature of UEFI firmware');
  }
  // The disk that boots first comes first (per-device <boot order>), the others in their order.
  const ordered = disks
    .map((d, index) => ({ ...d, index }))
    .sort((a, b) => a.bootOrder - b.bootOrder || a.index - b.index);
  guest.disks = ordered.flatMap((d) => (d.disk ? [d.disk] : []));
  guest.media = ordered.flatMap((d) => (d.media ? [d.media] : []));
  const devs = [...guest.disks, ...guest.media].map((d) => d.dev);
  const twice = devs.filter((dev, i) => devs.indexOf(dev) !== i);
  for (const dev of new Set(twice)) r.refuseText(`two drives named ${dev}`, 'each drive has its own name');
  for (const [target] of images) {
    if (!guest.disks.some((d) => d.dev === target)) {
      r.refuseText(`the image of disk ${target}`, 'the definition has no such disk: the bundle is damaged');
    }
  }
  return guest;
}

function memoryMiB(text: string, unit: string | undefined): number | undefined {
  const factor = BYTES_PER_UNIT[(unit ?? 'KiB').toLowerCase()];
  if (!INTEGER.test(text) || factor === undefined) return undefined;
  const bytes = BigInt(text.trim()) * factor;
  const mib = (bytes + 1024n ** 2n - 1n) / 1024n ** 2n;
  return mib > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(mib);
}

function readMetadata(r: Reading, metadata: El, guest: StatedGuest): void {
  r.attributes(metadata, {});
  r.noText(metadata);
  let ours = false;
  let osinfo = false;
  for (const child of metadata.children) {
    if (child.ns === SWITCHER_NS && child.name === 'switcher') {
      if (ours) r.refuse(child, 'metadata', 'given twice', []);
      else guest.settings = readSwitcher(r, child);
      ours = true;
    } else if (child.ns === LIBOSINFO_NS && child.name === 'libosinfo') {
      if (osinfo) r.refuse(child, 'metadata', 'given twice', []);
      else guest.osId = readOsinfo(r, child);
      osinfo = true;
    } else {
      // Inert notes of other programs (GNOME Boxes, cockpit…): libvirt never reads them, nor do we.
      r.drop(S.otherMetadata);
    }
  }
}

function readOsinfo(r: Reading, element: El): string {
  r.attributes(element, {});
  r.noText(element);
  let id = '';
  for (const child of element.children) {
    if (child.ns === LIBOSINFO_NS && child.name === 'os' && id === '') {
      const read = r.leaf(child, { id: 'read' });
      const value = read.id ?? '';
      if (!OS_ID.test(value) || value.length > 256) r.refuseText(`its OS id '${shorten(value)}'`, 'not a libosinfo id');
      else id = value;
    } else r.drop(S.otherMetadata);
  }
  return id;
}

function readSwitcher(r: Reading, element: El): SwitcherSettings {
  r.attributes(element, {});
  r.noText(element);
  const settings: SwitcherSettings = { ...DEFAULT_SETTINGS, usbRules: [] };
  const seen = new Set<string>();
  for (const child of element.children) {
    const where = `our setting <${child.name}>`;
    if (child.ns !== SWITCHER_NS) {
      r.refuse(child, 'switcher', `${FOREIGN}: ${child.ns}`, []);
      continue;
    }
    if (child.name !== 'usb-rule') {
      if (seen.has(child.name)) {
        r.refuseText(where, 'given twice');
        continue;
      }
      seen.add(child.name);
    }
    try {
      if (child.name === 'monitor') {
        settings.monitor = validateConnector(r.leaf(child, { connector: 'read' }).connector ?? '');
      } else if (child.name === 'seat') {
        settings.seat = validateSeat(r.leaf(child, { id: 'read' }).id ?? '');
      } else if (child.name === 'usb-rule') {
        const read = r.leaf(child, {
          mode: 'read',
          vendor: 'read',
          product: 'read',
          serial: 'read',
          'serial-utf8-hex': 'read',
          port: 'read',
        });
        const node = Object.fromEntries(Object.entries(read).map(([k, v]) => [`@_${k}`, v]));
        const rule: UsbRule | undefined = parseRule(node);
        if (!rule) r.refuseText(where, 'not a USB rule this service writes');
        else settings.usbRules.push(rule);
      } else r.refuseText(where, 'not a setting of ours');
    } catch (error) {
      r.refuseText(where, errorMessage(error));
    }
  }
  return settings;
}

interface Firmware {
  efiAttribute: string;
  loaderType: string;
  loader: boolean;
  nvram: boolean;
  secure: boolean;
}

function readOs(r: Reading, os: El, firmware: Firmware): void {
  const { firmware: kind } = r.attributes(os, { firmware: 'read' });
  if (kind !== undefined && kind !== 'efi' && kind !== 'bios') {
    r.refuseText(`<os firmware='${shorten(kind)}'>`, 'firmware is UEFI or BIOS');
  } else firmware.efiAttribute = kind ?? '';
  r.noText(os);
  let bootFirst = '';
  const hostFile = { refuse: 'a file of the host to boot' };
  r.children(os, {
    type: (el) => {
      const { arch, machine } = r.textLeaf(el, { arch: 'read', machine: 'read' });
      if (el.text.trim() !== 'hvm') r.refuseText(`<type>${shorten(el.text)}</type>`, 'only full virtualization (hvm)');
      if (arch !== undefined && arch !== 'x86_64') r.refuseText(`<type arch='${shorten(arch)}'>`, 'only x86_64 guests');
      if (machine !== undefined && !/^(pc-)?q35(-[0-9.]+)?$/.test(machine)) r.drop(S.machine);
    },
    firmware: (el) => {
      r.attributes(el, {});
      r.noText(el);
      r.children(el, {
        feature: (feature) => {
          const { enabled, name } = r.leaf(feature, { enabled: 'read', name: 'read' });
          if (enabled !== 'yes' && enabled !== 'no')
            r.refuseText(`a firmware feature enabled='${shorten(enabled ?? '')}'`, 'yes or no');
          if (name === 'secure-boot' && enabled === 'yes') firmware.secure = true;
        },
      });
    },
    loader: (el) => {
      const { type, secure } = r.attributes(el, {
        readonly: 'quiet',
        type: 'read',
        secure: 'read',
        stateless: { drop: S.firmwarePaths },
        format: { drop: S.firmwarePaths },
      });
      r.children(el, {});
      firmware.loader = true;
      if (type !== undefined && type !== 'pflash' && type !== 'rom')
        r.refuseText(`<loader type='${shorten(type)}'>`, 'pflash or rom');
      firmware.loaderType = type ?? '';
      if (secure !== undefined && secure !== 'yes' && secure !== 'no')
        r.refuseText(`<loader secure='${shorten(secure)}'>`, 'yes or no');
      if (secure === 'yes') firmware.secure = true;
      // The path is the old host's: libvirt picks this host's firmware of the same kind.
      if (el.text.trim() !== '') r.drop(S.firmwarePaths);
    },
    nvram: (el) => {
      firmware.nvram = true;
      r.dropTree(el, 'os', S.firmwarePaths);
    },
    boot: (el) => {
      const { dev } = r.leaf(el, { dev: 'read' });
      if (bootFirst === '') bootFirst = dev ?? '';
      if (dev !== 'hd' && dev !== 'cdrom' && dev !== 'network' && dev !== 'fd')
        r.refuseText(`<boot dev='${shorten(dev ?? '')}'>`, 'not a boot device');
    },
    bootmenu: { drop: S.bootOrder },
    smbios: { drop: S.smbios },
    bios: { drop: S.bootOrder },
    kernel: hostFile,
    initrd: hostFile,
    cmdline: { refuse: 'a kernel command line for a kernel of the host' },
    dtb: hostFile,
    acpi: { refuse: 'ACPI tables from files of the host' },
    init: { refuse: 'a program to start in a container' },
    initarg: { refuse: 'a program to start in a container' },
    initenv: { refuse: 'a program to start in a container' },
    initdir: { refuse: 'a program to start in a container' },
    inituser: { refuse: 'a program to start in a container' },
    initgroup: { refuse: 'a program to start in a container' },
    shim: hostFile,
  });
  if (bootFirst !== '' && bootFirst !== 'hd') r.drop(S.bootOrder);
}

function readSeclabel(r: Reading, label: El, parent: string): void {
  const type = attributeOf(label, 'type') ?? 'dynamic';
  const relabel = attributeOf(label, 'relabel') ?? 'yes';
  if (type === 'dynamic' && relabel === 'yes') r.dropTree(label, parent, S.seclabel);
  else r.refuse(label, parent, 'the guest would not be confined as libvirt confines guests', ['type', 'relabel']);
}

function readDevices(
  r: Reading,
  devices: El,
  guest: StatedGuest,
  disks: DiskRead[],
  images: ReadonlyMap<string, BundleImage>,
): void {
  let graphics = 0;
  let videos = 0;
  r.children(devices, {
    emulator: { drop: S.emulator },
    disk: (el, p) => {
      const read = readDisk(r, el, p, images);
      if (read) disks.push(read);
    },
    controller: { drop: S.controllers },
    interface: (el, p) => readInterface(r, el, p, guest),
    graphics: (el, p) => {
      const type = attributeOf(el, 'type') ?? '';
      if (type === 'spice' || type === 'vnc') {
        if (graphics++ === 0) guest.display = type;
        else r.drop('a second display');
        // Its listener, ports, password, GL render node…: the model shows it without a listener.
        r.dropTree(el, p, S.display);
      } else if (type === 'egl-headless') r.dropTree(el, p, S.display);
      else r.refuse(el, p, 'shown on a screen, window or bus of the host');
    },
    video: (el, p) => {
      r.attributes(el, {});
      r.noText(el);
      if (videos++ > 0) {
        r.dropTree(el, p, 'a second display adapter');
        return;
      }
      r.children(el, {
        model: (model) => {
          const { type } = r.attributes(model, {
            type: 'read',
            heads: { drop: S.videoSettings },
            vram: { drop: S.videoSettings },
            vram64: { drop: S.videoSettings },
            ram: { drop: S.videoSettings },
            vgamem: { drop: S.videoSettings },
            primary: 'quiet',
            blob: { drop: S.videoSettings },
          });
          r.noText(model);
          r.children(model, { acceleration: { drop: S.videoSettings }, resolution: { drop: S.videoSettings } });
          if (type !== undefined && includes(VIDEO_MODELS, type)) guest.video = type as VideoModel;
          else r.drop(`its ${shorten(type ?? 'unnamed')} display adapter`);
        },
        driver: { drop: S.videoSettings },
        address: 'quiet',
        alias: 'quiet',
        acpi: 'quiet',
      });
    },
    sound: (el) => {
      const { model } = r.attributes(el, { model: 'read', multichannel: { drop: 'sound card settings' } });
      r.noText(el);
      r.children(el, {
        codec: 'quiet',
        audio: 'quiet',
        address: 'quiet',
        alias: 'quiet',
        acpi: 'quiet',
        driver: 'quiet',
      });
      if (guest.sound !== undefined) r.drop('a second sound card');
      else if (model !== undefined && includes(SOUND_MODELS, model)) guest.sound = model as SoundModel;
      else r.drop(`its ${shorten(model ?? 'unnamed')} sound card`);
    },
    audio: (el, p) => {
      const type = attributeOf(el, 'type') ?? '';
      if (type === 'spice' || type === 'none') r.dropTree(el, p, S.audio);
      else r.refuse(el, p, 'a sound server or file of the host');
    },
    tpm: (el, p) => readTpm(r, el, p, guest),
    input: (el, p) => {
      const type = attributeOf(el, 'type') ?? '';
      if (['tablet', 'mouse', 'keyboard'].includes(type)) r.dropTree(el, p, S.input);
      else r.refuse(el, p, type === 'evdev' || type === 'passthrough' ? 'an input device of the host' : NOT_IN_MODEL);
    },
    channel: (el, p) => {
      const type = attributeOf(el, 'type') ?? '';
      const target = childrenNamed(el, 'target')[0];
      const name = attributeOf(target, 'name') ?? '';
      const agent =
        (type === 'unix' && name === 'org.qemu.guest_agent.0') ||
        (type === 'spicevmc' && name === 'com.redhat.spice.0') ||
        (type === 'qemu-vdagent' && name === 'com.redhat.spice.0') ||
        type === 'spiceport';
      if (agent && attributeOf(target, 'type') === 'virtio') r.dropTree(el, p, S.agent);
      else r.refuse(el, p, `a channel between the guest and ${type === 'unix' ? 'a socket of the host' : 'the host'}`);
    },
    console: (el, p) => readCharacterDevice(r, el, p),
    serial: (el, p) => readCharacterDevice(r, el, p),
    parallel: { refuse: HOST_FILE },
    memballoon: (el, p) => r.dropTree(el, p, attributeOf(el, 'model') === 'none' ? undefined : S.balloon),
    rng: (el, p) => {
      const backend = childrenNamed(el, 'backend')[0];
      const model = attributeOf(backend, 'model');
      const source = backend?.text.trim() ?? '';
      const random = model === 'random' && ['', '/dev/urandom', '/dev/random'].includes(source);
      if (random || model === 'builtin') r.dropTree(el, p, S.rng);
      else r.refuse(el, p, `its ${model ?? ''} backend: a device or socket of the host`);
    },
    watchdog: (el, p) => {
      if (attributeOf(el, 'model') === 'itco') r.dropTree(el, p, S.watchdog);
      else r.refuse(el, p, NOT_IN_MODEL);
    },
    redirdev: (el, p) => {
      if (attributeOf(el, 'type') === 'spicevmc') r.dropTree(el, p, S.usbRedirection);
      else r.refuse(el, p, 'a USB device reached through the host');
    },
    redirfilter: { drop: S.usbRedirection },
    hostdev: { refuse: HOST_DEVICE },
    filesystem: { refuse: 'a folder of the host' },
    shmem: { refuse: 'memory shared with the host' },
    memory: { refuse: 'memory devices (a file of the host for NVDIMMs)' },
    lease: { refuse: 'a lock file of the host' },
    smartcard: { refuse: HOST_DEVICE },
    hub: { refuse: NOT_IN_MODEL },
    panic: { refuse: NOT_IN_MODEL },
    vsock: { refuse: NOT_IN_MODEL },
    iommu: { refuse: NOT_IN_MODEL },
    crypto: { refuse: 'the host’s crypto device' },
    pstore: { refuse: 'a file of the host' },
    nvram: { refuse: NOT_IN_MODEL },
  });
}

function readCharacterDevice(r: Reading, element: El, parent: string): void {
  const type = attributeOf(element, 'type') ?? 'pty';
  if (type === 'pty' && !element.children.some((c) => c.name === 'log')) r.dropTree(element, parent, S.consoles);
  else r.refuse(element, parent, HOST_FILE);
}

function readDisk(
  r: Reading,
  disk: El,
  parent: string,
  images: ReadonlyMap<string, BundleImage>,
): DiskRead | undefined {
  const { type, device } = r.attributes(disk, {
    type: 'read',
    device: 'read',
    snapshot: 'quiet',
    model: 'quiet',
    rawio: { refuse: 'raw access to a device of the host' },
    sgio: { refuse: 'raw access to a device of the host' },
  });
  r.noText(disk);
  const kind = device ?? 'disk';
  if (kind !== 'disk' && kind !== 'cdrom') {
    r.refuse(disk, parent, kind === 'lun' ? HOST_DEVICE : NOT_IN_MODEL, ['type', 'device']);
    return undefined;
  }
  const sourceKind = type ?? 'file';
  if (sourceKind !== 'file' && sourceKind !== 'volume') {
    const why: Record<string, string> = {
      block: 'a block device of the host',
      dir: 'a folder of the host',
      network: 'storage on the network, reached from the host',
      nvme: HOST_DEVICE,
      vhostuser: 'a socket of the host',
      vhostvdpa: HOST_DEVICE,
    };
    r.refuse(disk, parent, why[sourceKind] ?? NOT_IN_MODEL, ['type', 'device']);
    return undefined;
  }
  let target: Record<string, string> = {};
  let format = '';
  let bootOrder = Number.MAX_SAFE_INTEGER;
  let source = false;
  let backing = false;
  let readonly = false;
  r.children(disk, {
    driver: (el) => {
      const read = r.attributes(el, {
        name: 'read',
        type: 'read',
        cache: { drop: S.diskTuning },
        error_policy: { drop: S.diskTuning },
        rerror_policy: { drop: S.diskTuning },
        io: { drop: S.diskTuning },
        ioeventfd: { drop: S.diskTuning },
        event_idx: { drop: S.diskTuning },
        copy_on_read: { drop: S.diskTuning },
        discard: { drop: S.diskTuning },
        discard_no_unref: { drop: S.diskTuning },
        detect_zeroes: { drop: S.diskTuning },
        iothread: { drop: S.diskTuning },
        queues: { drop: S.diskTuning },
        queue_size: { drop: S.diskTuning },
        packed: { drop: S.diskTuning },
        page_per_vq: { drop: S.diskTuning },
        iommu: { drop: S.diskTuning },
        ats: { drop: S.diskTuning },
        metadata_cache: { drop: S.diskTuning },
      });
      r.noText(el);
      r.children(el, { metadata_cache: { drop: S.diskTuning }, iothreads: { drop: S.diskTuning } });
      if (read.name !== undefined && read.name !== 'qemu')
        r.refuseText(`<driver name='${shorten(read.name)}'>`, 'only QEMU disks');
      format = read.type ?? 'raw';
    },
    // The image comes from the bundle; where it was on the old host is no concern here.
    source: (el) => {
      source = true;
      r.foreignIn(el, 'disk');
    },
    backingStore: (el) => {
      if (el.children.length > 0 || el.attributes.length > 0) backing = true;
      r.foreignIn(el, 'disk');
    },
    target: (el) => {
      target = r.leaf(el, {
        dev: 'read',
        bus: 'read',
        tray: 'quiet',
        removable: { drop: S.diskIds },
        rotation_rate: { drop: S.diskIds },
      });
    },
    boot: (el) => {
      const { order } = r.leaf(el, { order: 'read', loadparm: 'quiet' });
      if (order !== undefined && INTEGER.test(order)) bootOrder = Number(order);
    },
    readonly: (el) => {
      readonly = true;
      r.leaf(el, {});
    },
    serial: { drop: S.diskIds },
    wwn: { drop: S.diskIds },
    vendor: { drop: S.diskIds },
    product: { drop: S.diskIds },
    iotune: { drop: S.diskTuning },
    blockio: { drop: S.diskTuning },
    geometry: { drop: S.diskTuning },
    throttlefilters: { drop: S.diskTuning },
    address: 'quiet',
    alias: 'quiet',
    shareable: { refuse: 'shared with other guests of the old host' },
    transient: { refuse: NOT_IN_MODEL },
    encryption: { refuse: 'encrypted with a secret of the old host, which does not travel' },
    auth: { refuse: 'storage on the network, reached from the host' },
    mirror: { refuse: 'a copy to a file of the host' },
    reservations: { refuse: 'a socket of the host' },
  });
  const dev = target.dev ?? '';
  const bus = target.bus ?? '';
  const named = `${kind} ${shorten(dev) || '(no target)'}`;
  if (kind === 'cdrom') {
    if (source) r.drop(S.media);
    if (!includes(MEDIA_BUSES, bus) || !/^sd[a-z]{1,2}$/.test(dev)) {
      r.refuseText(
        `the ${named} on bus '${shorten(bus)}'`,
        `the model's CD drives are on ${MEDIA_BUSES.join(' or ')}, named sd…`,
      );
      return undefined;
    }
    return { disk: undefined, media: { dev, bus: bus as MediaBus }, bootOrder };
  }
  if (!includes(DISK_BUSES, bus) || !DISK_DEV[bus]?.test(dev)) {
    r.refuseText(
      `the ${named} on bus '${shorten(bus)}'`,
      `the model's disks are on ${DISK_BUSES.join(', ')} (vd… for virtio, sd… for the others)`,
    );
    return undefined;
  }
  if (readonly) r.refuseText(`the ${named} read-only`, NOT_IN_MODEL);
  const image = images.get(dev);
  if (!source) {
    if (image) r.refuseText(`the ${named}`, 'it is empty in the definition but the bundle has its image: damaged');
    else r.drop('empty disk drives');
    return undefined;
  }
  if (!image) {
    r.refuseText(`the ${named}`, 'the bundle has no image for it: the bundle is incomplete');
    return undefined;
  }
  if (backing && !image.flattened) {
    r.refuseText(
      `the ${named}'s backing chain`,
      'an image that reads a base image of the old host; export it flattened',
    );
  } else if (backing) r.drop('backing chains (flattened into the images)');
  if (!image.flattened && format !== image.format) {
    r.refuseText(
      `the ${named}`,
      `the definition says ${shorten(format)} and the bundle's image is ${image.format}: damaged`,
    );
  }
  if (!includes(DISK_FORMATS, image.format)) {
    r.refuseText(`the ${named}'s ${shorten(image.format)} image`, `the model's disks are ${DISK_FORMATS.join(' or ')}`);
    return undefined;
  }
  return { disk: { dev, bus: bus as DiskBus, format: image.format as DiskFormat }, media: undefined, bootOrder };
}

function readInterface(r: Reading, element: El, parent: string, guest: StatedGuest): void {
  const { type } = r.attributes(element, { type: 'read', trustGuestRxFilters: { drop: S.network } });
  r.noText(element);
  if (type !== 'network' && type !== 'user' && type !== 'bridge') {
    r.refuse(element, parent, 'a network device, socket or program of the host', ['type']);
    return;
  }
  let mac = '';
  let model: NetModel | undefined;
  let modelSeen = false;
  r.children(element, {
    mac: (el) => {
      const { address } = r.leaf(el, { address: 'read', type: 'quiet', check: 'quiet' });
      const value = (address ?? '').toLowerCase();
      // A unicast address, not all zeros: the guest's own identity on the network.
      if (!MAC.test(value) || parseInt(value.slice(0, 2), 16) % 2 === 1 || /^(00:){5}00$/.test(value)) {
        r.refuseText(`the MAC address '${shorten(address ?? '')}'`, 'not a unicast MAC address');
      } else mac = value;
    },
    model: (el) => {
      modelSeen = true;
      const { type: name } = r.leaf(el, { type: 'read' });
      if (name !== undefined && includes(NET_MODELS, name)) model = name as NetModel;
      else r.drop(`its ${shorten(name ?? 'unnamed')} network card model`);
    },
    source: (el, p) => {
      // The network it was on is the old host's; a card goes on this host's network (or user-mode networking).
      if (type === 'network' && attributeOf(el, 'network') === 'default') r.foreignIn(el, p);
      else r.dropTree(el, p, S.network);
    },
    target: 'quiet',
    driver: { drop: S.network },
    bandwidth: { drop: S.network },
    vlan: { drop: S.network },
    virtualport: { drop: S.network },
    link: { drop: S.network },
    mtu: { drop: S.network },
    coalesce: { drop: S.network },
    tune: { drop: S.network },
    port: { drop: S.network },
    guest: { drop: S.network },
    teaming: { drop: S.network },
    filterref: { drop: 'network filters' },
    ip: { drop: S.network },
    route: { drop: S.network },
    portForward: { drop: 'forwarded ports' },
    rom: (el, p) => {
      if (attributeOf(el, 'file') !== undefined) r.refuse(el, p, 'a file of the host', []);
      else r.dropTree(el, p, S.network);
    },
    boot: 'quiet',
    address: 'quiet',
    alias: 'quiet',
    acpi: 'quiet',
    script: { refuse: 'a program of the host' },
    downscript: { refuse: 'a program of the host' },
    backend: { refuse: 'a device or program of the host' },
  });
  if (!mac) {
    // libvirt gives every card a MAC address when it is defined: one without is no card of a real guest.
    r.refuseText('a network card without a MAC address', 'its address travels with it');
    return;
  }
  if (guest.interfaces.some((i) => i.mac === mac))
    r.refuseText(`the MAC address ${mac} twice`, 'each card has its own');
  if (!modelSeen) r.drop('network cards of no model');
  guest.interfaces.push({ model, mac });
}

function readTpm(r: Reading, element: El, parent: string, guest: StatedGuest): void {
  const { model } = r.attributes(element, { model: 'read' });
  r.noText(element);
  if (guest.tpm !== undefined) {
    r.refuse(element, parent, 'a second TPM');
    return;
  }
  const tpmModel = model ?? 'tpm-tis';
  if (!includes(TPM_MODELS, tpmModel)) {
    r.refuse(element, parent, `the model has ${TPM_MODELS.join(' and ')} TPMs`);
    return;
  }
  let emulated = false;
  r.children(element, {
    backend: (el) => {
      const read = r.attributes(el, {
        type: 'read',
        version: 'read',
        persistent_state: { drop: 'TPM settings' },
        debug: 'quiet',
      });
      r.noText(el);
      if (read.type !== 'emulator') {
        r.refuse(el, 'tpm', read.type === 'passthrough' ? 'the host’s own TPM' : NOT_IN_MODEL, ['type']);
        return;
      }
      if (read.version !== undefined && read.version !== '2.0') {
        r.refuseText(`a TPM ${shorten(read.version)}`, 'the model has TPM 2.0');
        return;
      }
      emulated = true;
      r.children(el, {
        encryption: { refuse: 'its state encrypted with a secret of the old host, which does not travel' },
        active_pcr_banks: { drop: 'TPM settings' },
        profile: { drop: 'TPM settings' },
        source: { drop: 'TPM settings' },
        device: { refuse: 'the host’s own TPM' },
      });
    },
    address: 'quiet',
    alias: 'quiet',
  });
  if (emulated) guest.tpm = tpmModel as TpmModel;
}
