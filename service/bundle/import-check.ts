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
// An attribute or element not named here (or, for devices, in
// import-devices.ts) is refused: the list is what is taken, not what is
// feared (the walking itself: allowlist-reading.ts). Pure.

import { validateGuestName } from '../create/guest-name.js';
import { SIZE_LIMITS, type StatedGuest } from '../create/plan.js';
import { errorMessage, invalidArgument } from '../errors.js';
import { LIBOSINFO_NS } from '../libvirt/domain-xml.js';
import { describeElement, readNamespaced } from '../xml/namespaced.js';
import {
  DEFAULT_SETTINGS,
  parseRule,
  MONITORED_HEADS,
  SWITCHER_NS,
  validateConnector,
  validateMonitors,
  validateSeat,
  type SwitcherSettings,
  type UsbRule,
} from '../libvirt/switcher-metadata.js';
import { attributeOf, FOREIGN, Reading, shorten, type El } from './allowlist-reading.js';
import { NO_GUEST_HAS, readDevices, type BundleImage, type DiskRead } from './import-devices.js';
import { S } from './import-labels.js';

export type { BundleImage } from './import-devices.js';

export interface BundleReading {
  guest: StatedGuest;
  /** What was left for this host to set, in a person's words, each once. */
  dropped: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OS_ID = /^https?:\/\/[A-Za-z0-9.-]{1,100}(\/[A-Za-z0-9._~+-]{1,64}){0,8}\/?$/;
const INTEGER = /^\s*[0-9]{1,20}\s*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const MAX_TITLE = 256;
const MAX_DESCRIPTION = 64 * 1024;
const MAX_NAMED = 24;
/** Each USB rule is one device the guest takes: far fewer than this. */
const MAX_USB_RULES = 256;

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
    settings: { ...DEFAULT_SETTINGS, headMonitors: [], usbRules: [] },
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
  const named = new Set<string>();
  const twice = new Set(devs.filter((dev) => named.size === named.add(dev).size));
  for (const dev of twice) r.refuseText(`two drives named ${dev}`, 'each drive has its own name');
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
  const settings: SwitcherSettings = { ...DEFAULT_SETTINGS, headMonitors: [], usbRules: [] };
  const seen = new Set<string>();
  const monitors: string[] = [];
  for (const child of element.children) {
    const where = `our setting <${child.name}>`;
    if (child.ns !== SWITCHER_NS) {
      r.refuse(child, 'switcher', `${FOREIGN}: ${child.ns}`, []);
      continue;
    }
    if (child.name !== 'usb-rule' && child.name !== 'monitor') {
      if (seen.has(child.name)) {
        r.refuseText(where, 'given twice');
        continue;
      }
      seen.add(child.name);
    }
    try {
      if (child.name === 'monitor') {
        // One per head: head 1's without a head attribute, the others' with theirs (2 to 4).
        const read = r.leaf(child, { connector: 'read', head: 'read' });
        const head = read.head ?? '1';
        const index = /^[1-9]$/.test(head) ? Number(head) - 1 : -1;
        if (index < 0 || index >= MONITORED_HEADS)
          r.refuseText(where, `head ${shorten(head)} is not 1 to ${MONITORED_HEADS}`);
        else if (monitors[index] !== undefined) r.refuseText(where, `given twice for head ${index + 1}`);
        else monitors[index] = validateConnector(read.connector ?? '');
      } else if (child.name === 'seat') {
        settings.seat = validateSeat(r.leaf(child, { id: 'read' }).id ?? '');
      } else if (child.name === 'usb-rule') {
        if (settings.usbRules.length >= MAX_USB_RULES) {
          if (!seen.has('usb-rule')) r.refuseText(`more than ${MAX_USB_RULES} USB rules`, NO_GUEST_HAS);
          seen.add('usb-rule');
          continue;
        }
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
  try {
    const [monitor = '', ...more] = validateMonitors(
      Array.from({ length: monitors.length }, (_, i) => monitors[i] ?? ''),
    );
    settings.monitor = monitor;
    settings.headMonitors = more;
  } catch (error) {
    r.refuseText('our setting <monitor>', errorMessage(error));
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
